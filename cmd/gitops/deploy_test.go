package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
)

// releaseCheckout is a git checkout holding releases/staging.yaml at
// v1.1.0 then v1.2.0, and the stack outputs of an ecsfake seeded with
// staging at v1.1.0 (on a real clock, with rollouts of a fraction of a
// second), whose AWS APIs the SDK reaches through AWS_ENDPOINT_URL.
func releaseCheckout(t *testing.T) (dir, outputs string, f *ecsfake.Fake) {
	t.Helper()
	f = ecsfake.Start(ecsfake.Options{RolloutDuration: 300 * time.Millisecond, TaskStartDuration: 30 * time.Millisecond, TaskRunTime: 60 * time.Millisecond})
	t.Cleanup(f.Close)
	s, err := f.Seed(ecsfake.Inventory{})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ENDPOINT_URL", f.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	families, repos, services := map[string]string{}, map[string]string{}, map[string]any{}
	for name, svc := range s.Services {
		families[name] = svc.Family
		repos[name] = f.Registry() + "/" + svc.Repository
		services[name] = map[string]bool{"public": svc.TargetGroupArn != ""}
	}
	doc := map[string]any{}
	for k, v := range map[string]any{
		"cluster_name": s.Cluster, "task_definition_families": families, "migration_task_family": s.Migration.Family,
		"private_subnet_ids": []string{"subnet-0a"}, "ecs_security_group_id": "sg-0a", "ecr_repository_urls": repos,
		"alb_dns_name": strings.TrimPrefix(f.ALBURL(), "http://"), "spec": map[string]any{"region": "us-east-1", "services": services},
	} {
		doc[k] = map[string]any{"sensitive": false, "type": "dynamic", "value": v}
	}
	data, _ := json.Marshal(doc)
	outputs = filepath.Join(t.TempDir(), "outputs.json")
	if err := os.WriteFile(outputs, data, 0o644); err != nil {
		t.Fatal(err)
	}

	dir = t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", args[0], err, out)
		}
	}
	git("init", "-q")
	if err := os.MkdirAll(filepath.Join(dir, "releases"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(version, previous string) {
		var b strings.Builder
		fmt.Fprintf(&b, "environment: staging\nversion: %s\n", version)
		if previous != "" {
			fmt.Fprintf(&b, "previous: %s\n", previous)
		}
		b.WriteString("images:\n")
		for _, name := range ecsfake.ServiceNames() {
			repo := s.Services[name].Repository
			fmt.Fprintf(&b, "  %s: {repository: %s, tag: %s, digest: %q}\n", name, repo, version, f.AddImage(repo, version, ""))
		}
		b.WriteString("migrations: {service: api-gateway, command: [alembic, upgrade, head], downgrade: [alembic, downgrade, \"-1\"]}\n")
		b.WriteString("seed:\n  - {name: roles, command: [python, scripts/setup_default_roles.py]}\n  - {name: inventory, command: [python, scripts/reseed_complete_inventory.py]}\n")
		if err := os.WriteFile(filepath.Join(dir, "releases", "staging.yaml"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", "releases")
		git("commit", "-q", "-m", "release "+version)
	}
	write("v1.1.0", "")
	write("v1.2.0", "v1.1.0")
	return dir, outputs, f
}

func TestReleaseCommands(t *testing.T) {
	dir, outputs, f := releaseCheckout(t)
	run := func(args ...string) (string, string, int) {
		return gitops(t, append([]string{"-C", dir}, append(args, "--outputs", outputs, "--poll", "20ms")...)...)
	}

	_, errOut, code := run("deploy", "staging", "--version", "v9.9.9")
	if code != 1 || !strings.Contains(errOut, "releases/staging.yaml is at v1.2.0, not v9.9.9") {
		t.Fatalf("deploy --version of another version: exit %d\n%s", code, errOut)
	}

	out, errOut, code := run("deploy", "staging", "--version", "v1.2.0", "--id", "cli-test-1")
	if code != 0 || !strings.Contains(out, "staging: deploy of v1.2.0 succeeded: 6 service(s) rolled") {
		t.Fatalf("deploy: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"migrate: succeeded", "roll api-gateway: succeeded", "smoke: succeeded"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("progress lacks %q:\n%s", want, errOut)
		}
	}

	out, errOut, code = run("seed", "staging", "inventory", "--token", "t-1")
	if code != 0 || !strings.Contains(out, "staging: 1 seed step(s) ran") {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = run("seed", "staging", "stock")
	if code != 2 || !strings.Contains(errOut, "unknown seed step(s) stock; the release has roles, inventory") {
		t.Fatalf("seed of an unknown step: exit %d\n%s", code, errOut)
	}

	f.SetTaskOutcome([]string{"alembic", "downgrade", "-1"}, ecsfake.TaskOutcome{ExitCode: 1, Logs: []string{"alembic: cannot downgrade past 3f2a"}})
	out, errOut, code = run("rollback", "staging", "--id", "cli-test-2")
	if code != 1 || !strings.Contains(out, "staging: rollback to v1.1.0 failed\nfailed at migrate: task") || !strings.Contains(out, "alembic: cannot downgrade past 3f2a") {
		t.Fatalf("rollback with a failing downgrade: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	f.SetTaskOutcome([]string{"alembic", "downgrade", "-1"}, ecsfake.TaskOutcome{})
	out, errOut, code = run("rollback", "staging", "--id", "cli-test-3")
	if code != 0 || !strings.Contains(out, "staging: rollback to v1.1.0 succeeded") || !strings.Contains(errOut, "rolling back v1.2.0 → v1.1.0") {
		t.Fatalf("rollback: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	_, errOut, code = gitops(t, "-C", dir, "deploy", "staging", "--local")
	if code != 2 || !strings.Contains(errOut, "moto runs no ECS tasks") {
		t.Fatalf("deploy --local: exit %d\n%s", code, errOut)
	}
}
