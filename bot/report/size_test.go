package report

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/tf"
)

// sized is a section with a plan text of n bytes of plain lines, the last
// one ending with a line end.
func sized(env string, n int) EnvSection {
	line := "  # aws_ecs_service.this will be updated in-place\n"
	text := strings.Repeat(line, n/len(line)+1)[:n-1] + "\n"
	return EnvSection{Env: env, Plan: &tf.Plan{Summary: tf.Summary{Change: 1, Resources: []tf.ResourceChange{
		{Address: "aws_ecs_service.this", Action: tf.ActionUpdate, Attributes: []string{"desired_count: 3 → 1"}},
	}}}, PlanText: text, CheckRunURL: "https://github.com/acme/infra/runs/" + env}
}

func withResources(s EnvSection, n int) EnvSection {
	s.Plan.Summary.Resources = nil
	for i := range n {
		s.Plan.Summary.Resources = append(s.Plan.Summary.Resources, tf.ResourceChange{
			Address: "module.ecs_service[\"svc-" + strconv.Itoa(i) + "\"].aws_ecs_service.this", Action: tf.ActionCreate})
	}
	return s
}

func TestCommentTruncation(t *testing.T) {
	// The size of a one-section comment whose plan text is n bytes, and the
	// n that makes it exactly MaxCommentLength.
	render := func(n int) string {
		return PRCommentMarkdown(PRComment{HeadSHA: headSHA, Sections: []EnvSection{sized("dev", n)}})
	}
	exact := 10_000 + MaxCommentLength - len(render(10_000))

	many := make([]EnvSection, 400)
	for i := range many {
		many[i] = sized("env-"+strconv.Itoa(i), 100)
	}
	pricey := sized("dev", 100)
	pricey.Cost = &cost.Estimate{Environment: "dev", Before: 1, After: 2, Delta: 1, HoursPerMonth: 730}
	for i := range 3000 {
		pricey.Cost.Resources = append(pricey.Cost.Resources, cost.ResourceCost{Address: "aws_ecr_repository.this[\"" + strconv.Itoa(i) + "\"]", After: 0.1,
			Components: []cost.Component{{Name: "Image storage", Quantity: 1, Unit: "GB-month", UnitPrice: 0.1, Monthly: 0.1}}})
	}

	tests := []struct {
		name     string
		c        PRComment
		has, not []string
		size     int // when not 0, the exact size
	}{
		{
			name: "a comment that fits keeps everything",
			c:    PRComment{HeadSHA: headSHA, Sections: []EnvSection{sized("dev", 1000)}},
			has:  []string{"<details><summary>Full plan of dev</summary>"},
			not:  []string{"too long for this comment", "more resources"},
		},
		{
			name: "a comment of exactly the limit keeps its plan",
			c:    PRComment{HeadSHA: headSHA, Sections: []EnvSection{sized("dev", exact)}},
			has:  []string{"<details><summary>Full plan of dev</summary>"},
			size: MaxCommentLength,
		},
		{
			name: "one byte more and the plan gives way to its check run",
			c:    PRComment{HeadSHA: headSHA, Sections: []EnvSection{sized("dev", exact+1)}},
			has:  []string{"The full plan of dev is too long for this comment: it is in the check run [`gitops/plan (dev)`](https://github.com/acme/infra/runs/dev)."},
			not:  []string{"<details><summary>Full plan of dev</summary>"},
		},
		{
			name: "the largest plan goes first and the others stay",
			c:    PRComment{HeadSHA: headSHA, Sections: []EnvSection{sized("dev", 20_000), sized("staging", 60_000), sized("prod", 20_000)}},
			has:  []string{"Full plan of dev</summary>", "Full plan of prod</summary>", "The full plan of staging is too long"},
			not:  []string{"Full plan of staging</summary>"},
		},
		{
			name: "thousands of resources are cut with a count and a pointer",
			c:    PRComment{HeadSHA: headSHA, Sections: []EnvSection{withResources(sized("dev", 100), 5000)}},
			has:  []string{"more resources: in the check run [`gitops/plan (dev)`]", `svc-0"]`},
			not:  []string{`svc-4999"]`},
		},
		{
			name: "a cost breakdown of thousands of resources gives way before the plan's own resources",
			c:    PRComment{HeadSHA: headSHA, Sections: []EnvSection{pricey}},
			has:  []string{"### Cost — dev:", "By resource: in the check run", "| ~ update | `aws_ecs_service.this` |"},
			not:  []string{"<details><summary>By resource</summary>"},
		},
		{
			name: "hundreds of environments: the last ones are left out and counted",
			c:    PRComment{HeadSHA: headSHA, Sections: many},
			has:  []string{"| env-0 |", "more environments, not shown: this comment is at GitHub's size limit"},
			not:  []string{"| env-399 |"},
		},
		{
			name: "a name of a megabyte is capped",
			c:    PRComment{HeadSHA: headSHA, Sections: []EnvSection{sized(strings.Repeat("n", 1<<20), 10)}, Notice: strings.Repeat("m", 1<<20)},
			has:  []string{"nnn…", "mmm…"},
		},
		{
			name: "no sections and no notice",
			c:    PRComment{HeadSHA: headSHA},
			has:  []string{"No environment to plan"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PRCommentMarkdown(tt.c)
			checkMarkdown(t, got, MaxCommentLength)
			if tt.size != 0 && len(got) != tt.size {
				t.Errorf("%d bytes, want %d", len(got), tt.size)
			}
			for _, s := range tt.has {
				if !strings.Contains(got, s) {
					t.Errorf("missing %q", s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(got, s) {
					t.Errorf("has %q", s)
				}
			}
		})
	}
}

func TestCutsOfErrorsAndLogs(t *testing.T) {
	lines := strings.Repeat("0123456789\n", 1000) // 11,000 bytes
	tests := []struct {
		name, got, prefix, suffix string
		most                      int
	}{
		{"a short error is whole", cutEnd("short", 100), "short", "short", 5},
		{"a long error keeps its start, cut at a line end", cutEnd(lines, 100), "0123456789\n", "\n… 10902 more bytes in the check run", 100 + 40},
		{"a long log keeps its end, cut at a line start", cutStart(lines, 100), "… 10901 earlier bytes in the check run\n0123456789\n", "0123456789\n", 100 + 40},
		{"a log of one long line is cut at a rune", cutStart(strings.Repeat("€", 100), 10), "… 291 earlier bytes in the check run\n€", "€€€", 9 + 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.HasPrefix(tt.got, tt.prefix) || !strings.HasSuffix(tt.got, tt.suffix) || len(tt.got) > tt.most {
				t.Errorf("got %q (%d bytes), want %q…%q within %d", tt.got, len(tt.got), tt.prefix, tt.suffix, tt.most)
			}
		})
	}
}
