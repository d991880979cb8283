package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// acceptedURLs is what Open says when it cannot use a URL.
const acceptedURLs = "sqlite:///absolute/path/gitops.db, sqlite://relative/path/gitops.db, " +
	"postgres://user:password@host:5432/dbname?sslmode=… or postgresql://…"

// Open opens the database at databaseURL and brings its schema up to date:
// the store's tables and River's. Opening is idempotent and safe when
// several processes open the same database at once.
//
//   - sqlite:///abs/path/gitops.db or sqlite://relative/path/gitops.db: a
//     file (WAL, busy timeout, foreign keys), its directory created 0700.
//   - postgres://… or postgresql://…: a pgx connection URL, options included.
func Open(ctx context.Context, databaseURL string, opts Options) (Store, error) {
	switch {
	case strings.HasPrefix(databaseURL, "sqlite://"):
		path := strings.TrimPrefix(databaseURL, "sqlite://")
		if path == "" || strings.ContainsAny(path, "?#") {
			return nil, fmt.Errorf("open database %q: a SQLite URL is a file path without parameters: %s", databaseURL, acceptedURLs)
		}
		return openSQLite(ctx, path, opts)
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return openPostgres(ctx, databaseURL, opts)
	}
	return nil, fmt.Errorf("open database %s: unsupported URL; accepted: %s", redact(databaseURL), acceptedURLs)
}

// redact shows a URL without its password, or only that it is not one.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return fmt.Sprintf("%q", u.Redacted())
}
