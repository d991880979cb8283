package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// sqliteStore is the embedded backend: one file, one process.
type sqliteStore struct {
	sqlStore
	*queue[*sql.Tx]
	db    *sql.DB
	path  string
	group *groupCommit

	workersMu   sync.Mutex
	workersLock func() // held from the first StartWorkers until Close
	log         *slog.Logger
}

var _ Store = (*sqliteStore)(nil)

var sqliteDialect = dialect{
	name:       "sqlite",
	migrations: mustSub(migrationFiles, "migrations/sqlite"),
	migrationTable: `CREATE TABLE IF NOT EXISTS gitops_migration (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DATETIME NOT NULL)`,
}

func openSQLite(ctx context.Context, path string, opts Options) (Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database sqlite://%s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open database sqlite://%s: %w", path, err)
	}
	// _txlock=immediate: a transaction takes the write lock when it begins,
	// so one that reads then writes never fails to upgrade its lock.
	// _time_format=sqlite: times are stored as sortable UTC text.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	db, err := sql.Open("sqlite", abs+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database sqlite://%s: %w", abs, err)
	}
	// One connection: SQLite has one writer at a time, and River's SQLite
	// driver documents a pool of one as the way to avoid SQLITE_BUSY
	// between its own concurrent operations.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	s, err := newSQLiteStore(ctx, db, abs, opts)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database sqlite://%s: %w", abs, err)
	}
	return s, nil
}

func newSQLiteStore(ctx context.Context, db *sql.DB, path string, opts Options) (*sqliteStore, error) {
	// Another process may be opening the same file: the first connection
	// switches a new file to WAL, which fails at once (SQLITE_BUSY, no busy
	// wait) while another connection does the same, and River's migrator
	// reads the applied versions then applies the rest, which two processes
	// must not interleave. Both happen under this lock.
	unlock, err := lockFile(path + ".migrate-lock")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := db.PingContext(ctx); err != nil {
		return nil, err
	}
	q, err := newQueue(riversqlite.New(db), opts.logger())
	if err != nil {
		return nil, err
	}
	s := &sqliteStore{queue: q, db: db, path: path, log: opts.logger()}
	s.sqlStore = sqlStore{db: sqlQuerier{db}, backend: s, dialect: sqliteDialect, now: opts.clock()}
	if err := s.sqlStore.migrate(ctx); err != nil {
		return nil, err
	}
	if err := s.queue.migrateRiver(ctx); err != nil {
		return nil, err
	}
	s.group = newGroupCommit(db, s.queue)
	return s, nil
}

func (s *sqliteStore) transact(ctx context.Context, fn func(tx querier, insert jobInserter) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	insert := func(ctx context.Context, jobs []river.JobArgs) error { return s.queue.insertTx(ctx, tx, jobs) }
	if err := fn(sqlQuerier{tx}, insert); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqliteStore) transactShared(ctx context.Context, fn func(tx querier, insert jobInserter) error) error {
	return s.group.transact(ctx, fn)
}

func (s *sqliteStore) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite://%s: %w", s.path, err)
	}
	return nil
}

// errNoFlock: the system has no flock(2); see lockfile_other.go.
var errNoFlock = errors.New("file locks are not supported on this system")

// StartWorkers starts River on this file. One process works a SQLite queue
// (a lock beside the file says which; PostgreSQL is for several), so the
// process that takes it knows that every job still recorded as running
// belonged to one that died (a crash, SIGKILL) and runs it again at once,
// rather than after River's rescue delay.
func (s *sqliteStore) StartWorkers(ctx context.Context, cfg WorkerConfig) (Workers, error) {
	s.workersMu.Lock()
	defer s.workersMu.Unlock()
	if s.workersLock == nil {
		release, held, err := tryLockFile(s.path + ".workers-lock")
		switch {
		case held:
			return nil, fmt.Errorf("start workers: another process is working the queue of sqlite://%s "+
				"(one gitops process per SQLite database; use PostgreSQL for several)", s.path)
		case errors.Is(err, errNoFlock):
			release = func() {}
		case err != nil:
			return nil, fmt.Errorf("start workers: %w", err)
		default:
			n, err := s.queue.rescueOrphans(ctx, time.Now())
			if err != nil {
				release()
				return nil, fmt.Errorf("start workers: %w", err)
			}
			if n > 0 {
				s.log.Warn("jobs left running by a process that stopped are run again", "jobs", n)
			}
		}
		s.workersLock = release
	}
	return s.queue.StartWorkers(ctx, cfg)
}

func (s *sqliteStore) Close() error {
	s.group.close()
	s.workersMu.Lock()
	if s.workersLock != nil {
		s.workersLock()
		s.workersLock = nil
	}
	s.workersMu.Unlock()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close sqlite://%s: %w", s.path, err)
	}
	return nil
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // an embedded directory: known at build time
	}
	return sub
}
