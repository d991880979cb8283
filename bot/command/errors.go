package command

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// ErrNotCommand is returned for a comment whose first non-empty line does not
// start with "/": ordinary conversation, which the App does not answer.
var ErrNotCommand = errors.New("not a command: the first non-empty line does not start with /")

// Error is a comment that is meant as a command (its first non-empty line
// starts with "/") but does not parse. Msg says what is wrong and what would
// be accepted; it quotes at most a few dozen characters of the comment, with
// control and invisible characters escaped, so it is safe to show but still
// user text: render it as code.
type Error struct {
	Msg string
	// Col is the 1-based column, in characters, of the offending word in the
	// command line (the first non-empty line, leading whitespace removed),
	// for a renderer that wants to point at it; 0 when the error is about
	// the comment as a whole or about something missing.
	Col int
}

func (e *Error) Error() string { return e.Msg }

// Help returns the help text that follows an error in the App's reply:
// HelpText, every command with its grammar.
func (e *Error) Help() string { return HelpText() }

// maxEcho bounds how many characters of one piece of user input an error
// quotes; no message quotes more than two pieces.
const maxEcho = 40

// quote renders user input in Go syntax ("prod", "dev\u00a0x"), cut after
// maxEcho characters of output with "…", so a message can neither grow with
// the input nor carry invisible characters.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	n := 0
	for _, r := range s {
		q := strconv.Quote(string(r))
		q = q[1 : len(q)-1] // the rune escaped, without the quotes
		if n+utf8.RuneCountInString(q) > maxEcho {
			b.WriteString("…")
			break
		}
		b.WriteString(q)
		n += utf8.RuneCountInString(q)
	}
	b.WriteByte('"')
	return b.String()
}

// commandWord renders the word a user typed as a command: "/aply" as is when
// it is short and plain ASCII, quoted otherwise.
func commandWord(w string) string {
	if len(w) <= maxEcho && !strings.ContainsFunc(w, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || r == '"' || r == '`' || r == '\\'
	}) {
		return w
	}
	return quote(w)
}

// maxListBytes bounds the list of environment names an error shows.
const maxListBytes = 120

// list renders names as "dev, staging", cut after maxListBytes.
func list(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 && b.Len()+len(n) > maxListBytes {
			return b.String() + ", … (" + strconv.Itoa(len(names)) + " in all)"
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
	return b.String()
}

// nearest returns the candidate closest to s by edit distance, if one is
// within 2 edits and s is not so short that every candidate is close;
// earlier candidates win ties.
func nearest(s string, candidates []string) (string, bool) {
	const maxDist, maxLen = 2, 32
	if utf8.RuneCountInString(s) > maxLen || utf8.RuneCountInString(s) <= maxDist {
		return "", false
	}
	best, bestDist := "", maxDist+1
	for _, c := range candidates {
		if d := levenshtein.ComputeDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, bestDist <= maxDist
}

// sortedUnique returns a sorted copy of names without repeats.
func sortedUnique(names []string) []string {
	s := slices.Clone(names)
	slices.Sort(s)
	return slices.Compact(s)
}
