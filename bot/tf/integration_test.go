package tf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/localaws"
	"github.com/gitops-bot/gitops/bot/tf"
	"github.com/gitops-bot/gitops/internal/toolcheck"
)

// One emulator serves the whole package; each test resets it.
var (
	emuOnce sync.Once
	emu     *localaws.Emulator
	emuErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if emu != nil {
		emu.Close()
	}
	os.Exit(code)
}

var writePlans = flag.String("write-plans", "", "also save the plan JSON of these tests in this directory (fixtures of other packages: bot/tf/testdata/real)")

// keep copies a plan's JSON into -write-plans as <name>.plan.json.
func keep(t *testing.T, p *tf.Plan, name string) {
	t.Helper()
	if *writePlans == "" {
		return
	}
	data, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, data, "", " "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*writePlans, name+".plan.json"), pretty.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sources is the terraform tree each test's runner plans, by test name.
var sources = map[string]string{}

var backend = localaws.Backend{Bucket: "tfstate-test", Table: "tflock-test", Region: "us-east-1"}

// newRunner resets the shared emulator and returns a runner on a fresh work
// dir, planning a copy of the repository's terraform/ that the test may edit
// (its path is the runner's source, see sourceOf).
func newRunner(t *testing.T) (*tf.Runner, *localaws.Emulator) {
	t.Helper()
	toolcheck.Require(t, "terraform")
	toolcheck.RequireModule(t, "moto", "pip install 'moto[server]==5.2.1'")
	emuOnce.Do(func() { emu, emuErr = localaws.Start(context.Background(), localaws.Options{}) })
	if emuErr != nil {
		t.Fatalf("start emulator: %v", emuErr)
	}
	ctx := context.Background()
	if err := emu.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if err := emu.Bootstrap(ctx, backend); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	if err := os.CopyFS(src, os.DirFS(filepath.Join("..", "..", "terraform"))); err != nil {
		t.Fatal(err)
	}
	sources[t.Name()] = src
	r, err := tf.New(tf.Options{
		SourceDir: src,
		WorkDir:   t.TempDir(),
		Backend:   tf.Backend{Bucket: backend.Bucket, Table: backend.Table, Region: backend.Region, Endpoint: emu.Endpoint()},
		Env:       emu.Env(),
		Vars:      map[string]string{"aws_max_retries": "2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, emu
}

// render decodes a spec file as environments/<env>.yaml (fixtures keep the
// environment's name under another file name) and renders its variables.
func render(t *testing.T, path, env string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := envspec.Decode(env+".yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	vars, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	return vars
}

func plan(t *testing.T, r *tf.Runner, env string, vars []byte) *tf.Plan {
	t.Helper()
	var out bytes.Buffer
	p, err := r.Plan(context.Background(), tf.PlanRequest{Env: env, TFVars: vars, Output: &out})
	if err != nil {
		t.Fatalf("plan %s: %v\n%s", env, err, out.String())
	}
	return p
}

func apply(t *testing.T, r *tf.Runner, p *tf.Plan, vars []byte) *tf.ApplyResult {
	t.Helper()
	var out bytes.Buffer
	res, err := r.Apply(context.Background(), tf.ApplyRequest{Plan: p, TFVars: vars, Output: &out})
	if err != nil {
		t.Fatalf("apply %s: %v\n%s", p.Env, err, out.String())
	}
	return res
}

func TestStackValidates(t *testing.T) {
	toolcheck.Require(t, "terraform")
	broken := t.TempDir()
	if err := os.CopyFS(broken, os.DirFS(filepath.Join("..", "..", "terraform"))); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(broken, "stack", "main.tf"), os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\nresource \"aws_s3_bucket\" \"typo\" {\n  bucket_nme = \"x\"\n}\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tests := []struct {
		name, source string
		valid        bool
	}{
		{"the stack validates clean", filepath.Join("..", "..", "terraform"), true},
		{"an unknown argument makes it invalid", broken, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tf.New(tf.Options{SourceDir: tt.source, WorkDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			out, err := r.ValidateStack(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			clean := out.Valid && out.ErrorCount == 0 && out.WarningCount == 0
			if clean != tt.valid {
				t.Fatalf("terraform validate: valid=%v errors=%d warnings=%d: %+v", out.Valid, out.ErrorCount, out.WarningCount, out.Diagnostics)
			}
		})
	}
}

func TestStagingAppliesAndReplansClean(t *testing.T) {
	r, _ := newRunner(t)
	vars := render(t, "../../environments/staging.yaml", "staging")
	p := plan(t, r, "staging", vars)
	keep(t, p, "staging-create")
	matchesFixture(t, p, "staging-create")
	if p.Summary.Add < 40 || p.Summary.Change != 0 || p.Summary.Destroy != 0 {
		t.Fatalf("first staging plan: +%d ~%d -%d, want ~50 to add and nothing else", p.Summary.Add, p.Summary.Change, p.Summary.Destroy)
	}
	res := apply(t, r, p, vars)
	if res.After.Serial == 0 || res.After.Lineage == "" {
		t.Fatalf("state after apply = %+v, want a written state", res.After)
	}
	again := plan(t, r, "staging", vars)
	if !again.Summary.NoChanges() || again.Changes {
		t.Fatalf("re-plan after apply is not clean: %+v", again.Summary.Resources)
	}
	// With no changes the JSON is rendered only on demand, from the same plan file.
	if again.JSONFile != "" {
		t.Fatalf("no-change plan rendered its JSON eagerly: %s", again.JSONFile)
	}
	data, err := r.PlanJSON(context.Background(), again)
	if err != nil {
		t.Fatal(err)
	}
	var shown tfjson.Plan
	if err := shown.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	if s := tf.Summarize(&shown); !s.NoChanges() || len(shown.ResourceChanges) < 40 {
		t.Fatalf("on-demand JSON: %d resource changes, summary %+v; want every resource, none changing", len(shown.ResourceChanges), s)
	}
	if reloaded, err := tf.LoadPlan(again.File); err != nil || reloaded.JSONFile == "" {
		t.Fatalf("rendered JSON not recorded with the plan: %v %+v", err, reloaded)
	}

	// The outputs the release engine builds its target from.
	outs, err := r.Outputs(context.Background(), "staging")
	if err != nil {
		t.Fatal(err)
	}
	var families map[string]string
	if err := json.Unmarshal(outs["task_definition_families"], &families); err != nil || families["api-gateway"] != "staging-inventory-api-gateway" {
		t.Errorf("task_definition_families = %s (%v)", outs["task_definition_families"], err)
	}
	for _, name := range []string{"cluster_name", "migration_task_family", "private_subnet_ids", "ecs_security_group_id", "ecr_repository_urls", "alb_dns_name", "spec"} {
		if len(outs[name]) == 0 {
			t.Errorf("output %s is missing", name)
		}
	}
}

func TestDevScaleDownLifecycle(t *testing.T) {
	r, emu := newRunner(t)
	ctx := context.Background()
	before := render(t, "../envspec/testdata/dev-pre-scale-down.yaml", "dev")
	after := render(t, "../../environments/dev.yaml", "dev")
	create := plan(t, r, "dev", before)
	keep(t, create, "dev-pre-scale-down-create")
	matchesFixture(t, create, "dev-pre-scale-down-create")
	apply(t, r, create, before)

	// Every output of a plan of the applied environment, terraform's own
	// (what -v streams) and gitops' notices, is kept to look for secrets in.
	var outputs bytes.Buffer
	scaleDown, err := r.Plan(ctx, tf.PlanRequest{Env: "dev", TFVars: after, Output: &outputs, Progress: &outputs})
	if err != nil {
		t.Fatalf("plan dev: %v\n%s", err, outputs.String())
	}
	keep(t, scaleDown, "dev-scale-down")
	matchesFixture(t, scaleDown, "dev-scale-down")
	t.Run("scale-down plans exactly three in-place ECS service updates", func(t *testing.T) {
		s := scaleDown.Summary
		if s.Add != 0 || s.Change != 3 || s.Destroy != 0 {
			t.Fatalf("plan: +%d ~%d -%d, want ~3 only: %+v", s.Add, s.Change, s.Destroy, s.Resources)
		}
		want := map[string]string{
			`module.ecs_service["api-gateway"].aws_ecs_service.this`: "services.api-gateway.desired_count 3 → 1",
			`module.ecs_service["inventory"].aws_ecs_service.this`:   "services.inventory.desired_count 2 → 1",
			`module.ecs_service["location"].aws_ecs_service.this`:    "services.location.desired_count 2 → 1",
		}
		for _, rc := range s.Resources {
			cause, ok := want[rc.Address]
			if !ok || rc.Action != tf.ActionUpdate {
				t.Errorf("unexpected %s %s", rc.Action, rc.Address)
				continue
			}
			if len(rc.CausedBy) != 1 || rc.CausedBy[0].String() != cause {
				t.Errorf("%s caused by %v, want %q", rc.Address, rc.CausedBy, cause)
			}
		}
	})

	t.Run("the Redis auth token is redacted everywhere in the kept plan JSON", func(t *testing.T) {
		data, err := scaleDown.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		var tokens []any
		collect(doc, "auth_token", &tokens)
		if len(tokens) == 0 {
			t.Fatal("no auth_token in the plan of an applied environment: the test no longer looks at the right thing")
		}
		for _, tok := range tokens {
			if tok != tf.Redacted && tok != nil {
				t.Fatalf("auth_token in clear in the plan JSON: %v", tok)
			}
		}
	})

	// A second plan made against the same state, applied after the first, must be refused.
	competing := plan(t, r, "dev", after)

	t.Run("a plan whose file was replaced is refused", func(t *testing.T) {
		tampered := *scaleDown
		tampered.FileSHA256 = strings.Repeat("0", 64)
		_, err := r.Apply(ctx, tf.ApplyRequest{Plan: &tampered, TFVars: after})
		if !errors.Is(err, tf.ErrStalePlan) || !strings.Contains(err.Error(), "not the one reviewed") {
			t.Fatalf("err = %v, want stale: not the one reviewed", err)
		}
	})
	t.Run("a plan is refused when the spec changed since", func(t *testing.T) {
		_, err := r.Apply(ctx, tf.ApplyRequest{Plan: scaleDown, TFVars: before})
		if !errors.Is(err, tf.ErrStalePlan) || !strings.Contains(err.Error(), "environments/dev.yaml changed") {
			t.Fatalf("err = %v, want stale: spec changed", err)
		}
	})

	t.Run("a plan is refused when terraform/ changed since", func(t *testing.T) {
		mainTF := filepath.Join(sources["TestDevScaleDownLifecycle"], "modules", "alb", "main.tf")
		original, err := os.ReadFile(mainTF)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(mainTF, append(original, []byte("\n# edited after the plan\n")...), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = r.Apply(ctx, tf.ApplyRequest{Plan: scaleDown, TFVars: after})
		if err := os.WriteFile(mainTF, original, 0o644); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(err, tf.ErrStalePlan) || !strings.Contains(err.Error(), "terraform/ changed since the plan was made") {
			t.Fatalf("err = %v, want stale: terraform/ changed", err)
		}
	})

	res, err := r.Apply(ctx, tf.ApplyRequest{Plan: scaleDown, TFVars: after, Output: &outputs, Progress: &outputs})
	if err != nil {
		t.Fatalf("apply dev: %v\n%s", err, outputs.String())
	}
	t.Run("no secret value is in any output or any file gitops keeps", func(t *testing.T) {
		secrets := secretValues(t, emu, "us-west-2")
		if len(secrets) < 3 {
			t.Fatalf("found %d secrets with values in the emulator, want the 3 of the stack: the test no longer looks at the right thing", len(secrets))
		}
		if _, err := r.PlanJSON(ctx, competing); err != nil {
			t.Fatal(err)
		}
		noSecretIn(t, "terraform's and gitops' output of plan and apply", outputs.Bytes(), secrets)
		workDir := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(scaleDown.File)))) // <work>/envs/dev/plans/<file>
		files := 0
		err := filepath.WalkDir(workDir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || strings.Contains(path, "/.terraform/providers/") || strings.Contains(path, "/plugin-cache/") {
				return nil
			}
			if strings.HasSuffix(path, ".tfplan") {
				// terraform's plan file holds the prior state, secrets
				// included, to apply it: kept private instead.
				if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("plan file %s: mode %v, want 0600 (%v)", path, fi.Mode().Perm(), err)
				}
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			noSecretIn(t, path, data, secrets)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files < 10 {
			t.Fatalf("looked at %d files under %s, want the plans' records, JSON, text and variables", files, workDir)
		}
	})
	t.Run("ECS reports the new desired counts", func(t *testing.T) {
		counts := desiredCounts(t, emu, "us-west-2")
		for svc, want := range map[string]int32{"api-gateway": 1, "inventory": 1, "location": 1, "user": 1, "reporting": 1, "ui": 1} {
			if counts[svc] != want {
				t.Errorf("%s desired count = %d, want %d (all: %v)", svc, counts[svc], want, counts)
			}
		}
	})
	t.Run("a plan made before another apply is refused and changes nothing", func(t *testing.T) {
		_, err := r.Apply(ctx, tf.ApplyRequest{Plan: competing, TFVars: after})
		if !errors.Is(err, tf.ErrStalePlan) || !strings.Contains(err.Error(), "state moved") {
			t.Fatalf("err = %v, want stale: state moved", err)
		}
		now, err := r.State(ctx, "dev")
		if err != nil {
			t.Fatal(err)
		}
		if now != res.After {
			t.Fatalf("state changed by a refused apply: %v → %v", res.After, now)
		}
	})
}

// collect appends every value found under key anywhere in a JSON document,
// outside the masks that say which values are sensitive or unknown and the
// configuration (which holds expressions, not values).
func collect(v any, key string, out *[]any) {
	switch t := v.(type) {
	case map[string]any:
		for k, vv := range t {
			switch k {
			case "before_sensitive", "after_sensitive", "sensitive_values", "after_unknown", "configuration":
				continue
			}
			if k == key {
				*out = append(*out, vv)
			}
			collect(vv, key, out)
		}
	case []any:
		for _, vv := range t {
			collect(vv, key, out)
		}
	}
}

// desiredCounts asks ECS for every service's desired count, keyed by the
// service name with any "<env>-" prefix removed.
func desiredCounts(t *testing.T, emu *localaws.Emulator, region string) map[string]int32 {
	t.Helper()
	ctx := context.Background()
	c := ecs.NewFromConfig(emu.Config(region))
	clusters, err := c.ListClusters(ctx, &ecs.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, cl := range clusters.ClusterArns {
		svcs, err := c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String(cl)})
		if err != nil {
			t.Fatal(err)
		}
		if len(svcs.ServiceArns) == 0 {
			continue
		}
		d, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cl), Services: svcs.ServiceArns})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range d.Services {
			name := aws.ToString(s.ServiceName)
			if i := strings.Index(name, "-"); i >= 0 && strings.HasPrefix(name, "dev-") {
				name = name[i+1:]
			}
			out[name] = s.DesiredCount
		}
	}
	if len(out) == 0 {
		t.Fatalf("no ECS services found in %s", region)
	}
	return out
}

// matchesFixture checks that a plan made now touches the same resources with
// the same actions as the plan kept in testdata/real, which the cost,
// policy, report and CLI tests read: a change to terraform/ that changes the
// plans fails here until the fixtures are written again (-write-plans).
func matchesFixture(t *testing.T, p *tf.Plan, name string) {
	t.Helper()
	if *writePlans != "" {
		return
	}
	data, err := os.ReadFile(filepath.Join("testdata", "real", name+".plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fixture tfjson.Plan
	if err := fixture.UnmarshalJSON(data); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	now, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var made tfjson.Plan
	if err := made.UnmarshalJSON(now); err != nil {
		t.Fatal(err)
	}
	want, got := actionsByAddress(&fixture), actionsByAddress(&made)
	for addr, a := range got {
		if w, ok := want[addr]; !ok {
			t.Errorf("%s: %s %s is not in the fixture", name, a, addr)
		} else if w != a {
			t.Errorf("%s: %s is %s now, %s in the fixture", name, addr, a, w)
		}
	}
	for addr, a := range want {
		if _, ok := got[addr]; !ok {
			t.Errorf("%s: the fixture has %s %s, the plan made now does not", name, a, addr)
		}
	}
	if t.Failed() {
		t.Logf("terraform/ no longer makes the plans in testdata/real: regenerate them with go test ./bot/tf -run 'Staging|DevScaleDown' -write-plans $PWD/bot/tf/testdata/real")
	}
}

func actionsByAddress(p *tfjson.Plan) map[string]string {
	out := map[string]string{}
	for _, rc := range p.ResourceChanges {
		if rc.Change != nil && !rc.Change.Actions.NoOp() && !rc.Change.Actions.Read() {
			out[rc.Address] = fmt.Sprint(rc.Change.Actions)
		}
	}
	return out
}

// secretValues returns the values of every Secrets Manager secret in region.
func secretValues(t *testing.T, emu *localaws.Emulator, region string) map[string]string {
	t.Helper()
	ctx := context.Background()
	c := secretsmanager.NewFromConfig(emu.Config(region))
	list, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range list.SecretList {
		v, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: s.ARN})
		if err != nil {
			t.Fatal(err)
		}
		if v := aws.ToString(v.SecretString); len(v) >= 8 {
			out[aws.ToString(s.Name)] = v
		}
	}
	return out
}

// noSecretIn fails when any secret value occurs in text.
func noSecretIn(t *testing.T, where string, text []byte, secrets map[string]string) {
	t.Helper()
	for name, v := range secrets {
		if bytes.Contains(text, []byte(v)) {
			t.Errorf("the value of secret %s is in %s", name, where)
		}
	}
}

// TestAnEnvironmentInitialisedOnceIsNotInitialisedAgainFromTheSameInputs:
// runners of other working directories (the App's pull requests) sharing
// an init cache copy the first one's init instead of running terraform
// init, unless their terraform tree differs.
func TestAnEnvironmentInitialisedOnceIsNotInitialisedAgainFromTheSameInputs(t *testing.T) {
	ctx := context.Background()
	_, emu := newRunner(t) // the emulator, reset and bootstrapped
	src := sources[t.Name()]
	cache := t.TempDir()
	runner := func(source string) (*tf.Runner, string) {
		work := t.TempDir()
		r, err := tf.New(tf.Options{
			SourceDir: source, WorkDir: work, InitCache: cache, PluginCacheDir: filepath.Join(cache, "..", "plugins"),
			Backend: tf.Backend{Bucket: backend.Bucket, Table: backend.Table, Region: backend.Region, Endpoint: emu.Endpoint()},
			Env:     emu.Env(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r, filepath.Join(work, "envs", "dev", "terraform", "stack", ".terraform")
	}
	first, _ := runner(src)
	if _, err := first.State(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	// Mark the cached init: a directory that copies it has the mark; one
	// that runs terraform init does not.
	if err := os.WriteFile(filepath.Join(cache, "dev", "stack", ".terraform", "copied-from-cache"), nil, 0o600); err != nil {
		t.Fatalf("the first init was not cached: %v", err)
	}
	second, dotTerraform := runner(src)
	if _, err := second.State(ctx, "dev"); err != nil {
		t.Fatalf("state through the copied init: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dotTerraform, "copied-from-cache")); err != nil {
		t.Fatalf("the second directory ran terraform init instead of copying the cached one: %v", err)
	}

	edited := t.TempDir()
	if err := os.CopyFS(edited, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(edited, "stack", "extra.tf"), []byte("# another tree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	third, dotTerraform := runner(edited)
	if _, err := third.State(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dotTerraform, "copied-from-cache")); !os.IsNotExist(err) {
		t.Fatalf("a directory with another terraform tree used the cached init (%v)", err)
	}
}
