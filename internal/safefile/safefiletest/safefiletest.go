// Package safefiletest puts, where a test expects a plain file, the things a
// pull request (or a hostile checkout) can put there instead: symbolic links
// to secrets and devices, a FIFO, a sparse file of gigabytes, a directory.
// Every reader of outside files tests itself against all of them.
package safefiletest

import (
	"os"
	"syscall"
	"testing"

	"github.com/gitops-bot/gitops/internal/safefile"
)

// Secret must appear in no error. Kinds sets it in the environment (SecretEnv)
// and writes it to the target of a link. The environment alone would prove
// nothing: /proc/self/environ shows the environment the process started with,
// not what t.Setenv adds.
const (
	SecretEnv = "GITOPS_TEST_FAKE_SECRET"
	Secret    = "fake-secret-8c1d0f"
)

// Kind is one thing that is not a plain file.
type Kind struct {
	Name string // says what it is, for test names
	Want error  // what safefile wraps: safefile.ErrNotRegular or safefile.ErrTooLarge
	Make func(t testing.TB, path string)
}

// Kinds returns every kind, and sets SecretEnv in the test's environment.
func Kinds(t testing.TB) []Kind {
	t.Setenv(SecretEnv, Secret)
	link := func(target string) func(testing.TB, string) {
		return func(t testing.TB, path string) {
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}
	}
	return []Kind{
		{"a link to /proc/self/environ", safefile.ErrNotRegular, link("/proc/self/environ")},
		{"a link to a file holding a secret", safefile.ErrNotRegular, func(t testing.TB, path string) {
			target := path + ".secret"
			if err := os.WriteFile(target, []byte(Secret+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			link(target)(t, path)
		}},
		{"a link to /dev/zero", safefile.ErrNotRegular, link("/dev/zero")},
		{"a link to /dev/urandom", safefile.ErrNotRegular, link("/dev/urandom")},
		{"a link to a plain file", safefile.ErrNotRegular, func(t testing.TB, path string) {
			target := path + ".target"
			if err := os.WriteFile(target, []byte("name: dev\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			link(target)(t, path)
		}},
		{"a FIFO, which would block a reader", safefile.ErrNotRegular, func(t testing.TB, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"a directory", safefile.ErrNotRegular, func(t testing.TB, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{"a 3 GiB sparse file", safefile.ErrTooLarge, func(t testing.TB, path string) {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(3 << 30); err != nil { // no blocks written
				t.Fatal(err)
			}
		}},
	}
}
