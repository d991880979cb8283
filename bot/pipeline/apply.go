package pipeline

import (
	"context"
	"fmt"
	"io"

	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/tf"
)

// ApplyRequest is a saved plan to apply.
type ApplyRequest struct {
	Env string
	// Plan is the saved plan (LoadPlan).
	Plan *tf.Plan
	// PR and Overrides are as in CheckRequest: the policy gate is evaluated
	// with them.
	PR        *policy.PR
	Overrides []policy.Override
	// Output receives terraform's output; Progress gitops' notices.
	Output, Progress io.Writer
}

// ApplyResult is an applied plan with the verdict that let it through.
type ApplyResult struct {
	*tf.ApplyResult
	Check *CheckResult `json:"check"`
}

// Apply applies exactly the saved plan, behind two gates: the plan must not
// be stale (its file, the spec, terraform/, the rules and the commit are the
// ones it was made from, and the state has not moved: tf.StaleError), and
// the rules of Config.PolicyDir must allow it for this plan, evaluated now
// (DeniedError, naming each rule that denies). An environment whose budget is
// enforced is refused when its cost cannot be estimated.
func (p *Pipeline) Apply(ctx context.Context, req ApplyRequest) (*ApplyResult, error) {
	if p.cfg.Runner == nil {
		return nil, ErrNoRunner
	}
	plan := req.Plan
	if plan.Env != req.Env {
		return nil, &PlanEnvError{File: plan.File, PlanEnv: plan.Env, Env: req.Env}
	}
	all, err := p.Environments()
	if err != nil {
		return nil, err
	}
	specs, err := Select(all, []string{req.Env})
	if err != nil {
		return nil, err
	}
	spec := specs[0]
	vars, err := spec.Render()
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", spec.Name, err)
	}
	rules, err := p.rulesDigest()
	if err != nil {
		return nil, err
	}
	planJSON, err := p.PlanJSON(ctx, plan)
	if err != nil {
		return nil, err
	}
	check, err := p.Check(ctx, CheckRequest{Spec: spec, All: all, PlanJSON: planJSON, PR: req.PR, Overrides: req.Overrides})
	if err != nil {
		return nil, &DeniedError{Env: req.Env, Result: check.Policy, Err: err}
	}
	if !check.Policy.Allowed {
		return nil, &DeniedError{Env: req.Env, Result: check.Policy}
	}
	if check.CostErr != nil && spec.Budget.Enforce {
		return nil, &DeniedError{Env: req.Env, Result: check.Policy, Err: fmt.Errorf("the budget of %s is enforced and its cost cannot be estimated: %w", req.Env, check.CostErr)}
	}
	res, err := p.cfg.Runner.Apply(ctx, tf.ApplyRequest{
		Plan:     plan,
		TFVars:   vars,
		HeadSHA:  p.cfg.HeadSHA,
		Inputs:   map[string]string{policyInput: rules},
		Output:   req.Output,
		Progress: req.Progress,
	})
	if err != nil {
		return nil, err
	}
	return &ApplyResult{ApplyResult: res, Check: check}, nil
}
