package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/gitops-bot/gitops/bot/cost"
)

// CostHeadline is the one-line summary of an estimate, e.g.
// "staging: $288.86 → $216.38 per month (-$72.48, -25.1 %)".
func CostHeadline(e *cost.Estimate) string {
	return fmt.Sprintf("%s: %s → %s per month (%s, %s)", e.Environment, money(e.Before), money(e.After), signedMoney(e.Delta), percent(e.Before, e.Delta))
}

// CostMarkdown renders an estimate for a PR comment: the headline, the
// resources by size of change, their components collapsed, what could not be
// priced, and the budget check with savings when over.
func CostMarkdown(e *cost.Estimate) string {
	var b strings.Builder
	writeCostHead(&b, e, -1)
	writeCostResources(&b, e)
	return b.String()
}

// writeCostHead writes the headline, where the prices come from, the budget
// check and what could not be priced (at most maxNotPriced, all when < 0).
func writeCostHead(b *strings.Builder, e *cost.Estimate, maxNotPriced int) {
	fmt.Fprintf(b, "### Cost — %s\n\n", text(CostHeadline(e)))
	source := "plan"
	if !e.FromPlan {
		source = "spec (no plan: after only)"
	}
	fmt.Fprintf(b, "%s · from the %s · on-demand prices as of %s · %g h/month\n\n", text(e.Region), source, text(e.CatalogueAsOf), e.HoursPerMonth)
	writeBudget(b, e.Budget, e.After)
	if len(e.NotPriced) > 0 {
		fmt.Fprintf(b, "**Not priced (%d)** — not included in the totals:\n", len(e.NotPriced))
		for i, n := range e.NotPriced {
			if i == maxNotPriced {
				fmt.Fprintf(b, "- and %d more\n", len(e.NotPriced)-i)
				break
			}
			fmt.Fprintf(b, "- %s\n", code(n))
		}
		b.WriteString("\n")
	}
}

// writeCostResources writes the resources' costs and, collapsed, their
// components.
func writeCostResources(b *strings.Builder, e *cost.Estimate) {
	b.WriteString("| Resource | Before | After | Change |\n|---|--:|--:|--:|\n")
	for _, r := range e.Resources {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", cellCode(r.Address), money(r.Before), money(r.After), deltaCell(r.Delta))
	}
	b.WriteString("\n<details><summary>Components and assumptions</summary>\n\n")
	for _, r := range e.Resources {
		comps, side := r.Components, ""
		if len(comps) == 0 && len(r.BeforeComponents) > 0 {
			comps, side = r.BeforeComponents, " (removed; before)"
		}
		fmt.Fprintf(b, "**%s**%s\n\n", code(r.Address), side)
		b.WriteString("| Component | Quantity | Unit price | Monthly | Assumption |\n|---|--:|--:|--:|---|\n")
		for _, c := range comps {
			fmt.Fprintf(b, "| %s | %s %s | $%s | %s | %s |\n", cellText(c.Name), quantity(c.Quantity), cellText(c.Unit), trimFloat(c.UnitPrice), money(c.Monthly), cellText(c.Assumption))
		}
		b.WriteString("\n")
	}
	if len(e.UsageOverrides) > 0 {
		fmt.Fprintf(b, "Usage file overrides: %s\n\n", text(strings.Join(e.UsageOverrides, ", ")))
	}
	b.WriteString("</details>\n")
}

// CostSummaryMarkdown renders the repository-wide total (`gitops cost --all`).
func CostSummaryMarkdown(s *cost.Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Cost — all environments: %s → %s per month (%s, %s)\n\n", money(s.Before), money(s.After), signedMoney(s.Delta), percent(s.Before, s.Delta))
	writeBudget(&b, s.Budget, s.After)
	b.WriteString("| Environment | Region | Before | After | Change |\n|---|---|--:|--:|--:|\n")
	for _, e := range s.Environments {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cellText(e.Environment), cellText(e.Region), money(e.Before), money(e.After), deltaCell(e.Delta))
	}
	if len(s.NotPriced) > 0 {
		fmt.Fprintf(&b, "\n**Not priced (%d)** — not included in the totals:\n", len(s.NotPriced))
		for _, n := range s.NotPriced {
			fmt.Fprintf(&b, "- %s\n", code(n))
		}
	}
	return b.String()
}

func writeBudget(b *strings.Builder, bu *cost.Budget, after float64) {
	if bu == nil {
		return
	}
	if !bu.Exceeded {
		fmt.Fprintf(b, "Budget: %s of %s (%.0f %%).\n\n", money(after), money(bu.LimitUSD), 100*after/bu.LimitUSD)
		return
	}
	verdict := "warning (budget not enforced)"
	if bu.Verdict == cost.VerdictFail {
		verdict = "**failing** (budget enforced)"
	}
	fmt.Fprintf(b, "**Over budget by %s**: %s against %s — %s.\n\n", money(bu.OverUSD), money(after), money(bu.LimitUSD), verdict)
	if len(bu.Savings) == 0 {
		return
	}
	b.WriteString("Possible savings, each priced alone against this configuration (not additive):\n\n")
	// Name the environment only when savings come from several (--all).
	envs := map[string]bool{}
	for _, s := range bu.Savings {
		envs[s.Environment] = true
	}
	withEnv := len(envs) > 1
	b.WriteString("| Saving | Change | Per month | Trade-off |\n|---|---|--:|---|\n")
	for _, s := range bu.Savings {
		name := s.Name
		if withEnv && s.Environment != "" {
			name = s.Environment + ": " + name
		}
		fmt.Fprintf(b, "| %s | %s | -%s | %s |\n", cellText(name), cellCode(s.Change), money(s.MonthlyUSD), cellText(s.TradeOff))
	}
	b.WriteString("\n")
}

func deltaCell(d float64) string {
	if math.Abs(d) < 0.005 {
		return "—"
	}
	return signedMoney(d)
}

// money formats dollars with cents and thousands separators: $1,234.56.
func money(v float64) string {
	s := fmt.Sprintf("%.2f", math.Abs(v))
	intPart, frac := s[:len(s)-3], s[len(s)-3:]
	var out []byte
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, intPart[i])
	}
	sign := ""
	if v < 0 && s != "0.00" {
		sign = "-"
	}
	return sign + "$" + string(out) + frac
}

func signedMoney(v float64) string {
	if v >= 0 || money(v) == "$0.00" {
		return "+" + money(math.Abs(v))
	}
	return money(v)
}

func percent(before, delta float64) string {
	if before == 0 {
		if delta == 0 {
			return "+0 %"
		}
		return "new"
	}
	return fmt.Sprintf("%+.1f %%", 100*delta/before)
}

func quantity(q float64) string {
	if q == math.Trunc(q) {
		return fmt.Sprintf("%.0f", q)
	}
	return trimFloat(math.Round(q*1000) / 1000)
}

func trimFloat(v float64) string {
	return fmt.Sprintf("%g", v)
}
