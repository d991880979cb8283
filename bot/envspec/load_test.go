package envspec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/internal/safefile"
	"github.com/gitops-bot/gitops/internal/safefile/safefiletest"
)

// checkRefused checks the error for a file that is not a plain file: the
// safefile error (or, for a file too large, the size error Decode gives),
// naming the file, showing nothing of what it points to.
func checkRefused(t *testing.T, err error, path string, want error) {
	t.Helper()
	if want == safefile.ErrTooLarge {
		wantMsg := path + fmt.Sprintf(":1:1: file is %d bytes; environment files are limited to %d bytes", int64(3<<30), maxFileSize)
		if err == nil || err.Error() != wantMsg {
			t.Fatalf("got  %v\nwant %s", err, wantMsg)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want it to wrap %v", err, want)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || strings.Contains(msg, safefiletest.Secret) {
		t.Errorf("error does not name the file, or shows the target's content: %s", msg)
	}
}

func TestLoadRefusesWhatIsNotAPlainFile(t *testing.T) {
	for _, kind := range safefiletest.Kinds(t) {
		t.Run(kind.Name+" is refused, naming the file", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dev.yaml")
			kind.Make(t, path)
			s, err := Load(path)
			if s != nil {
				t.Errorf("Load returned a spec: %+v", s)
			}
			checkRefused(t, err, path, kind.Want)
		})
	}
}

func TestLoadDirRefusesEntriesThatAreNotPlainFiles(t *testing.T) {
	dev, err := os.ReadFile(devFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range safefiletest.Kinds(t) {
		t.Run(kind.Name+" as staging.yaml is refused, naming it", func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "dev.yaml"), dev)
			path := filepath.Join(dir, "staging.yaml")
			kind.Make(t, path)
			specs, err := LoadDir(dir)
			if specs != nil {
				t.Errorf("LoadDir returned specs: %v", specs)
			}
			checkRefused(t, err, path, kind.Want)
		})
	}
}

func TestLoadDirRefusesADirectoryThatIsALink(t *testing.T) {
	// A pull request can replace environments/ with a link to any directory
	// of the machine; its YAML files would be read and quoted in errors.
	elsewhere := t.TempDir()
	writeFile(t, filepath.Join(elsewhere, "secrets.yaml"), []byte("token: "+safefiletest.Secret+"\n"))
	link := filepath.Join(t.TempDir(), "environments")
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDir(link)
	want := "load environments: " + link + " is not a directory (a symbolic link is refused); it must be the directory itself"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestLoadDirLeavesUsageFilesToTheCostEstimate(t *testing.T) {
	dir := t.TempDir()
	dev, err := os.ReadFile(devFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "dev.yaml"), dev)
	writeFile(t, filepath.Join(dir, "dev.usage.yaml"), []byte("nat: {gb_per_month: 5}\n"))
	specs, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 1 || specs[0].Name != "dev" {
		t.Errorf("specs = %v, want only dev", specs)
	}
}
