package tf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// ErrStalePlan is wrapped by every refusal to apply a plan that no longer
// describes what would happen.
var ErrStalePlan = errors.New("stale plan")

// StaleError says why a saved plan may not be applied.
type StaleError struct {
	Env    string
	Reason string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("refusing to apply the %s plan: %s; make a new plan", e.Env, e.Reason)
}

func (e *StaleError) Unwrap() error { return ErrStalePlan }

// ApplyRequest is a saved plan to apply and the spec as it is now.
type ApplyRequest struct {
	Plan *Plan
	// TFVars is the environment's spec rendered now; the plan is refused when
	// it differs from the one planned.
	TFVars []byte
	// Output receives terraform's own output; nil discards it.
	Output io.Writer
}

// ApplyResult records an apply.
type ApplyResult struct {
	Env      string        `json:"env"`
	PlanFile string        `json:"plan_file"`
	Before   StateVersion  `json:"state_before"`
	After    StateVersion  `json:"state_after"`
	Duration time.Duration `json:"duration_ns"`
}

// Apply applies exactly the saved plan, after checking that the plan file is
// the one recorded, that the spec has not changed since, and that the state
// is still the one the plan was made against.
func (r *Runner) Apply(ctx context.Context, req ApplyRequest) (*ApplyResult, error) {
	p := req.Plan
	w, unlock, err := r.acquire(ctx, p.Env)
	if err != nil {
		return nil, err
	}
	defer unlock()

	got, err := fileSHA256(p.File)
	if err != nil {
		return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("plan file %s cannot be read (%v)", p.File, err)}
	}
	if got != p.FileSHA256 {
		return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("plan file %s is not the one reviewed (sha256 %s, recorded %s)", p.File, got[:12], p.FileSHA256[:12])}
	}
	if req.TFVars != nil {
		if now := sha256Hex(req.TFVars); now != p.SpecSHA256 {
			return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("environments/%s.yaml changed since the plan was made (spec %s, planned %s)", p.Env, now[:12], p.SpecSHA256[:12])}
		}
	}
	tf, err := r.prepare(ctx, w, req.Output)
	if err != nil {
		return nil, err
	}
	current, err := currentState(ctx, tf)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", p.Env, err)
	}
	if current != p.State {
		return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("the state moved since the plan was made (planned against %s, now %s): another apply ran", p.State, current)}
	}
	start := time.Now()
	if err := tf.Apply(ctx, tfexec.DirOrPlan(p.File), tfexec.LockTimeout("60s")); err != nil {
		return nil, fmt.Errorf("apply %s: %w", p.Env, err)
	}
	after, err := currentState(ctx, tf)
	if err != nil {
		return nil, fmt.Errorf("apply %s: read state after apply: %w", p.Env, err)
	}
	return &ApplyResult{Env: p.Env, PlanFile: p.File, Before: current, After: after, Duration: time.Since(start)}, nil
}

// State returns the current version of env's state.
func (r *Runner) State(ctx context.Context, env string) (StateVersion, error) {
	w, unlock, err := r.acquire(ctx, env)
	if err != nil {
		return StateVersion{}, err
	}
	defer unlock()
	tf, err := r.prepare(ctx, w, nil)
	if err != nil {
		return StateVersion{}, err
	}
	return currentState(ctx, tf)
}

func currentState(ctx context.Context, tf *tfexec.Terraform) (StateVersion, error) {
	raw, err := tf.StatePull(ctx)
	if err != nil {
		return StateVersion{}, fmt.Errorf("state pull: %w", err)
	}
	return parseStateVersion([]byte(raw))
}
