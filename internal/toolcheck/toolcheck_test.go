package toolcheck

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

func TestPostgresBinDir(t *testing.T) {
	fakeBin := func(t *testing.T, dir string, names ...string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	notOnPath := func(string) (string, error) { return "", exec.ErrNotFound }

	t.Run("initdb on PATH is followed through its link to the directory that also has postgres", func(t *testing.T) {
		root := t.TempDir()
		real := filepath.Join(root, "lib", "15", "bin")
		fakeBin(t, real, "initdb", "postgres")
		link := filepath.Join(root, "initdb")
		if err := os.Symlink(filepath.Join(real, "initdb"), link); err != nil {
			t.Fatal(err)
		}
		got, err := postgresBinDir(func(string) (string, error) { return link, nil }, filepath.Join(root, "none"))
		if err != nil || got != real {
			t.Fatalf("got %q, %v; want %q", got, err, real)
		}
	})
	t.Run("the newest version under the Debian root wins, by number not by text", func(t *testing.T) {
		root := t.TempDir()
		fakeBin(t, filepath.Join(root, "9", "bin"), "initdb", "postgres")
		fakeBin(t, filepath.Join(root, "15", "bin"), "initdb", "postgres")
		fakeBin(t, filepath.Join(root, "16", "bin"), "initdb") // no server binary: not usable
		got, err := postgresBinDir(notOnPath, root)
		if want := filepath.Join(root, "15", "bin"); err != nil || got != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	})
	t.Run("nothing found is an error naming where it looked", func(t *testing.T) {
		root := t.TempDir()
		_, err := postgresBinDir(notOnPath, root)
		if err == nil || !strings.Contains(err.Error(), root) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestMissingPostgresHintSaysHowToInstall(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	stop(r, "PostgreSQL server binaries not found", postgresHint)
	if !strings.Contains(r.failed, "apt-get install -y postgresql") {
		t.Fatalf("failed = %q", r.failed)
	}
}
