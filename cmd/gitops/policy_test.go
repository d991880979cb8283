package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// policyRepo is a repository with the real environments and rules, and the
// hand-built staging plan of bot/policy's tests.
func policyRepo(t *testing.T) (repo, plan string) {
	t.Helper()
	repo = t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "environments"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"dev", "staging"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "environments", env+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, "environments", env+".yaml"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return repo, filepath.Join("..", "..", "bot", "tf", "testdata", "real", "staging-create.plan.json")
}

func runPolicy(t *testing.T, g *globalOptions, args ...string) (string, error) {
	t.Helper()
	cmd := newPolicyCmd(g)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// replacedDB is the staging plan with the RDS instance replaced.
func replacedDB(t *testing.T, planPath string) string {
	t.Helper()
	b, err := os.ReadFile(planPath)
	if err != nil {
		t.Fatal(err)
	}
	var plan map[string]any
	if err := json.Unmarshal(b, &plan); err != nil {
		t.Fatal(err)
	}
	for _, rc := range plan["resource_changes"].([]any) {
		rc := rc.(map[string]any)
		if rc["address"] == "module.rds.aws_db_instance.this" {
			rc["change"].(map[string]any)["actions"] = []string{"delete", "create"}
		}
	}
	b, _ = json.Marshal(plan)
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func exitCode(err error) int {
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestPolicyCheck(t *testing.T) {
	repo, plan := policyRepo(t)
	policyDir := filepath.Join("..", "..", "policy")
	denied := replacedDB(t, plan)
	tests := []struct {
		name     string
		json     bool
		args     []string
		wantCode int
		want     string
	}{
		{"compliant staging plan passes", false, []string{"check", "staging", "--plan", plan}, 0, "staging: ✅ passed"},
		{"replacing the database exits 1 with the deny", false, []string{"check", "staging", "--plan", denied}, 1,
			"| ❌ deny | `protected_destroy` | `module.rds.aws_db_instance.this` |"},
		{"label allow-destroy lets the replacement pass", false, []string{"check", "staging", "--plan", denied, "--label", "allow-destroy"}, 0, "staging: ✅ passed"},
		{"json output carries the verdicts", true, []string{"check", "staging", "--plan", denied}, 1, `"rule": "protected_destroy"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, "--policy-dir", policyDir)
			out, err := runPolicy(t, &globalOptions{dir: repo, json: tt.json}, args...)
			if got := exitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d (err %v), want %d; output:\n%s", got, err, tt.wantCode, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestPolicyCheckBrokenRuleNamesFileAndLine(t *testing.T) {
	repo, plan := policyRepo(t)
	dir := filepath.Join(repo, "policy")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package gitops.rules.rds\n\ndeny contains x if {\n\tx := 1 +* 2\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "rds.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runPolicy(t, &globalOptions{dir: repo}, "check", "staging", "--plan", plan, "--policy-dir", dir)
	if err == nil || !strings.HasPrefix(err.Error(), dir+"/rds.rego:4: rego_parse_error") {
		t.Fatalf("error = %v, want it to name %s/rds.rego:4", err, dir)
	}
}
