package cost

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/gitops-bot/gitops/bot/envspec"
)

// The real plans are `terraform show -json` of terraform/stack applied against
// the moto emulator (written by bot/tf's integration test with -write-plans):
//
//   - staging-create: the first plan of environments/staging.yaml;
//   - dev-pre-scale-down-create: the first plan of
//     bot/envspec/testdata/dev-pre-scale-down.yaml (api-gateway 3, inventory 2,
//     location 2 tasks);
//   - dev-scale-down: from that applied state to environments/dev.yaml, three
//     in-place aws_ecs_service updates.
const realPlans = "../tf/testdata/real"

func realPlan(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realPlans, name+".plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func realEstimate(t testing.TB, name string, opts Options) *Estimate {
	t.Helper()
	e, err := EstimatePlanJSON(realPlan(t, name), opts)
	if err != nil {
		t.Fatalf("estimate %s: %v", name, err)
	}
	return e
}

// loadSpec decodes a spec as the environment named (the pre-scale-down
// fixture is dev under another file name).
func loadSpec(t testing.TB, path, env string) *envspec.Spec {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := envspec.Decode(env+".yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRealDevScaleDownDecreasesPerService(t *testing.T) {
	// us-west-2 on-demand prices (Fargate Linux/x86, Cloud Map), as published.
	const (
		vcpuHour     = 0.04048
		gbHour       = 0.004445
		cloudMapInst = 0.10
	)
	// 512 CPU units and 1024 MiB are 0.5 vCPU and 1 GB; one task for a month
	// is (0.5 × 0.04048 + 1 × 0.004445) × 730 = 0.024685 × 730 = $18.02005.
	perTask := (0.5*vcpuHour + 1*gbHour) * hours
	if !near(perTask, 18.02005) {
		t.Fatalf("per task %.6f, worked out as 18.02005", perTask)
	}
	e := realEstimate(t, "dev-scale-down", Options{})
	if e.Environment != "dev" || e.Region != "us-west-2" {
		t.Fatalf("environment %q region %q, want dev us-west-2 from the spec output", e.Environment, e.Region)
	}
	want := map[string]float64{
		// api-gateway 3 → 1: 2 × 18.02005
		`module.ecs_service["api-gateway"].aws_ecs_service.this`: -36.0401,
		// inventory and location 2 → 1: 1 × 18.02005 each
		`module.ecs_service["inventory"].aws_ecs_service.this`: -18.02005,
		`module.ecs_service["location"].aws_ecs_service.this`:  -18.02005,
		// one Cloud Map instance registered per task
		`module.ecs_service["api-gateway"].aws_service_discovery_service.this`: -2 * cloudMapInst,
		`module.ecs_service["inventory"].aws_service_discovery_service.this`:   -1 * cloudMapInst,
		`module.ecs_service["location"].aws_service_discovery_service.this`:    -1 * cloudMapInst,
	}
	for _, rc := range e.Resources {
		if !near(rc.Delta, want[rc.Address]) {
			t.Errorf("%s: %.5f → %.5f (delta %.5f), want delta %.5f", rc.Address, rc.Before, rc.After, rc.Delta, want[rc.Address])
		}
	}
	for addr := range want {
		resourceCost(t, e, addr)
	}
	// 4 tasks and 4 registered instances fewer: 4 × 18.02005 + 4 × 0.10.
	if !near(e.Delta, -72.4802) {
		t.Errorf("total delta %.5f, want -72.4802", e.Delta)
	}
	if got := e.Resources[0].Address; got != `module.ecs_service["api-gateway"].aws_ecs_service.this` {
		t.Errorf("largest change first: got %s", got)
	}
	if len(e.NotPriced) != 0 {
		t.Errorf("not priced: %v", e.NotPriced)
	}

	// The before side is what the pre-scale-down plan created, the after
	// side what environments/dev.yaml estimates on its own.
	created := realEstimate(t, "dev-pre-scale-down-create", Options{})
	if !near(e.Before, created.After) {
		t.Errorf("before %.4f, the applied create plan costs %.4f", e.Before, created.After)
	}
	spec, err := EstimateSpec(loadSpec(t, "../../environments/dev.yaml", "dev"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !near(e.After, spec.After) {
		t.Errorf("after %.4f, environments/dev.yaml estimates %.4f", e.After, spec.After)
	}
	t.Logf("dev: $%.4f → $%.4f (%.4f)", e.Before, e.After, e.Delta)
}

func TestRealCreatePlansMatchTheSpecEstimate(t *testing.T) {
	for _, tt := range []struct {
		plan, spec, env string
	}{
		{"staging-create", "../../environments/staging.yaml", "staging"},
		{"dev-pre-scale-down-create", "../envspec/testdata/dev-pre-scale-down.yaml", "dev"},
	} {
		t.Run(tt.plan, func(t *testing.T) {
			plan := realEstimate(t, tt.plan, Options{})
			spec, err := EstimateSpec(loadSpec(t, tt.spec, tt.env), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !near(plan.After, spec.After) || plan.Before != 0 || spec.Before != 0 {
				t.Errorf("plan %.4f → %.4f, spec %.4f → %.4f", plan.Before, plan.After, spec.Before, spec.After)
			}
			// Not only the totals: the same resources, components and
			// assumptions, so that a spec-only estimate reads like the plan's.
			if len(plan.Resources) != len(spec.Resources) {
				t.Fatalf("plan prices %d resources, spec %d", len(plan.Resources), len(spec.Resources))
			}
			for i := range plan.Resources {
				if !reflect.DeepEqual(plan.Resources[i], spec.Resources[i]) {
					t.Errorf("resource %d differs:\nplan %+v\nspec %+v", i, plan.Resources[i], spec.Resources[i])
				}
			}
		})
	}
}

func TestRealStagingTotal(t *testing.T) {
	// us-east-1 prices are the constants of estimate_test.go. Worked out:
	// tasks 6 × 18.02005 (512/1024) + 6 × 9.010025 (256/512)  = 162.18045
	// NAT 2 × (0.045 × 730 + 5 GB × 0.045) + 2 EIPs × 3.65     =  73.45
	// ALB 16.425 + 1 LCU 5.84 + 2 IPv4 7.30                    =  29.565
	// RDS db.t3.small 26.28 + 20 GB gp3 2.30                   =  28.58
	// Redis cache.t3.micro 12.41                               =  12.41
	// 3 secrets 1.20, hosted zone 0.50, 12 Cloud Map 1.20      =   2.90
	// 6 log groups × (0.5 GB × 0.50 + 0.5 × 7/30.4167 × 0.03)  =   1.5210...
	// 6 ECR repositories × 1 GB × 0.10                         =   0.60
	logs := 6 * (0.5*logIngest + 0.5*(7/(hours/24))*logStore)
	want := 162.18045 + 73.45 + 29.565 + 28.58 + 12.41 + 2.90 + logs + 0.60
	e := realEstimate(t, "staging-create", Options{})
	if !near(e.After, want) || e.Before != 0 {
		t.Errorf("staging %.4f → %.4f, want 0 → %.4f", e.Before, e.After, want)
	}
	t.Logf("staging: $%.4f per month", e.After)
}

// The stack's free resource types, each known to the pricing table, and the
// priced ones: nothing of the real plans is left unpriced.
func TestRealPlansPriceEveryResource(t *testing.T) {
	wantFree := []string{
		"aws_appautoscaling_policy", "aws_appautoscaling_target", "aws_db_parameter_group", "aws_db_subnet_group",
		"aws_ecr_lifecycle_policy", "aws_ecs_cluster", "aws_ecs_cluster_capacity_providers",
		"aws_ecs_task_definition", "aws_elasticache_subnet_group", "aws_iam_role",
		"aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_internet_gateway",
		"aws_lb_listener", "aws_lb_listener_rule", "aws_lb_target_group", "aws_route",
		"aws_route_table", "aws_route_table_association", "aws_secretsmanager_secret_version",
		"aws_security_group", "aws_subnet", "aws_vpc", "aws_vpc_security_group_egress_rule",
		"aws_vpc_security_group_ingress_rule",
	}
	wantPriced := []string{
		"aws_cloudwatch_log_group", "aws_db_instance", "aws_ecr_repository", "aws_ecs_service",
		"aws_eip", "aws_elasticache_replication_group", "aws_lb", "aws_nat_gateway",
		"aws_secretsmanager_secret", "aws_service_discovery_private_dns_namespace",
		"aws_service_discovery_service",
	}
	free, priced := map[string]bool{}, map[string]bool{}
	for _, name := range []string{"staging-create", "dev-pre-scale-down-create", "dev-scale-down"} {
		e := realEstimate(t, name, Options{})
		if len(e.NotPriced) != 0 {
			t.Errorf("%s: not priced: %v", name, e.NotPriced)
		}
		var plan struct {
			ResourceChanges []struct {
				Mode, Type string
			} `json:"resource_changes"`
		}
		if err := json.Unmarshal(realPlan(t, name), &plan); err != nil {
			t.Fatal(err)
		}
		for _, rc := range plan.ResourceChanges {
			if rc.Mode != "managed" {
				continue
			}
			rl, ok := rules[rc.Type]
			switch {
			case !ok:
				t.Errorf("%s: %s is not in the pricing table", name, rc.Type)
			case rl.price == nil && rl.free == "":
				t.Errorf("%s: free type %s does not say why it is free", rc.Type, name)
			case rl.price == nil:
				free[rc.Type] = true
			default:
				priced[rc.Type] = true
			}
		}
	}
	keys := func(m map[string]bool) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if got := keys(free); !slices.Equal(got, wantFree) {
		t.Errorf("free types of the stack:\n got %v\nwant %v", got, wantFree)
	}
	if got := keys(priced); !slices.Equal(got, wantPriced) {
		t.Errorf("priced types of the stack:\n got %v\nwant %v", got, wantPriced)
	}
}
