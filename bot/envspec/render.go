package envspec

import (
	"encoding/json"
	"fmt"
)

// tfvars is the terraform input of terraform/stack: every spec variable
// except budget, which only cost and policy read. The field order is the
// order of docs/contracts.md.
type tfvars struct {
	Name        string              `json:"name"`
	Region      string              `json:"region"`
	Network     Network             `json:"network"`
	Database    Database            `json:"database"`
	Cache       Cache               `json:"cache"`
	Autoscaling Autoscaling         `json:"autoscaling"`
	Logs        Logs                `json:"logs"`
	Services    map[string]*Service `json:"services"`
}

func (s *Spec) tfvars() tfvars {
	return tfvars{
		Name:        s.Name,
		Region:      s.Region,
		Network:     s.Network,
		Database:    s.Database,
		Cache:       s.Cache,
		Autoscaling: s.Autoscaling,
		Logs:        s.Logs,
		Services:    s.Services,
	}
}

// Render returns the terraform variables file (*.tfvars.json) for this
// environment, as specified in docs/contracts.md: every attribute present,
// defaults filled, indented, with a final newline. It validates the Spec
// first, so an invalid Spec built in code never reaches terraform.
func (s *Spec) Render() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("render %s: %w", s.Name, err)
	}
	out, err := json.MarshalIndent(s.tfvars(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", s.Name, err)
	}
	return append(out, '\n'), nil
}

// TFVars returns the same content as Render as generic values (numbers are
// float64, as encoding/json decodes them), for callers such as the policy
// input that need a JSON-shaped value. It does not validate; use it on a
// decoded Spec.
func (s *Spec) TFVars() map[string]any {
	// The round trip through JSON makes the value exactly what terraform
	// receives; it cannot fail for these types.
	out, err := json.Marshal(s.tfvars())
	if err != nil {
		panic(fmt.Sprintf("envspec: marshal tfvars: %v", err))
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		panic(fmt.Sprintf("envspec: unmarshal tfvars: %v", err))
	}
	return m
}
