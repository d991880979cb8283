package report

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/policy"
)

func TestPolicyRendering(t *testing.T) {
	at := time.Date(2025, 6, 1, 12, 30, 0, 0, time.UTC)
	ov := &policy.Override{Rule: "rds_backup_retention", By: "carol", At: at, PR: 7}
	tests := []struct {
		name string
		res  policy.Result
	}{
		{"policy_passed", policy.Result{Environment: "staging", Allowed: true}},
		{"policy_denied", policy.Result{
			Environment: "staging",
			Verdicts: []policy.Verdict{
				{Rule: "protected_destroy", Level: policy.Deny, Address: "module.rds.aws_db_instance.this",
					Message: "module.rds.aws_db_instance.this would be replaced; add the PR label allow-destroy to allow it"},
				{Rule: "staging_min_tasks", Level: policy.Deny, Address: "services.ui.desired_count",
					Message: "services.ui.desired_count is 1; staging runs at least 2 tasks per service"},
				{Rule: "budget", Level: policy.Warn, Address: "budget.monthly_usd",
					Message: "estimated monthly cost $234.50 exceeds budget.monthly_usd $200.00 (before this change: $150.00)"},
			},
			Overrides: []policy.OverrideOutcome{{Override: policy.Override{Rule: "staging_min_tasks", By: "mallory", At: at, PR: 7},
				Status: policy.OverrideRejected, Reason: "mallory is not an owner of rule staging_min_tasks (owners: @alice)"}},
		}},
		{"policy_overridden", policy.Result{
			Environment: "staging",
			Allowed:     true,
			Verdicts: []policy.Verdict{{Rule: "rds_backup_retention", Level: policy.Deny, Address: "module.rds.aws_db_instance.this",
				Message: "module.rds.aws_db_instance.this: backup_retention_period is 1; at least 7 days required", Overridden: ov}},
			Overrides: []policy.OverrideOutcome{
				{Override: *ov, Status: policy.OverrideApplied},
				{Override: policy.Override{Rule: "rds_encrypted", By: "@carol", At: at, PR: 7}, Status: policy.OverrideUnused, Reason: "rule rds_encrypted did not deny"},
			},
		}},
		{"policy_cannot_apply", policy.Result{Environment: "dev",
			Error: "policy/rds.rego:12: eval_builtin_error: to_number: strconv.ParseFloat: parsing \"x\": invalid syntax"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name+".golden.md", []byte(PolicyMarkdown(tt.res)))
			js, err := PolicyJSON(tt.res)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".golden.json", js)
			var back policy.Result
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatalf("JSON does not decode back: %v", err)
			}
		})
	}
}
