package policy

import (
	"context"
	"slices"
	"testing"

	policyfiles "github.com/gitops-bot/gitops/policy"
)

func TestEmbeddedRulesAreTheDirectory(t *testing.T) {
	embedded, err := Load(context.Background(), policyfiles.Files, "policy")
	if err != nil {
		t.Fatalf("Load embedded rules: %v", err)
	}
	dir := loadEngine(t)
	if len(embedded.Files()) != len(dir.Files()) || slices.Contains(embedded.Files(), "policy/rules_test.rego") {
		t.Errorf("embedded files %v, directory files %v", embedded.Files(), dir.Files())
	}
	res, err := embedded.Evaluate(context.Background(), stagingInput(t, newStagingPlan()), nil)
	if err != nil || !res.Allowed {
		t.Fatalf("embedded rules on the staging plan: %+v, %v", res, err)
	}
}
