package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/policy"
)

// CheckRequest is one environment's plan to price and judge.
type CheckRequest struct {
	Spec *envspec.Spec
	// All is every environment of the checkout, for the rules across
	// environments (VPC ranges must not overlap).
	All []*envspec.Spec
	// PlanJSON is the plan's `terraform show -json` document.
	PlanJSON []byte
	// PR is the pull request the plan belongs to (labels such as
	// allow-destroy), nil from the command line.
	PR *policy.PR
	// Overrides are the recorded overrides of denied rules.
	Overrides []policy.Override
}

// CheckResult is a plan's cost and policy verdict.
type CheckResult struct {
	// Cost is nil when the estimate could not be made; CostErr says why.
	Cost    *cost.Estimate
	CostErr error
	Policy  policy.Result
}

// Check prices the plan and evaluates the rules over the spec, the plan and
// the cost. The error is for policy that cannot be evaluated (a rule file
// that does not compile, a rule that errors); the result then says the
// change cannot be applied. An estimate that cannot be made leaves the
// budget rule without input, and is reported in CostErr.
func (p *Pipeline) Check(ctx context.Context, req CheckRequest) (*CheckResult, error) {
	engine, err := p.engine(ctx)
	if err != nil {
		res := &CheckResult{Policy: policy.Result{Environment: req.Spec.Name, Error: err.Error()}}
		return res, err
	}
	return p.check(ctx, engine, req)
}

func (p *Pipeline) check(ctx context.Context, engine *policy.Engine, req CheckRequest) (*CheckResult, error) {
	res := &CheckResult{}
	in := policy.Input{Environment: req.Spec.Name, Spec: req.Spec, Plan: req.PlanJSON, PR: req.PR}
	for _, s := range req.All {
		in.Environments = append(in.Environments, policy.Environment{Name: s.Name, VPCCIDR: s.Network.VPCCIDR})
	}
	if opts, err := p.CostOptions(req.Spec); err != nil {
		res.CostErr = err
	} else if est, err := cost.EstimatePlanJSON(req.PlanJSON, opts); err != nil {
		res.CostErr = fmt.Errorf("cost %s: %w", req.Spec.Name, err)
	} else {
		res.Cost = est
		in.Cost = &policy.Cost{BeforeMonthlyUSD: est.Before, AfterMonthlyUSD: est.After, BudgetMonthlyUSD: req.Spec.Budget.MonthlyUSD, Enforce: req.Spec.Budget.Enforce}
	}
	var err error
	res.Policy, err = engine.Evaluate(ctx, in, req.Overrides)
	return res, err
}

// DeniedError is an apply refused by policy: the denies not overridden, or
// policy that could not be evaluated (Err).
type DeniedError struct {
	Env    string
	Result policy.Result
	Err    error
}

func (e *DeniedError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("refusing to apply the %s plan: policy could not be evaluated, so nothing may be applied:\n%v", e.Env, e.Err)
	}
	msg := fmt.Sprintf("refusing to apply the %s plan: policy denies it", e.Env)
	for _, v := range e.Result.Denied() {
		msg += fmt.Sprintf("\n  deny %s: %s", v.Rule, v.Message)
		if v.Address != "" {
			msg += " (" + v.Address + ")"
		}
	}
	return msg
}

func (e *DeniedError) Unwrap() error { return e.Err }

// ErrPolicyDenied is wrapped by every DeniedError, for errors.Is.
var ErrPolicyDenied = errors.New("policy denied")

// Is makes errors.Is(err, ErrPolicyDenied) hold for a DeniedError.
func (e *DeniedError) Is(target error) bool { return target == ErrPolicyDenied }
