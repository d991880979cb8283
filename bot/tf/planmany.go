package tf

import (
	"context"

	"github.com/sourcegraph/conc/pool"
)

// PlanResult is the outcome of planning one environment of a PlanMany call.
type PlanResult struct {
	Env  string
	Plan *Plan
	Err  error
}

// PlanMany plans several environments concurrently, at most limit at a time
// (limit ≤ 0 means one per environment). Each environment's failure is kept in
// its own result; results come back in the order of reqs.
func (r *Runner) PlanMany(ctx context.Context, reqs []PlanRequest, limit int) []PlanResult {
	if limit <= 0 {
		limit = len(reqs)
	}
	results := make([]PlanResult, len(reqs))
	p := pool.New().WithContext(ctx).WithMaxGoroutines(max(limit, 1))
	for i, req := range reqs {
		p.Go(func(ctx context.Context) error {
			plan, err := r.Plan(ctx, req)
			results[i] = PlanResult{Env: req.Env, Plan: plan, Err: err}
			return nil
		})
	}
	_ = p.Wait() // errors are per environment, in results
	return results
}
