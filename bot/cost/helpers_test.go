package cost

import (
	"os"
	"strconv"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/gitops-bot/gitops/bot/envspec"
)

// res is a resource of a hand-built plan.
type res struct {
	module, typ, name string
	values            map[string]any
	unknown           map[string]any
}

func (r res) address() string {
	a := r.typ + "." + r.name
	if r.module != "" {
		a = r.module + "." + a
	}
	return a
}

// planOf builds a plan whose resource changes take before to after (matched
// by address), the way `terraform show -json` reports them.
func planOf(before, after []res) *tfjson.Plan {
	p := &tfjson.Plan{FormatVersion: "1.2"}
	seen := map[string]bool{}
	find := func(rs []res, addr string) *res {
		for i := range rs {
			if rs[i].address() == addr {
				return &rs[i]
			}
		}
		return nil
	}
	add := func(r res) {
		addr := r.address()
		if seen[addr] {
			return
		}
		seen[addr] = true
		b, a := find(before, addr), find(after, addr)
		ch := &tfjson.Change{}
		switch {
		case b == nil:
			ch.Actions = tfjson.Actions{tfjson.ActionCreate}
		case a == nil:
			ch.Actions = tfjson.Actions{tfjson.ActionDelete}
		default:
			ch.Actions = tfjson.Actions{tfjson.ActionUpdate}
		}
		if b != nil {
			ch.Before = b.values
		}
		if a != nil {
			ch.After = a.values
			if a.unknown != nil {
				ch.AfterUnknown = a.unknown
			}
		}
		p.ResourceChanges = append(p.ResourceChanges, &tfjson.ResourceChange{
			Address: addr, ModuleAddress: r.module, Mode: tfjson.ManagedResourceMode, Type: r.typ, Name: r.name, Change: ch,
		})
	}
	for _, r := range before {
		add(r)
	}
	for _, r := range after {
		add(r)
	}
	return p
}

func service(name string, cpu, memory int, tasks float64, arch string, strategy ...map[string]any) []res {
	m := `module.ecs_service["` + name + `"]`
	if len(strategy) == 0 {
		strategy = []map[string]any{{"capacity_provider": "FARGATE", "weight": 1.0, "base": 0.0}}
	}
	cps := make([]any, len(strategy))
	for i, s := range strategy {
		cps[i] = s
	}
	return []res{
		{module: m, typ: "aws_ecs_task_definition", name: "this", values: map[string]any{
			"cpu": strconv.Itoa(cpu), "memory": strconv.Itoa(memory),
			"runtime_platform": []any{map[string]any{"cpu_architecture": arch, "operating_system_family": "LINUX"}},
		}},
		{module: m, typ: "aws_ecs_service", name: "this", values: map[string]any{"desired_count": tasks, "capacity_provider_strategy": cps}},
	}
}

// fataler is what mustEstimate needs of *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func mustEstimate(t fataler, p *tfjson.Plan, opts Options) *Estimate {
	t.Helper()
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	e, err := EstimatePlan(p, opts)
	if err != nil {
		t.Fatalf("EstimatePlan: %v", err)
	}
	return e
}

func resourceCost(t *testing.T, e *Estimate, addr string) ResourceCost {
	t.Helper()
	for _, r := range e.Resources {
		if r.Address == addr {
			return r
		}
	}
	t.Fatalf("no resource %s in estimate (not priced: %v)", addr, e.NotPriced)
	return ResourceCost{}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func f64(v float64) *float64 { return &v }

// contractSpec is an environment as in docs/contracts.md: the six services
// (api-gateway, inventory, location at 512/1024; user, reporting, ui at
// 256/512), each with tasks tasks, NAT per AZ over 2 AZs.
func contractSpec(name, region, dbClass string, tasks int) *envspec.Spec {
	svc := func(cpu, mem int, public bool) *envspec.Service {
		return &envspec.Service{CPU: cpu, Memory: mem, DesiredCount: tasks, Port: 8000, Public: public, HealthCheckPath: "/health", Architecture: "x86_64"}
	}
	return &envspec.Spec{
		Name: name, Region: region,
		Network:     envspec.Network{VPCCIDR: "10.1.0.0/16", AZs: 2, NAT: "per_az"},
		Database:    envspec.Database{EngineVersion: "15", InstanceClass: dbClass, StorageGB: 20, BackupRetentionDays: 7},
		Cache:       envspec.Cache{EngineVersion: "7.1", NodeType: "cache.t3.micro", Nodes: 1},
		Autoscaling: envspec.Autoscaling{MinTasks: 1, MaxTasks: 4, CPUTargetPercent: 70},
		Logs:        envspec.Logs{RetentionDays: 7},
		Services: map[string]*envspec.Service{
			"api-gateway": svc(512, 1024, true), "inventory": svc(512, 1024, false), "location": svc(512, 1024, false),
			"user": svc(256, 512, false), "reporting": svc(256, 512, false), "ui": svc(256, 512, true),
		},
	}
}
