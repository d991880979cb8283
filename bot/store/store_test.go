package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/store"
	"github.com/gitops-bot/gitops/bot/store/storetest"
	"github.com/gitops-bot/gitops/internal/pgtest"
)

// pg is this package's PostgreSQL server, started by the first test that
// needs it and stopped by TestMain.
var pg pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) string {
		return "sqlite://" + filepath.Join(t.TempDir(), "gitops.db")
	})
}

func TestPostgres(t *testing.T) {
	pg.Database(t) // skip or fail here, once, when PostgreSQL is missing
	storetest.Run(t, func(t *testing.T) string { return pg.Database(t) })
}

func TestSQLiteCreatesItsDirectoryPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "db")
	s, err := store.Open(context.Background(), "sqlite://"+dir+"/gitops.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Fatalf("directory mode %o, want 700", perm)
	}
}

func TestSQLiteRelativePathIsFromTheWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := store.Open(context.Background(), "sqlite://data/gitops.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, "data", "gitops.db")); err != nil {
		t.Fatal(err)
	}
}

func TestBadDatabaseURLSaysWhatIsAcceptedWithoutThePassword(t *testing.T) {
	for _, tt := range []struct{ name, url, want string }{
		{"unknown scheme", "mysql://admin:s3cret@db:3306/gitops", "sqlite:///absolute/path"},
		{"no scheme", "/var/lib/gitops.db", "postgres://"},
		{"SQLite URL with parameters", "sqlite:///var/lib/gitops.db?mode=ro", "without parameters"},
		{"SQLite URL without a path", "sqlite://", "sqlite://relative/path"},
		{"unreachable PostgreSQL", "postgres://admin:s3cret@127.0.0.1:1/gitops?connect_timeout=5", "127.0.0.1"},
		{"malformed PostgreSQL URL", "postgres://admin:s3cret@127.0.0.1:notaport/gitops", "postgres"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.Open(context.Background(), tt.url, store.Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %q", err)
			}
		})
	}
}
