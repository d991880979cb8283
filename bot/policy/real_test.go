package policy

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/envspec"
)

// realInput is what `gitops policy check` builds: the spec, the real plan of
// it, the cost estimate of that plan against the spec's budget, and both
// environments of the repository.
func realInput(t testing.TB, specPath, env, plan string) Input {
	t.Helper()
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	// Decoded under the environment's name: the pre-scale-down fixture is
	// dev in a file of another name.
	spec, err := envspec.Decode(env+".yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	raw := realPlan(t, plan)
	est, err := cost.EstimatePlanJSON(raw, cost.Options{Budget: spec.Budget})
	if err != nil {
		t.Fatal(err)
	}
	return Input{
		Environment: env, Spec: spec, Plan: raw, Environments: repoEnvironments,
		Cost: &Cost{BeforeMonthlyUSD: est.Before, AfterMonthlyUSD: est.After, BudgetMonthlyUSD: spec.Budget.MonthlyUSD, Enforce: spec.Budget.Enforce},
	}
}

// mutate decodes the plan of in, lets change edit it and re-encodes it.
func mutate(t *testing.T, in *Input, change func(plan obj)) {
	t.Helper()
	var plan obj
	if err := json.Unmarshal(in.Plan, &plan); err != nil {
		t.Fatal(err)
	}
	change(plan)
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	in.Plan = b
}

// realAfter returns the planned values of address in a decoded real plan.
func realAfter(t *testing.T, plan obj, address string) obj {
	t.Helper()
	for _, rc := range plan["resource_changes"].([]any) {
		rc := rc.(obj)
		if rc["address"] == address {
			return rc["change"].(obj)["after"].(obj)
		}
	}
	t.Fatalf("no resource change %s", address)
	return nil
}

func TestRealPlans(t *testing.T) {
	e := loadEngine(t)
	const (
		staging = "../../environments/staging.yaml"
		dev     = "../../environments/dev.yaml"
		preDown = "../envspec/testdata/dev-pre-scale-down.yaml"
	)
	sg := func(rule string) string { return "module.security.aws_vpc_security_group_ingress_rule." + rule }
	tests := []struct {
		name            string
		spec, env, plan string
		change          func(t *testing.T, plan obj)
		want            []Verdict
	}{
		{
			name: "staging.yaml and its first plan pass every deny; only the budget warns",
			spec: staging, env: "staging", plan: "staging-create",
			// $311.21 is the staging total worked out in bot/cost's TestRealStagingTotal.
			want: []Verdict{warn("budget", "budget.monthly_usd",
				"estimated monthly cost $311.21 exceeds budget.monthly_usd $150.00 (before this change: $0.00)")},
		},
		{
			name: "dev.yaml and the scale-down plan pass every deny; only the budget warns",
			spec: dev, env: "dev", plan: "dev-scale-down",
			// $288.86 → $216.38: four tasks of 0.5 vCPU/1 GB and their Cloud Map instances fewer.
			want: []Verdict{warn("budget", "budget.monthly_usd",
				"estimated monthly cost $216.38 exceeds budget.monthly_usd $80.00 (before this change: $288.86)")},
		},
		{
			name: "dev before the scale-down warns for api-gateway, inventory and location",
			spec: preDown, env: "dev", plan: "dev-pre-scale-down-create",
			want: []Verdict{
				warn("budget", "budget.monthly_usd", "estimated monthly cost $288.86 exceeds budget.monthly_usd $80.00 (before this change: $0.00)"),
				warn("dev_max_tasks", "services.api-gateway.desired_count", "services.api-gateway.desired_count is 3; dev runs at most 1 task per service"),
				warn("dev_max_tasks", "services.inventory.desired_count", "services.inventory.desired_count is 2; dev runs at most 1 task per service"),
				warn("dev_max_tasks", "services.location.desired_count", "services.location.desired_count is 2; dev runs at most 1 task per service"),
			},
		},
		{
			name: "staging: the ECS security group opened to the internet is denied (ids unknown: found through the configuration)",
			spec: staging, env: "staging", plan: "staging-create",
			change: func(t *testing.T, plan obj) {
				a := realAfter(t, plan, sg("ecs_from_alb"))
				a["cidr_ipv4"], a["referenced_security_group_id"] = "0.0.0.0/0", nil
			},
			want: []Verdict{
				deny("sg_open_ingress", sg("ecs_from_alb"), sg("ecs_from_alb")+": allows tcp 0-65535 from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"),
				warn("budget", "budget.monthly_usd", "estimated monthly cost $311.21 exceeds budget.monthly_usd $150.00 (before this change: $0.00)"),
			},
		},
		{
			name: "dev scale-down: the RDS security group opened to the internet is denied (ids known from the applied state)",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				a := realAfter(t, plan, sg("rds_from_ecs"))
				a["cidr_ipv4"], a["referenced_security_group_id"] = "0.0.0.0/0", nil
			},
			want: []Verdict{
				deny("rds_ingress_only_ecs", sg("rds_from_ecs"), sg("rds_from_ecs")+": lets 0.0.0.0/0 reach the RDS security group; only the ECS security group may"),
				deny("sg_open_ingress", sg("rds_from_ecs"), sg("rds_from_ecs")+": allows tcp 5432-5432 from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"),
				warn("budget", "budget.monthly_usd", "estimated monthly cost $216.38 exceeds budget.monthly_usd $80.00 (before this change: $288.86)"),
			},
		},
		{
			name: "dev scale-down: an ECS service moved to a public subnet with a public IP is denied",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				var public string
				for _, rc := range plan["resource_changes"].([]any) {
					if rc := rc.(obj); rc["address"] == "module.networking.aws_subnet.public[0]" {
						public = rc["change"].(obj)["after"].(obj)["id"].(string)
					}
				}
				nc := realAfter(t, plan, `module.ecs_service["ui"].aws_ecs_service.this`)["network_configuration"].([]any)[0].(obj)
				nc["subnets"], nc["assign_public_ip"] = []any{public}, true
			},
			want: []Verdict{
				deny("ecs_no_public_ip", `module.ecs_service["ui"].aws_ecs_service.this`, `module.ecs_service["ui"].aws_ecs_service.this: network_configuration.assign_public_ip must be false`),
				deny("ecs_private_subnets", `module.ecs_service["ui"].aws_ecs_service.this`, `module.ecs_service["ui"].aws_ecs_service.this: runs in module.networking.aws_subnet.public; services run only in private subnets`),
				warn("budget", "budget.monthly_usd", "estimated monthly cost $216.38 exceeds budget.monthly_usd $80.00 (before this change: $288.86)"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := realInput(t, tt.spec, tt.env, tt.plan)
			if tt.change != nil {
				mutate(t, &in, func(plan obj) { tt.change(t, plan) })
			}
			res, err := e.Evaluate(context.Background(), in, nil)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if !reflect.DeepEqual(res.Verdicts, tt.want) {
				t.Errorf("verdicts:\n got %s\nwant %s", dump(res.Verdicts), dump(tt.want))
			}
			if want := len(Result{Verdicts: tt.want}.Denied()) == 0; res.Allowed != want {
				t.Errorf("Allowed = %v, want %v", res.Allowed, want)
			}
		})
	}
}
