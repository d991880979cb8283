package report

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/tf"
	"pgregory.net/rapid"
)

// hostile are pieces of text that would break a comment if they reached
// its structure: fences, HTML blocks, table pipes, line ends, invalid UTF-8,
// terminal escapes, characters of several bytes.
var hostile = []string{
	"```", "````", "~~~", "```go", "<details>", "</details>", "<summary>", "|", "`", "<", ">", "\n", "\r\n", "\r",
	"    ", "# ", "- ", "> ", "é", "🔒", "€", "\xff", "\x1b[31m", "\x00", "-->", "<!--", "*", "_", "[x](y)", "\\",
	"password = \"p\"", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "AAAA",
	"module.ecs_service[\"api\"].aws_ecs_service.this", "desired_count: 3 → 1", "plain words ",
}

// genSmall draws a short text of hostile pieces.
func genSmall(t *rapid.T, label string) string {
	parts := rapid.SliceOfN(rapid.SampledFrom(hostile), 0, 8).Draw(t, label)
	return strings.Join(parts, "")
}

// size says how large the generated parts of a section may be: large ones
// only when there are few sections, so that a case stays under a few
// megabytes.
type size struct{ repeats, counts []int }

var (
	large = size{repeats: []int{0, 1, 3, 100, 2000, 10000}, counts: []int{0, 1, 2, 5, 40, 700, 3000}}
	small = size{repeats: []int{0, 1, 3, 100}, counts: []int{0, 1, 2, 5, 40}}
)

// genBig draws a text from empty to hundreds of kilobytes: a short chunk of
// hostile pieces and a line end, repeated.
func genBig(t *rapid.T, label string, sz size) string {
	chunk := genSmall(t, label+" chunk") + "\n"
	return strings.Repeat(chunk, rapid.SampledFrom(sz.repeats).Draw(t, label+" repeats"))
}

// genMany draws a count from none to thousands.
func genMany(t *rapid.T, label string, sz size) int {
	return rapid.SampledFrom(sz.counts).Draw(t, label)
}

func genSection(t *rapid.T, i int, sz size) EnvSection {
	s := EnvSection{Env: genSmall(t, "env"), PlanText: genBig(t, "plan text", sz)}
	if rapid.Bool().Draw(t, "env is plain") {
		s.Env = "env" + strconv.Itoa(i)
	}
	if rapid.Bool().Draw(t, "planned") {
		p := &tf.Plan{Env: s.Env, HeadSHA: genSmall(t, "plan sha"), State: tf.StateVersion{Lineage: genSmall(t, "lineage"), Serial: 4}}
		change := tf.SpecChange{Path: genSmall(t, "path"), Before: genSmall(t, "before"), After: genSmall(t, "after")}
		for j := range genMany(t, "spec changes", sz) {
			c := change
			c.Path += strconv.Itoa(j)
			p.Summary.SpecChanges = append(p.Summary.SpecChanges, c)
		}
		attrs := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) string { return genSmall(t, "attribute") }), 0, 8).Draw(t, "attributes")
		action := rapid.SampledFrom([]tf.Action{tf.ActionCreate, tf.ActionUpdate, tf.ActionDelete, tf.ActionReplace, "read"}).Draw(t, "action")
		address := genSmall(t, "address")
		for j := range genMany(t, "resources", sz) {
			p.Summary.Resources = append(p.Summary.Resources, tf.ResourceChange{
				Address: address + strconv.Itoa(j), Action: action, Attributes: attrs,
				ReplaceReasons: attrs[:min(len(attrs), 2)], CausedBy: p.Summary.SpecChanges[:min(len(p.Summary.SpecChanges), 9)],
			})
			p.Summary.Change++
		}
		s.Plan = p
	}
	if rapid.Bool().Draw(t, "priced") {
		e := &cost.Estimate{Environment: s.Env, Region: genSmall(t, "region"), Before: 10, After: 12.5, Delta: 2.5, HoursPerMonth: 730}
		r := cost.ResourceCost{Address: genSmall(t, "priced address"), After: 1,
			Components: []cost.Component{{Name: genSmall(t, "component"), Quantity: 730, Unit: "hour", Assumption: genSmall(t, "assumption")}}}
		for j := range genMany(t, "priced resources", sz) {
			r.Address += strconv.Itoa(j % 10)
			e.Resources = append(e.Resources, r)
		}
		for j := range genMany(t, "not priced", sz) {
			e.NotPriced = append(e.NotPriced, genSmall(t, "not priced")+strconv.Itoa(j))
		}
		if rapid.Bool().Draw(t, "over budget") {
			e.Budget = &cost.Budget{LimitUSD: 10, Exceeded: true, OverUSD: 2.5, Verdict: cost.VerdictFail,
				Savings: []cost.Saving{{Name: genSmall(t, "saving"), Change: genSmall(t, "saving change"), MonthlyUSD: 1, TradeOff: genSmall(t, "trade-off")}}}
		}
		s.Cost = e
	} else if rapid.Bool().Draw(t, "cost failed") {
		s.CostErr = genBig(t, "cost error", small)
	}
	if rapid.Bool().Draw(t, "policy") {
		res := &policy.Result{Environment: s.Env, Error: genSmall(t, "policy error")}
		v := policy.Verdict{Rule: genSmall(t, "rule"), Level: policy.Deny, Address: genSmall(t, "policy address"), Message: genSmall(t, "message")}
		if rapid.Bool().Draw(t, "overridden") {
			v.Overridden = &policy.Override{Rule: v.Rule, By: genSmall(t, "by"), PR: 3}
			res.Overrides = []policy.OverrideOutcome{{Override: *v.Overridden, Status: policy.OverrideApplied, Reason: genSmall(t, "reason")}}
		}
		for range genMany(t, "verdicts", sz) {
			res.Verdicts = append(res.Verdicts, v)
		}
		s.Policy = res
	}
	if rapid.Bool().Draw(t, "failed") {
		s.Err, s.LogTail = genBig(t, "error", small), genBig(t, "log tail", sz)
	}
	s.Stale = rapid.Bool().Draw(t, "stale")
	if rapid.Bool().Draw(t, "locked") {
		s.LockedBy = &LockHolder{PR: 7, URL: rapid.SampledFrom([]string{"", "https://github.com/o/r/pull/7", genSmall(t, "lock url")}).Draw(t, "lock url")}
	}
	if rapid.Bool().Draw(t, "applied") {
		s.Applied = &AppliedInfo{By: genSmall(t, "applied by"), At: time.Unix(1e9, 0), SerialBefore: 4, SerialAfter: 5}
	}
	s.CheckRunURL = rapid.SampledFrom([]string{"", "https://github.com/o/r/runs/1", "javascript:alert(1)", genSmall(t, "url")}).Draw(t, "check run url")
	s.Secrets = []string{genSmall(t, "secret")}
	return s
}

func genComment(t *rapid.T) PRComment {
	c := PRComment{
		Repo: genSmall(t, "repo"), PR: rapid.IntRange(0, 1e6).Draw(t, "pr"),
		HeadSHA: rapid.SampledFrom([]string{headSHA, "", "abc --> <b>"}).Draw(t, "head"),
		Notice:  genSmall(t, "notice"), Version: genSmall(t, "version"),
	}
	n := rapid.SampledFrom([]int{0, 1, 2, 3, 8, 60}).Draw(t, "sections")
	sz := large
	if n > 3 {
		sz = small
	}
	for i := range n {
		c.Sections = append(c.Sections, genSection(t, i, sz))
	}
	for range rapid.IntRange(0, 3).Draw(t, "requirement kinds") {
		r := Requirement{Name: genSmall(t, "requirement"), Met: rapid.Bool().Draw(t, "met"), Detail: genSmall(t, "detail")}
		for range genMany(t, "requirements", small) {
			c.Requirements = append(c.Requirements, r)
		}
	}
	return c
}

// TestPropertyCommentIsWholeAndWithinLimit: whatever the sections hold and
// however many there are, the comment fits GitHub's limit, starts with the
// marker, keeps every fence and <details> balanced, and never posts a
// secret planted in a plan, an error or a log.
func TestPropertyCommentIsWholeAndWithinLimit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genComment(t)
		token := fakeGitHubTokens[3]
		for i := range c.Sections {
			c.Sections[i].PlanText += " " + token + " "
			c.Sections[i].Err += "\n" + token
			c.Sections[i].LogTail = token + "\n" + c.Sections[i].LogTail
		}
		got := PRCommentMarkdown(c)
		checkMarkdown(t, got, MaxCommentLength)
		if first, _, _ := strings.Cut(got, "\n"); first != StickyMarker {
			t.Fatalf("first line %q, want the marker", first)
		}
		if sha, ok := StickyHeadSHA(got); !ok || sha != safeSHA(c.HeadSHA) {
			t.Fatalf("StickyHeadSHA = %q, %v", sha, ok)
		}
		if strings.Contains(got, token) {
			t.Fatalf("the comment posts a planted token")
		}
	})
}

// TestPropertyCheckRunIsWholeAndWithinLimits: the same for each section's
// check run: title, summary and text within their limits, the markdown
// whole, no planted token.
func TestPropertyCheckRunIsWholeAndWithinLimits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSection(t, 0, large)
		token := fakeGitHubTokens[5]
		s.PlanText = token + " " + s.PlanText + " " + token
		s.Err += " " + token
		title, summary, text := CheckRunOutput(s)
		checkCheckRun(t, title, summary, text)
		for _, out := range []string{title, summary, text} {
			if strings.Contains(out, token) {
				t.Fatalf("the check run posts a planted token")
			}
		}
	})
}
