package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// pgStore is the backend for several replicas sharing one database.
type pgStore struct {
	sqlStore
	*queue[pgx.Tx]
	pool *pgxpool.Pool
	name string // the URL without its password, for errors
}

var _ Store = (*pgStore)(nil)

// migrationLockKey is the session advisory lock that serialises the
// migrations of processes opening the same database ("gitops" in ASCII).
const migrationLockKey = 0x6769746f7073

var postgresDialect = dialect{
	name:       "postgres",
	migrations: mustSub(migrationFiles, "migrations/postgres"),
	migrationTable: `CREATE TABLE IF NOT EXISTS gitops_migration (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
	lockKey: func(ctx context.Context, tx querier, key string) error {
		_, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, key)
		return err
	},
}

func openPostgres(ctx context.Context, raw string, opts Options) (Store, error) {
	name := redact(raw)
	cfg, err := pgxpool.ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(raw, "pool_max_conns"):
		// River holds one connection to listen and works jobs beside the
		// webhook handler: pgx's default of max(4, CPUs) is tight.
		cfg.MaxConns = 10
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	s, err := newPGStore(ctx, pool, name, opts)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	return s, nil
}

func newPGStore(ctx context.Context, pool *pgxpool.Pool, name string, opts Options) (*pgStore, error) {
	if err := pool.Ping(ctx); err != nil {
		return nil, err
	}
	q, err := newQueue(riverpgxv5.New(pool), opts.logger())
	if err != nil {
		return nil, err
	}
	s := &pgStore{queue: q, pool: pool, name: name}
	s.sqlStore = sqlStore{db: pgxQuerier{pool}, backend: s, dialect: postgresDialect, now: opts.clock()}

	// A session lock on a connection of its own, held while the migrations
	// run on others: a second replica starting at the same time waits here,
	// then finds everything applied.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockKey)); err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLockKey))
	}()
	if err := s.sqlStore.migrate(ctx); err != nil {
		return nil, err
	}
	if err := s.queue.migrateRiver(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *pgStore) transact(ctx context.Context, fn func(tx querier, insert jobInserter) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // no-op after Commit
	insert := func(ctx context.Context, jobs []river.JobArgs) error { return s.queue.insertTx(ctx, tx, jobs) }
	if err := fn(pgxQuerier{tx}, insert); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// transactShared is transact: PostgreSQL groups concurrent commits itself
// (commit_delay aside, its WAL flush serves every waiting backend).
func (s *pgStore) transactShared(ctx context.Context, fn func(tx querier, insert jobInserter) error) error {
	return s.transact(ctx, fn)
}

func (s *pgStore) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.name, err)
	}
	return nil
}

func (s *pgStore) Close() error {
	s.pool.Close()
	return nil
}
