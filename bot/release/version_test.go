package release

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // in the error; "" = accepted
	}{
		{"a release tag", "v1.2.0", ""},
		{"a pre-release tag", "v1.3.0-rc.1", ""},
		{"zeros", "v0.0.0", ""},
		{"missing v is named", "1.2.0", "missing the leading v; expected v1.2.0"},
		{"shorthand v1.2 is refused", "v1.2", "not a release version"},
		{"shorthand v1 is refused", "v1", "not a release version"},
		{"build metadata cannot be an image tag", "v1.2.0+build.5", "cannot hold '+'"},
		{"leading zeros are refused", "v1.02.0", "not a release version"},
		{"numeric pre-release with a leading zero", "v1.2.0-rc.01", "not a release version"},
		{"an empty pre-release", "v1.2.0-", "not a release version"},
		{"uppercase V", "V1.2.0", "not a release version"},
		{"too long for an image tag", "v1.2.0-" + strings.Repeat("a", 130), "at most 128"},
		{"a commit is not a tag", "a1b2c3d", "not a release version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseVersion(tt.in)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want == "" && (v != Version(tt.in) || !v.IsSemver()):
				t.Fatalf("got %q", v)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestParseCommit(t *testing.T) {
	for _, ok := range []string{"a1b2c3d", strings.Repeat("f", 40)} {
		if _, err := ParseCommit(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"a1b2c3", strings.Repeat("f", 41), "A1B2C3D", "v1.2.0", "main", ""} {
		if _, err := ParseCommit(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCompareAndRollback(t *testing.T) {
	tests := []struct {
		name          string
		current, next Version
		cmp           int // next against current
		rollback      bool
	}{
		{"a higher patch goes forward", "v1.1.0", "v1.1.1", 1, false},
		{"a lower minor is a rollback", "v1.2.0", "v1.1.0", -1, true},
		{"numbers compare as numbers, not text", "v1.9.0", "v1.10.0", 1, false},
		{"a pre-release comes before its release", "v1.2.0", "v1.2.0-rc.1", -1, true},
		{"pre-releases compare by identifier", "v1.2.0-rc.2", "v1.2.0-rc.10", 1, false},
		{"numeric identifiers before alphanumeric ones", "v1.2.0-alpha", "v1.2.0-1", -1, true},
		{"the same version is neither", "v1.2.0", "v1.2.0", 0, false},
		{"commits have no order here", "a1b2c3d", "b2c3d4e", 0, false},
		{"the first release is no rollback", "", "v0.1.0", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.next.Compare(tt.current); got != tt.cmp {
				t.Errorf("Compare = %d, want %d", got, tt.cmp)
			}
			if got := IsRollback(tt.current, tt.next); got != tt.rollback {
				t.Errorf("IsRollback = %t, want %t", got, tt.rollback)
			}
		})
	}
}

func genSemver() *rapid.Generator[Version] {
	return rapid.Custom(func(t *rapid.T) Version {
		n := func(label string) int { return rapid.IntRange(0, 30).Draw(t, label) }
		v := fmt.Sprintf("v%d.%d.%d", n("major"), n("minor"), n("patch"))
		if rapid.Bool().Draw(t, "pre") {
			ids := rapid.SliceOfN(rapid.OneOf(
				rapid.Just("rc"), rapid.Just("alpha"), rapid.Just("beta"),
				rapid.Map(rapid.IntRange(0, 20), func(i int) string { return fmt.Sprint(i) }),
			), 1, 3).Draw(t, "ids")
			v += "-" + strings.Join(ids, ".")
		}
		return Version(v)
	})
}

// Semver precedence is a total order: antisymmetric and transitive, and a
// rollback is exactly "lower than the current one".
func TestVersionOrderProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := genSemver().Draw(t, "a"), genSemver().Draw(t, "b"), genSemver().Draw(t, "c")
		for _, v := range []Version{a, b, c} {
			if _, err := ParseVersion(string(v)); err != nil {
				t.Fatalf("generated %s refused: %v", v, err)
			}
		}
		if a.Compare(b) != -b.Compare(a) {
			t.Fatalf("not antisymmetric: %s %s", a, b)
		}
		if a.Compare(b) <= 0 && b.Compare(c) <= 0 && a.Compare(c) > 0 {
			t.Fatalf("not transitive: %s %s %s", a, b, c)
		}
		if IsRollback(a, b) != (b.Compare(a) < 0) {
			t.Fatalf("IsRollback(%s, %s) = %t", a, b, IsRollback(a, b))
		}
		if IsRollback(a, b) && IsRollback(b, a) {
			t.Fatalf("both ways a rollback: %s %s", a, b)
		}
	})
}
