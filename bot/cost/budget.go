package cost

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// DefaultRepoBudgetUSD is the monthly budget of all environments together
// (`gitops cost --all`) unless configured otherwise.
const DefaultRepoBudgetUSD = 200.0

// checkBudget compares after with limit; savings is called only when over.
func checkBudget(after, limit float64, enforce bool, savings func() []Saving) *Budget {
	b := &Budget{LimitUSD: limit, Enforce: enforce, Verdict: VerdictOK}
	if after <= limit {
		return b
	}
	b.Exceeded = true
	b.OverUSD = after - limit
	b.Verdict = VerdictWarn
	if enforce {
		b.Verdict = VerdictFail
	}
	b.Savings = savings()
	return b
}

// savingRule is one change to a copy of the planned configuration. apply
// modifies s and describes the change; false means it does not apply.
type savingRule struct {
	name     string
	tradeOff string
	apply    func(s *state, c *Catalogue, region string) (change string, ok bool)
}

// savingRules are tried in this order; each is priced on its own against the
// unmodified configuration, so savings are not additive.
var savingRules = []savingRule{
	{
		name:     "Single NAT gateway",
		tradeOff: "egress of every AZ goes through one AZ: if it fails, private subnets in the others lose outbound access; cross-AZ traffic is billed",
		apply:    singleNAT,
	},
	{
		name:     "Fargate Spot",
		tradeOff: "tasks can be stopped at two minutes' notice when AWS reclaims capacity; fine for dev, risky for a demo",
		apply:    allSpot,
	},
	{
		name:     "ARM (Graviton) tasks",
		tradeOff: "every image must be built for linux/arm64 (multi-arch builds in CI)",
		apply:    allARM,
	},
	{
		name:     "One task per service",
		tradeOff: "no redundancy: a task failure, AZ outage or deployment leaves the service down until a replacement starts",
		apply:    oneTask,
	},
	{
		name:     "Smaller database class",
		tradeOff: "half the memory and fewer CPU credits: check connections, buffer cache hit rate and CPU credit balance",
		apply:    smallerDB,
	},
	{
		name:     "Single-AZ database",
		tradeOff: "no standby: an AZ or host failure means a restore from backup instead of a failover",
		apply:    singleAZDB,
	},
	{
		name:     "Smaller cache node",
		tradeOff: "less memory for the cache: more evictions and a lower hit rate",
		apply:    smallerCache,
	},
}

// savings re-prices a modified copy of the after configuration per rule.
func (e *Estimate) savings() []Saving {
	if e.after == nil || e.pricer == nil {
		return nil
	}
	base := e.pricer.priceState(e.after).total
	var out []Saving
	for _, r := range savingRules {
		s := e.after.clone()
		change, ok := r.apply(s, e.pricer.cat, e.pricer.region)
		if !ok {
			continue
		}
		saved := base - e.pricer.priceState(s).total
		if saved < 0.005 {
			continue
		}
		out = append(out, Saving{Name: r.name, Environment: e.Environment, Change: change, MonthlyUSD: saved, TradeOff: r.tradeOff})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].MonthlyUSD > out[j].MonthlyUSD })
	return out
}

func singleNAT(s *state, _ *Catalogue, _ string) (string, bool) {
	n := s.count("aws_nat_gateway")
	if n <= 1 {
		return "", false
	}
	kept := s.resources[:0]
	for _, r := range s.resources {
		if (r.Type == "aws_nat_gateway" || r.Type == "aws_eip") && strings.HasSuffix(r.Address, "]") && !strings.HasSuffix(r.Address, "[0]") {
			continue
		}
		kept = append(kept, r)
	}
	s.resources = kept
	return fmt.Sprintf("network.nat: single (%d NAT gateways → 1)", n), true
}

var serviceKey = regexp.MustCompile(`\["([^"]+)"\]`)

// serviceName is the key of module.ecs_service["<svc>"].
func serviceName(module string) string {
	if m := serviceKey.FindStringSubmatch(module); m != nil {
		return m[1]
	}
	return module
}

func allSpot(s *state, _ *Catalogue, _ string) (string, bool) {
	var names []string
	for _, r := range s.resources {
		if r.Type != "aws_ecs_service" {
			continue
		}
		tasks, _ := num(r.Values, "desired_count")
		if _, spot, _, err := splitTasks(r.Values, tasks); err != nil || spot == tasks {
			continue
		}
		r.Values["capacity_provider_strategy"] = []any{map[string]any{"capacity_provider": "FARGATE_SPOT", "weight": 1.0, "base": 0.0}}
		delete(r.Values, "launch_type")
		names = append(names, serviceName(r.Module))
	}
	return "services." + joinNames(names) + ".spot: true", len(names) > 0
}

func allARM(s *state, _ *Catalogue, _ string) (string, bool) {
	var names []string
	for _, r := range s.resources {
		if r.Type != "aws_ecs_task_definition" || architecture(r.Values) == "arm64" || !strings.HasPrefix(r.Module, "module.ecs_service") {
			continue
		}
		r.Values["runtime_platform"] = []any{map[string]any{"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}}
		names = append(names, serviceName(r.Module))
	}
	return "services." + joinNames(names) + ".architecture: arm64", len(names) > 0
}

func oneTask(s *state, _ *Catalogue, _ string) (string, bool) {
	var names []string
	for _, r := range s.resources {
		if r.Type != "aws_ecs_service" {
			continue
		}
		if n, ok := num(r.Values, "desired_count"); ok && n > 1 {
			r.Values["desired_count"] = 1.0
			names = append(names, fmt.Sprintf("%s %g→1", serviceName(r.Module), n))
		}
	}
	return "desired_count: " + strings.Join(names, ", "), len(names) > 0
}

// sizes orders the burstable sizes the catalogue carries.
var sizes = []string{"nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"}

// smallerClass is the next smaller class of the same family with a price under
// keyFor in the catalogue ("db.t3.small" → "db.t3.micro").
func smallerClass(class string, c *Catalogue, region string, keyFor func(string) string) (string, bool) {
	i := strings.LastIndex(class, ".")
	if i < 0 {
		return "", false
	}
	family, size := class[:i], class[i+1:]
	for j := len(sizes) - 1; j > 0; j-- {
		if sizes[j] != size {
			continue
		}
		for k := j - 1; k >= 0; k-- {
			cand := family + "." + sizes[k]
			if _, ok := c.Lookup(region, keyFor(cand)); ok {
				return cand, true
			}
		}
	}
	return "", false
}

func smallerDB(s *state, c *Catalogue, region string) (string, bool) {
	for _, r := range s.resources {
		if r.Type != "aws_db_instance" {
			continue
		}
		class, _ := str(r.Values, "instance_class")
		deploy := "single_az"
		if boolean(r.Values, "multi_az") {
			deploy = "multi_az"
		}
		smaller, ok := smallerClass(class, c, region, func(cl string) string { return "rds.postgres." + cl + "." + deploy + "_hour" })
		if !ok {
			return "", false
		}
		r.Values["instance_class"] = smaller
		return fmt.Sprintf("database.instance_class: %s → %s", class, smaller), true
	}
	return "", false
}

func singleAZDB(s *state, _ *Catalogue, _ string) (string, bool) {
	for _, r := range s.resources {
		if r.Type == "aws_db_instance" && boolean(r.Values, "multi_az") {
			r.Values["multi_az"] = false
			return "database.multi_az: false", true
		}
	}
	return "", false
}

func smallerCache(s *state, c *Catalogue, region string) (string, bool) {
	for _, r := range s.resources {
		if r.Type != "aws_elasticache_replication_group" {
			continue
		}
		node, _ := str(r.Values, "node_type")
		smaller, ok := smallerClass(node, c, region, func(n string) string { return "elasticache." + n + ".hour" })
		if !ok {
			return "", false
		}
		r.Values["node_type"] = smaller
		return fmt.Sprintf("cache.node_type: %s → %s", node, smaller), true
	}
	return "", false
}

func joinNames(names []string) string {
	sort.Strings(names)
	if len(names) == 1 {
		return names[0]
	}
	return "{" + strings.Join(names, ",") + "}"
}
