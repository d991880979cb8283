package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gitops-bot/gitops/internal/safefile"
)

// repoCheckout copies the repository's environments/ and policy/ into a
// temporary checkout, with edit applied to staging's spec.
func repoCheckout(t *testing.T, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"environments", "policy"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join("..", "..", sub))); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		path := filepath.Join(dir, "environments", "staging.yaml")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(edit(string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const stagingPlan = "../tf/testdata/real/staging-create.plan.json"

func TestGivenPlanJSONReadsOnlyPlainFiles(t *testing.T) {
	p := New(Config{Dir: repoCheckout(t, nil)})
	dir := t.TempDir()
	link := filepath.Join(dir, "plan.json")
	if err := os.Symlink("/proc/self/environ", link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(dir, "plan.txt")
	if err := os.WriteFile(notJSON, []byte("Terraform will perform the following actions"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       error
		msg        string
	}{
		{"/dev/zero is refused before reading", "/dev/zero", safefile.ErrNotRegular, "/dev/zero"},
		{"a link to /proc/self/environ is refused", link, safefile.ErrNotRegular, "symbolic link"},
		{"a FIFO is refused without blocking", fifo, safefile.ErrNotRegular, "named pipe"},
		{"text that is not plan JSON is refused", notJSON, nil, "not plan JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := p.GivenPlanJSON(context.Background(), tt.path, "staging")
			if err == nil || data != nil || !strings.Contains(err.Error(), tt.msg) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("GivenPlanJSON = %d bytes, %v; want %v mentioning %q", len(data), err, tt.want, tt.msg)
			}
		})
	}
	data, err := p.GivenPlanJSON(context.Background(), stagingPlan, "staging")
	if err != nil || len(data) < 1000 {
		t.Fatalf("the real staging plan: %d bytes, %v", len(data), err)
	}
}

func TestSelectNamesTheKnownEnvironments(t *testing.T) {
	p := New(Config{Dir: repoCheckout(t, nil)})
	all, err := p.Environments()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Select(all, []string{"staging", "dev"})
	if err != nil || len(got) != 2 || got[0].Name != "staging" || got[1].Name != "dev" {
		t.Fatalf("Select(staging, dev) = %v, %v", got, err)
	}
	_, err = Select(all, []string{"prod"})
	var unknown *UnknownEnvError
	if !errors.As(err, &unknown) || err.Error() != `unknown environment "prod" (environments/: [dev staging])` {
		t.Fatalf("Select(prod) error = %v", err)
	}
}

func TestCheckPricesThePlanAndFeedsTheBudgetRule(t *testing.T) {
	plan, err := os.ReadFile(stagingPlan)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(string) string
		allowed bool
	}{
		{"a budget not enforced only warns", nil, true},
		{"an enforced budget denies the plan over it", func(s string) string { return strings.Replace(s, "enforce: false", "enforce: true", 1) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(Config{Dir: repoCheckout(t, tt.edit)})
			all, err := p.Environments()
			if err != nil {
				t.Fatal(err)
			}
			staging, _ := Select(all, []string{"staging"})
			res, err := p.Check(context.Background(), CheckRequest{Spec: staging[0], All: all, PlanJSON: plan})
			if err != nil {
				t.Fatal(err)
			}
			if res.Cost == nil || res.Cost.After <= staging[0].Budget.MonthlyUSD {
				t.Fatalf("cost = %+v (error %v), want an estimate over the $%.0f budget", res.Cost, res.CostErr, staging[0].Budget.MonthlyUSD)
			}
			if res.Policy.Allowed != tt.allowed {
				t.Fatalf("allowed = %v, want %v: %+v", res.Policy.Allowed, tt.allowed, res.Policy.Verdicts)
			}
			budget := false
			for _, v := range res.Policy.Verdicts {
				budget = budget || v.Rule == "budget"
			}
			if !budget {
				t.Fatalf("no budget verdict: %+v", res.Policy.Verdicts)
			}
			if !tt.allowed {
				denied := &DeniedError{Env: "staging", Result: res.Policy}
				if !errors.Is(denied, ErrPolicyDenied) || !strings.Contains(denied.Error(), "deny budget: ") {
					t.Fatalf("DeniedError = %q", denied.Error())
				}
			}
		})
	}
}

func TestRulesDigestFollowsTheRuleFilesOnly(t *testing.T) {
	dir := repoCheckout(t, nil)
	p := New(Config{Dir: dir})
	before, err := p.rulesDigest()
	if err != nil {
		t.Fatal(err)
	}
	// Tests of the rules do not gate anything.
	test := filepath.Join(dir, "policy", "rules_test.rego")
	if err := os.WriteFile(test, []byte("package x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if same, _ := p.rulesDigest(); same != before {
		t.Fatal("editing a _test.rego file changed the digest of the rules")
	}
	rule := filepath.Join(dir, "policy", "budget.rego")
	b, _ := os.ReadFile(rule)
	if err := os.WriteFile(rule, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if after, _ := p.rulesDigest(); after == before {
		t.Fatal("editing a rule did not change the digest")
	}
	if err := os.Remove(rule); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", rule); err != nil {
		t.Fatal(err)
	}
	if _, err := p.rulesDigest(); !errors.Is(err, safefile.ErrNotRegular) {
		t.Fatalf("a linked rule file: %v, want refused", err)
	}
}
