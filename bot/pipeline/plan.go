package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/tf"
	"github.com/gitops-bot/gitops/internal/safefile"
)

// PlanRequest is what to plan: some environments of the checkout.
type PlanRequest struct {
	Specs []*envspec.Spec
	// Parallel is how many environments are planned at once; ≤ 0: all.
	Parallel int
	// Output gives the writer for an environment's terraform output; nil,
	// or a nil writer, discards it.
	Output func(env string) io.Writer
	// Progress receives a line per environment as it starts, and gitops'
	// notices (waits for another run); nil discards them.
	Progress io.Writer
}

// Plan renders each spec and plans the environments concurrently. Each
// environment's failure is in its own result; the error is for what stops
// every plan (a spec that does not render, unreadable rules).
func (p *Pipeline) Plan(ctx context.Context, req PlanRequest) ([]tf.PlanResult, error) {
	if p.cfg.Runner == nil {
		return nil, ErrNoRunner
	}
	rules, err := p.rulesDigest()
	if err != nil {
		return nil, err
	}
	progress := orDiscard(req.Progress)
	reqs := make([]tf.PlanRequest, len(req.Specs))
	for i, spec := range req.Specs {
		vars, err := spec.Render()
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", spec.Name, err)
		}
		var out io.Writer
		if req.Output != nil {
			out = req.Output(spec.Name)
		}
		reqs[i] = tf.PlanRequest{
			Env:      spec.Name,
			TFVars:   vars,
			HeadSHA:  p.cfg.HeadSHA,
			Inputs:   map[string]string{policyInput: rules},
			Output:   out,
			Progress: progress,
		}
		fmt.Fprintf(progress, "%s: planning…\n", spec.Name)
	}
	return p.cfg.Runner.PlanMany(ctx, reqs, req.Parallel), nil
}

// PlanJSON returns the `terraform show -json` document of a saved plan,
// rendering it when it was saved without one (no changes).
func (p *Pipeline) PlanJSON(ctx context.Context, plan *tf.Plan) ([]byte, error) {
	if plan.JSONFile != "" {
		return plan.JSON()
	}
	if p.cfg.Runner == nil {
		return nil, ErrNoRunner
	}
	return p.cfg.Runner.PlanJSON(ctx, plan)
}

// PlanEnvError is a saved plan given for another environment.
type PlanEnvError struct {
	File, PlanEnv, Env string
}

func (e *PlanEnvError) Error() string {
	return fmt.Sprintf("%s is a plan for %s, not %s", e.File, e.PlanEnv, e.Env)
}

// LoadPlan reads a plan saved by gitops plan for env.
func LoadPlan(path, env string) (*tf.Plan, error) {
	plan, err := tf.LoadPlan(path)
	if err != nil {
		return nil, err
	}
	if plan.Env != env {
		return nil, &PlanEnvError{File: path, PlanEnv: plan.Env, Env: env}
	}
	return plan, nil
}

// GivenPlanJSON reads the plan named on a command line for env: a plan saved
// by gitops plan (its record is beside it) or a `terraform show -json`
// document. Either is read as an outside file: no links, no devices, a
// bounded size.
func (p *Pipeline) GivenPlanJSON(ctx context.Context, path, env string) ([]byte, error) {
	if isSavedPlan(path) {
		plan, err := LoadPlan(path, env)
		if err != nil {
			return nil, err
		}
		return p.PlanJSON(ctx, plan)
	}
	data, err := safefile.ReadFile(path, tf.MaxPlanJSONSize)
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return nil, fmt.Errorf("read plan %s: not plan JSON; pass a plan file saved by gitops plan or the output of terraform show -json", path)
	}
	return data, nil
}

// isSavedPlan reports whether path is a plan saved by gitops plan (it has a record).
func isSavedPlan(path string) bool {
	if strings.HasSuffix(path, ".meta.json") {
		return true
	}
	_, err := os.Lstat(tf.MetaPath(path))
	return err == nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
