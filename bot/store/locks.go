package store

import (
	"context"
	"fmt"
	"slices"
)

const lockColumns = `repo, env, holder, pr, url, acquired_at`

func scanLock(r row) (Lock, error) {
	var l Lock
	err := r.Scan(&l.Repo, &l.Env, &l.Holder, &l.PR, &l.URL, utc{&l.AcquiredAt})
	return l, err
}

func (s *sqlStore) TryLock(ctx context.Context, l Lock) (Lock, bool, error) {
	if l.Repo == "" || l.Env == "" || l.Holder == "" {
		return Lock{}, false, fmt.Errorf("lock %s %s for %q: repository, environment and holder are required", l.Repo, l.Env, l.Holder)
	}
	if l.AcquiredAt.IsZero() {
		l.AcquiredAt = s.now()
	}
	var held Lock
	err := s.inTx(ctx, func(tx querier) error {
		// A concurrent insert of the same lock waits for this one to end,
		// then does nothing; the SELECT sees whichever won.
		if _, err := tx.exec(ctx, `INSERT INTO gitops_lock (`+lockColumns+`) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (repo, env) DO NOTHING`,
			l.Repo, l.Env, l.Holder, l.PR, l.URL, l.AcquiredAt.UTC()); err != nil {
			return err
		}
		var err error
		held, err = scanLock(tx.queryRow(ctx, `SELECT `+lockColumns+` FROM gitops_lock WHERE repo = ? AND env = ?`, l.Repo, l.Env))
		return err
	})
	if err != nil {
		return Lock{}, false, fmt.Errorf("lock %s %s for %s: %w", l.Repo, l.Env, l.Holder, err)
	}
	return held, held.Holder == l.Holder, nil
}

func (s *sqlStore) Unlock(ctx context.Context, repo, env, holder string) (bool, error) {
	n, err := s.db.exec(ctx, `DELETE FROM gitops_lock WHERE repo = ? AND env = ? AND holder = ?`, repo, env, holder)
	if err != nil {
		return false, fmt.Errorf("unlock %s %s for %s: %w", repo, env, holder, err)
	}
	return n > 0, nil
}

func (s *sqlStore) UnlockHolder(ctx context.Context, repo, holder string) ([]string, error) {
	r, err := s.db.query(ctx, `DELETE FROM gitops_lock WHERE repo = ? AND holder = ? RETURNING env`, repo, holder)
	if err != nil {
		return nil, fmt.Errorf("unlock %s for %s: %w", repo, holder, err)
	}
	envs, err := collect(r, scanString)
	if err != nil {
		return nil, fmt.Errorf("unlock %s for %s: %w", repo, holder, err)
	}
	slices.Sort(envs)
	return envs, nil
}

func (s *sqlStore) Locks(ctx context.Context, repo string) ([]Lock, error) {
	r, err := s.db.query(ctx, `SELECT `+lockColumns+` FROM gitops_lock WHERE ? = '' OR repo = ? ORDER BY repo, env`, repo, repo)
	if err == nil {
		var locks []Lock
		locks, err = collect(r, func(r rows) (Lock, error) { return scanLock(r) })
		if err == nil {
			return locks, nil
		}
	}
	return nil, fmt.Errorf("locks of %q: %w", repo, err)
}

// collect scans every row of r with scan and closes r.
func collect[T any](r rows, scan func(rows) (T, error)) ([]T, error) {
	defer r.Close()
	var out []T
	for r.Next() {
		v, err := scan(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, r.Err()
}
