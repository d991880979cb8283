package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCostFromASavedPlanJSON(t *testing.T) {
	out, errOut, code := gitops(t, "-C", "../..", "--json", "cost", "dev", "--plan", "../../bot/tf/testdata/real/dev-scale-down.plan.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Environments []struct {
			Environment string  `json:"environment"`
			Delta       float64 `json:"delta"`
		} `json:"environments"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Three fewer 0.5 vCPU/1 GB tasks in us-west-2 plus four fewer Cloud Map
	// instances: 4 × (0.5 × 0.04048 + 1 × 0.004445) × 730 + 4 × 0.10.
	want := -(4*(0.5*0.04048+0.004445)*730 + 0.4)
	if len(res.Environments) != 1 || math.Abs(res.Environments[0].Delta-want) > 0.005 {
		t.Fatalf("delta = %+v, want %.2f", res.Environments, want)
	}
}

func TestCostEnforcedBudgetFails(t *testing.T) {
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "environments"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile("../../environments/staging.yaml")
	if err != nil {
		t.Fatal(err)
	}
	enforced := strings.Replace(string(spec), "enforce: false", "enforce: true", 1)
	if enforced == string(spec) {
		t.Fatal("staging.yaml has no 'enforce: false' to flip")
	}
	if err := os.WriteFile(filepath.Join(repo, "environments", "staging.yaml"), []byte(enforced), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := gitops(t, "-C", repo, "cost", "staging", "--spec-only")
	if code != 1 || !strings.Contains(errOut, "over an enforced budget") || !strings.Contains(out, "Over budget by") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	_, _, code = gitops(t, "-C", "../..", "cost", "staging", "--spec-only")
	if code != 0 {
		t.Fatalf("the same cost with a budget that only warns exits %d, want 0", code)
	}
}
