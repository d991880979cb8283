package store

import (
	"context"
	"fmt"
)

func (s *sqlStore) AddOverride(ctx context.Context, o Override) error {
	if o.Repo == "" || o.PR == 0 || o.Rule == "" || o.By == "" {
		return fmt.Errorf("override %s for %s#%d: repository, pull request, rule and owner are required", o.Rule, o.Repo, o.PR)
	}
	if o.At.IsZero() {
		o.At = s.now()
	}
	// A second approval of the same rule keeps the first (who and when).
	_, err := s.db.exec(ctx, `INSERT INTO gitops_override (repo, pr, env, rule, by_login, comment_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, pr, env, rule) DO NOTHING`,
		o.Repo, o.PR, o.Env, o.Rule, o.By, o.CommentID, o.At.UTC())
	if err != nil {
		return fmt.Errorf("override %s for %s#%d: %w", o.Rule, o.Repo, o.PR, err)
	}
	return nil
}

func (s *sqlStore) Overrides(ctx context.Context, repo string, pr int) ([]Override, error) {
	r, err := s.db.query(ctx, `SELECT repo, pr, env, rule, by_login, comment_id, created_at FROM gitops_override
		WHERE repo = ? AND pr = ? ORDER BY created_at, env, rule`, repo, pr)
	if err == nil {
		var out []Override
		if out, err = collect(r, func(r rows) (Override, error) {
			var o Override
			err := r.Scan(&o.Repo, &o.PR, &o.Env, &o.Rule, &o.By, &o.CommentID, utc{&o.At})
			return o, err
		}); err == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("overrides of %s#%d: %w", repo, pr, err)
}
