package report

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gitops-bot/gitops/bot/policy"
)

// PolicyHeadline is the one-line verdict of a policy result, e.g.
// "staging: ❌ 2 denied · ⚠️ 1 warning".
func PolicyHeadline(res policy.Result) string {
	env := res.Environment
	if env == "" {
		env = "policy"
	}
	return env + ": " + policyVerdict(res)
}

// policyVerdict is PolicyHeadline without the environment.
func policyVerdict(res policy.Result) string {
	if res.Error != "" {
		return "🛑 cannot apply — policy could not be evaluated"
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
			passed += fmt.Sprintf(" (%s overridden)", plural(overridden, "deny", "denies"))
		}
		parts = append(parts, passed)
	}
	if warnings > 0 {
		parts = append(parts, "⚠️ "+plural(warnings, "warning", "warnings"))
	}
	return strings.Join(parts, " · ")
}

// PolicyMarkdown renders a policy result for a PR comment or check run: the
// verdict line, a table of verdicts (denies first), and the overrides with
// who made them and when.
func PolicyMarkdown(res policy.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Policy — %s\n\n", text(PolicyHeadline(res)))
	if res.Error != "" {
		b.WriteString("The change cannot be applied until policy evaluates. Fix the policy or the input:\n\n")
		b.WriteString(fence(strings.TrimRight(res.Error, "\n"), ""))
		return b.String()
	}
	if len(res.Verdicts) > 0 {
		b.WriteString("| | Rule | Resource or spec path | Finding |\n|---|---|---|---|\n")
		for _, v := range res.Verdicts {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", policyMark(v), cellCode(v.Rule), cellCode(v.Address), cellText(v.Message))
		}
		b.WriteString("\n")
	}
	if len(res.Overrides) > 0 {
		b.WriteString("**Overrides**\n\n")
		for _, o := range res.Overrides {
			fmt.Fprintf(&b, "- %s by @%s at %s for PR #%d — %s", code(o.Rule), text(strings.TrimPrefix(o.By, "@")), when(o.At), o.PR, text(string(o.Status)))
			if o.Reason != "" {
				fmt.Fprintf(&b, ": %s", text(o.Reason))
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
		return fmt.Sprintf("✅ overridden by @%s", cellText(strings.TrimPrefix(v.Overridden.By, "@")))
	case v.Level == policy.Deny:
		return "❌ deny"
	default:
		return "⚠️ warn"
	}
}
