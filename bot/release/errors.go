package release

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Error is one problem in a release file, located at the value (or key) that
// causes it. Path is the field path, e.g. "images.user.digest" or
// "smoke[1].status".
type Error struct {
	File      string
	Line, Col int
	Path      string
	Msg       string
}

// Error formats as "file:line:col: path: msg", leaving out the parts that
// are unknown (a hand-built Release has no file or position).
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

// Errors is every problem found, sorted by line and column. Decode, Load and
// Validate return it as their error; use errors.As to get at the
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

// orNil sorts es, keeps the first maxErrors and a line counting the rest,
// and keeps a nil Errors from becoming a non-nil error interface.
func (es Errors) orNil() error {
	if len(es) == 0 {
		return nil
	}
	es.sort()
	if len(es) > maxErrors {
		last := es[maxErrors-1]
		more := len(es) - maxErrors
		es = append(es[:maxErrors:maxErrors], &Error{File: last.File, Line: last.Line, Col: last.Col,
			Msg: fmt.Sprintf("%d more %s not shown; fix these first", more, plural(more, "error"))})
	}
	return es
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// quote shows a user's value in a message, shortened so that one error
// stays one readable line.
func quote(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
