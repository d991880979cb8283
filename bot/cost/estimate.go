package cost

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/gitops-bot/gitops/bot/envspec"
)

// Options are the inputs of an estimate besides the plan or spec.
type Options struct {
	// Environment and Region name the estimate; when empty they are taken from
	// the stack's `spec` output in the plan.
	Environment string
	Region      string
	// Catalogue defaults to the embedded one.
	Catalogue *Catalogue
	// Usage overrides the default usage assumptions (environments/<env>.usage.yaml).
	Usage Usage
	// Budget is the environment's budget from its spec; zero means none.
	Budget envspec.Budget
}

// EstimatePlanJSON decodes `terraform show -json` output and estimates it.
// Only the parts pricing reads are decoded (resource changes and the spec
// output); planned_values' module tree and the configuration are skipped, and
// the attribute values of a resource change are decoded only for the types
// whose values pricing reads (most of a stack is free: rules, routes, IAM).
func EstimatePlanJSON(data []byte, opts Options) (*Estimate, error) {
	var pj struct {
		FormatVersion   string                    `json:"format_version"`
		ResourceChanges []rawResourceChange       `json:"resource_changes"`
		OutputChanges   map[string]*tfjson.Change `json:"output_changes"`
		PlannedValues   *struct {
			Outputs map[string]*tfjson.StateOutput `json:"outputs"`
		} `json:"planned_values"`
	}
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, fmt.Errorf("decode plan JSON: %w", err)
	}
	if !strings.HasPrefix(pj.FormatVersion, "1.") {
		return nil, fmt.Errorf("decode plan JSON: format_version %q, want 1.x", pj.FormatVersion)
	}
	plan := &tfjson.Plan{FormatVersion: pj.FormatVersion, OutputChanges: pj.OutputChanges}
	for _, raw := range pj.ResourceChanges {
		rc, err := raw.decode()
		if err != nil {
			return nil, fmt.Errorf("decode plan JSON: %s: %w", raw.Address, err)
		}
		plan.ResourceChanges = append(plan.ResourceChanges, rc)
	}
	if pj.PlannedValues != nil {
		plan.PlannedValues = &tfjson.StateValues{Outputs: pj.PlannedValues.Outputs}
	}
	return EstimatePlan(plan, opts)
}

// rawResourceChange is a resource change whose values are decoded on demand.
type rawResourceChange struct {
	Address       string              `json:"address"`
	ModuleAddress string              `json:"module_address"`
	Mode          tfjson.ResourceMode `json:"mode"`
	Type          string              `json:"type"`
	Change        *struct {
		Actions      tfjson.Actions  `json:"actions"`
		Before       json.RawMessage `json:"before"`
		After        json.RawMessage `json:"after"`
		AfterUnknown json.RawMessage `json:"after_unknown"`
	} `json:"change"`
}

// valuesRead are the types whose attribute values pricing reads: the priced
// ones (and unknown types, to say why they are not priced), and task
// definitions (joined with their service).
func valuesRead(typ string) bool {
	r, ok := rules[typ]
	return !ok || r.price != nil || typ == "aws_ecs_task_definition"
}

func (raw rawResourceChange) decode() (*tfjson.ResourceChange, error) {
	rc := &tfjson.ResourceChange{Address: raw.Address, ModuleAddress: raw.ModuleAddress, Mode: raw.Mode, Type: raw.Type}
	if raw.Change == nil {
		return rc, nil
	}
	c := &tfjson.Change{Actions: raw.Change.Actions}
	full := valuesRead(raw.Type)
	for _, f := range []struct {
		raw json.RawMessage
		dst *any
	}{{raw.Change.Before, &c.Before}, {raw.Change.After, &c.After}, {raw.Change.AfterUnknown, &c.AfterUnknown}} {
		switch {
		case len(f.raw) == 0 || string(f.raw) == "null":
		case full:
			if err := json.Unmarshal(f.raw, f.dst); err != nil {
				return nil, err
			}
		case f.raw[0] == '{':
			// Present but not read: an empty object keeps the resource on its side.
			*f.dst = map[string]any{}
		}
	}
	rc.Change = c
	return rc, nil
}

// EstimatePlan prices the prior state (before) and the planned values (after)
// of a plan.
func EstimatePlan(plan *tfjson.Plan, opts Options) (*Estimate, error) {
	if plan == nil {
		return nil, errors.New("estimate: nil plan")
	}
	env, region := planSpecOutput(plan)
	if opts.Environment == "" {
		opts.Environment = env
	}
	if opts.Region == "" {
		opts.Region = region
	}
	var before, after []*resource
	for _, rc := range plan.ResourceChanges {
		if rc == nil || rc.Mode != tfjson.ManagedResourceMode || rc.Change == nil {
			continue
		}
		if m, ok := rc.Change.Before.(map[string]any); ok {
			before = append(before, &resource{Address: rc.Address, Type: rc.Type, Module: rc.ModuleAddress, Values: m})
		}
		if rc.Change.Actions.Delete() {
			continue
		}
		if m, ok := rc.Change.After.(map[string]any); ok {
			unknown, _ := rc.Change.AfterUnknown.(map[string]any)
			after = append(after, &resource{Address: rc.Address, Type: rc.Type, Module: rc.ModuleAddress, Values: m, Unknown: unknown})
		}
	}
	e, err := estimate(newState(before), newState(after), opts)
	if err != nil {
		return nil, err
	}
	e.FromPlan = true
	return e, nil
}

// planSpecOutput reads name and region from the stack's `spec` output, planned
// or prior.
func planSpecOutput(plan *tfjson.Plan) (name, region string) {
	var v any
	if oc, ok := plan.OutputChanges["spec"]; ok && oc != nil {
		v = oc.After
		if v == nil {
			v = oc.Before
		}
	}
	if v == nil && plan.PlannedValues != nil {
		if o, ok := plan.PlannedValues.Outputs["spec"]; ok && o != nil {
			v = o.Value
		}
	}
	if m, ok := v.(map[string]any); ok {
		name, _ = str(m, "name")
		region, _ = str(m, "region")
	}
	return name, region
}

func estimate(before, after *state, opts Options) (*Estimate, error) {
	if opts.Region == "" {
		return nil, errors.New("estimate: region unknown (not in options nor in the plan's spec output)")
	}
	cat := opts.Catalogue
	if cat == nil {
		var err error
		if cat, err = DefaultCatalogue(); err != nil {
			return nil, err
		}
	}
	if _, ok := cat.Regions[opts.Region]; !ok {
		return nil, fmt.Errorf("estimate %s: the catalogue has no prices for region %s (has %s)",
			opts.Environment, opts.Region, strings.Join(cat.RegionNames(), ", "))
	}
	p := &pricer{region: opts.Region, cat: cat, usage: opts.Usage, hours: cat.HoursPerMonth}
	b := p.priceState(before)
	a := p.priceState(after)

	e := &Estimate{
		Environment:    opts.Environment,
		Region:         opts.Region,
		HoursPerMonth:  p.hours,
		CatalogueAsOf:  cat.AsOf,
		NotPriced:      mergeNotPriced(b.notPriced, a.notPriced),
		UsageOverrides: overrides(opts.Usage),
		after:          after,
		pricer:         p,
	}
	addrs := map[string]string{}
	for addr, rc := range b.byAddress {
		addrs[addr] = rc.typ
	}
	for addr, rc := range a.byAddress {
		addrs[addr] = rc.typ
	}
	sorted := make([]string, 0, len(addrs))
	for addr := range addrs {
		sorted = append(sorted, addr)
	}
	sort.Strings(sorted)
	for _, addr := range sorted {
		bc, ac := b.byAddress[addr], a.byAddress[addr]
		rc := ResourceCost{Address: addr, Type: addrs[addr], Before: bc.total, After: ac.total, Components: ac.comps, BeforeComponents: bc.comps}
		if rc.Components == nil {
			rc.Components = []Component{}
		}
		rc.Delta = rc.After - rc.Before
		e.Before += rc.Before
		e.After += rc.After
		e.Resources = append(e.Resources, rc)
	}
	e.Delta = e.After - e.Before
	sort.SliceStable(e.Resources, func(i, j int) bool {
		di, dj := math.Abs(e.Resources[i].Delta), math.Abs(e.Resources[j].Delta)
		if di != dj {
			return di > dj
		}
		if e.Resources[i].After != e.Resources[j].After {
			return e.Resources[i].After > e.Resources[j].After
		}
		return e.Resources[i].Address < e.Resources[j].Address
	})
	if opts.Budget.MonthlyUSD > 0 {
		e.Budget = checkBudget(e.After, opts.Budget.MonthlyUSD, opts.Budget.Enforce, func() []Saving { return e.savings() })
	}
	return e, nil
}

type pricedResource struct {
	typ   string
	comps []Component
	total float64
}

type pricedState struct {
	byAddress map[string]pricedResource
	notPriced []string
	total     float64
}

// priceState prices every resource of a side; free resources are left out,
// resources that cannot be priced are listed with the reason.
func (p *pricer) priceState(s *state) pricedState {
	out := pricedState{byAddress: map[string]pricedResource{}}
	for _, r := range s.resources {
		rl, known := rules[r.Type]
		if !known {
			out.notPriced = append(out.notPriced, fmt.Sprintf("%s (%s): resource type not in the pricing table", r.Address, r.Type))
			continue
		}
		if rl.price == nil {
			continue
		}
		comps, err := rl.price(p, r, s)
		if err != nil {
			out.notPriced = append(out.notPriced, fmt.Sprintf("%s (%s): %v", r.Address, r.Type, err))
			continue
		}
		pr := pricedResource{typ: r.Type, comps: comps}
		for _, c := range comps {
			pr.total += c.Monthly
		}
		out.total += pr.total
		out.byAddress[r.Address] = pr
	}
	return out
}

func mergeNotPriced(a, b []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func overrides(u Usage) []string {
	var out []string
	add := func(name string, v *float64) {
		if v != nil {
			out = append(out, fmt.Sprintf("%s=%g", name, *v))
		}
	}
	add("alb.lcu_per_hour", u.ALB.LCUPerHour)
	add("nat.gb_per_month", u.NAT.GBPerMonth)
	add("logs.gb_per_group_per_month", u.Logs.GBPerGroupPerMonth)
	add("ecr.gb_per_repository", u.ECR.GBPerRepository)
	add("rds.backup_gb", u.RDS.BackupGB)
	return out
}
