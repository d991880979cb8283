// Package cost estimates the monthly AWS cost of an environment: before and
// after a terraform plan, per resource and per priced component, from an
// embedded, dated and cited price catalogue (see catalogue.json). It checks the
// result against a budget and, when over, lists savings priced by re-estimating
// modified copies of the same configuration.
//
// It is not a bill: usage-based items (LCUs, NAT traffic, log volume, image
// storage, backups) use stated assumptions that a usage file can override, and
// anything it cannot price is listed as such rather than counted as zero.
package cost

// Estimate is the monthly cost of one environment before and after a change.
type Estimate struct {
	Environment    string         `json:"environment"`
	Region         string         `json:"region"`
	HoursPerMonth  float64        `json:"hours_per_month"`
	CatalogueAsOf  string         `json:"catalogue_as_of"`
	Before         float64        `json:"before"`
	After          float64        `json:"after"`
	Delta          float64        `json:"delta"`
	Resources      []ResourceCost `json:"resources"`
	NotPriced      []string       `json:"not_priced"`
	Budget         *Budget        `json:"budget,omitempty"`
	FromPlan       bool           `json:"from_plan"`
	UsageOverrides []string       `json:"usage_overrides,omitempty"`

	// after and pricer let savings re-price modified copies of the
	// configuration (also for Total); not serialised.
	after  *state
	pricer *pricer
}

// ResourceCost is one priced resource. Components are the after side;
// BeforeComponents the prior state (empty for a created resource).
type ResourceCost struct {
	Address          string      `json:"address"`
	Type             string      `json:"type"`
	Before           float64     `json:"before"`
	After            float64     `json:"after"`
	Delta            float64     `json:"delta"`
	Components       []Component `json:"components"`
	BeforeComponents []Component `json:"before_components,omitempty"`
}

// Component is one billed dimension of a resource, e.g. Fargate vCPU-hours.
type Component struct {
	Name      string  `json:"name"`
	Quantity  float64 `json:"quantity"`
	Unit      string  `json:"unit"`
	UnitPrice float64 `json:"unit_price"`
	Monthly   float64 `json:"monthly"`
	PriceKey  string  `json:"price_key"`
	// Assumption says what the quantity rests on when the plan cannot tell.
	Assumption string `json:"assumption,omitempty"`
}

// Verdict is the outcome of a budget check.
type Verdict string

const (
	VerdictOK   Verdict = "ok"
	VerdictWarn Verdict = "warn"
	VerdictFail Verdict = "fail"
)

// Budget is the check of After against a monthly limit.
type Budget struct {
	LimitUSD float64 `json:"limit_usd"`
	Enforce  bool    `json:"enforce"`
	Exceeded bool    `json:"exceeded"`
	OverUSD  float64 `json:"over_usd"`
	Verdict  Verdict `json:"verdict"`
	// Savings are listed when the budget is exceeded, largest first.
	Savings []Saving `json:"savings,omitempty"`
}

// Saving is one change to the configuration and what it would save per month.
type Saving struct {
	Name        string  `json:"name"`
	Environment string  `json:"environment,omitempty"`
	Change      string  `json:"change"`
	MonthlyUSD  float64 `json:"monthly_usd"`
	TradeOff    string  `json:"trade_off"`
}

// Summary is the repository-wide view for `gitops cost --all`.
type Summary struct {
	Environments []EnvironmentTotal `json:"environments"`
	Before       float64            `json:"before"`
	After        float64            `json:"after"`
	Delta        float64            `json:"delta"`
	NotPriced    []string           `json:"not_priced"`
	Budget       *Budget            `json:"budget"`
}

// EnvironmentTotal is one line of a Summary.
type EnvironmentTotal struct {
	Environment string  `json:"environment"`
	Region      string  `json:"region"`
	Before      float64 `json:"before"`
	After       float64 `json:"after"`
	Delta       float64 `json:"delta"`
}
