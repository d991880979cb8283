package report

import (
	"strings"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/tf"
	"pgregory.net/rapid"
)

// helpText stands for the grammar's help (bot/command owns it).
const helpText = "Write one command on the first line of a comment; the rest of the comment is free text.\n\n" +
	"- `/plan [env…]` — re-plan the named environments; none: every environment the pull request changes\n" +
	"- `/apply [env…]` — apply the reviewed plans of the named environments; none: every planned one\n" +
	"- `/unlock [env…]` — release the pull request's locks on the named environments; none: every lock it holds\n" +
	"- `/help` — show this help\n"

func TestReplies(t *testing.T) {
	reviewed := devScaleDown(t).Plan.Summary
	// The merge commit also carries another change to api-gateway and a
	// new repository.
	merged := reviewed
	merged.Resources = append([]tf.ResourceChange(nil), reviewed.Resources...)
	merged.Resources[0].Attributes = []string{"desired_count: 3 → 2"}
	merged.Resources = append(merged.Resources, tf.ResourceChange{Address: `aws_ecr_repository.this["search"]`, Action: tf.ActionCreate})
	merged.Add++
	// And the reviewed plan's second resource is planned with other values.
	reviewed.Resources = append([]tf.ResourceChange(nil), reviewed.Resources...)
	reviewed.Resources[1].Planned, merged.Resources[1].Planned = "0a1b2c3d4e5f6071", "8192a3b4c5d6e7f8"

	tests := []struct{ name, got string }{
		{"reply_locked", LockedMarkdown("prod", 7, "https://github.com/acme/infra/pull/7")},
		{"reply_refused", RefusalMarkdown("/apply staging",
			"the plan of staging is for 1a2b3c4, not for the pull request's head 3f78685",
			"comment `/plan staging` to plan the head, review the new plan, then `/apply staging`")},
		{"reply_apply_succeeded", ApplyResultMarkdown(ApplyResult{Env: "dev", Duration: 83*time.Second + 400*time.Millisecond,
			SerialBefore: 41, SerialAfter: 42, CheckRunURL: checkRun,
			Applied: []string{`module.ecs_service["api-gateway"].aws_ecs_service.this`, `module.ecs_service["inventory"].aws_ecs_service.this`, `module.ecs_service["location"].aws_ecs_service.this`}})},
		{"reply_apply_failed", ApplyResultMarkdown(ApplyResult{Env: "staging", Duration: 4*time.Minute + 12*time.Second, SerialBefore: 17,
			Err:        "apply staging: exit status 1\n\nError: modifying RDS DB Instance (staging-db): InvalidParameterCombination: master_password = \"n3w-Passw0rd-2025\" does not meet the requirements",
			Applied:    []string{`module.ecs_service["api-gateway"].aws_ecs_service.this`},
			NotApplied: []string{"module.rds.aws_db_instance.this", `module.ecs_service["inventory"].aws_ecs_service.this`},
			LogTail:    "module.rds.aws_db_instance.this: Modifying... [id=staging-db]\n[DEBUG] sending PGPASSWORD=kn0wn-from-state-99\nError: modifying RDS DB Instance (staging-db): InvalidParameterCombination",
			Secrets:    []string{"kn0wn-from-state-99"}})},
		{"reply_apply_interrupted", ApplyResultMarkdown(ApplyResult{Env: "dev", SerialBefore: 12, Interrupted: true,
			Err: "the App stopped while terraform was applying. If terraform's state lock was left held, the next apply names it (release it with `terraform force-unlock`)."})},
		{"reply_merge_diff", MergeDiffMarkdown("dev", reviewed, merged)},
		{"reply_help", HelpMarkdown(helpText)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMarkdown(t, tt.got, MaxCommentLength)
			golden(t, tt.name+".golden.md", []byte(tt.got))
		})
	}
}

func TestMergeDiffListsOnlyWhatDiffers(t *testing.T) {
	same := devScaleDown(t).Plan.Summary
	got := MergeDiffMarkdown("dev", same, same)
	if strings.Contains(got, "| Resource |") || !strings.Contains(got, "The same resources change in the same way") {
		t.Errorf("identical plans list resources:\n%s", got)
	}
}

// TestPropertyRepliesAreWholeAndWithinLimit: whatever they are given, the
// replies fit a comment and their markdown is whole.
func TestPropertyRepliesAreWholeAndWithinLimit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		items := func(label string) []string {
			out := make([]string, genMany(t, label, large))
			for i := range out {
				out[i] = genSmall(t, label)
			}
			return out
		}
		summary := func(label string) tf.Summary {
			var s tf.Summary
			attrs := items(label + " attributes")
			for i, a := range items(label + " addresses") {
				s.Resources = append(s.Resources, tf.ResourceChange{Address: a, Action: tf.ActionUpdate, Attributes: attrs[:min(len(attrs), i)]})
			}
			return s
		}
		token := fakeGitHubTokens[1]
		for _, got := range []string{
			LockedMarkdown(genSmall(t, "env"), 7, genSmall(t, "url")),
			RefusalMarkdown(genBig(t, "command", large), genBig(t, "reason", large)+token, genBig(t, "fix", large)),
			ApplyResultMarkdown(ApplyResult{Env: genSmall(t, "env"), Err: genBig(t, "error", large) + token, Applied: items("applied"), NotApplied: items("not applied"),
				LogTail: token + genBig(t, "log", large), CheckRunURL: genSmall(t, "url")}),
			ApplyResultMarkdown(ApplyResult{Env: genSmall(t, "env"), Applied: items("applied")}),
			MergeDiffMarkdown(genSmall(t, "env"), summary("reviewed"), summary("merged")),
			HelpMarkdown(genBig(t, "help", large)),
		} {
			checkMarkdown(t, got, MaxCommentLength)
			if strings.Contains(got, token) {
				t.Fatalf("a reply posts a planted token")
			}
		}
	})
}
