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

	"github.com/gitops-bot/gitops/bot/tf"
	"github.com/gitops-bot/gitops/internal/toolcheck"
)

// gitops runs the CLI in-process as a user would and returns stdout, stderr
// and the exit code main would use.
func gitops(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	var ec exitCoder
	switch {
	case err == nil:
		code = 0
	case errors.As(err, &ec):
		code = ec.ExitCode()
		errOut.WriteString(err.Error())
	default:
		code = 1
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

func TestReadmePlanAllLocalPlansBothEnvironments(t *testing.T) {
	toolcheck.Require(t, "terraform")
	toolcheck.RequireModule(t, "moto", "pip install 'moto[server]==5.2.1'")
	out, errOut, code := gitops(t, "-C", "../..", "--json", "plan", "--all", "--local", "--work-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s\nstdout:\n%s", code, errOut, out)
	}
	var results []struct {
		Env   string   `json:"env"`
		Plan  *tf.Plan `json:"plan"`
		Error string   `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if len(results) != 2 || results[0].Env != "dev" || results[1].Env != "staging" {
		t.Fatalf("planned %+v, want dev and staging", results)
	}
	for _, r := range results {
		if r.Error != "" || r.Plan == nil {
			t.Fatalf("%s: %s", r.Env, r.Error)
		}
		if s := r.Plan.Summary; s.Add < 50 || s.Change != 0 || s.Destroy != 0 {
			t.Errorf("%s: +%d ~%d -%d, want the whole stack to add", r.Env, s.Add, s.Change, s.Destroy)
		}
		if _, err := os.Stat(r.Plan.File); err != nil {
			t.Errorf("%s: plan file not saved: %v", r.Env, err)
		}
	}
	if !strings.Contains(errOut, "dev: planning") || !strings.Contains(errOut, "staging: planning") {
		t.Errorf("no progress shown on stderr:\n%s", errOut)
	}
}

func TestCLIErrors(t *testing.T) {
	bad := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bad, "environments"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile("../../environments/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(spec), "cpu: 512", "cpu: 300", 1)
	if err := os.WriteFile(filepath.Join(bad, "environments", "dev.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"an invalid spec fails validate with file:line:col", []string{"-C", bad, "validate"}, 1, "dev.yaml:"},
		{"an invalid spec is never planned", []string{"-C", bad, "plan", "dev"}, 1, "is not a Fargate CPU size"},
		{"an unknown environment is a usage error", []string{"-C", "../..", "plan", "prod"}, 2, `unknown environment "prod"`},
		{"plan needs environments or --all", []string{"-C", "../..", "plan"}, 2, "--all"},
		{"apply refuses to run without a saved plan", []string{"-C", "../..", "apply", "dev"}, 2, "--plan FILE is required"},
		{"apply names a plan that does not exist", []string{"-C", "../..", "apply", "dev", "--plan", "/nonexistent.tfplan"}, 1, "was it made by gitops plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := gitops(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.contains) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", code, errOut, tt.code, tt.contains)
			}
		})
	}
}
