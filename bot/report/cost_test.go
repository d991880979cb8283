package report

import (
	"os"
	"testing"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/envspec"
)

func TestCostMarkdown(t *testing.T) {
	// The real plan of the dev scale-down (bot/tf's integration test against
	// the emulator), with dev's own budget: three services lose tasks and the
	// environment is still over its $80 budget, so savings are listed.
	plan, err := os.ReadFile("../tf/testdata/real/dev-scale-down.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	devScaleDown, err := cost.EstimatePlanJSON(plan, cost.Options{Budget: environment(t, "dev").Budget})
	if err != nil {
		t.Fatal(err)
	}
	lcu := 0.5
	stagingOver, err := cost.EstimateSpec(environment(t, "staging"), cost.Options{
		Budget: envspec.Budget{MonthlyUSD: 200, Enforce: true},
		Usage:  cost.Usage{ALB: cost.ALBUsage{LCUPerHour: &lcu}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		e    *cost.Estimate
	}{
		{"cost_dev_scale_down.golden.md", devScaleDown},
		{"cost_staging_over_enforced_budget.golden.md", stagingOver},
	} {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, []byte(CostMarkdown(tt.e))) })
	}
}

func TestCostSummaryMarkdown(t *testing.T) {
	var es []*cost.Estimate
	for _, s := range []*envspec.Spec{environment(t, "dev"), environment(t, "staging")} {
		e, err := cost.EstimateSpec(s, cost.Options{})
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	golden(t, "cost_all.golden.md", []byte(CostSummaryMarkdown(cost.Total(es, 0))))
}

func TestCostHeadline(t *testing.T) {
	for _, tt := range []struct {
		e    cost.Estimate
		want string
	}{
		{cost.Estimate{Environment: "staging", Before: 200, After: 250, Delta: 50}, "staging: $200.00 → $250.00 per month (+$50.00, +25.0 %)"},
		{cost.Estimate{Environment: "dev", Before: 1288.86, After: 1216.38, Delta: -72.48}, "dev: $1,288.86 → $1,216.38 per month (-$72.48, -5.6 %)"},
		{cost.Estimate{Environment: "new", Before: 0, After: 311.21, Delta: 311.21}, "new: $0.00 → $311.21 per month (+$311.21, new)"},
	} {
		if got := CostHeadline(&tt.e); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
