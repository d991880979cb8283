package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/gitops-bot/gitops/bot/envspec"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the rendering (run with -update to accept):\n%s", path, got)
	}
}

// environment loads one of the repository's environments.
func environment(t *testing.T, name string) *envspec.Spec {
	t.Helper()
	s, err := envspec.Load(filepath.Join("..", "..", "environments", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
