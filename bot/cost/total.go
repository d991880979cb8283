package cost

import "sort"

// Total sums estimates of several environments (`gitops cost --all`) and checks
// the sum against the repository-wide budget (DefaultRepoBudgetUSD when budget
// is not positive). Exceeding it is a warning: per-environment budgets are the
// ones that can be enforced. The savings are those of each environment.
func Total(estimates []*Estimate, budget float64) *Summary {
	if budget <= 0 {
		budget = DefaultRepoBudgetUSD
	}
	sorted := append([]*Estimate(nil), estimates...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Environment < sorted[j].Environment })
	t := &Summary{Environments: []EnvironmentTotal{}, NotPriced: []string{}}
	for _, e := range sorted {
		if e == nil {
			continue
		}
		t.Environments = append(t.Environments, EnvironmentTotal{Environment: e.Environment, Region: e.Region, Before: e.Before, After: e.After, Delta: e.Delta})
		t.Before += e.Before
		t.After += e.After
		for _, n := range e.NotPriced {
			t.NotPriced = append(t.NotPriced, e.Environment+": "+n)
		}
	}
	t.Delta = t.After - t.Before
	t.Budget = checkBudget(t.After, budget, false, func() []Saving {
		var all []Saving
		for _, e := range sorted {
			if e != nil {
				all = append(all, e.savings()...)
			}
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].MonthlyUSD > all[j].MonthlyUSD })
		return all
	})
	return t
}
