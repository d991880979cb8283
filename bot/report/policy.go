package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gitops-bot/gitops/bot/policy"
)

// PolicyHeadline is the one-line verdict of a policy result, e.g.
// "staging: ❌ 2 denied · ⚠️ 1 warning".
func PolicyHeadline(res policy.Result) string {
	env := res.Environment
	if env == "" {
		env = "policy"
	}
	if res.Error != "" {
		return env + ": 🛑 cannot apply — policy could not be evaluated"
	}
	var parts []string
	denied, warnings, overridden := len(res.Denied()), len(res.Warnings()), 0
	for _, v := range res.Verdicts {
		if v.Overridden != nil {
			overridden++
		}
	}
	if denied > 0 {
		parts = append(parts, fmt.Sprintf("❌ %d denied", denied))
	} else {
		passed := "✅ passed"
		if overridden > 0 {
			passed += fmt.Sprintf(" (%s overridden)", policyPlural(overridden, "deny", "denies"))
		}
		parts = append(parts, passed)
	}
	if warnings > 0 {
		parts = append(parts, "⚠️ "+policyPlural(warnings, "warning", "warnings"))
	}
	return env + ": " + strings.Join(parts, " · ")
}

// PolicyMarkdown renders a policy result for a PR comment or check run: the
// verdict line, a table of verdicts (denies first), and the overrides with
// who made them and when.
func PolicyMarkdown(res policy.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Policy — %s\n\n", PolicyHeadline(res))
	if res.Error != "" {
		b.WriteString("The change cannot be applied until policy evaluates. Fix the policy or the input:\n\n")
		fmt.Fprintf(&b, "```\n%s\n```\n", strings.TrimRight(res.Error, "\n"))
		return b.String()
	}
	if len(res.Verdicts) > 0 {
		b.WriteString("| | Rule | Resource or spec path | Finding |\n|---|---|---|---|\n")
		for _, v := range res.Verdicts {
			fmt.Fprintf(&b, "| %s | `%s` | `%s` | %s |\n", policyMark(v), v.Rule, v.Address, policyCell(v.Message))
		}
		b.WriteString("\n")
	}
	if len(res.Overrides) > 0 {
		b.WriteString("**Overrides**\n\n")
		for _, o := range res.Overrides {
			fmt.Fprintf(&b, "- `%s` by @%s at %s for PR #%d — %s", o.Rule, strings.TrimPrefix(o.By, "@"), policyWhen(o.At), o.PR, o.Status)
			if o.Reason != "" {
				fmt.Fprintf(&b, ": %s", o.Reason)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if res.Allowed && len(res.Verdicts) == 0 {
		b.WriteString("Every rule passed.\n")
	}
	return b.String()
}

// PolicyJSON renders a policy result for --json and API consumers.
func PolicyJSON(res policy.Result) ([]byte, error) {
	if res.Verdicts == nil {
		res.Verdicts = []policy.Verdict{}
	}
	if res.Overrides == nil {
		res.Overrides = []policy.OverrideOutcome{}
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode policy result: %w", err)
	}
	return append(b, '\n'), nil
}

func policyMark(v policy.Verdict) string {
	switch {
	case v.Overridden != nil:
		return fmt.Sprintf("✅ overridden by @%s", strings.TrimPrefix(v.Overridden.By, "@"))
	case v.Level == policy.Deny:
		return "❌ deny"
	default:
		return "⚠️ warn"
	}
}

func policyWhen(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// policyCell keeps text inside one markdown table cell.
func policyCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func policyPlural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
