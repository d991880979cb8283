package report

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/tf"
	tfjson "github.com/hashicorp/terraform-json"
)

const (
	headSHA  = "3f786850e387550fdab836ed7e6dc881de23001b"
	checkRun = "https://github.com/acme/infra/runs/2001"
)

var (
	planned = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	applied = time.Date(2025, 6, 1, 12, 30, 0, 0, time.UTC)
)

// devScaleDown is the dev section of the real scale-down plan (bot/tf's
// integration test against the emulator): parsed with terraform-json,
// summarised by tf.Summarize, priced from the plan with dev's own budget;
// policy is built by hand (the budget warning the rules give for it).
func devScaleDown(t *testing.T) EnvSection {
	t.Helper()
	data, err := os.ReadFile("../tf/testdata/real/dev-scale-down.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	var p tfjson.Plan
	if err := p.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	est, err := cost.EstimatePlanJSON(data, cost.Options{Budget: environment(t, "dev").Budget})
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile("testdata/dev-scale-down.plan.txt")
	if err != nil {
		t.Fatal(err)
	}
	return EnvSection{
		Env: "dev",
		Plan: &tf.Plan{Env: "dev", HeadSHA: headSHA, Changes: true, CreatedAt: planned,
			State:   tf.StateVersion{Lineage: "5b1e4d2c-8f0a-4c3e-9a7d-2f6b8e1c0d3a", Serial: 41},
			Summary: tf.Summarize(&p)},
		PlanText: string(text),
		Cost:     est,
		Policy: &policy.Result{Environment: "dev", Allowed: true, Verdicts: []policy.Verdict{{
			Rule: "budget", Level: policy.Warn, Address: "budget.monthly_usd",
			Message: "estimated monthly cost $216.38 exceeds budget.monthly_usd $80.00 (before this change: $288.86)",
		}}},
		CheckRunURL: checkRun,
	}
}

func TestPRCommentMarkdown(t *testing.T) {
	dev := devScaleDown(t)

	// staging failed to plan, and its log tail holds secrets that must not
	// be posted; prod is locked by another pull request.
	staging := EnvSection{
		Env: "staging",
		Err: "plan staging: exit status 1\n\nError: creating ElastiCache Replication Group (staging-redis): InvalidParameterValue: auth_token = \"Sup3r-S3cret-Redis-T0ken\" is not valid",
		LogTail: "module.elasticache.aws_elasticache_replication_group.this: Creating...\n" +
			"2025-06-01T12:00:03Z [DEBUG] request: POST https://elasticache.us-east-1.amazonaws.com/ Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250601/us-east-1/elasticache/aws4_request\n" +
			"2025-06-01T12:00:03Z [DEBUG] DATABASE_URL=postgresql://inventory:kn0wn-db-p4ssw0rd@staging-db:5432/inventory\n" +
			"2025-06-01T12:00:04Z [DEBUG] connected to staging-db with kn0wn-db-p4ssw0rd-2\n" +
			"Error: creating ElastiCache Replication Group (staging-redis): InvalidParameterValue",
		Secrets:     []string{"kn0wn-db-p4ssw0rd-2"},
		CheckRunURL: "https://github.com/acme/infra/runs/2002",
	}
	prod := EnvSection{Env: "prod", LockedBy: &LockHolder{PR: 7, URL: "https://github.com/acme/infra/pull/7"}}

	// Three environments of 200,000 characters of plan each.
	var huge []EnvSection
	for _, env := range []string{"dev", "staging", "prod"} {
		s := devScaleDown(t)
		s.Env = env
		s.PlanText = bigPlan(env, 200_000)
		s.CheckRunURL = "https://github.com/acme/infra/runs/" + env
		huge = append(huge, s)
	}

	appliedDev := devScaleDown(t)
	appliedDev.Applied = &AppliedInfo{By: "alice", At: applied, SerialBefore: 41, SerialAfter: 42}

	staleDev := devScaleDown(t)
	staleDev.Stale = true

	// The pull request edits policy/: its rules would deny what the
	// default branch's allow.
	previewDev := devScaleDown(t)
	previewDev.PolicyPreview = &policy.Result{Environment: "dev", Verdicts: []policy.Verdict{{Rule: "dev_max_tasks", Level: policy.Deny,
		Message: "dev runs 3 tasks; at most 2 allowed"}}}

	tests := []struct {
		name string
		c    PRComment
	}{
		{"comment_dev_scale_down", PRComment{Repo: "acme/infra", PR: 12, HeadSHA: headSHA, Sections: []EnvSection{dev},
			Version: "v0.9.0", UpdatedAt: applied}},
		{"comment_failed_and_locked", PRComment{Repo: "acme/infra", PR: 12, HeadSHA: headSHA, Sections: []EnvSection{staging, prod},
			Requirements: []Requirement{
				{Name: "approved", Met: true, Detail: "by @bob"},
				{Name: "mergeable", Met: true},
				{Name: "plan for the current head", Met: false, Detail: "staging failed to plan"},
				{Name: "policy passed", Met: true},
				{Name: "environment locks", Met: false, Detail: "prod is locked by #7"},
			}}},
		{"comment_over_size_limit", PRComment{Repo: "acme/infra", PR: 12, HeadSHA: headSHA, Sections: huge}},
		{"comment_applied", PRComment{Repo: "acme/infra", PR: 12, HeadSHA: headSHA, Sections: []EnvSection{appliedDev}}},
		{"comment_policy_preview", PRComment{Repo: "acme/infra", PR: 12, HeadSHA: headSHA, Sections: []EnvSection{previewDev}}},
		{"comment_stale", PRComment{Repo: "acme/infra", PR: 12, HeadSHA: headSHA, Sections: []EnvSection{staleDev}}},
		{"comment_fork_waiting", PRComment{Repo: "acme/infra", PR: 13, HeadSHA: headSHA,
			Notice: "Waiting for /plan from a maintainer: the PR comes from a fork, and gitops does not run terraform on code from forks unasked."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PRCommentMarkdown(tt.c)
			checkMarkdown(t, got, MaxCommentLength)
			if !strings.HasPrefix(got, StickyMarker+"\n") {
				t.Errorf("the marker is not the first line")
			}
			if sha, ok := StickyHeadSHA(got); !ok || sha != headSHA {
				t.Errorf("StickyHeadSHA = %q, %v; want %q, true", sha, ok, headSHA)
			}
			golden(t, tt.name+".golden.md", []byte(got))
		})
	}
}

func TestPRCommentNeverPostsSecrets(t *testing.T) {
	s := devScaleDown(t)
	s.PlanText += "\n  + password = \"hunter2-hunter2\"\n"
	s.Err = "token " + fakeGitHubTokens[0]
	s.LogTail = fakePEM
	s.Plan.Summary.SpecChanges = append(s.Plan.Summary.SpecChanges, tf.SpecChange{Path: "database.password", Before: "old-secret-value", After: "new-secret-value"})
	s.Plan.Summary.Resources[0].Attributes = append(s.Plan.Summary.Resources[0].Attributes, "master_password: old-secret-value → new-secret-value")
	s.Policy.Verdicts[0].Message = "found " + fakeAccessKeyID
	s.Secrets = []string{"known-from-state-1234"}
	s.CostErr = "price lookup with known-from-state-1234 failed"
	got := PRCommentMarkdown(PRComment{HeadSHA: headSHA, Sections: []EnvSection{s}})
	for _, secret := range []string{"hunter2-hunter2", fakeGitHubTokens[0], "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
		"old-secret-value", "new-secret-value", fakeAccessKeyID} {
		if strings.Contains(got, secret) {
			t.Errorf("the comment posts %q", secret)
		}
	}
}

// bigPlan is a plan text of about n bytes: many resources, with lines that
// look like markdown (fences, </details>) to show they stay inside the block.
func bigPlan(env string, n int) string {
	var b strings.Builder
	b.WriteString("Terraform will perform the following actions:\n\n")
	for i := 0; b.Len() < n; i++ {
		b.WriteString("  # module.ecs_service[\"svc-" + env + "\"].aws_ecs_service.this[" + strconv.Itoa(i) + "] will be created\n")
		b.WriteString("  + resource \"aws_ecs_service\" \"this\" {\n      + desired_count = 1\n      + name          = \"```\"\n")
		b.WriteString("```\n</details>\n    }\n\n")
	}
	return b.String()
}

func TestStickyHeadSHA(t *testing.T) {
	for _, tt := range []struct {
		name, body, sha string
		ok              bool
	}{
		{"the App's comment", PRCommentMarkdown(PRComment{HeadSHA: headSHA}), headSHA, true},
		{"CRLF line ends (as edited on the web)", StickyMarker + "\r\n" + headSHAPrefix + "abc123 -->\r\nrest", "abc123", true},
		{"a sticky comment without a head", StickyMarker + "\nbody", "", true},
		{"someone else's comment", "LGTM\n" + StickyMarker, "", false},
		{"empty", "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if sha, ok := StickyHeadSHA(tt.body); sha != tt.sha || ok != tt.ok {
				t.Errorf("StickyHeadSHA = %q, %v; want %q, %v", sha, ok, tt.sha, tt.ok)
			}
		})
	}
}

func TestKnownSecretsGoBeforePatterns(t *testing.T) {
	// Redact alone would keep the "&3" after "password=(redacted)"; the
	// known value is removed whole first.
	got := PRCommentMarkdown(PRComment{Sections: []EnvSection{{Env: "dev", Err: "password=Tr0ub4dor&3 rejected", Secrets: []string{"Tr0ub4dor&3"}}}})
	if strings.Contains(got, "&3") || !strings.Contains(got, "password=(redacted) rejected") {
		t.Errorf("the known secret is not removed whole:\n%s", got)
	}
}
