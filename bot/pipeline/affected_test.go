package pipeline

import (
	"slices"
	"testing"
)

func TestAffected(t *testing.T) {
	envs := []string{"dev", "staging"}
	tests := []struct {
		name    string
		changed []string
		want    []string
	}{
		{"a spec touches its environment", []string{"environments/dev.yaml"}, []string{"dev"}},
		{"a usage file touches its environment", []string{"environments/staging.usage.yaml"}, []string{"staging"}},
		{"terraform touches every environment", []string{"README.md", "terraform/modules/alb/main.tf"}, envs},
		{"policy re-evaluates every environment", []string{"policy/budget.rego"}, envs},
		{"docs touch none", []string{"README.md", "docs/contracts.md"}, nil},
		{"a new environment is not one of the known", []string{"environments/prod.yaml"}, nil},
		{"the schema touches none", []string{"environments/schema.json"}, nil},
		{"order follows the environments", []string{"environments/staging.yaml", "environments/dev.yaml"}, envs},
		{"a path that climbs out is cleaned first", []string{"environments/../terraform/x.tf"}, envs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Affected(tt.changed, envs); !slices.Equal(got, tt.want) {
				t.Fatalf("Affected(%v) = %v, want %v", tt.changed, got, tt.want)
			}
		})
	}
	if !TouchesEnvironments([]string{"environments/prod.yaml"}) || TouchesEnvironments([]string{"docs/x.md"}) {
		t.Fatal("TouchesEnvironments")
	}
}
