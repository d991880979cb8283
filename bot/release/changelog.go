package release

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Commit is one commit between the previous release and this one, as the
// caller lists it (git log, or GitHub's compare API), newest first.
type Commit struct {
	SHA     string
	Subject string // the first line of the message; more lines are ignored
	Author  string
	// Parents is the number of parents; more than one is a merge. Zero
	// means unknown, and then a subject in git's or GitHub's merge wording
	// ("Merge pull request #12 from …", "Merge branch 'x'") is a merge.
	Parents int
}

// Changelog is what a release brings, as data: markdown is rendered
// elsewhere (bot/report).
type Changelog struct {
	// Grouped is set when at least one commit follows Conventional
	// Commits; the entries are then in Groups by type, in TypeOrder.
	// Otherwise there is one group, of type "", with every entry.
	Grouped bool
	Groups  []Group
	// Shown is how many entries Groups holds; Omitted how many more
	// commits there were beyond the limit ("and 12 more").
	Shown, Omitted int
	// Merges is how many merge commits were left out.
	Merges int
}

// Group is the entries of one type, in the order of the commits.
type Group struct {
	Type    string // "breaking", a Conventional Commits type, "other", or "" when not grouped
	Title   string // for people: "Breaking changes", "Features", …
	Entries []Entry
}

// Entry is one commit of the changelog.
type Entry struct {
	SHA      string
	ShortSHA string // 7 characters
	Type     string // the Conventional Commits type, or ""
	Scope    string
	Breaking bool
	// Subject is the subject without its type and scope prefix, at most
	// maxSubject characters.
	Subject string
	Author  string
	// PR is the pull request number GitHub appends to squash merges
	// ("… (#123)"), or 0.
	PR int
}

// TypeOrder is the order of the groups: breaking changes first, then the
// Conventional Commits types that matter most to a release's reader.
var TypeOrder = []string{"breaking", "feat", "fix", "perf", "revert", "refactor", "docs", "test", "build", "ci", "style", "chore", "other"}

var typeTitles = map[string]string{
	"breaking": "Breaking changes",
	"feat":     "Features",
	"fix":      "Bug fixes",
	"perf":     "Performance",
	"revert":   "Reverts",
	"refactor": "Refactoring",
	"docs":     "Documentation",
	"test":     "Tests",
	"build":    "Build",
	"ci":       "CI",
	"style":    "Style",
	"chore":    "Chores",
	"other":    "Other changes",
}

// maxSubject bounds a subject, which comes from anyone who can push.
const maxSubject = 200

var (
	// conventional is "type(scope)!: subject". Only the types above count:
	// "jobs: …" or "report: …" name a package, not a type.
	conventional = regexp.MustCompile(`^([A-Za-z]+)(?:\(([^()]*)\))?(!)?: +(.+)$`)
	mergeSubject = regexp.MustCompile(`^Merge (pull request #[0-9]+ from |branch '|branch "|remote-tracking branch |tag ')`)
	prSuffix     = regexp.MustCompile(` \(#([0-9]+)\)$`)
)

// NewChangelog builds the changelog of commits (newest first), showing at
// most limit entries (limit ≤ 0: all). Merge commits and repeated SHAs are
// left out. Commits of a Conventional Commits type are grouped by it, a
// breaking one ("feat!: …", "fix(api)!: …") under "breaking"; the others
// go to "other". When no commit has a type, the changelog is one flat list.
// The entries kept are the first by group order, then by commit order.
func NewChangelog(commits []Commit, limit int) *Changelog {
	cl := &Changelog{}
	byType := map[string][]Entry{}
	var flat []Entry
	seen := map[string]bool{}
	for _, c := range commits {
		if c.SHA != "" && seen[c.SHA] {
			continue
		}
		seen[c.SHA] = true
		subject, _, _ := strings.Cut(c.Subject, "\n")
		subject = strings.TrimSpace(subject)
		if c.Parents > 1 || c.Parents == 0 && mergeSubject.MatchString(subject) {
			cl.Merges++
			continue
		}
		e := parseEntry(c, subject)
		flat = append(flat, e)
		group := "other"
		if e.Type != "" {
			group = e.Type
			cl.Grouped = true
		}
		if e.Breaking {
			group = "breaking"
		}
		byType[group] = append(byType[group], e)
	}
	total := len(flat)
	if limit <= 0 || limit > total {
		limit = total
	}
	cl.Shown, cl.Omitted = limit, total-limit
	if !cl.Grouped {
		if limit > 0 {
			cl.Groups = []Group{{Entries: flat[:limit]}}
		}
		return cl
	}
	left := limit
	for _, t := range TypeOrder {
		es := byType[t]
		if len(es) == 0 || left == 0 {
			continue
		}
		n := min(len(es), left)
		left -= n
		cl.Groups = append(cl.Groups, Group{Type: t, Title: typeTitles[t], Entries: es[:n]})
	}
	return cl
}

// parseEntry parses a subject into an entry.
func parseEntry(c Commit, subject string) Entry {
	e := Entry{SHA: c.SHA, ShortSHA: c.SHA[:min(7, len(c.SHA))], Author: c.Author, Subject: subject}
	if m := prSuffix.FindStringSubmatch(e.Subject); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			e.PR = n
			e.Subject = strings.TrimSuffix(e.Subject, m[0])
		}
	}
	if m := conventional.FindStringSubmatch(e.Subject); m != nil {
		if t := strings.ToLower(m[1]); typeTitles[t] != "" && t != "breaking" && t != "other" {
			e.Type, e.Scope, e.Breaking, e.Subject = t, strings.TrimSpace(m[2]), m[3] == "!", strings.TrimSpace(m[4])
		}
	}
	if strings.HasPrefix(subject, "BREAKING CHANGE:") || strings.HasPrefix(subject, "BREAKING-CHANGE:") {
		e.Breaking = true
	}
	if utf8.RuneCountInString(e.Subject) > maxSubject {
		e.Subject = string([]rune(e.Subject)[:maxSubject-1]) + "…"
	}
	return e
}

// Entries lists every entry shown, in group order.
func (cl *Changelog) Entries() []Entry {
	var out []Entry
	for _, g := range cl.Groups {
		out = append(out, g.Entries...)
	}
	return slices.Clip(out)
}
