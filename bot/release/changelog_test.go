package release

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// subjects lists a changelog as "group: subject" lines, for comparing.
func subjects(cl *Changelog) []string {
	var out []string
	for _, g := range cl.Groups {
		for _, e := range g.Entries {
			out = append(out, g.Type+": "+e.Subject)
		}
	}
	return out
}

func commits(subjects ...string) []Commit {
	var out []Commit
	for i, s := range subjects {
		out = append(out, Commit{SHA: fmt.Sprintf("%040x", i+1), Subject: s, Author: "dev", Parents: 1})
	}
	return out
}

func TestNewChangelog(t *testing.T) {
	tests := []struct {
		name    string
		commits []Commit
		limit   int
		grouped bool
		want    []string
		omitted int
		merges  int
	}{
		{"conventional commits are grouped by type, breaking changes first",
			commits("fix(api): reject empty names", "feat: export inventory as CSV", "chore: bump deps", "feat(ui)!: new login page", "fix: off-by-one in paging"), 0, true,
			[]string{"breaking: new login page", "feat: export inventory as CSV", "fix: reject empty names", "fix: off-by-one in paging", "chore: bump deps"}, 0, 0},
		{"commits without a type make one flat list, in commit order",
			commits("Add CSV export", "Fix paging", "Bump deps"), 0, false,
			[]string{": Add CSV export", ": Fix paging", ": Bump deps"}, 0, 0},
		{"a package prefix is not a type: it goes to other changes",
			commits("jobs: retry once", "feat: search", "report: shorter tables"), 0, true,
			[]string{"feat: search", "other: jobs: retry once", "other: report: shorter tables"}, 0, 0},
		{"types are read in any case, and a BREAKING CHANGE subject is breaking",
			commits("Feat: dark mode", "BREAKING CHANGE: drop v1 API"), 0, true,
			[]string{"breaking: BREAKING CHANGE: drop v1 API", "feat: dark mode"}, 0, 0},
		{"merge commits are left out: by their parents when known, else by git's and GitHub's wording",
			append(commits("feat: a", "Merge pull request #12 from org/branch", "Merge branch 'main' into x"),
				Commit{SHA: "m", Subject: "feat: merged by hand", Parents: 2},
				Commit{SHA: "u", Subject: "Merge pull request #13 from org/other"}), 0, true,
			[]string{"feat: a", "other: Merge pull request #12 from org/branch", "other: Merge branch 'main' into x"}, 0, 2},
		{"the limit keeps the first entries in group order and counts the rest",
			commits("chore: a", "feat: b", "fix: c", "feat: d", "docs: e"), 3, true,
			[]string{"feat: b", "feat: d", "fix: c"}, 2, 0},
		{"a limit above the count shows all", commits("x", "y"), 10, false, []string{": x", ": y"}, 0, 0},
		{"no commits, no groups", nil, 5, false, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := NewChangelog(tt.commits, tt.limit)
			if got := subjects(cl); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if cl.Grouped != tt.grouped || cl.Omitted != tt.omitted || cl.Merges != tt.merges || cl.Shown != len(tt.want) {
				t.Errorf("grouped %t shown %d omitted %d merges %d", cl.Grouped, cl.Shown, cl.Omitted, cl.Merges)
			}
		})
	}
}

func TestChangelogEntry(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name   string
		commit Commit
		want   Entry
	}{
		{"type, scope, breaking mark and the pull request of a squash merge",
			Commit{SHA: "0123456789abcdef", Subject: "feat(api)!: paginate lists (#42)", Author: "ana", Parents: 1},
			Entry{SHA: "0123456789abcdef", ShortSHA: "0123456", Type: "feat", Scope: "api", Breaking: true, Subject: "paginate lists", Author: "ana", PR: 42}},
		{"only the first line of a message",
			Commit{SHA: "abc", Subject: "fix: a\n\nlong body", Parents: 1},
			Entry{SHA: "abc", ShortSHA: "abc", Type: "fix", Subject: "a"}},
		{"a subject from anyone who can push is cut to 200 characters",
			Commit{SHA: "abcdefgh", Subject: long, Parents: 1},
			Entry{SHA: "abcdefgh", ShortSHA: "abcdefg", Subject: strings.Repeat("x", 199) + "…"}},
		{"an unknown type is part of the subject",
			Commit{SHA: "abcdefgh", Subject: "wip: things", Parents: 1},
			Entry{SHA: "abcdefgh", ShortSHA: "abcdefg", Subject: "wip: things"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := NewChangelog([]Commit{tt.commit}, 0).Entries()
			if len(es) != 1 || !reflect.DeepEqual(es[0], tt.want) {
				t.Errorf("got  %+v\nwant %+v", es, tt.want)
			}
		})
	}
}

// Every commit is shown, omitted, a merge or a repeat; at most limit are
// shown; within a group, entries keep the commits' order.
func TestChangelogProperties(t *testing.T) {
	subjects := []string{"feat: a", "fix(x): b", "chore!: c", "docs: d", "plain e", "Merge pull request #1 from x/y", "jobs: f", "BREAKING CHANGE: g", "perf: h (#7)"}
	rapid.Check(t, func(t *rapid.T) {
		var cs []Commit
		for i := range rapid.IntRange(0, 60).Draw(t, "n") {
			cs = append(cs, Commit{
				SHA:     fmt.Sprintf("%07x", rapid.IntRange(0, i+3).Draw(t, "sha")),
				Subject: rapid.SampledFrom(subjects).Draw(t, "subject"),
				Parents: rapid.IntRange(0, 2).Draw(t, "parents"),
			})
		}
		limit := rapid.IntRange(0, 20).Draw(t, "limit")
		cl := NewChangelog(cs, limit)
		unique := map[string]bool{}
		for _, c := range cs {
			unique[c.SHA] = true
		}
		if cl.Shown+cl.Omitted+cl.Merges != len(unique) {
			t.Fatalf("shown %d + omitted %d + merges %d != %d distinct commits", cl.Shown, cl.Omitted, cl.Merges, len(unique))
		}
		if len(cl.Entries()) != cl.Shown || limit > 0 && cl.Shown > limit {
			t.Fatalf("%d entries, shown %d, limit %d", len(cl.Entries()), cl.Shown, limit)
		}
		index := map[string]int{}
		for i, c := range cs {
			if _, ok := index[c.SHA]; !ok {
				index[c.SHA] = i
			}
		}
		for _, g := range cl.Groups {
			if len(g.Entries) == 0 {
				t.Fatalf("empty group %s", g.Type)
			}
			for i := 1; i < len(g.Entries); i++ {
				if index[g.Entries[i-1].SHA] > index[g.Entries[i].SHA] {
					t.Fatalf("group %s out of commit order", g.Type)
				}
			}
		}
	})
}
