# The estimated monthly cost after the change stays within budget.monthly_usd
# (0 = no budget). A breach warns, or blocks when budget.enforce is true.
package gitops.rules.budget

import data.gitops.lib

over_budget := msg if {
	input.cost.budget_monthly_usd > 0
	input.cost.after_monthly_usd > input.cost.budget_monthly_usd
	msg := sprintf(
		"estimated monthly cost %s exceeds budget.monthly_usd %s (before this change: %s)",
		[usd(input.cost.after_monthly_usd), usd(input.cost.budget_monthly_usd), usd(input.cost.before_monthly_usd)],
	)
}

deny contains lib.verdict("budget", "budget.monthly_usd", over_budget) if input.cost.enforce == true

warn contains lib.verdict("budget", "budget.monthly_usd", over_budget) if not input.cost.enforce == true

# usd formats dollars with cents; sprintf's %.2f does not apply to whole
# numbers, which OPA keeps as integers.
usd(x) := sprintf("$%d.%02d", [floor(cents / 100), cents % 100]) if cents := round(x * 100)
