package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

const planColumns = `id, repo, pr, env, head_sha, dir, plan_file, file_sha256, json_sha256,
	summary, verdict, cost, status, created_at, updated_at`

func scanPlan(r row) (PlanRecord, error) {
	var p PlanRecord
	var status string
	err := r.Scan(&p.ID, &p.Repo, &p.PR, &p.Env, &p.HeadSHA, &p.Dir, &p.PlanFile, &p.FileSHA256, &p.JSONSHA256,
		&p.Summary, &p.Verdict, &p.Cost, &status, utc{&p.CreatedAt}, utc{&p.UpdatedAt})
	p.Status = PlanStatus(status)
	return p, err
}

func planKey(repo string, pr int, env string) string {
	return fmt.Sprintf("plan:%s#%d:%s", repo, pr, env)
}

func (s *sqlStore) SavePlan(ctx context.Context, p PlanRecord) (PlanRecord, error) {
	subject := fmt.Sprintf("save plan %s#%d %s at %.12s", p.Repo, p.PR, p.Env, p.HeadSHA)
	if p.Status == "" {
		p.Status = PlanCurrent
	}
	if p.Repo == "" || p.Env == "" || p.HeadSHA == "" {
		return PlanRecord{}, fmt.Errorf("%s: repository, environment and head SHA are required", subject)
	}
	if !p.Status.valid() {
		return PlanRecord{}, fmt.Errorf("%s: unknown status %q", subject, p.Status)
	}
	now := s.now()
	var saved PlanRecord
	err := s.inTx(ctx, func(tx querier) error {
		if err := s.lock(ctx, tx, planKey(p.Repo, p.PR, p.Env)); err != nil {
			return err
		}
		if p.Status == PlanCurrent {
			// First, so that the index allowing one current plan per PR and
			// environment holds when the new one is written.
			if _, err := tx.exec(ctx, `UPDATE gitops_plan SET status = 'stale', updated_at = ?
				WHERE repo = ? AND pr = ? AND env = ? AND head_sha <> ? AND status = 'current'`,
				now, p.Repo, p.PR, p.Env, p.HeadSHA); err != nil {
				return err
			}
		}
		// An applying plan is left alone: replacing it would reopen the
		// compare-and-set that let exactly one job begin its apply.
		r, err := tx.query(ctx, `INSERT INTO gitops_plan
			(repo, pr, env, head_sha, dir, plan_file, file_sha256, json_sha256, summary, verdict, cost, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (repo, pr, env, head_sha) DO UPDATE SET
				dir = excluded.dir, plan_file = excluded.plan_file,
				file_sha256 = excluded.file_sha256, json_sha256 = excluded.json_sha256,
				summary = excluded.summary, verdict = excluded.verdict, cost = excluded.cost,
				status = excluded.status, updated_at = excluded.updated_at
			WHERE gitops_plan.status <> 'applying'
			RETURNING `+planColumns,
			p.Repo, p.PR, p.Env, p.HeadSHA, p.Dir, p.PlanFile, p.FileSHA256, p.JSONSHA256,
			blob(p.Summary), blob(p.Verdict), blob(p.Cost), string(p.Status), now, now)
		if err != nil {
			return err
		}
		plans, err := collect(r, func(r rows) (PlanRecord, error) { return scanPlan(r) })
		if err != nil {
			return err
		}
		if len(plans) == 0 {
			return fmt.Errorf("the plan of this head is being applied: %w", ErrConflict)
		}
		saved = plans[0]
		return nil
	})
	if err != nil {
		return PlanRecord{}, fmt.Errorf("%s: %w", subject, err)
	}
	return saved, nil
}

func (s *sqlStore) CurrentPlan(ctx context.Context, repo string, pr int, env string) (PlanRecord, error) {
	p, err := scanPlan(s.db.queryRow(ctx, `SELECT `+planColumns+` FROM gitops_plan
		WHERE repo = ? AND pr = ? AND env = ? AND status = 'current'`, repo, pr, env))
	if err != nil {
		return PlanRecord{}, fmt.Errorf("current plan of %s#%d %s: %w", repo, pr, env, notFound(err))
	}
	return p, nil
}

func (s *sqlStore) Plans(ctx context.Context, repo string, pr int) ([]PlanRecord, error) {
	r, err := s.db.query(ctx, `SELECT `+planColumns+` FROM gitops_plan WHERE repo = ? AND pr = ? ORDER BY id`, repo, pr)
	if err == nil {
		var plans []PlanRecord
		if plans, err = collect(r, func(r rows) (PlanRecord, error) { return scanPlan(r) }); err == nil {
			return plans, nil
		}
	}
	return nil, fmt.Errorf("plans of %s#%d: %w", repo, pr, err)
}

func (s *sqlStore) PlanByID(ctx context.Context, id int64) (PlanRecord, error) {
	p, err := scanPlan(s.db.queryRow(ctx, `SELECT `+planColumns+` FROM gitops_plan WHERE id = ?`, id))
	if err != nil {
		return PlanRecord{}, fmt.Errorf("plan %d: %w", id, notFound(err))
	}
	return p, nil
}

func (s *sqlStore) SetPlanStatus(ctx context.Context, id int64, from []PlanStatus, to PlanStatus) (bool, error) {
	subject := fmt.Sprintf("set plan %d %v → %s", id, from, to)
	if !to.valid() {
		return false, fmt.Errorf("%s: unknown status %q", subject, to)
	}
	if len(from) == 0 {
		return false, fmt.Errorf("%s: no status to move from", subject)
	}
	args := []any{string(to), s.now(), id}
	for _, f := range from {
		if !f.valid() {
			return false, fmt.Errorf("%s: unknown status %q", subject, f)
		}
		args = append(args, string(f))
	}
	// One statement: the row lock (PostgreSQL) or the write lock (SQLite)
	// makes the losers of a race see the winner's status and match nothing.
	n, err := s.db.exec(ctx, `UPDATE gitops_plan SET status = ?, updated_at = ?
		WHERE id = ? AND status IN (`+placeholders(len(from))+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", subject, err)
	}
	if n == 0 {
		if _, err := s.PlanByID(ctx, id); err != nil {
			return false, fmt.Errorf("%s: %w", subject, err)
		}
	}
	return n == 1, nil
}

func (s *sqlStore) DiscardPR(ctx context.Context, repo string, pr int) ([]string, error) {
	var dirs []string
	err := s.inTx(ctx, func(tx querier) error {
		if _, err := tx.exec(ctx, `UPDATE gitops_plan SET status = 'discarded', updated_at = ?
			WHERE repo = ? AND pr = ? AND status IN ('current', 'stale')`, s.now(), repo, pr); err != nil {
			return err
		}
		r, err := tx.query(ctx, `SELECT DISTINCT dir FROM gitops_plan
			WHERE repo = ? AND pr = ? AND status <> 'applying' AND dir <> '' ORDER BY dir`, repo, pr)
		if err != nil {
			return err
		}
		dirs, err = collect(r, scanString)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("discard plans of %s#%d: %w", repo, pr, err)
	}
	return dirs, nil
}

func (s *sqlStore) PrunePlans(ctx context.Context, before time.Time) ([]string, error) {
	r, err := s.db.query(ctx, `DELETE FROM gitops_plan
		WHERE status IN ('stale', 'applied', 'failed', 'discarded') AND updated_at < ?
		RETURNING plan_file`, before.UTC())
	var files []string
	if err == nil {
		files, err = collect(r, scanString)
	}
	if err != nil {
		return nil, fmt.Errorf("prune plans before %s: %w", before.Format(time.RFC3339), err)
	}
	return compactDirs(files), nil
}

func scanString(r rows) (string, error) {
	var v string
	err := r.Scan(&v)
	return v, err
}

// compactDirs sorts paths and drops empty and repeated ones.
func compactDirs(dirs []string) []string {
	out := dirs[:0]
	for _, d := range dirs {
		if d != "" {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// placeholders returns n comma-separated ? placeholders.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
