package report

import (
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/policy"
)

func TestCheckRunOutput(t *testing.T) {
	dev := devScaleDown(t)
	failed := EnvSection{
		Env:     "staging",
		Err:     "plan staging: exit status 1\n\nError: reading ElastiCache Replication Group (staging-redis-001): not found",
		LogTail: "module.elasticache.aws_elasticache_replication_group.this: Refreshing state... [id=staging-redis]\nauth_token = \"Sup3r-S3cret-Redis-T0ken\"\nError: reading ElastiCache Replication Group (staging-redis-001): not found",
		Policy:  &policy.Result{Environment: "staging", Error: "policy/rds.rego:12: eval_builtin_error: to_number: invalid syntax"},
	}
	for _, tt := range []struct {
		name string
		s    EnvSection
	}{
		{"checkrun_dev_scale_down", dev},
		{"checkrun_failed", failed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			title, summary, text := CheckRunOutput(tt.s)
			checkCheckRun(t, title, summary, text)
			golden(t, tt.name+".golden.md", []byte("title: "+title+"\n\n--- summary ---\n"+summary+"\n--- text ---\n"+text))
		})
	}
}

// checkCheckRun fails t unless a check run's output is within GitHub's
// limits and its markdown whole.
func checkCheckRun(t fataler, title, summary, text string) {
	t.Helper()
	if len(title) > MaxCheckRunTitle || strings.ContainsAny(title, "\r\n") {
		t.Fatalf("title of %d bytes or on several lines: %q", len(title), title)
	}
	checkMarkdown(t, summary, MaxCheckRunSummary)
	checkMarkdown(t, text, MaxCheckRunText)
}

func TestCheckRunTruncation(t *testing.T) {
	huge := sized("dev", 200_000)
	fences := sized("dev", 10)
	fences.PlanText = strings.Repeat(strings.Repeat("`", 20)+"\n", 20_000)
	failed := EnvSection{Env: "dev", Err: strings.Repeat("error line\n", 10_000), LogTail: strings.Repeat("log line\n", 30_000), PlanText: strings.Repeat("plan line\n", 100)}
	tests := []struct {
		name string
		s    EnvSection
		text []string // in the text, in this order
	}{
		{"a plan of 200,000 bytes keeps its start and end", huge,
			[]string{"### Full plan of dev\n\n```\n  # aws_ecs_service.this", "lines (", "bytes) of the plan left out here: a check run shows at most 65535 characters …\n", "in-place\n```\n"}},
		{"a plan that fits is whole", sized("dev", 60_000), []string{"in-place\n```\n"}},
		{"lines of backticks cannot close the fence", fences, []string{"\n    ````````````````````\n"}},
		{"error, log and plan share the room; the short plan is whole", failed,
			[]string{"### Error\n\n```\nerror line\n", "of the error left out here", "### End of terraform's output", "of the log left out here", strings.Repeat("plan line\n", 100) + "```\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			title, summary, text := CheckRunOutput(tt.s)
			checkCheckRun(t, title, summary, text)
			rest := text
			for _, want := range tt.text {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("text lacks %q after what came before", want)
				}
				rest = rest[i+len(want):]
			}
		})
	}
	s := sized("dev", 10)
	s.Stale = true
	s.Policy = &policy.Result{Verdicts: []policy.Verdict{{Level: policy.Warn}, {Level: policy.Deny, Overridden: &policy.Override{}}}}
	if title := checkRunTitle(s, strings.Repeat("é", 200)); len(title) > MaxCheckRunTitle || !strings.HasSuffix(title, "…") {
		t.Errorf("title %q (%d bytes) is not cut to %d with …", title, len(title), MaxCheckRunTitle)
	}
}

func TestShare(t *testing.T) {
	for _, tt := range []struct {
		room  int
		sizes []int
		want  []int
	}{
		{100, []int{10, 20}, []int{10, 20}},
		{100, []int{10, 200}, []int{10, 90}},
		{100, []int{200, 10, 200}, []int{45, 10, 45}},
		{100, []int{200, 200}, []int{50, 50}},
		{0, []int{5}, []int{0}},
		{-5, []int{5}, []int{0}},
	} {
		got := share(tt.room, tt.sizes)
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("share(%d, %v) = %v, want %v", tt.room, tt.sizes, got, tt.want)
				break
			}
		}
	}
}

func TestCutMiddle(t *testing.T) {
	lines := strings.Repeat("0123456789\n", 100)
	for _, tt := range []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"whole when it fits", "abc", 3, "abc"},
		{"cut at lines", lines, 200, strings.Repeat("0123456789\n", 3) + "0123456789\n… 94 lines (1013 bytes) of the plan left out here: a check run shows at most 65535 characters …\n" + strings.Repeat("0123456789\n", 4)},
		{"no room for the marker: the start", lines, 20, "0123456789\n012345678"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := cutMiddle(tt.s, tt.n, "the plan")
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if len(got) > tt.n {
				t.Errorf("%d bytes, over %d", len(got), tt.n)
			}
		})
	}
}
