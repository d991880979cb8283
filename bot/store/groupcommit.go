package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/riverqueue/river"
)

// groupCommit lets concurrent short transactions share one SQLite commit.
//
// Why: with one connection and synchronous=FULL every commit waits for its
// own fsync, so eight webhook senders queue behind each other's syncs (p99
// ≈ 8 × one sync). Here the first waiting transaction opens a real one, every
// other transaction that arrived meanwhile runs in it under its own
// SAVEPOINT (a failing one is rolled back alone), and one COMMIT makes them
// all durable with one sync. A caller is answered only after that commit, so
// "stored before the answer" still holds.
type groupCommit struct {
	db   *sql.DB
	q    *queue[*sql.Tx]
	reqs chan *groupReq

	stop     chan struct{}
	stopOnce sync.Once
	done     sync.WaitGroup
}

type groupReq struct {
	fn     func(tx querier, insert jobInserter) error
	result chan error
}

// maxGroup bounds how many transactions share a commit, so one commit never
// holds the connection for long.
const maxGroup = 64

func newGroupCommit(db *sql.DB, q *queue[*sql.Tx]) *groupCommit {
	g := &groupCommit{db: db, q: q, reqs: make(chan *groupReq), stop: make(chan struct{})}
	g.done.Add(1)
	go g.loop()
	return g
}

var errStoreClosed = errors.New("store closed")

// transact runs fn in a transaction shared with other callers' and returns
// once it is committed (or rolled back). fn must not call the store.
func (g *groupCommit) transact(ctx context.Context, fn func(tx querier, insert jobInserter) error) error {
	r := &groupReq{fn: fn, result: make(chan error, 1)}
	select {
	case g.reqs <- r:
	case <-g.stop:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Accepted: the outcome is decided by the group's commit, so wait for it
	// even if ctx ends (an error here while the row commits would make the
	// caller's answer wrong).
	return <-r.result
}

func (g *groupCommit) loop() {
	defer g.done.Done()
	for {
		var first *groupReq
		select {
		case first = <-g.reqs:
		case <-g.stop:
			return
		}
		group := []*groupReq{first}
	drain:
		for len(group) < maxGroup {
			select {
			case r := <-g.reqs:
				group = append(group, r)
			default:
				break drain
			}
		}
		g.run(group)
	}
}

// run commits group in one transaction; each member's error is its own,
// except a failed BEGIN or COMMIT, which is everyone's.
func (g *groupCommit) run(group []*groupReq) {
	// The members' own contexts do not cancel the shared transaction: one
	// caller giving up must not roll back the others.
	ctx := context.Background()
	errs := make([]error, len(group))
	err := func() error {
		tx, err := g.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }() // no-op after Commit
		insert := func(ctx context.Context, jobs []river.JobArgs) error { return g.q.insertTx(ctx, tx, jobs) }
		for i, r := range group {
			var broken error
			if errs[i], broken = member(ctx, tx, r.fn, insert); broken != nil {
				return broken // the transaction's state is unknown: nobody's writes stay
			}
		}
		return tx.Commit()
	}()
	for i, r := range group {
		if err != nil {
			errs[i] = fmt.Errorf("shared commit: %w", err)
		}
		r.result <- errs[i]
	}
}

// member runs fn under a savepoint so that its failure undoes only its own
// writes: err is fn's, broken says the savepoint itself failed and the
// shared transaction cannot be trusted.
func member(ctx context.Context, tx *sql.Tx, fn func(tx querier, insert jobInserter) error, insert jobInserter) (err, broken error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT member`); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(sqlQuerier{tx}, insert); err != nil {
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO member`); rerr != nil {
			return err, fmt.Errorf("roll back to savepoint: %w", rerr)
		}
		if _, rerr := tx.ExecContext(ctx, `RELEASE member`); rerr != nil {
			return err, fmt.Errorf("release savepoint: %w", rerr)
		}
		return err, nil
	}
	if _, err := tx.ExecContext(ctx, `RELEASE member`); err != nil {
		return nil, fmt.Errorf("release savepoint: %w", err)
	}
	return nil, nil
}

// close stops the loop after the group in flight; later calls fail.
func (g *groupCommit) close() {
	g.stopOnce.Do(func() { close(g.stop) })
	g.done.Wait()
}
