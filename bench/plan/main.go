// Command plan measures the terraform runner against bare terraform, in one
// run, on the local emulator, and prints two ratios:
//
//   - overhead: (gitops plan − bare terraform plan) / bare terraform plan, for a
//     no-change plan of dev on the same working directory (goal ≤ 0.10);
//   - concurrency: wall time of planning dev and staging together / the sum of
//     planning each alone (goal ≤ 0.65).
//
// Usage: go run ./bench/plan [-runs 3]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/localaws"
	"github.com/gitops-bot/gitops/bot/tf"
)

func main() {
	runs := flag.Int("runs", 3, "measurements per figure (the median is reported)")
	repo := flag.String("repo", ".", "repository root")
	flag.Parse()
	if err := run(context.Background(), *repo, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, repo string, runs int) error {
	specs, err := envspec.LoadDir(filepath.Join(repo, "environments"))
	if err != nil {
		return err
	}
	vars := map[string][]byte{}
	for _, s := range specs {
		if vars[s.Name], err = s.Render(); err != nil {
			return err
		}
	}
	emu, err := localaws.Start(ctx, localaws.Options{})
	if err != nil {
		return err
	}
	defer emu.Close()
	backend := localaws.Backend{Bucket: "bench-tfstate", Table: "bench-tflock", Region: "us-east-1"}
	if err := emu.Bootstrap(ctx, backend); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "gitops-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	r, err := tf.New(tf.Options{
		SourceDir: filepath.Join(repo, "terraform"),
		WorkDir:   work,
		Backend:   tf.Backend{Bucket: backend.Bucket, Table: backend.Table, Region: backend.Region, Endpoint: emu.Endpoint()},
		Env:       emu.Env(),
		Vars:      map[string]string{"aws_max_retries": "2"},
	})
	if err != nil {
		return err
	}
	plan := func(env string) (*tf.Plan, time.Duration, error) {
		start := time.Now()
		p, err := r.Plan(ctx, tf.PlanRequest{Env: env, TFVars: vars[env]})
		return p, time.Since(start), err
	}

	// Concurrency, on fresh state (what `gitops plan --all --local` does).
	// One untimed round first, so that every workdir is initialised.
	for _, env := range []string{"dev", "staging"} {
		if _, _, err := plan(env); err != nil {
			return err
		}
	}
	var alone, together []time.Duration
	for range runs {
		_, d1, err := plan("dev")
		if err != nil {
			return err
		}
		_, d2, err := plan("staging")
		if err != nil {
			return err
		}
		alone = append(alone, d1+d2)
		start := time.Now()
		for _, res := range r.PlanMany(ctx, []tf.PlanRequest{{Env: "dev", TFVars: vars["dev"]}, {Env: "staging", TFVars: vars["staging"]}}, 0) {
			if res.Err != nil {
				return res.Err
			}
		}
		together = append(together, time.Since(start))
	}

	// Overhead, on a no-change plan: apply dev, then time gitops plan and a
	// bare terraform plan in the same working directory.
	fmt.Fprintln(os.Stderr, "applying dev for the no-change plan…")
	p, _, err := plan("dev")
	if err != nil {
		return err
	}
	if _, err := r.Apply(ctx, tf.ApplyRequest{Plan: p, TFVars: vars["dev"]}); err != nil {
		return err
	}
	var gitops, bare []time.Duration
	for range runs {
		p, d, err := plan("dev")
		if err != nil {
			return err
		}
		if !p.Summary.NoChanges() {
			return fmt.Errorf("dev plan after apply has changes: %+v", p.Summary)
		}
		gitops = append(gitops, d)
		d, err = barePlan(ctx, work, emu, vars["dev"])
		if err != nil {
			return err
		}
		bare = append(bare, d)
	}
	g, b := median(gitops), median(bare)
	a, t := median(alone), median(together)
	fmt.Printf("no-change plan of dev: gitops %s, bare terraform %s\n", g.Round(time.Millisecond), b.Round(time.Millisecond))
	fmt.Printf("overhead ratio (gitops − bare) / bare = %.3f (goal ≤ 0.10)\n", float64(g-b)/float64(b))
	fmt.Printf("plan dev+staging: alone %s (sum), together %s\n", a.Round(time.Millisecond), t.Round(time.Millisecond))
	fmt.Printf("concurrency ratio together / sum of alone = %.3f (goal ≤ 0.65)\n", float64(t)/float64(a))
	return nil
}

// barePlan runs `terraform plan` by hand in dev's working directory, with the
// environment the runner gives terraform, as a user would.
func barePlan(ctx context.Context, work string, emu *localaws.Emulator, vars []byte) (time.Duration, error) {
	dir := filepath.Join(work, "envs", "dev", "terraform", "stack")
	varFile := filepath.Join(work, "bare.tfvars.json")
	if err := os.WriteFile(varFile, vars, 0o644); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, "terraform", "plan", "-input=false", "-no-color", "-lock-timeout=60s",
		"-var-file="+varFile, "-var=aws_max_retries=2", "-out="+filepath.Join(work, "bare.tfplan"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(work, "terraformrc"), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	cmd.Env = append(cmd.Env, emu.Env()...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, io.MultiWriter(&out)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("bare terraform plan: %w\n%s", err, out.String())
	}
	return time.Since(start), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
