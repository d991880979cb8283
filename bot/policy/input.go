package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/valyala/fastjson"

	"github.com/gitops-bot/gitops/bot/envspec"
)

// Input is the document the rules see as `input`. Its JSON keys are the
// contract with policy/*.rego.
type Input struct {
	Environment string        `json:"environment"`
	Spec        *envspec.Spec `json:"spec"`
	// Plan is the output of `terraform show -json <planfile>`, unchanged.
	Plan         json.RawMessage `json:"plan"`
	Cost         *Cost           `json:"cost"`
	PR           *PR             `json:"pr"`
	Environments []Environment   `json:"environments"`
	Release      *Release        `json:"release"`
}

// Cost is the monthly estimate before and after the plan. The caller maps the
// cost engine's estimate into it, so that policy does not depend on bot/cost.
type Cost struct {
	BeforeMonthlyUSD float64 `json:"before_monthly_usd"`
	AfterMonthlyUSD  float64 `json:"after_monthly_usd"`
	// BudgetMonthlyUSD is 0 when the environment has no budget.
	BudgetMonthlyUSD float64 `json:"budget_monthly_usd"`
	Enforce          bool    `json:"enforce"`
}

// PR is the pull request the plan belongs to; nil on the command line
// without --label (then no label-gated change is allowed).
type PR struct {
	Number    int      `json:"number"`
	Author    string   `json:"author"`
	Labels    []string `json:"labels"`
	Approvals []string `json:"approvals"`
}

// Environment is one environments/<env>.yaml of the repository, for the
// rules that look across environments.
type Environment struct {
	Name    string `json:"name"`
	VPCCIDR string `json:"vpc_cidr"`
}

// Release is releases/<env>.yaml when the change touches it.
type Release struct {
	Version  string `json:"version"`
	Previous string `json:"previous"`
}

// value checks the input and converts it to the AST value OPA evaluates.
// Missing parts are errors rather than empty values: an empty plan would
// pass every rule.
func (in Input) value(parsers *fastjson.ParserPool) (ast.Value, error) {
	var errs []error
	if in.Environment == "" {
		errs = append(errs, errors.New("environment is empty"))
	}
	if in.Spec == nil {
		errs = append(errs, errors.New("spec is missing"))
	} else if in.Environment != "" && in.Spec.Name != in.Environment {
		errs = append(errs, fmt.Errorf("spec is for %q, not %q", in.Spec.Name, in.Environment))
	}
	var plan ast.Value
	if len(bytes.TrimSpace(in.Plan)) == 0 {
		errs = append(errs, errors.New("plan is missing"))
	} else {
		var err error
		if plan, err = decodePlan(in.Plan, parsers); err != nil {
			errs = append(errs, fmt.Errorf("plan: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("policy input: %w", err)
	}
	// The plan is most of the input: it is converted once, on its own,
	// rather than re-encoded with the rest.
	rest := in
	rest.Plan = json.RawMessage("null")
	b, err := json.Marshal(rest)
	if err != nil {
		return nil, fmt.Errorf("policy input: encode: %w", err)
	}
	v, err := ast.ValueFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("policy input: convert: %w", err)
	}
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("policy input: converted to %T, want an object", v)
	}
	obj.Insert(ast.StringTerm("plan"), ast.NewTerm(plan))
	return obj, nil
}
