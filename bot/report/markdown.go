package report

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The helpers below put text that did not come from this package (spec
// values, addresses, messages, plan text, logs) into markdown without letting
// it change the document's structure: inline text is kept on one line with
// its HTML escaped (a "</details>" in a message would otherwise close the
// renderer's block in the browser), code spans and fences are made longer
// than any run of backticks they hold, table cells escape their pipes.

// fence renders content as a fenced code block that nothing in content can
// close: the fence is longer than any run of backticks that starts a line
// (after up to three spaces, CommonMark 0.31, 4.5). A line that starts with
// maxFence or more backticks is indented by four spaces (it could not close
// a fence then), so that the fence stays short.
func fence(content, info string) string {
	longest := 0
	pathological := false
	for line := range strings.Lines(content) {
		r := fenceRun(line)
		if r >= maxFence {
			pathological = true
		} else {
			longest = max(longest, r)
		}
	}
	if pathological {
		var b strings.Builder
		for line := range strings.Lines(content) {
			if fenceRun(line) >= maxFence {
				b.WriteString("    ")
			}
			b.WriteString(line)
		}
		content = b.String()
	}
	f := strings.Repeat("`", max(3, longest+1))
	var b strings.Builder
	b.Grow(len(content) + 2*len(f) + len(info) + 3)
	b.WriteString(f)
	b.WriteString(info)
	b.WriteByte('\n')
	b.WriteString(content)
	if content != "" && !strings.HasSuffix(content, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString(f)
	b.WriteByte('\n')
	return b.String()
}

// maxFence bounds the length of a code fence.
const maxFence = 16

// fenceRun is the number of backticks that start line after up to three
// spaces.
func fenceRun(line string) int {
	i := 0
	for i < 3 && i < len(line) && line[i] == ' ' {
		i++
	}
	n := 0
	for i+n < len(line) && line[i+n] == '`' {
		n++
	}
	return n
}

// code renders s as an inline code span on one line.
func code(s string) string {
	s = oneLine(s)
	if s == "" {
		return "` `"
	}
	n := longestRun(s, '`') + 1
	d := strings.Repeat("`", n)
	if n > 1 || strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return d + " " + s + " " + d
	}
	return d + s + d
}

// cellCode is code for a table cell: GitHub splits cells at a pipe even
// inside a code span unless it is escaped.
func cellCode(s string) string {
	return strings.ReplaceAll(code(s), "|", `\|`)
}

// text renders s as inline text: on one line, with HTML escaped, and
// backticks and tildes escaped so that it cannot start a code span or, at
// the start of a line, a fence.
func text(s string) string {
	return textEscaper.Replace(oneLine(s))
}

// inline renders s, a line of markdown the App wrote (code spans, emphasis,
// links), on one line with raw HTML escaped outside its code spans and a
// backtick that closes no code span escaped. Unlike text, it keeps the
// caller's markup.
func inline(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2]) // an escaped character opens nothing
			i += 2
		case c == '`':
			n := backtickRun(s[i:])
			if j := closingRun(s, i+n, n); j >= 0 {
				b.WriteString(s[i : j+n])
				i = j + n
			} else {
				b.WriteString(strings.Repeat("\\`", n))
				i += n
			}
		case c == '<':
			b.WriteString("&lt;")
			i++
		case c == '>':
			b.WriteString("&gt;")
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// backtickRun is the number of backticks s starts with.
func backtickRun(s string) int {
	n := 0
	for n < len(s) && s[n] == '`' {
		n++
	}
	return n
}

// closingRun returns where, from i on, the next run of exactly n backticks
// starts (the end of a code span opened by n backticks), or -1.
func closingRun(s string, i, n int) int {
	for i < len(s) {
		if s[i] != '`' {
			i++
			continue
		}
		m := backtickRun(s[i:])
		if m == n {
			return i
		}
		i += m
	}
	return -1
}

// cellText is text for a table cell.
func cellText(s string) string {
	return strings.ReplaceAll(text(s), "|", `\|`)
}

var textEscaper = strings.NewReplacer("<", "&lt;", ">", "&gt;", "`", "\\`", "~", "\\~")

// oneLine cleans s and replaces its line breaks by spaces.
func oneLine(s string) string {
	s = clean(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// ansiEscape matches terminal colour and cursor sequences; terraform prints
// them unless told -no-color, and they would show as garbage.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// clean makes outside text safe to measure and cut: valid UTF-8, no terminal
// escapes, no NUL.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.Contains(s, "\x1b") {
		s = ansiEscape.ReplaceAllString(s, "")
	}
	if strings.Contains(s, "\x00") {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// capText cuts s to at most n bytes at a rune boundary, ending with "…" when
// cut. Inline values (names, addresses, notices) are capped so that no one of
// them can fill a comment.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	return prefixBytes(s, n-len(ellipsis)) + ellipsis
}

// prefixBytes is the longest prefix of s of at most n bytes that ends at a
// rune boundary.
func prefixBytes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// suffixBytes is the longest suffix of s of at most n bytes that starts at a
// rune boundary.
func suffixBytes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if n >= len(s) {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// when formats a time for people, in UTC to the minute.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// plural renders "1 resource" or "3 resources".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
