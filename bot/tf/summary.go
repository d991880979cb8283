package tf

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Summary is what a reviewer needs from a plan: the counts, each resource
// with its action and why, and the spec values that changed.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	// Replace counts resources destroyed and created again (also in Add and Destroy).
	Replace     int              `json:"replace"`
	Resources   []ResourceChange `json:"resources"`
	SpecChanges []SpecChange     `json:"spec_changes"`
}

// NoChanges reports whether applying the plan would change nothing.
func (s Summary) NoChanges() bool { return s.Add+s.Change+s.Destroy == 0 }

// Action is what terraform will do to one resource.
type Action string

const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionDelete  Action = "delete"
	ActionReplace Action = "replace"
)

// ResourceChange is one resource the plan touches.
type ResourceChange struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Action  Action `json:"action"`
	// ReplaceReasons are the attributes that force a replacement.
	ReplaceReasons []string `json:"replace_reasons,omitempty"`
	// Attributes are the changed top-level attributes of an update, rendered
	// "name: before → after" (sensitive and unknown values masked).
	Attributes []string `json:"attributes,omitempty"`
	// CausedBy are the spec changes that reach this resource.
	CausedBy []SpecChange `json:"caused_by,omitempty"`
	// Planned is a digest of every value the change will write that is
	// known at plan time (sensitive ones masked first): two plans that
	// create the same resource with different values differ here.
	Planned string `json:"planned,omitempty"`
}

// SpecChange is one spec value that differs between the last applied spec
// (the stack's `spec` output in state) and the planned one.
type SpecChange struct {
	Path   string `json:"path"`
	Before string `json:"before"`
	After  string `json:"after"`
}

func (c SpecChange) String() string { return fmt.Sprintf("%s %s → %s", c.Path, c.Before, c.After) }

// Summarize reduces a terraform plan to a Summary.
func Summarize(p *tfjson.Plan) Summary {
	var s Summary
	s.SpecChanges = specChanges(p)
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil || rc.Mode == tfjson.DataResourceMode {
			continue
		}
		var a Action
		acts := rc.Change.Actions
		switch {
		case acts.Replace():
			a = ActionReplace
			s.Replace++
			s.Add++
			s.Destroy++
		case acts.Create():
			a = ActionCreate
			s.Add++
		case acts.Update():
			a = ActionUpdate
			s.Change++
		case acts.Delete():
			a = ActionDelete
			s.Destroy++
		default:
			continue
		}
		r := ResourceChange{Address: rc.Address, Type: rc.Type, Action: a}
		for _, path := range rc.Change.ReplacePaths {
			steps, _ := path.([]any)
			r.ReplaceReasons = append(r.ReplaceReasons, pathString(steps))
		}
		if a == ActionUpdate {
			r.Attributes = changedAttributes(rc.Change)
		}
		r.CausedBy = causes(rc.Address, s.SpecChanges)
		r.Planned = plannedDigest(rc.Change)
		s.Resources = append(s.Resources, r)
	}
	sort.Slice(s.Resources, func(i, j int) bool { return s.Resources[i].Address < s.Resources[j].Address })
	return s
}

// specChanges compares the stack's `spec` output before and after.
func specChanges(p *tfjson.Plan) []SpecChange {
	oc, ok := p.OutputChanges["spec"]
	if !ok || oc == nil {
		return nil
	}
	before := map[string]string{}
	after := map[string]string{}
	flatten("", oc.Before, before)
	flatten("", oc.After, after)
	var out []SpecChange
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	for k := range keys {
		b, hasB := before[k]
		a, hasA := after[k]
		if hasB && hasA && a == b {
			continue
		}
		if !hasB {
			b = "(none)"
		}
		if !hasA {
			a = "(none)"
		}
		out = append(out, SpecChange{Path: k, Before: b, After: a})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func flatten(prefix string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, vv := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, vv, out)
		}
	case nil:
		// An absent spec (first apply) has no values to compare.
	default:
		if prefix != "" {
			out[prefix] = scalar(t)
		}
	}
}

func scalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64, bool, json.Number:
		return fmt.Sprint(t)
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// specScopes says which spec paths can reach the resources of each module of
// terraform/stack (see docs/contracts.md). A service module instance is keyed
// by the service name.
var specScopes = map[string][]string{
	"networking":     {"network.", "region"},
	"security":       {"services."},
	"rds":            {"database."},
	"elasticache":    {"cache."},
	"alb":            {"services."},
	"ecs_cluster":    {"name"},
	"migration_task": {"services.api-gateway."},
}

// causes returns the spec changes whose path is in scope of the resource at address.
func causes(address string, changes []SpecChange) []SpecChange {
	if len(changes) == 0 || !strings.HasPrefix(address, "module.") {
		return nil
	}
	rest := strings.TrimPrefix(address, "module.")
	mod := rest
	if i := strings.IndexAny(rest, ".["); i >= 0 {
		mod = rest[:i]
	}
	var scopes []string
	if mod == "ecs_service" {
		key := instanceKey(rest)
		scopes = []string{"services." + key + ".", "autoscaling.", "logs."}
	} else {
		scopes = specScopes[mod]
	}
	var out []SpecChange
	for _, c := range changes {
		for _, s := range scopes {
			if c.Path == s || strings.HasPrefix(c.Path, s) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// instanceKey extracts "api-gateway" from `ecs_service["api-gateway"].aws_…`.
func instanceKey(s string) string {
	i := strings.Index(s, `["`)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i+2:], `"]`)
	if j < 0 {
		return ""
	}
	return s[i+2 : i+2+j]
}

// changedAttributes lists the top-level attributes that differ in an update.
func changedAttributes(c *tfjson.Change) []string {
	before, _ := c.Before.(map[string]any)
	after, _ := c.After.(map[string]any)
	unknown, _ := c.AfterUnknown.(map[string]any)
	bs, _ := c.BeforeSensitive.(map[string]any)
	as, _ := c.AfterSensitive.(map[string]any)
	var out []string
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	for k := range unknown {
		keys[k] = true
	}
	for k := range keys {
		if k == "tags_all" {
			continue // tags show up under "tags" already
		}
		b, a := before[k], after[k]
		unk := isTrue(unknown[k])
		if !unk && jsonEqual(b, a) {
			continue
		}
		bv := render(b, bs[k])
		av := render(a, as[k])
		if unk {
			av = "(known after apply)"
		}
		out = append(out, fmt.Sprintf("%s: %s → %s", k, bv, av))
	}
	sort.Strings(out)
	return out
}

// plannedDigest hashes the change's planned values with sensitive ones
// masked ("" when it has none: a delete). The values are copied first: mask
// works in place.
func plannedDigest(c *tfjson.Change) string {
	if c == nil || c.After == nil {
		return ""
	}
	raw, err := json.Marshal(c.After)
	if err != nil {
		return ""
	}
	var after any
	if err := json.Unmarshal(raw, &after); err != nil {
		return ""
	}
	masked, err := json.Marshal(mask(after, c.AfterSensitive))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(masked)
	return hex.EncodeToString(sum[:8])
}

func isTrue(v any) bool { b, ok := v.(bool); return ok && b }

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func render(v, sensitive any) string {
	if isTrue(sensitive) {
		return "(sensitive)"
	}
	if m, ok := sensitive.(map[string]any); ok && len(m) > 0 {
		return "(sensitive)"
	}
	if v == nil {
		return "null"
	}
	s := scalar(v)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// pathString renders a replace path like ["network_configuration", 0, "subnets"]
// as network_configuration[0].subnets.
func pathString(path []any) string {
	var b strings.Builder
	for _, step := range path {
		switch t := step.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(t)
		default:
			fmt.Fprintf(&b, "[%v]", t)
		}
	}
	return b.String()
}

// DiffChanges compares what two plans would do, resource by resource
// (address, action and the attributes that change), and describes each
// difference; none means the plans make the same changes. Apply on merge
// applies the merge commit's plan only when it does what the reviewed plan
// did.
func DiffChanges(reviewed, now Summary) []string {
	index := func(s Summary) map[string]ResourceChange {
		m := make(map[string]ResourceChange, len(s.Resources))
		for _, r := range s.Resources {
			m[r.Address] = r
		}
		return m
	}
	a, b := index(reviewed), index(now)
	var out []string
	for addr, r := range a {
		n, ok := b[addr]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: %s in the reviewed plan, unchanged now", addr, r.Action))
		case n.Action != r.Action:
			out = append(out, fmt.Sprintf("%s: %s in the reviewed plan, %s now", addr, r.Action, n.Action))
		case strings.Join(n.Attributes, "\n") != strings.Join(r.Attributes, "\n"):
			out = append(out, fmt.Sprintf("%s: changes %s now, %s in the reviewed plan", addr, strings.Join(n.Attributes, "; "), strings.Join(r.Attributes, "; ")))
		case n.Planned != r.Planned && n.Planned != "" && r.Planned != "":
			// Same action, same changed attributes (a create lists none), but
			// other values: say, a resource created with another size.
			out = append(out, fmt.Sprintf("%s: %s with other values now than in the reviewed plan", addr, n.Action))
		}
	}
	for addr, n := range b {
		if _, ok := a[addr]; !ok {
			out = append(out, fmt.Sprintf("%s: %s now, not in the reviewed plan", addr, n.Action))
		}
	}
	sort.Strings(out)
	return out
}
