package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

const policyDir = "../../policy"

func loadEngine(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	e, err := LoadDir(context.Background(), policyDir, opts...)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	return e
}

var repoEnvironments = []Environment{{Name: "dev", VPCCIDR: "10.0.0.0/16"}, {Name: "staging", VPCCIDR: "10.1.0.0/16"}}

func stagingInput(t testing.TB, plan obj) Input {
	return Input{Environment: "staging", Spec: stagingSpec(), Plan: marshalPlan(t, plan),
		Environments: repoEnvironments, PR: &PR{Number: 7, Author: "dana", Labels: []string{}}}
}

func emptyPlan() obj { return obj{"format_version": "1.2", "resource_changes": []obj{}} }

// moduleConfig returns the configuration of call (e.g. "security").
func moduleConfig(plan obj, call string) obj {
	return plan["configuration"].(obj)["root_module"].(obj)["module_calls"].(obj)[call].(obj)
}

func resourceConfig(plan obj, call, address string) obj {
	for _, r := range moduleConfig(plan, call)["module"].(obj)["resources"].([]obj) {
		if r["address"] == address {
			return r
		}
	}
	panic("no config for " + address)
}

func after(t testing.TB, plan obj, address string) obj {
	return change(t, plan, address)["change"].(obj)["after"].(obj)
}

func deny(rule, address, msg string) Verdict {
	return Verdict{Rule: rule, Level: Deny, Address: address, Message: msg}
}

func warn(rule, address, msg string) Verdict {
	return Verdict{Rule: rule, Level: Warn, Address: address, Message: msg}
}

func TestRules(t *testing.T) {
	e := loadEngine(t)
	svcAddr := func(s string) string { return fmt.Sprintf("module.ecs_service[%q].aws_ecs_service.this", s) }
	tests := []struct {
		name   string
		change func(t *testing.T, in *Input, plan obj)
		want   []Verdict
	}{
		{name: "staging stack of the contract passes every rule"},
		{
			name: "staging service with one task is denied",
			change: func(t *testing.T, in *Input, _ obj) {
				in.Spec.Services["inventory"].DesiredCount = 1
			},
			want: []Verdict{deny("staging_min_tasks", "services.inventory.desired_count",
				"services.inventory.desired_count is 1; staging runs at least 2 tasks per service")},
		},
		{
			name:   "staging with autoscaling is denied",
			change: func(t *testing.T, in *Input, _ obj) { in.Spec.Autoscaling.Enabled = true },
			want:   []Verdict{deny("staging_no_autoscaling", "autoscaling.enabled", "autoscaling.enabled is true; staging runs a fixed task count")},
		},
		{
			name: "dev service with two tasks warns",
			change: func(t *testing.T, in *Input, _ obj) {
				in.Environment, in.Spec.Name = "dev", "dev"
				in.Plan = marshalPlan(t, emptyPlan())
				for _, s := range in.Spec.Services {
					s.DesiredCount = 1
				}
				in.Spec.Services["ui"].DesiredCount = 2
			},
			want: []Verdict{warn("dev_max_tasks", "services.ui.desired_count", "services.ui.desired_count is 2; dev runs at most 1 task per service")},
		},
		{
			name: "dev with one task per service passes",
			change: func(t *testing.T, in *Input, _ obj) {
				in.Environment, in.Spec.Name = "dev", "dev"
				in.Plan = marshalPlan(t, emptyPlan())
				for _, s := range in.Spec.Services {
					s.DesiredCount = 1
				}
			},
		},
		{
			name: "unencrypted RDS storage is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				after(t, plan, "module.rds.aws_db_instance.this")["storage_encrypted"] = false
			},
			want: []Verdict{deny("rds_encrypted", "module.rds.aws_db_instance.this", "module.rds.aws_db_instance.this: storage_encrypted must be true")},
		},
		{
			name: "RDS backups kept 3 days are denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				after(t, plan, "module.rds.aws_db_instance.this")["backup_retention_period"] = 3
			},
			want: []Verdict{deny("rds_backup_retention", "module.rds.aws_db_instance.this",
				"module.rds.aws_db_instance.this: backup_retention_period is 3; at least 7 days required")},
		},
		{
			name: "publicly accessible RDS is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				after(t, plan, "module.rds.aws_db_instance.this")["publicly_accessible"] = true
			},
			want: []Verdict{deny("rds_not_public", "module.rds.aws_db_instance.this", "module.rds.aws_db_instance.this: publicly_accessible must be false")},
		},
		{
			name: "Redis without encryption at rest or in transit is denied twice",
			change: func(t *testing.T, _ *Input, plan obj) {
				a := after(t, plan, "module.elasticache.aws_elasticache_replication_group.this")
				a["at_rest_encryption_enabled"] = false
				a["transit_encryption_enabled"] = false
			},
			want: []Verdict{
				deny("redis_encrypted_at_rest", "module.elasticache.aws_elasticache_replication_group.this",
					"module.elasticache.aws_elasticache_replication_group.this: at_rest_encryption_enabled must be true"),
				deny("redis_encrypted_in_transit", "module.elasticache.aws_elasticache_replication_group.this",
					"module.elasticache.aws_elasticache_replication_group.this: transit_encryption_enabled must be true"),
			},
		},
		{
			name: "ECS service with a public IP is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				after(t, plan, svcAddr("ui"))["network_configuration"].([]obj)[0]["assign_public_ip"] = true
			},
			want: []Verdict{deny("ecs_no_public_ip", svcAddr("ui"), svcAddr("ui")+": network_configuration.assign_public_ip must be false")},
		},
		{
			name: "ECS services wired to the public subnets are denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				moduleConfig(plan, "ecs_service")["expressions"].(obj)["subnet_ids"] = refs("module.networking.public_subnet_ids", "module.networking")
			},
			want: func() []Verdict {
				var vs []Verdict
				for _, s := range []string{"api-gateway", "inventory", "location", "reporting", "ui", "user"} {
					vs = append(vs, deny("ecs_private_subnets", svcAddr(s),
						svcAddr(s)+": runs in module.networking.aws_subnet.public; services run only in private subnets"))
				}
				return vs
			}(),
		},
		{
			name: "security group open to the internet on port 22 is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				a := after(t, plan, "module.security.aws_vpc_security_group_ingress_rule.alb_https")
				a["from_port"], a["to_port"] = 22, 22
			},
			want: []Verdict{deny("sg_open_ingress", "module.security.aws_vpc_security_group_ingress_rule.alb_https",
				"module.security.aws_vpc_security_group_ingress_rule.alb_https: allows tcp 22-22 from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443")},
		},
		{
			name: "ECS security group open to ::/0 on 443 is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				a := after(t, plan, "module.security.aws_vpc_security_group_ingress_rule.ecs_from_alb_80")
				a["cidr_ipv6"], a["from_port"], a["to_port"] = "::/0", 443, 443
			},
			want: []Verdict{deny("sg_open_ingress", "module.security.aws_vpc_security_group_ingress_rule.ecs_from_alb_80",
				"module.security.aws_vpc_security_group_ingress_rule.ecs_from_alb_80: allows tcp 443-443 from ::/0; only the ALB security group may accept the internet, on tcp 80 or 443")},
		},
		{
			name: "RDS reachable from the ALB security group is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				resourceConfig(plan, "security", "aws_vpc_security_group_ingress_rule.rds_from_ecs")["expressions"].(obj)["referenced_security_group_id"] =
					refs("aws_security_group.alb.id", "aws_security_group.alb")
			},
			want: []Verdict{deny("rds_ingress_only_ecs", "module.security.aws_vpc_security_group_ingress_rule.rds_from_ecs",
				"module.security.aws_vpc_security_group_ingress_rule.rds_from_ecs: lets module.security.aws_security_group.alb reach the RDS security group; only the ECS security group may")},
		},
		{
			name: "Redis reachable from the whole VPC is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				after(t, plan, "module.security.aws_vpc_security_group_ingress_rule.redis_from_ecs")["cidr_ipv4"] = "10.1.0.0/16"
				delete(resourceConfig(plan, "security", "aws_vpc_security_group_ingress_rule.redis_from_ecs")["expressions"].(obj), "referenced_security_group_id")
			},
			want: []Verdict{deny("redis_ingress_only_ecs", "module.security.aws_vpc_security_group_ingress_rule.redis_from_ecs",
				"module.security.aws_vpc_security_group_ingress_rule.redis_from_ecs: lets 10.1.0.0/16 reach the Redis security group; only the ECS security group may")},
		},
		{
			name: "replacing the RDS instance without allow-destroy is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				change(t, plan, "module.rds.aws_db_instance.this")["change"].(obj)["actions"] = []string{"delete", "create"}
			},
			want: []Verdict{deny("protected_destroy", "module.rds.aws_db_instance.this",
				"module.rds.aws_db_instance.this would be replaced; add the PR label allow-destroy to allow it")},
		},
		{
			name: "replacing the RDS instance with allow-destroy passes",
			change: func(t *testing.T, in *Input, plan obj) {
				change(t, plan, "module.rds.aws_db_instance.this")["change"].(obj)["actions"] = []string{"delete", "create"}
				in.PR.Labels = []string{"allow-destroy"}
			},
		},
		{
			name: "deleting the VPC and the Redis group without allow-destroy is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				for _, a := range []string{"module.networking.aws_vpc.this", "module.elasticache.aws_elasticache_replication_group.this"} {
					c := change(t, plan, a)["change"].(obj)
					c["actions"], c["before"], c["after"] = []string{"delete"}, c["after"], nil
				}
			},
			want: []Verdict{
				deny("protected_destroy", "module.elasticache.aws_elasticache_replication_group.this",
					"module.elasticache.aws_elasticache_replication_group.this would be deleted; add the PR label allow-destroy to allow it"),
				deny("protected_destroy", "module.networking.aws_vpc.this",
					"module.networking.aws_vpc.this would be deleted; add the PR label allow-destroy to allow it"),
			},
		},
		{
			name: "deleting the state bucket without allow-destroy is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				plan["resource_changes"] = append(plan["resource_changes"].([]obj), obj{
					"address": "aws_s3_bucket.state", "mode": "managed", "type": "aws_s3_bucket", "name": "state",
					"change": obj{"actions": []string{"delete"}, "before": obj{"bucket": "inventory-management-tfstate", "id": "inventory-management-tfstate"}, "after": nil},
				})
			},
			want: []Verdict{deny("protected_destroy", "aws_s3_bucket.state", "aws_s3_bucket.state would be deleted; add the PR label allow-destroy to allow it")},
		},
		{
			name: "resource tagged for another environment is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				after(t, plan, "module.ecs_cluster.aws_ecs_cluster.this")["tags_all"] = obj{"Environment": "dev"}
			},
			want: []Verdict{deny("environment_tag", "module.ecs_cluster.aws_ecs_cluster.this",
				"module.ecs_cluster.aws_ecs_cluster.this: tags_all must have Environment=staging (has dev)")},
		},
		{
			name: "taggable resource without tags is denied",
			change: func(t *testing.T, _ *Input, plan obj) {
				after(t, plan, `aws_ecr_repository.this["ui"]`)["tags_all"] = obj{}
			},
			want: []Verdict{deny("environment_tag", `aws_ecr_repository.this["ui"]`,
				`aws_ecr_repository.this["ui"]: tags_all must have Environment=staging (has null)`)},
		},
		{
			name: "overlapping VPC CIDRs are denied",
			change: func(t *testing.T, in *Input, _ obj) {
				in.Environments = []Environment{{Name: "dev", VPCCIDR: "10.1.128.0/17"}, {Name: "staging", VPCCIDR: "10.1.0.0/16"}}
			},
			want: []Verdict{deny("vpc_cidr_overlap", "network.vpc_cidr", "network.vpc_cidr 10.1.0.0/16 of staging overlaps 10.1.128.0/17 of dev")},
		},
		{
			name: "cost within budget passes",
			change: func(t *testing.T, in *Input, _ obj) {
				in.Cost = &Cost{BeforeMonthlyUSD: 150, AfterMonthlyUSD: 199.99, BudgetMonthlyUSD: 200}
			},
		},
		{
			name: "cost over budget warns",
			change: func(t *testing.T, in *Input, _ obj) {
				in.Cost = &Cost{BeforeMonthlyUSD: 150, AfterMonthlyUSD: 234.5, BudgetMonthlyUSD: 200}
			},
			want: []Verdict{warn("budget", "budget.monthly_usd",
				"estimated monthly cost $234.50 exceeds budget.monthly_usd $200.00 (before this change: $150.00)")},
		},
		{
			name: "cost over an enforced budget is denied",
			change: func(t *testing.T, in *Input, _ obj) {
				in.Cost = &Cost{BeforeMonthlyUSD: 150, AfterMonthlyUSD: 234.5, BudgetMonthlyUSD: 200, Enforce: true}
			},
			want: []Verdict{deny("budget", "budget.monthly_usd",
				"estimated monthly cost $234.50 exceeds budget.monthly_usd $200.00 (before this change: $150.00)")},
		},
		{
			name:   "no budget means no cost verdict",
			change: func(t *testing.T, in *Input, _ obj) { in.Cost = &Cost{AfterMonthlyUSD: 1e6} },
		},
		{
			name:   "release moving forward passes",
			change: func(t *testing.T, in *Input, _ obj) { in.Release = &Release{Version: "v1.2.0", Previous: "v1.1.3"} },
		},
		{
			name:   "release version that is not vX.Y.Z is denied",
			change: func(t *testing.T, in *Input, _ obj) { in.Release = &Release{Version: "1.2", Previous: "v1.1.0"} },
			want:   []Verdict{deny("release_semver", "version", `version "1.2" is not a release tag vMAJOR.MINOR.PATCH`)},
		},
		{
			name:   "release going back without the rollback label is denied",
			change: func(t *testing.T, in *Input, _ obj) { in.Release = &Release{Version: "v1.1.0", Previous: "v1.10.0"} },
			want:   []Verdict{deny("release_rollback", "version", "version v1.1.0 is older than v1.10.0; add the PR label rollback to roll back")},
		},
		{
			name: "labelled rollback warns",
			change: func(t *testing.T, in *Input, _ obj) {
				in.Release = &Release{Version: "v1.1.0", Previous: "v1.2.0"}
				in.PR.Labels = []string{"rollback"}
			},
			want: []Verdict{warn("release_rollback", "version", "rolling back from v1.2.0 to v1.1.0")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := newStagingPlan()
			in := stagingInput(t, plan)
			if tt.change != nil {
				tt.change(t, &in, plan)
				if in.Environment == "staging" {
					in.Plan = marshalPlan(t, plan)
				}
			}
			res, err := e.Evaluate(context.Background(), in, nil)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if !reflect.DeepEqual(res.Verdicts, tt.want) {
				t.Errorf("verdicts:\n got %s\nwant %s", dump(res.Verdicts), dump(tt.want))
			}
			wantAllowed := true
			for _, v := range tt.want {
				if v.Level == Deny {
					wantAllowed = false
				}
			}
			if res.Allowed != wantAllowed {
				t.Errorf("Allowed = %v, want %v", res.Allowed, wantAllowed)
			}
		})
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// policyFS is the repository's policy files plus extra ones.
func policyFS(t *testing.T, extra map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	entries, err := os.ReadDir(policyDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		b, err := os.ReadFile(policyDir + "/" + en.Name())
		if err != nil {
			t.Fatal(err)
		}
		fsys[en.Name()] = &fstest.MapFile{Data: b}
	}
	for name, src := range extra {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return fsys
}

func TestLoadFailsWithFileAndLine(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{
			name: "syntax error names file and line",
			src:  "package gitops.rules.broken\n\ndeny contains x if {\n\tx := 1 +* 2\n}\n",
			want: "policy/broken.rego:4: rego_parse_error",
		},
		{
			name: "unknown function names file and line",
			src:  "package gitops.rules.broken\n\ndeny contains x if {\n\tx := no_such_function(1)\n}\n",
			want: "policy/broken.rego:4: rego_type_error: undefined function no_such_function",
		},
		{
			name: "withheld builtin http.send is refused",
			src:  "package gitops.rules.broken\n\ndeny contains x if {\n\tx := http.send({\"method\": \"get\", \"url\": \"http://x\"})\n}\n",
			want: "policy/broken.rego:4: rego_type_error: undefined function http.send",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), policyFS(t, map[string]string{"broken.rego": tt.src}), "policy")
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q, want prefix %q", err, tt.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Errorf("error is %T, want *policy.Error", err)
			}
		})
	}
}

func TestLoadSkipsTestFiles(t *testing.T) {
	broken := map[string]string{"broken_test.rego": "package x\n\nthis does not parse\n"}
	if _, err := Load(context.Background(), policyFS(t, broken), "policy"); err != nil {
		t.Fatalf("Load read a _test.rego file: %v", err)
	}
}

func TestLoadRefusesEmptyDir(t *testing.T) {
	if _, err := Load(context.Background(), fstest.MapFS{}, "policy"); err == nil {
		t.Fatal("Load of a directory without rules succeeded; no rules must not mean no denies")
	}
}

func TestErroringRuleFailsClosed(t *testing.T) {
	// to_number of a service name is a type error at evaluation; with strict
	// builtin errors it must stop evaluation rather than leave the rule undefined.
	src := "package gitops.rules.broken\n\nimport data.gitops.lib\n\ndeny contains lib.verdict(\"broken\", \"x\", \"x\") if {\n\tsome name, _ in input.spec.services\n\tto_number(name) > 1\n}\n"
	e, err := Load(context.Background(), policyFS(t, map[string]string{"broken.rego": src}), "policy")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	res, err := e.Evaluate(context.Background(), stagingInput(t, newStagingPlan()), nil)
	if err == nil {
		t.Fatal("Evaluate succeeded, want an error")
	}
	if want := "policy/broken.rego:7: eval_builtin_error: to_number"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
	if res.Allowed || res.Error != err.Error() {
		t.Errorf("result = %+v, want not allowed with the error", res)
	}
}

func TestInputThatCannotBeBuiltFailsClosed(t *testing.T) {
	e := loadEngine(t)
	tests := []struct {
		name   string
		change func(*Input)
		want   string
	}{
		{"missing plan", func(in *Input) { in.Plan = nil }, "policy input: plan is missing"},
		{"plan is not JSON", func(in *Input) { in.Plan = json.RawMessage("{") }, "policy input: plan: cannot parse JSON"},
		{"plan from an unsupported format", func(in *Input) { in.Plan = json.RawMessage(`{"format_version":"2.0"}`) }, "policy input: plan: unsupported plan format version"},
		{"missing spec", func(in *Input) { in.Spec = nil }, "policy input: spec is missing"},
		{"spec of another environment", func(in *Input) { in.Environment = "dev" }, `policy input: spec is for "staging", not "dev"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := stagingInput(t, newStagingPlan())
			tt.change(&in)
			res, err := e.Evaluate(context.Background(), in, nil)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v, want prefix %q", err, tt.want)
			}
			if res.Allowed {
				t.Error("result is allowed after an error")
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	owners, err := ParseOwners(strings.NewReader("# rule  owners\n*  @alice\nrds_*  @Carol @dave\n"), "OWNERS")
	if err != nil {
		t.Fatal(err)
	}
	e := loadEngine(t, WithOwners(owners))
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	plan := newStagingPlan()
	after(t, plan, "module.rds.aws_db_instance.this")["backup_retention_period"] = 1
	in := stagingInput(t, plan)
	in.Spec.Services["ui"].DesiredCount = 1

	tests := []struct {
		name        string
		overrides   []Override
		wantAllowed bool
		wantOutcome []OverrideOutcome
		overridden  map[string]bool // rules whose denies are overridden
	}{
		{
			name:        "owner override of one rule leaves the other deny standing",
			overrides:   []Override{{Rule: "rds_backup_retention", By: "carol", At: at, PR: 7}},
			wantOutcome: []OverrideOutcome{{Override: Override{Rule: "rds_backup_retention", By: "carol", At: at, PR: 7}, Status: OverrideApplied}},
			overridden:  map[string]bool{"rds_backup_retention": true},
		},
		{
			name: "owner overrides of every deny allow the change",
			overrides: []Override{
				{Rule: "rds_backup_retention", By: "@dave", At: at, PR: 7},
				{Rule: "staging_min_tasks", By: "alice", At: at, PR: 7},
			},
			wantAllowed: true,
			wantOutcome: []OverrideOutcome{
				{Override: Override{Rule: "rds_backup_retention", By: "@dave", At: at, PR: 7}, Status: OverrideApplied},
				{Override: Override{Rule: "staging_min_tasks", By: "alice", At: at, PR: 7}, Status: OverrideApplied},
			},
			overridden: map[string]bool{"rds_backup_retention": true, "staging_min_tasks": true},
		},
		{
			name:      "override by a non-owner is rejected with the owners",
			overrides: []Override{{Rule: "rds_backup_retention", By: "alice", At: at, PR: 7}},
			wantOutcome: []OverrideOutcome{{Override: Override{Rule: "rds_backup_retention", By: "alice", At: at, PR: 7}, Status: OverrideRejected,
				Reason: "alice is not an owner of rule rds_backup_retention (owners: @carol, @dave)"}},
		},
		{
			name:      "override for another PR is rejected",
			overrides: []Override{{Rule: "staging_min_tasks", By: "alice", At: at, PR: 6}},
			wantOutcome: []OverrideOutcome{{Override: Override{Rule: "staging_min_tasks", By: "alice", At: at, PR: 6}, Status: OverrideRejected,
				Reason: "override is for PR #6, not PR #7"}},
		},
		{
			name:      "override of a rule that did not fire is unused",
			overrides: []Override{{Rule: "rds_encrypted", By: "carol", At: at, PR: 7}},
			wantOutcome: []OverrideOutcome{{Override: Override{Rule: "rds_encrypted", By: "carol", At: at, PR: 7}, Status: OverrideUnused,
				Reason: "rule rds_encrypted did not deny"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Evaluate(context.Background(), in, tt.overrides)
			if err != nil {
				t.Fatal(err)
			}
			if res.Allowed != tt.wantAllowed {
				t.Errorf("Allowed = %v, want %v", res.Allowed, tt.wantAllowed)
			}
			if !reflect.DeepEqual(res.Overrides, tt.wantOutcome) {
				t.Errorf("overrides:\n got %s\nwant %s", dump(res.Overrides), dump(tt.wantOutcome))
			}
			if len(res.Verdicts) != 2 {
				t.Fatalf("verdicts = %s, want the two denies", dump(res.Verdicts))
			}
			for _, v := range res.Verdicts {
				if got := v.Overridden != nil; got != tt.overridden[v.Rule] {
					t.Errorf("%s overridden = %v, want %v", v.Rule, got, tt.overridden[v.Rule])
				}
			}
		})
	}
}

func TestParseOwnersErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"pattern without owners", "*  @a\nrds_*\n", `OWNERS:2: rule pattern "rds_*" has no owners`},
		{"bad glob", "[x  @a\n", `OWNERS:1: rule pattern "[x": syntax error in pattern`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOwners(strings.NewReader(tt.src), "OWNERS")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

// BenchmarkEvaluateStaging evaluates the real first plan of staging with the
// engine's prepared query, plan conversion included (it is part of every
// evaluation).
func BenchmarkEvaluateStaging(b *testing.B) {
	e := loadEngine(b)
	in := realInput(b, "../../environments/staging.yaml", "staging", "staging-create")
	in.Release = &Release{Version: "v1.2.0", Previous: "v1.1.0"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.Evaluate(ctx, in, nil)
		if err != nil || !res.Allowed {
			b.Fatalf("Evaluate = %+v, %v", res, err)
		}
	}
}
