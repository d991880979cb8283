package policy

import (
	"cmp"
	"slices"
	"time"
)

// Level says what a verdict does: a deny blocks apply, a warn is reported.
type Level string

// The levels of a verdict, as the rule sets deny and warn are named.
const (
	Deny Level = "deny"
	Warn Level = "warn"
)

// Verdict is one finding of one rule.
type Verdict struct {
	Rule    string `json:"rule"`
	Level   Level  `json:"level"`
	Message string `json:"message"`
	// Address is the terraform resource address or the spec path the
	// finding is about.
	Address string `json:"address"`
	// Overridden is set when an owner accepted this deny for the PR.
	Overridden *Override `json:"overridden,omitempty"`
}

// Override accepts the denies of one rule for one pull request.
type Override struct {
	Rule string    `json:"rule"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	PR   int       `json:"pr"`
}

// OverrideStatus is what became of a requested override.
type OverrideStatus string

// Override outcomes.
const (
	// OverrideApplied: the rule denied and the override lifted it.
	OverrideApplied OverrideStatus = "applied"
	// OverrideUnused: the rule did not deny, so there was nothing to lift.
	OverrideUnused OverrideStatus = "unused"
	// OverrideRejected: the override is not valid (not an owner, other PR).
	OverrideRejected OverrideStatus = "rejected"
)

// OverrideOutcome records a requested override and what became of it.
type OverrideOutcome struct {
	Override
	Status OverrideStatus `json:"status"`
	// Reason explains a rejected or unused override.
	Reason string `json:"reason,omitempty"`
}

// Result is the outcome of evaluating policy for one environment.
type Result struct {
	Environment string            `json:"environment"`
	Verdicts    []Verdict         `json:"verdicts"`
	Overrides   []OverrideOutcome `json:"overrides"`
	// Allowed is true when no deny stands (every deny is overridden) and
	// evaluation succeeded.
	Allowed bool `json:"allowed"`
	// Error is set when policy could not be evaluated; the change cannot be
	// applied then.
	Error string `json:"error,omitempty"`
}

// Denied returns the denies that block apply (not overridden).
func (r Result) Denied() []Verdict {
	var out []Verdict
	for _, v := range r.Verdicts {
		if v.Level == Deny && v.Overridden == nil {
			out = append(out, v)
		}
	}
	return out
}

// Warnings returns the warn verdicts.
func (r Result) Warnings() []Verdict {
	var out []Verdict
	for _, v := range r.Verdicts {
		if v.Level == Warn {
			out = append(out, v)
		}
	}
	return out
}

// sortVerdicts orders denies first, then by rule, address and message, so
// that comments do not change between identical runs.
func sortVerdicts(vs []Verdict) {
	slices.SortFunc(vs, func(a, b Verdict) int {
		if a.Level != b.Level {
			if a.Level == Deny {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Address, b.Address), cmp.Compare(a.Message, b.Message))
	})
}
