package toolcheck

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a test would have been stopped.
type recorder struct {
	testing.TB
	failed, skipped string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }

func TestMissingToolFailsUnderCIAndSkipsOtherwise(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	tests := []struct {
		name, ci   string
		wantFailed bool
	}{
		{"CI=true turns a missing tool into a failure", "true", true},
		{"outside CI a missing tool skips the test", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{TB: t}
			Require(r, "terraform")
			msg := r.skipped
			if tt.wantFailed {
				msg = r.failed
			}
			if (r.failed != "") != tt.wantFailed || (r.skipped != "") == tt.wantFailed {
				t.Fatalf("failed=%q skipped=%q", r.failed, r.skipped)
			}
			if !strings.Contains(msg, "install terraform") {
				t.Fatalf("message does not say how to install: %q", msg)
			}
		})
	}
}

func TestPresentToolIsReturned(t *testing.T) {
	r := &recorder{TB: t}
	if p := Require(r, "sh"); p == "" || r.failed != "" || r.skipped != "" {
		t.Fatalf("Require(sh) = %q, failed=%q skipped=%q", p, r.failed, r.skipped)
	}
}
