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

// realChange returns the resource change of address in a decoded real plan.
func realChange(t *testing.T, plan obj, address string) obj {
	t.Helper()
	for _, rc := range plan["resource_changes"].([]any) {
		if rc := rc.(obj); rc["address"] == address {
			return rc
		}
	}
	t.Fatalf("no resource change %s", address)
	return nil
}

// realConfig returns the configuration of a resource block of the security
// module in a decoded real plan.
func realConfig(t *testing.T, plan obj, module, address string) obj {
	t.Helper()
	m := plan["configuration"].(obj)["root_module"].(obj)["module_calls"].(obj)[module].(obj)["module"].(obj)
	for _, r := range m["resources"].([]any) {
		if r := r.(obj); r["address"] == address {
			return r
		}
	}
	t.Fatalf("no configuration of %s in module %s", address, module)
	return nil
}

// refreshedIngress is one block of aws_security_group.ingress as the AWS
// provider reads it back from the group.
func refreshedIngress(cidr string, port int) obj {
	return obj{"cidr_blocks": []any{cidr}, "description": "", "from_port": port, "to_port": port, "ipv6_cidr_blocks": []any{},
		"prefix_list_ids": []any{}, "protocol": "tcp", "security_groups": []any{}, "self": false}
}

// TestRealPlanDenies mutates the real plans the way a pull request or drift
// would and checks the denies only: the budget warning of each plan is
// TestRealPlans' business, and the plans may be regenerated with other ids.
func TestRealPlanDenies(t *testing.T) {
	e := loadEngine(t)
	const (
		staging = "../../environments/staging.yaml"
		dev     = "../../environments/dev.yaml"
	)
	const (
		ecsGroup   = "module.security.aws_security_group.ecs"
		redisGroup = "module.elasticache.aws_elasticache_replication_group.this"
		uiService  = `module.ecs_service["ui"].aws_ecs_service.this`
		uiRepo     = `aws_ecr_repository.this["ui"]`
		database   = "module.rds.aws_db_instance.this"
	)
	rule := func(name string) string { return "module.security.aws_vpc_security_group_ingress_rule." + name }
	tests := []struct {
		name            string
		spec, env, plan string
		labels          []string
		change          func(t *testing.T, plan obj)
		want            []Verdict
	}{
		{
			name: "dev scale-down: a rule added in the console shows in the group's refreshed ingress and is not the PR's doing",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				a := realAfter(t, plan, ecsGroup)
				a["ingress"] = append(a["ingress"].([]any), refreshedIngress("0.0.0.0/0", 22))
			},
		},
		{
			name: "dev scale-down: deleting an open rule passes although the refreshed group still lists it",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				rc := realChange(t, plan, rule("rds_from_ecs"))
				c := rc["change"].(obj)
				before := c["before"].(obj)
				before["cidr_ipv4"], before["referenced_security_group_id"] = "0.0.0.0/0", nil
				c["actions"], c["after"], c["after_unknown"] = []any{"delete"}, nil, obj{}
				a := realAfter(t, plan, "module.security.aws_security_group.rds")
				a["ingress"] = []any{refreshedIngress("0.0.0.0/0", 5432)}
			},
		},
		{
			name: "dev scale-down: an open rule is reported once, on the rule, not again on its refreshed group",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				a := realAfter(t, plan, rule("rds_from_ecs"))
				a["cidr_ipv4"], a["referenced_security_group_id"] = "0.0.0.0/0", nil
				g := realAfter(t, plan, "module.security.aws_security_group.rds")
				g["ingress"] = []any{refreshedIngress("0.0.0.0/0", 5432)}
			},
			want: []Verdict{
				deny("rds_ingress_only_ecs", rule("rds_from_ecs"), rule("rds_from_ecs")+": lets 0.0.0.0/0 reach the RDS security group; only the ECS security group may"),
				deny("sg_open_ingress", rule("rds_from_ecs"), rule("rds_from_ecs")+": allows tcp 5432-5432 from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"),
			},
		},
		{
			name: "dev scale-down: inline ingress written in the group's configuration is checked",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				block := refreshedIngress("0.0.0.0/0", 22)
				realConfig(t, plan, "security", "aws_security_group.ecs")["expressions"].(obj)["ingress"] = obj{"constant_value": []any{block}}
				a := realAfter(t, plan, ecsGroup)
				a["ingress"] = append(a["ingress"].([]any), block)
			},
			want: []Verdict{
				deny("sg_open_ingress", ecsGroup, ecsGroup+": allows tcp 22-22 from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"),
			},
		},
		{
			name: "staging: the ECS group opened to half of the internet (0.0.0.0/1) is denied",
			spec: staging, env: "staging", plan: "staging-create",
			change: func(t *testing.T, plan obj) {
				a := realAfter(t, plan, rule("ecs_from_alb"))
				a["cidr_ipv4"], a["referenced_security_group_id"] = "0.0.0.0/1", nil
			},
			want: []Verdict{
				deny("sg_open_ingress", rule("ecs_from_alb"), rule("ecs_from_alb")+": allows tcp 0-65535 from 0.0.0.0/1; only the ALB security group may accept the internet, on tcp 80 or 443"),
			},
		},
		{
			name: "dev scale-down: the ECS group opened to the VPC's own CIDR passes",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				vpc := realAfter(t, plan, "module.networking.aws_vpc.this")["cidr_block"]
				a := realAfter(t, plan, rule("ecs_from_alb"))
				a["cidr_ipv4"], a["referenced_security_group_id"] = vpc, nil
			},
		},
		{
			name: "staging: a prefix list reaching the RDS group is denied as unresolved and as possibly the internet",
			spec: staging, env: "staging", plan: "staging-create",
			change: func(t *testing.T, plan obj) {
				a := realAfter(t, plan, rule("rds_from_ecs"))
				a["prefix_list_id"], a["referenced_security_group_id"] = "pl-0123456789abcdef0", nil
				delete(realConfig(t, plan, "security", "aws_vpc_security_group_ingress_rule.rds_from_ecs")["expressions"].(obj), "referenced_security_group_id")
			},
			want: []Verdict{
				deny("rds_ingress_only_ecs", rule("rds_from_ecs"), rule("rds_from_ecs")+": lets prefix list pl-0123456789abcdef0 (its entries are not resolved) reach the RDS security group; only the ECS security group may"),
				deny("sg_open_ingress", rule("rds_from_ecs"), rule("rds_from_ecs")+": allows tcp 5432-5432 from prefix list pl-0123456789abcdef0 (its entries are not resolved); only the ALB security group may accept the internet, on tcp 80 or 443"),
			},
		},
		{
			name: "dev scale-down: the VPC's default security group written open to the internet is denied",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				block := refreshedIngress("0.0.0.0/0", 22)
				plan["resource_changes"] = append(plan["resource_changes"].([]any), obj{
					"address": "module.networking.aws_default_security_group.this", "module_address": "module.networking",
					"mode": "managed", "type": "aws_default_security_group", "name": "this",
					"change": obj{"actions": []any{"create"}, "before": nil, "after": obj{"ingress": []any{block}}, "after_unknown": obj{"id": true}},
				})
				m := plan["configuration"].(obj)["root_module"].(obj)["module_calls"].(obj)["networking"].(obj)["module"].(obj)
				m["resources"] = append(m["resources"].([]any), obj{
					"address": "aws_default_security_group.this", "mode": "managed", "type": "aws_default_security_group", "name": "this",
					"expressions": obj{"ingress": obj{"constant_value": []any{block}}},
				})
			},
			want: []Verdict{
				deny("sg_open_ingress", "module.networking.aws_default_security_group.this", "module.networking.aws_default_security_group.this: allows tcp 22-22 from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"),
			},
		},
		{
			name: "staging: Redis switched to Valkey without encryption in transit is denied",
			spec: staging, env: "staging", plan: "staging-create",
			change: func(t *testing.T, plan obj) {
				a := realAfter(t, plan, redisGroup)
				a["engine"], a["transit_encryption_enabled"] = "valkey", false
			},
			want: []Verdict{
				deny("redis_encrypted_in_transit", redisGroup, redisGroup+": transit_encryption_enabled must be true"),
			},
		},
		{
			name: "dev scale-down: replacing an ECS service (as toggling spot does) is denied without allow-destroy",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				realChange(t, plan, uiService)["change"].(obj)["actions"] = []any{"delete", "create"}
			},
			want: []Verdict{
				deny("protected_destroy", uiService, uiService+" would be replaced (its tasks stop, and it comes back on terraform's first task definition, not the released one); add the PR label allow-destroy to allow it"),
			},
		},
		{
			name: "dev scale-down: replacing an ECS service with allow-destroy passes",
			spec: dev, env: "dev", plan: "dev-scale-down", labels: []string{"allow-destroy"},
			change: func(t *testing.T, plan obj) {
				realChange(t, plan, uiService)["change"].(obj)["actions"] = []any{"create", "delete"}
			},
		},
		{
			name: "dev scale-down: deleting an ECR repository is denied without allow-destroy",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				c := realChange(t, plan, uiRepo)["change"].(obj)
				c["actions"], c["after"], c["after_unknown"] = []any{"delete"}, nil, obj{}
			},
			want: []Verdict{
				deny("protected_destroy", uiRepo, uiRepo+" would be deleted (it holds the images a rollback needs); add the PR label allow-destroy to allow it"),
			},
		},
		{
			name: "dev scale-down: forgetting the database (removed block, destroy = false) is denied without allow-destroy, and only for that",
			spec: dev, env: "dev", plan: "dev-scale-down",
			change: func(t *testing.T, plan obj) {
				c := realChange(t, plan, database)["change"].(obj)
				c["actions"], c["after"], c["after_unknown"], c["after_sensitive"] = []any{"forget"}, nil, obj{}, false
			},
			want: []Verdict{
				deny("protected_destroy", database, database+" would be removed from terraform state (forgotten); add the PR label allow-destroy to allow it"),
			},
		},
		{
			name: "dev scale-down: forgetting the database with allow-destroy passes",
			spec: dev, env: "dev", plan: "dev-scale-down", labels: []string{"allow-destroy"},
			change: func(t *testing.T, plan obj) {
				c := realChange(t, plan, database)["change"].(obj)
				c["actions"], c["after"], c["after_unknown"], c["after_sensitive"] = []any{"forget"}, nil, obj{}, false
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := realInput(t, tt.spec, tt.env, tt.plan)
			in.PR = &PR{Number: 1, Author: "dana", Labels: append([]string{}, tt.labels...)}
			if tt.change != nil {
				mutate(t, &in, func(plan obj) { tt.change(t, plan) })
			}
			res, err := e.Evaluate(context.Background(), in, nil)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if got := res.Denied(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("denies:\n got %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}
