package report

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkMarkdown fails t unless md is within limit (in bytes, hence in
// characters) and whole: every code fence closed, every <details> closed
// in order, outside the fences.
func checkMarkdown(t fataler, md string, limit int) {
	t.Helper()
	if len(md) > limit || utf8.RuneCountInString(md) > limit {
		t.Fatalf("%d bytes, %d characters: over the limit of %d", len(md), utf8.RuneCountInString(md), limit)
	}
	if !utf8.ValidString(md) {
		t.Fatalf("not valid UTF-8")
	}
	if err := markdownStructure(md); err != "" {
		t.Fatal(err)
	}
}

// fataler is what the checks need of *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

var (
	// A fence opens with 3+ backticks or tildes after up to 3 spaces, and
	// closes with at least as many of the same character and nothing else
	// (CommonMark 0.31, 4.5).
	fenceLine    = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})(.*)$")
	detailsOpen  = regexp.MustCompile(`(?i)^\s*<details[\s>]`)
	detailsClose = regexp.MustCompile(`(?i)</details\s*>`)
)

// markdownStructure returns what is wrong with md's blocks, or "".
func markdownStructure(md string) string {
	var open string // the opening fence, "" outside one
	depth := 0
	for n, line := range strings.Split(md, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if m := fenceLine.FindStringSubmatch(line); m != nil {
			run, rest := m[1], m[2]
			switch {
			case open == "":
				if run[0] == '`' && strings.Contains(rest, "`") {
					break // not a fence: a backtick fence's info has no backtick
				}
				open = run
				continue
			case run[0] == open[0] && len(run) >= len(open) && strings.TrimSpace(rest) == "":
				open = ""
				continue
			}
		}
		if open != "" {
			continue
		}
		inline := withoutCodeSpans(line)
		if detailsOpen.MatchString(line) {
			depth++
		}
		if c := len(detailsClose.FindAllString(inline, -1)); c > 0 {
			depth -= c
			if depth < 0 {
				return "line " + itoa(n+1) + ": </details> without <details>: " + line
			}
		}
		if strings.Contains(strings.ToLower(inline), "<details") && !detailsOpen.MatchString(line) {
			return "line " + itoa(n+1) + ": <details> inside a line: " + line
		}
	}
	if open != "" {
		return "a code fence " + open + " is not closed"
	}
	if depth != 0 {
		return itoa(depth) + " <details> not closed"
	}
	return ""
}

// withoutCodeSpans removes the code spans of a line: a run of backticks up
// to the next run of the same length (CommonMark 0.31, 6.1); a run with no
// such closer is literal text. Backslash-escaped characters are dropped too:
// an escaped backtick opens no span, an escaped "<" no HTML.
func withoutCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		switch {
		case line[i] == '\\' && i+1 < len(line):
			i += 2 // an escaped character is literal: it opens nothing
		case line[i] == '`':
			n := backtickRun(line[i:])
			if j := closingRun(line, i+n, n); j >= 0 {
				i = j + n
			} else {
				b.WriteString(line[i : i+n])
				i += n
			}
		default:
			b.WriteByte(line[i])
			i++
		}
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestMarkdownHelpers(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"fence is longer than the backticks inside", fence("a\n````\nb", ""), "`````\na\n````\nb\n`````\n"},
		{"fence of plain text", fence("plan\n", "diff"), "```diff\nplan\n```\n"},
		{"backticks inside a line do not lengthen the fence", fence("a ````` b", ""), "```\na ````` b\n```\n"},
		{"a line of many backticks is indented", fence(strings.Repeat("`", 40)+"\n``` x", ""), "````\n    " + strings.Repeat("`", 40) + "\n``` x\n````\n"},
		{"code span around a backtick", code("a`b"), "`` a`b ``"},
		{"code span on one line", code("a\nb"), "`a b`"},
		{"empty code span", code(""), "` `"},
		{"cell code escapes pipes", cellCode("a|b"), "`a\\|b`"},
		{"text escapes HTML", text("x </details> y"), "x &lt;/details&gt; y"},
		{"text cannot start a fence", text("```go"), "\\`\\`\\`go"},
		{"cellText escapes pipes and breaks", cellText("a|b\nc"), "a\\|b c"},
		{"inline keeps code spans and escapes HTML outside them", inline("run `/plan <env>` </details>\nnow"), "run `/plan <env>` &lt;/details&gt; now"},
		{"inline escapes a backtick that closes nothing", inline("a ``b` c"), "a \\`\\`b\\` c"},
		{"inline keeps escapes", inline(`\` + "`x` " + `\<b>`), `\` + "`x" + `\` + "` " + `\<b&gt;`},
		{"capText cuts at a rune", capText("éééé", 6), "é…"},
		{"capText leaves short text", capText("abc", 3), "abc"},
		{"capText cuts long text", capText("abcdefgh", 6), "abc…"},
		{"clean drops terminal colours", clean("\x1b[1m\x1b[32m+\x1b[0m create"), "+ create"},
		{"clean repairs UTF-8", clean("a\xffb"), "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
			checkMarkdown(t, tt.got, 1000)
		})
	}
}

func TestCutsKeepRunes(t *testing.T) {
	tests := []struct {
		name       string
		s          string
		n          int
		head, tail string
	}{
		{"nothing to cut", "abc", 5, "abc", "abc"},
		{"ASCII", "abcdef", 2, "ab", "ef"},
		{"never half a rune", "aé€", 3, "aé", "€"},
		{"room for no rune", "€€", 2, "", ""},
		{"zero", "abc", 0, "", ""},
		{"negative", "abc", -1, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := prefixBytes(tt.s, tt.n); got != tt.head {
				t.Errorf("prefixBytes = %q, want %q", got, tt.head)
			}
			if got := suffixBytes(tt.s, tt.n); got != tt.tail {
				t.Errorf("suffixBytes = %q, want %q", got, tt.tail)
			}
		})
	}
}

func TestMarkdownStructureCheck(t *testing.T) {
	// The checker itself: it must see what breaks a comment.
	for _, tt := range []struct {
		md string
		ok bool
	}{
		{"```\n</details>\n```\n", true},
		{"<details><summary>x</summary>\n\n````\n```\n````\n\n</details>\n", true},
		{"```\ncode\n", false},
		{"<details>\n", false},
		{"</details>\n", false},
		{"text <details> inline\n", false},
		{"text `<details>` in a code span\n", true},
		{"text `` <details>` `` in a longer code span\n", true},
		{"text ``<details>` unclosed span\n", false},
		{"text \\`<details>` escaped backtick\n", false},
		{"text \\<details> escaped HTML\n", true},
		{"text \\\\<details> escaped backslash\n", false},
		{"````\n```\n", false},
	} {
		if got := markdownStructure(tt.md) == ""; got != tt.ok {
			t.Errorf("markdownStructure(%q) ok = %v, want %v", tt.md, got, tt.ok)
		}
	}
}
