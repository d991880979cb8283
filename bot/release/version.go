package release

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/mod/semver"
)

// Version is what a release deploys: a semver tag vMAJOR.MINOR.PATCH with an
// optional pre-release (v1.2.0, v1.3.0-rc.1) in an environment that follows
// tags, or a commit SHA of 7 to 40 lowercase hex digits in one that follows
// main. The empty Version is "no release" (the Previous of a first release).
//
// Semver precedence is golang.org/x/mod/semver's: the Go team's
// implementation of semver 2.0.0, already in the module graph (through
// golang.org/x/tools), string-based and without allocation. It also accepts
// the shorthands v1 and v1.2 and build metadata; a release version must be
// the full vX.Y.Z and carry no +build, because it is also an image tag, and
// OCI tags cannot hold '+'. Masterminds/semver would add a module for
// constraints and ranges that nothing here needs.
type Version string

// maxVersionLen is the longest version: an image tag has at most 128
// characters.
const maxVersionLen = 128

var (
	// fullSemver is the shape semver.IsValid does not insist on: three
	// numbers without leading zeros, an optional pre-release, no build.
	fullSemver = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	commitRe   = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
)

// ParseVersion parses a semver release tag such as v1.2.0 or v1.3.0-rc.1.
func ParseVersion(s string) (Version, error) {
	if msg := semverProblem(s); msg != "" {
		return "", fmt.Errorf("version %s", msg)
	}
	return Version(s), nil
}

// ParseCommit parses a commit SHA of 7 to 40 lowercase hex digits, the
// version of an environment that follows main.
func ParseCommit(s string) (Version, error) {
	if msg := commitProblem(s); msg != "" {
		return "", fmt.Errorf("version %s", msg)
	}
	return Version(s), nil
}

// semverProblem says why s is not a release tag, or "".
func semverProblem(s string) string {
	switch {
	case len(s) > maxVersionLen:
		return fmt.Sprintf("%s is %d characters; a version is also an image tag, at most %d", quote(s), len(s), maxVersionLen)
	case strings.Contains(s, "+"):
		return fmt.Sprintf("%s has build metadata (+…); a version is also an image tag, which cannot hold '+': use v<major>.<minor>.<patch>[-<pre-release>]", quote(s))
	case !strings.HasPrefix(s, "v") && fullSemver.MatchString("v"+s):
		return fmt.Sprintf("%s is missing the leading v; expected v%s", quote(s), s)
	case !fullSemver.MatchString(s) || !semver.IsValid(s):
		return fmt.Sprintf("%s is not a release version; expected v<major>.<minor>.<patch> with an optional pre-release, such as v1.2.0 or v1.3.0-rc.1", quote(s))
	}
	return ""
}

func commitProblem(s string) string {
	if !commitRe.MatchString(s) {
		return fmt.Sprintf("%s is not a commit SHA; an environment that follows main is at a commit: 7 to 40 lowercase hex digits", quote(s))
	}
	return ""
}

// IsSemver says whether v is a release tag.
func (v Version) IsSemver() bool { return semverProblem(string(v)) == "" }

// IsCommit says whether v is a commit SHA.
func (v Version) IsCommit() bool { return commitProblem(string(v)) == "" }

// String is the version as written.
func (v Version) String() string { return string(v) }

// Prerelease is the pre-release of a semver tag with its '-' ("-rc.1"), or "".
func (v Version) Prerelease() string { return semver.Prerelease(string(v)) }

// Compare orders two release tags by semver precedence: -1, 0 or +1. A
// pre-release comes before its release (v1.2.0-rc.1 < v1.2.0). Commits have
// no order here (that is git's business): a commit or an empty Version is
// below every tag and equal to any other such value.
func (v Version) Compare(w Version) int {
	a, b := string(v), string(w)
	if !v.IsSemver() {
		a = ""
	}
	if !w.IsSemver() {
		b = ""
	}
	return semver.Compare(a, b)
}

// IsRollback says whether deploying next where current runs goes back: both
// are release tags and next has lower precedence. Commits are never a
// rollback here, since only git knows their order.
func IsRollback(current, next Version) bool {
	return current.IsSemver() && next.IsSemver() && next.Compare(current) < 0
}
