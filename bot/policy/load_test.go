package policy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/internal/safefile/safefiletest"
)

// copyRules copies the repository's rule files (tests left out) into a new
// directory.
func copyRules(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(policyDir, "*.rego"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.rego") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadDirRefusesRuleFilesThatAreNotPlainFiles(t *testing.T) {
	for _, kind := range safefiletest.Kinds(t) {
		t.Run(kind.Name+" is refused, naming the file", func(t *testing.T) {
			dir := copyRules(t)
			path := filepath.Join(dir, "extra.rego")
			kind.Make(t, path)
			e, err := LoadDir(context.Background(), dir)
			if !errors.Is(err, kind.Want) || e != nil {
				t.Fatalf("LoadDir = %v, %v; want an error wrapping %v", e, err, kind.Want)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || strings.Contains(msg, safefiletest.Secret) {
				t.Errorf("error does not name the file, or shows the target's content: %s", msg)
			}
		})
	}
}

func TestLoadDirRefusesADirectoryThatIsALink(t *testing.T) {
	link := filepath.Join(t.TempDir(), "policy")
	if err := os.Symlink(copyRules(t), link); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDir(context.Background(), link)
	want := "load policy: " + link + " is not a directory (a symbolic link is refused); it must be the directory itself"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestLoadDirRefusesMoreRuleFilesThanTheLimit(t *testing.T) {
	dir := t.TempDir()
	for i := range maxRuleFiles + 1 {
		src := fmt.Sprintf("package gitops.rules.r%d\n\ndeny contains x if {\n\tx := input.never\n}\n", i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("r%03d.rego", i)), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err := LoadDir(context.Background(), dir)
	want := fmt.Sprintf("%d policy files (*.rego) in %s; at most %d are read", maxRuleFiles+1, dir, maxRuleFiles)
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestLoadDirReadsTheRepositoryRules(t *testing.T) {
	e, err := LoadDir(context.Background(), copyRules(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(e.Files()); got < 5 {
		t.Errorf("%d rule files loaded: %v", got, e.Files())
	}
}
