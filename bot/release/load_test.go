package release

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/internal/safefile"
	"github.com/gitops-bot/gitops/internal/safefile/safefiletest"
)

func TestLoadRefusesWhatIsNotAPlainFile(t *testing.T) {
	for _, kind := range safefiletest.Kinds(t) {
		t.Run(kind.Name+" is refused, naming the file", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "staging.yaml")
			kind.Make(t, path)
			r, err := Load(path)
			if r != nil {
				t.Errorf("Load returned a release: %+v", r)
			}
			if kind.Want == safefile.ErrTooLarge {
				want := path + fmt.Sprintf(":1:1: file is %d bytes; release files are limited to %d bytes", int64(3<<30), maxFileSize)
				if err == nil || err.Error() != want {
					t.Fatalf("got  %v\nwant %s", err, want)
				}
				return
			}
			if !errors.Is(err, kind.Want) {
				t.Fatalf("err = %v, want it to wrap %v", err, kind.Want)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || strings.Contains(msg, safefiletest.Secret) {
				t.Errorf("error does not name the file, or shows the target's content: %s", msg)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "prod.yaml"))
	if err == nil || !strings.HasPrefix(err.Error(), "load release: ") {
		t.Errorf("err = %v", err)
	}
}
