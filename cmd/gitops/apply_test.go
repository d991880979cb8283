package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/tf"
	"github.com/gitops-bot/gitops/internal/toolcheck"
)

// checkout copies the repository's environments/, terraform/ and policy/
// into a temporary checkout, with edit applied to staging's spec.
func checkout(t *testing.T, edit func(spec string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"environments", "terraform", "policy"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join("..", "..", sub))); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "environments", "staging.yaml")
	spec, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(spec))
	if edited == string(spec) {
		t.Fatal("the edit changed nothing in staging.yaml")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestApplyIsGatedByPolicyAndRefusesChangedRules(t *testing.T) {
	toolcheck.Require(t, "terraform")
	toolcheck.RequireModule(t, "moto", "pip install 'moto[server]==5.2.1'")
	enforced := checkout(t, func(s string) string {
		return strings.Replace(s, "enforce: false", "enforce: true", 1)
	})
	// A plan of the whole staging stack costs more than its $150 budget.
	work := t.TempDir()
	out, errOut, code := gitops(t, "-C", enforced, "--json", "plan", "staging", "--local", "--work-dir", work)
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	var planned []struct {
		Plan *tf.Plan `json:"plan"`
	}
	if err := json.Unmarshal([]byte(out), &planned); err != nil || len(planned) != 1 || planned[0].Plan == nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	planFile := planned[0].Plan.File

	t.Run("policy check denies the plan over an enforced budget", func(t *testing.T) {
		_, errOut, code := gitops(t, "-C", enforced, "policy", "check", "staging", "--plan", planFile)
		if code != 1 {
			t.Fatalf("policy check: exit %d, want 1\n%s", code, errOut)
		}
	})
	t.Run("apply refuses the same plan, naming the rule, and applies nothing", func(t *testing.T) {
		_, errOut, code := gitops(t, "-C", enforced, "apply", "staging", "--plan", planFile, "--local", "--work-dir", work)
		if code != 1 || !strings.Contains(errOut, "refusing to apply the staging plan: policy denies it") || !strings.Contains(errOut, "deny budget:") {
			t.Fatalf("apply: exit %d, want 1 and the budget deny\n%s", code, errOut)
		}
		if strings.Contains(errOut, "Creating...") || strings.Contains(errOut, "applied in") {
			t.Fatalf("apply ran terraform although policy denied:\n%s", errOut)
		}
	})

	t.Run("apply refuses a plan whose rules changed since", func(t *testing.T) {
		// The same plan under rules that allow it: the enforced budget is
		// lifted, and a rule file is edited after the plan was made.
		if err := os.WriteFile(filepath.Join(enforced, "environments", "staging.yaml"), mustRead(t, filepath.Join("..", "..", "environments", "staging.yaml")), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := gitops(t, "-C", enforced, "--json", "plan", "staging", "--local", "--work-dir", work)
		if code != 0 {
			t.Fatalf("plan: exit %d\n%s", code, errOut)
		}
		latest := newestPlan(t, filepath.Join(work, "local", "envs", "staging", "plans"))
		rule := filepath.Join(enforced, "policy", "budget.rego")
		if err := os.WriteFile(rule, append(mustRead(t, rule), []byte("\n# reviewed again\n")...), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, code = gitops(t, "-C", enforced, "apply", "staging", "--plan", latest, "--local", "--work-dir", work)
		if code != 1 || !strings.Contains(errOut, "policy/ changed since the plan was made") {
			t.Fatalf("apply: exit %d, want 1 and stale rules\n%s", code, errOut)
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newestPlan is the newest *.tfplan in dir (plan names start with their time).
func newestPlan(t *testing.T, dir string) string {
	t.Helper()
	plans, err := filepath.Glob(filepath.Join(dir, "*.tfplan"))
	if err != nil || len(plans) == 0 {
		t.Fatalf("no plans in %s (%v)", dir, err)
	}
	return plans[len(plans)-1]
}
