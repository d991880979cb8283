package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/envspec"
)

// The -update flag may be registered by another test file of this package;
// register it only if nobody has (package variables initialise before init).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updateGolden() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the rendered markdown (run with -update to accept):\n%s", path, got)
	}
}

func contractSpec(name, region, dbClass string, tasks int) *envspec.Spec {
	svc := func(cpu, mem int, public bool) *envspec.Service {
		return &envspec.Service{CPU: cpu, Memory: mem, DesiredCount: tasks, Port: 8000, Public: public, HealthCheckPath: "/health", Architecture: "x86_64"}
	}
	return &envspec.Spec{
		Name: name, Region: region,
		Network:  envspec.Network{VPCCIDR: "10.1.0.0/16", AZs: 2, NAT: "per_az"},
		Database: envspec.Database{EngineVersion: "15", InstanceClass: dbClass, StorageGB: 20, BackupRetentionDays: 7},
		Cache:    envspec.Cache{EngineVersion: "7.1", NodeType: "cache.t3.micro", Nodes: 1},
		Logs:     envspec.Logs{RetentionDays: 7},
		Services: map[string]*envspec.Service{
			"api-gateway": svc(512, 1024, true), "inventory": svc(512, 1024, false), "location": svc(512, 1024, false),
			"user": svc(256, 512, false), "reporting": svc(256, 512, false), "ui": svc(256, 512, true),
		},
	}
}

func TestCostMarkdown(t *testing.T) {
	// The real plan of the dev scale-down (bot/tf's integration test against
	// the emulator), with dev's own budget: three services lose tasks and the
	// environment is still over its $80 budget, so savings are listed.
	plan, err := os.ReadFile("../tf/testdata/real/dev-scale-down.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	dev, err := envspec.Load("../../environments/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	devScaleDown, err := cost.EstimatePlanJSON(plan, cost.Options{Budget: dev.Budget})
	if err != nil {
		t.Fatal(err)
	}
	lcu := 0.5
	stagingOver, err := cost.EstimateSpec(contractSpec("staging", "us-east-1", "db.t3.small", 2), cost.Options{
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
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, CostMarkdown(tt.e)) })
	}
}

func TestCostSummaryMarkdown(t *testing.T) {
	var es []*cost.Estimate
	for _, s := range []*envspec.Spec{contractSpec("dev", "us-west-2", "db.t3.micro", 1), contractSpec("staging", "us-east-1", "db.t3.small", 2)} {
		e, err := cost.EstimateSpec(s, cost.Options{})
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	golden(t, "cost_all.golden.md", CostSummaryMarkdown(cost.Total(es, 0)))
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
