package store

import (
	"context"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func TestMigratingAgainIsANoOp(t *testing.T) {
	ctx := context.Background()
	opened, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gitops.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	s := opened.(*sqliteStore)
	versions := func() (store, river int) {
		t.Helper()
		for table, n := range map[string]*int{"gitops_migration": &store, "river_migration": &river} {
			if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(n); err != nil {
				t.Fatal(err)
			}
		}
		return store, river
	}
	storeBefore, riverBefore := versions()
	files, _ := migrations(sqliteDialect.migrations)
	if storeBefore != len(files) || riverBefore == 0 {
		t.Fatalf("after Open: %d store versions (want %d), %d River versions", storeBefore, len(files), riverBefore)
	}
	if err := s.sqlStore.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.queue.migrateRiver(ctx); err != nil {
		t.Fatal(err)
	}
	if storeAfter, riverAfter := versions(); storeAfter != storeBefore || riverAfter != riverBefore {
		t.Fatalf("migrating again: store %d → %d, River %d → %d versions", storeBefore, storeAfter, riverBefore, riverAfter)
	}
}

func TestMigrationFilesAreNumberedOnce(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files fstest.MapFS
		ok    bool
	}{
		{"ordered by number, not by name", fstest.MapFS{"010_b.sql": {}, "002_a.sql": {}}, true},
		{"a file without a number", fstest.MapFS{"init.sql": {}}, false},
		{"two files with one number", fstest.MapFS{"001_a.sql": {}, "1_b.sql": {}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := migrations(tt.files)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			if tt.ok && (got[0].version != 2 || got[1].version != 10) {
				t.Fatalf("order %+v", got)
			}
		})
	}
	for _, d := range []dialect{sqliteDialect, postgresDialect} {
		if _, err := migrations(d.migrations); err != nil {
			t.Errorf("%s: %v", d.name, err)
		}
	}
}

func TestDollarPlaceholders(t *testing.T) {
	got := dollarPlaceholders("UPDATE t SET a = ?, b = ? WHERE id IN (?, ?)")
	if want := "UPDATE t SET a = $1, b = $2 WHERE id IN ($3, $4)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
