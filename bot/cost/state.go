package cost

import (
	"sort"
	"strconv"
	"strings"
)

// resource is one managed resource on one side of a change: its attribute
// values as in a plan's before/after, with after_unknown kept for attributes
// only known after apply.
type resource struct {
	Address string
	Type    string
	// Module is the module instance address ("module.ecs_service[\"api\"]"),
	// used to join a service with its task definition.
	Module  string
	Values  map[string]any
	Unknown map[string]any
}

// state is every managed resource on one side of a change, sorted by address
// so that sums do not depend on the order of the plan.
type state struct {
	resources []*resource
}

func newState(rs []*resource) *state {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Address < rs[j].Address })
	return &state{resources: rs}
}

// inModule returns the first resource of type typ in module.
func (s *state) inModule(module, typ string) *resource {
	for _, r := range s.resources {
		if r.Module == module && r.Type == typ {
			return r
		}
	}
	return nil
}

func (s *state) count(typ string) int {
	n := 0
	for _, r := range s.resources {
		if r.Type == typ {
			n++
		}
	}
	return n
}

// clone copies the state deeply enough for a saving to modify values.
func (s *state) clone() *state {
	out := make([]*resource, len(s.resources))
	for i, r := range s.resources {
		c := *r
		c.Values = cloneMap(r.Values)
		out[i] = &c
	}
	return &state{resources: out}
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return cloneMap(t)
	case []any:
		c := make([]any, len(t))
		for i := range t {
			c[i] = cloneValue(t[i])
		}
		return c
	default:
		return v
	}
}

// str, num, boolean and list read attribute values the way terraform's JSON
// renders them; numbers in the AWS provider are sometimes strings (task
// definition cpu and memory).
func str(m map[string]any, k string) (string, bool) {
	s, ok := m[k].(string)
	return s, ok
}

func num(m map[string]any, k string) (float64, bool) {
	switch v := m[k].(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	return 0, false
}

func boolean(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func list(m map[string]any, k string) ([]any, bool) {
	l, ok := m[k].([]any)
	return l, ok
}
