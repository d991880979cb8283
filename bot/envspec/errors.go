package envspec

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in an environment file, located at the value (or key)
// that causes it. Path is the spec path, e.g. "services.user.memory".
type Error struct {
	File      string
	Line, Col int
	Path      string
	Msg       string

	hidden int // for a line that says how many errors are not shown: how many
}

// Error formats as "file:line:col: path: msg", leaving out the parts that
// are unknown (a hand-built Spec has no file or position).
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Col)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found, sorted by file, line and column. Decode,
// Load and LoadDir return it as their error; use errors.As to get at the
// individual errors.
type Errors []*Error

// Error is one error per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
}

// orNil keeps a nil Errors from becoming a non-nil error interface.
func (es Errors) orNil() error {
	if len(es) == 0 {
		return nil
	}
	es.sort()
	return es
}

// capped sorts es and keeps the first n, then one line without file or
// position that counts the problems left out and their files: "… and 1,234
// more problems in 1,450 files".
func (es Errors) capped(n int) Errors {
	es.sort()
	if len(es) <= n {
		return es
	}
	problems, files := 0, map[string]bool{}
	for _, e := range es[n:] {
		problems += max(e.hidden, 1)
		files[e.File] = true
	}
	summary := fmt.Sprintf("… and %s more %s in %s %s", thousands(problems), plural(problems, "problem"), thousands(len(files)), plural(len(files), "file"))
	return append(es[:n:n], &Error{Msg: summary, hidden: problems})
}

// thousands writes n with a comma every three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
