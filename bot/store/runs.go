package store

import (
	"context"
	"fmt"
	"strings"
)

const runColumns = `id, kind, repo, pr, env, plan_id, job_id, run_key, status, started_at, finished_at, detail`

func scanRun(r row) (Run, error) {
	var run Run
	var kind, status string
	err := r.Scan(&run.ID, &kind, &run.Repo, &run.PR, &run.Env, &run.PlanID, &run.JobID, &run.Key, &status,
		utc{&run.StartedAt}, nullTime{&run.FinishedAt}, &run.Detail)
	run.Kind, run.Status = RunKind(kind), RunStatus(status)
	return run, err
}

func (s *sqlStore) BeginRun(ctx context.Context, r Run) (Run, bool, error) {
	if r.Key == "" || r.Kind == "" {
		return Run{}, false, fmt.Errorf("begin %s run %q: kind and key are required", r.Kind, r.Key)
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = s.now()
	}
	var run Run
	started := false
	err := s.inTx(ctx, func(tx querier) error {
		// A concurrent insert of the same key waits for this transaction,
		// then does nothing, and reads the run this one made.
		q, err := tx.query(ctx, `INSERT INTO gitops_run
			(kind, repo, pr, env, plan_id, job_id, run_key, status, started_at, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)
			ON CONFLICT (run_key) DO NOTHING
			RETURNING `+runColumns,
			string(r.Kind), r.Repo, r.PR, r.Env, r.PlanID, r.JobID, r.Key, r.StartedAt.UTC(), blob(r.Detail))
		if err != nil {
			return err
		}
		inserted, err := collect(q, func(r rows) (Run, error) { return scanRun(r) })
		if err != nil {
			return err
		}
		if len(inserted) == 1 {
			run, started = inserted[0], true
			return nil
		}
		run, err = scanRun(tx.queryRow(ctx, `SELECT `+runColumns+` FROM gitops_run WHERE run_key = ?`, r.Key))
		return err
	})
	if err != nil {
		return Run{}, false, fmt.Errorf("begin %s run %s: %w", r.Kind, r.Key, err)
	}
	return run, started, nil
}

func (s *sqlStore) FinishRun(ctx context.Context, id int64, status RunStatus, detail []byte) error {
	subject := fmt.Sprintf("finish run %d as %s", id, status)
	if status != RunSucceeded && status != RunFailed {
		return fmt.Errorf("%s: a run finishes as %s or %s", subject, RunSucceeded, RunFailed)
	}
	n, err := s.db.exec(ctx, `UPDATE gitops_run SET status = ?, finished_at = ?, detail = ?
		WHERE id = ? AND status = 'running'`, string(status), s.now(), blob(detail), id)
	if err != nil {
		return fmt.Errorf("%s: %w", subject, err)
	}
	if n == 0 {
		run, err := s.RunByID(ctx, id)
		if err != nil {
			return fmt.Errorf("%s: %w", subject, err)
		}
		return fmt.Errorf("%s: already %s: %w", subject, run.Status, ErrConflict)
	}
	return nil
}

func (s *sqlStore) RunByID(ctx context.Context, id int64) (Run, error) {
	run, err := scanRun(s.db.queryRow(ctx, `SELECT `+runColumns+` FROM gitops_run WHERE id = ?`, id))
	if err != nil {
		return Run{}, fmt.Errorf("run %d: %w", id, notFound(err))
	}
	return run, nil
}

func (s *sqlStore) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.Repo != "" {
		add("repo = ?", f.Repo)
	}
	if f.PR != 0 {
		add("pr = ?", f.PR)
	}
	if f.Env != "" {
		add("env = ?", f.Env)
	}
	if f.Kind != "" {
		add("kind = ?", string(f.Kind))
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT ` + runColumns + ` FROM gitops_run`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id DESC LIMIT ?`
	r, err := s.db.query(ctx, query, append(args, limit)...)
	if err == nil {
		var runs []Run
		if runs, err = collect(r, func(r rows) (Run, error) { return scanRun(r) }); err == nil {
			return runs, nil
		}
	}
	return nil, fmt.Errorf("runs %+v: %w", f, err)
}
