package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The store's schema, one set of versioned files per backend. A file is
// never edited once released: a change is a new NNN_what.sql.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations reads dir's NNN_name.sql files in version order.
func migrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || path.Ext(name) != ".sql" {
			return nil, fmt.Errorf("migration %s: want NNN_name.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: rest, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrate applies the store's pending migrations, each in its own
// transaction with its version row. Concurrent opens are serialised by the
// caller (a file lock for SQLite, an advisory lock for PostgreSQL).
func (s *sqlStore) migrate(ctx context.Context) error {
	all, err := migrations(s.dialect.migrations)
	if err != nil {
		return fmt.Errorf("%s migrations: %w", s.dialect.name, err)
	}
	if _, err := s.db.exec(ctx, s.dialect.migrationTable); err != nil {
		return fmt.Errorf("%s migrations: create gitops_migration: %w", s.dialect.name, err)
	}
	r, err := s.db.query(ctx, `SELECT version FROM gitops_migration`)
	var applied []int
	if err == nil {
		applied, err = collect(r, func(r rows) (int, error) {
			var v int
			err := r.Scan(&v)
			return v, err
		})
	}
	if err != nil {
		return fmt.Errorf("%s migrations: applied versions: %w", s.dialect.name, err)
	}
	for _, m := range all {
		if slices.Contains(applied, m.version) {
			continue
		}
		err := s.inTx(ctx, func(tx querier) error {
			if _, err := tx.exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.exec(ctx, `INSERT INTO gitops_migration (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, s.now())
			return err
		})
		if err != nil {
			return fmt.Errorf("%s migration %03d_%s: %w", s.dialect.name, m.version, m.name, err)
		}
	}
	return nil
}
