package tf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
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

// ApplyRequest is a saved plan to apply and the inputs as they are now.
type ApplyRequest struct {
	Plan *Plan
	// TFVars is the environment's spec rendered now; the plan is refused when
	// it differs from the one planned.
	TFVars []byte
	// HeadSHA is the commit being applied, when known; a plan recorded for
	// another commit is refused.
	HeadSHA string
	// Inputs are the hashes of the inputs named in PlanRequest.Inputs as they
	// are now; the plan is refused when one differs from the recorded one or
	// one recorded is missing here.
	Inputs map[string]string
	// Output receives terraform's own output; nil discards it.
	Output io.Writer
	// Progress receives gitops' own notices (waits); nil discards them.
	Progress io.Writer
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
// the one recorded, that the spec, the terraform tree, the commit and the
// other recorded inputs have not changed since, and that the state is still
// the one the plan was made against.
func (r *Runner) Apply(ctx context.Context, req ApplyRequest) (*ApplyResult, error) {
	p := req.Plan
	w, unlock, err := r.acquire(ctx, p.Env, req.Progress)
	if err != nil {
		return nil, err
	}
	defer unlock()

	got, err := fileSHA256(p.File)
	if err != nil {
		return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("plan file %s cannot be read (%v)", p.File, err)}
	}
	if got != p.FileSHA256 {
		return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("plan file %s is not the one reviewed (sha256 %s, recorded %s)", p.File, short(got), short(p.FileSHA256))}
	}
	if req.TFVars != nil {
		if now := sha256Hex(req.TFVars); now != p.SpecSHA256 {
			return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("environments/%s.yaml changed since the plan was made (spec %s, planned %s)", p.Env, short(now), short(p.SpecSHA256))}
		}
	}
	if req.HeadSHA != "" && p.HeadSHA != "" && req.HeadSHA != p.HeadSHA {
		return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("the plan was made for commit %s, not %s", short(p.HeadSHA), short(req.HeadSHA))}
	}
	if err := checkInputs(p, req.Inputs); err != nil {
		return nil, err
	}
	prep, err := r.prepare(ctx, w, req.Output, req.Progress)
	if err != nil {
		return nil, err
	}
	if prep.tree != p.TerraformSHA256 {
		if p.TerraformSHA256 == "" {
			return nil, &StaleError{Env: p.Env, Reason: "the plan's record does not say which terraform/ tree it was made from (made by an older gitops)"}
		}
		return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("terraform/ changed since the plan was made (tree %s, planned %s)", short(prep.tree), short(p.TerraformSHA256))}
	}
	current, err := currentState(ctx, prep.quiet)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", p.Env, err)
	}
	if current != p.State {
		return nil, &StaleError{Env: p.Env, Reason: fmt.Sprintf("the state moved since the plan was made (planned against %s, now %s): another apply ran", p.State, current)}
	}
	start := time.Now()
	if err := prep.tf.Apply(ctx, tfexec.DirOrPlan(p.File), tfexec.LockTimeout("60s")); err != nil {
		if isTerraformStale(err) {
			return nil, &StaleError{Env: p.Env, Reason: "terraform found that the state changed after gitops checked it (another apply ran meanwhile, perhaps from another working directory); nothing was applied"}
		}
		return nil, fmt.Errorf("apply %s: %w", p.Env, err)
	}
	after, err := currentState(ctx, prep.quiet)
	if err != nil {
		return nil, fmt.Errorf("apply %s: read state after apply: %w", p.Env, err)
	}
	return &ApplyResult{Env: p.Env, PlanFile: p.File, Before: current, After: after, Duration: time.Since(start)}, nil
}

// checkInputs compares the recorded input hashes with the current ones.
func checkInputs(p *Plan, now map[string]string) error {
	names := make([]string, 0, len(p.Inputs))
	for name := range p.Inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cur, ok := now[name]
		switch {
		case !ok:
			return &StaleError{Env: p.Env, Reason: fmt.Sprintf("the plan was reviewed with %s %s, which this apply was not given", name, short(p.Inputs[name]))}
		case cur != p.Inputs[name]:
			return &StaleError{Env: p.Env, Reason: fmt.Sprintf("%s changed since the plan was made (now %s, planned %s)", name, short(cur), short(p.Inputs[name]))}
		}
	}
	return nil
}

// isTerraformStale recognises terraform's own refusal of a saved plan whose
// state changed ("Error: Saved plan is stale"), which gitops' check before
// the apply cannot rule out when another apply runs in between.
func isTerraformStale(err error) bool {
	return strings.Contains(err.Error(), "Saved plan is stale")
}

// State returns the current version of env's state.
func (r *Runner) State(ctx context.Context, env string) (StateVersion, error) {
	w, unlock, err := r.acquire(ctx, env, nil)
	if err != nil {
		return StateVersion{}, err
	}
	defer unlock()
	prep, err := r.prepare(ctx, w, nil, nil)
	if err != nil {
		return StateVersion{}, err
	}
	return currentState(ctx, prep.quiet)
}

func currentState(ctx context.Context, tf *tfexec.Terraform) (StateVersion, error) {
	raw, err := tf.StatePull(ctx)
	if err != nil {
		return StateVersion{}, fmt.Errorf("state pull: %w", err)
	}
	return parseStateVersion([]byte(raw))
}
