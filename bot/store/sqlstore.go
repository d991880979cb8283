package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/riverqueue/river"
)

// sqlStore is the logic both backends share: everything but opening,
// transactions, locking and River's generic client. sqliteStore and pgStore
// embed it, the way River's client sits on its drivers.
type sqlStore struct {
	db      querier // the pool
	backend backend
	dialect dialect
	now     func() time.Time
}

// backend is what each database provides to the shared logic.
type backend interface {
	// transact runs fn in a transaction, committed when fn returns nil. insert
	// enqueues River jobs in that same transaction.
	transact(ctx context.Context, fn func(tx querier, insert jobInserter) error) error
	// transactShared is transact for short, hot writes (a webhook's
	// delivery): the backend may run fn in a transaction shared with other
	// callers', each in its own savepoint, committed once for all. fn must
	// not call the store.
	transactShared(ctx context.Context, fn func(tx querier, insert jobInserter) error) error
}

// jobInserter enqueues River jobs in the transaction it belongs to.
type jobInserter func(ctx context.Context, jobs []river.JobArgs) error

// dialect is where the two databases' SQL differs.
type dialect struct {
	name string
	// migrations holds NNN_name.sql files, applied in order.
	migrations fs.FS
	// migrationTable creates the table of applied versions if missing.
	migrationTable string
	// lockKey serialises the transactions that call it with the same key
	// until they end: a read-then-write on rows that may not exist yet
	// (a PR's first plan or sticky comment) is otherwise racy under
	// PostgreSQL's READ COMMITTED. SQLite's transactions are serial already
	// (BEGIN IMMEDIATE), so it has none.
	lockKey func(ctx context.Context, tx querier, key string) error
}

func (s *sqlStore) lock(ctx context.Context, tx querier, key string) error {
	if s.dialect.lockKey == nil {
		return nil
	}
	if err := s.dialect.lockKey(ctx, tx, key); err != nil {
		return fmt.Errorf("lock %s: %w", key, err)
	}
	return nil
}

func (s *sqlStore) inTx(ctx context.Context, fn func(tx querier) error) error {
	return s.backend.transact(ctx, func(tx querier, _ jobInserter) error { return fn(tx) })
}

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// blob makes nil bytes an empty value: the columns are NOT NULL and both
// drivers send a nil slice as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nullTime scans a nullable timestamp into a zero or UTC time.
type nullTime struct{ t *time.Time }

func (n nullTime) Scan(src any) error {
	var nt sql.NullTime
	if err := nt.Scan(src); err != nil {
		return err
	}
	if nt.Valid {
		*n.t = nt.Time.UTC()
	} else {
		*n.t = time.Time{}
	}
	return nil
}

// utc scans a timestamp as UTC: PostgreSQL returns the session's zone,
// SQLite a fixed offset.
type utc struct{ t *time.Time }

func (u utc) Scan(src any) error {
	t, ok := src.(time.Time)
	if !ok {
		return fmt.Errorf("timestamp: got %T", src)
	}
	*u.t = t.UTC()
	return nil
}
