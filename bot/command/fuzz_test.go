package command

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks, for any comment body: Parse does not panic; it returns
// a command, ErrNotCommand or a short one-line *Error; and a command's
// canonical line parses back to the same command.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		if len(tc.body) <= 1024 {
			f.Add(tc.body)
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkParse(t, body)
	})
}

// fataler is what checkParse needs from *testing.T and *rapid.T.
type fataler interface {
	Fatalf(format string, args ...any)
}

// maxErrorBytes bounds an error message: the longest grammar message plus
// two quoted pieces of input.
const maxErrorBytes = 300

func checkParse(t fataler, body string) {
	cmd, err := Parse(body, repo)
	var e *Error
	switch {
	case err == nil:
		if cmd == nil {
			t.Fatalf("Parse(%q) = nil, nil", body)
		}
		again, err := Parse(cmd.String(), repo)
		if err != nil {
			t.Fatalf("Parse(%q) = %#v, whose line %q does not parse: %v", body, cmd, cmd.String(), err)
		}
		if !reflect.DeepEqual(again, cmd) {
			t.Fatalf("Parse(%q) = %#v, whose line %q parses to %#v", body, cmd, cmd.String(), again)
		}
		if !strings.HasPrefix(cmd.String(), "/"+cmd.Name()) {
			t.Fatalf("%#v: line %q does not start with /%s", cmd, cmd.String(), cmd.Name())
		}
	case cmd != nil:
		t.Fatalf("Parse(%q) = %#v with error %v", body, cmd, err)
	case errors.Is(err, ErrNotCommand):
	case errors.As(err, &e):
		if len(e.Error()) > maxErrorBytes || strings.ContainsAny(e.Error(), "\n\r") {
			t.Fatalf("Parse(%q): error of %d bytes or several lines: %q", body, len(e.Error()), e.Error())
		}
		if e.Col < 0 {
			t.Fatalf("Parse(%q): error column %d", body, e.Col)
		}
	default:
		t.Fatalf("Parse(%q) = %T %v, want ErrNotCommand or *Error", body, err, err)
	}
}
