package tf

import (
	"encoding/json"

	tfjson "github.com/hashicorp/terraform-json"
)

// Redacted replaces every value terraform marks as sensitive.
const Redacted = "(sensitive)"

// redactPlan replaces, in place, every value the plan marks as sensitive
// (the *_sensitive masks of changes, resources' sensitive_values, sensitive
// outputs and variables). `terraform show -json` prints sensitive values in
// clear; the JSON gitops keeps is read by cost, policy and reviewers, none of
// whom need them (an ElastiCache auth token, for one, would otherwise sit in
// every plan of an applied environment).
func redactPlan(p *tfjson.Plan) {
	for _, rcs := range [][]*tfjson.ResourceChange{p.ResourceChanges, p.ResourceDrift} {
		for _, rc := range rcs {
			redactChange(rc.Change)
		}
	}
	for _, c := range p.OutputChanges {
		redactChange(c)
	}
	redactValues(p.PlannedValues)
	if p.PriorState != nil {
		redactValues(p.PriorState.Values)
	}
	if p.Config != nil && p.Config.RootModule != nil {
		for name, v := range p.Variables {
			if cv, ok := p.Config.RootModule.Variables[name]; ok && cv.Sensitive && v != nil {
				v.Value = Redacted
			}
		}
	}
}

func redactChange(c *tfjson.Change) {
	if c == nil {
		return
	}
	c.Before = mask(c.Before, c.BeforeSensitive)
	c.After = mask(c.After, c.AfterSensitive)
}

func redactValues(v *tfjson.StateValues) {
	if v == nil {
		return
	}
	for _, o := range v.Outputs {
		if o != nil && o.Sensitive {
			o.Value = Redacted
		}
	}
	redactModule(v.RootModule)
}

func redactModule(m *tfjson.StateModule) {
	if m == nil {
		return
	}
	for _, r := range m.Resources {
		if len(r.SensitiveValues) == 0 {
			continue
		}
		var sens any
		if err := json.Unmarshal(r.SensitiveValues, &sens); err != nil {
			// A mask we cannot read hides everything rather than nothing.
			r.AttributeValues = map[string]any{}
			continue
		}
		if masked, ok := mask(map[string]any(r.AttributeValues), sens).(map[string]any); ok {
			r.AttributeValues = masked
		}
	}
	for _, c := range m.ChildModules {
		redactModule(c)
	}
}

// mask returns v with every leaf that sens marks true replaced by Redacted.
// sens has the shape of v: true for a sensitive value, objects and lists of
// masks for values with sensitive parts.
func mask(v, sens any) any {
	switch s := sens.(type) {
	case bool:
		if s && v != nil {
			return Redacted
		}
	case map[string]any:
		if m, ok := v.(map[string]any); ok {
			for k, sv := range s {
				if val, ok := m[k]; ok {
					m[k] = mask(val, sv)
				}
			}
		}
	case []any:
		if l, ok := v.([]any); ok {
			for i := range min(len(l), len(s)) {
				l[i] = mask(l[i], s[i])
			}
		}
	}
	return v
}
