// Command prplan measures what a pull request costs over terraform itself:
// the wall time from opening the dev scale-down pull request to the bot's
// plan comment (checkout, init of the PR's work directory, plan, JSON,
// cost, policy, comment), against a bare `terraform plan` of the same
// environment, the same spec, on the same state, in an initialized
// directory. Rounds alternate the two; medians and their ratio are printed.
// Everything runs on loopback (GitHub emulator, moto), as `gitops demo` does.
//
//	go run ./bench/prplan            # goal: ratio ≤ 1.10
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gitops-bot/gitops/bot/demo"
	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/github/emulator"
	"github.com/gitops-bot/gitops/bot/report"
)

const repo = "acme/inventory-infra"

func main() {
	rounds := flag.Int("rounds", 3, "measurements of each")
	dir := flag.String("C", ".", "the gitops checkout")
	verbose := flag.Bool("v", false, "print the demo world's steps and gitops serve's logs")
	flag.Parse()
	if err := run(*dir, *rounds, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "bench/prplan:", err)
		os.Exit(1)
	}
}

func run(dir string, rounds int, verbose bool) error {
	ctx := context.Background()
	opts := demo.Options{Dir: dir}
	if verbose {
		opts.Out = os.Stderr
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	fmt.Println("setting up: moto, dev applied as before the scale-down, GitHub emulator, gitops serve (a few minutes)…")
	w, err := demo.Setup(ctx, opts)
	if err != nil {
		return err
	}
	defer w.Close()

	bare, err := newBarePlan(w)
	if err != nil {
		return err
	}
	var app, plain []time.Duration
	for i := range rounds {
		d, err := prToComment(ctx, w, i)
		if err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
		app = append(app, d)
		b, err := bare.run(ctx)
		if err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
		plain = append(plain, b)
		fmt.Printf("round %d: pull request → plan comment %s, bare terraform plan %s\n", i+1, d.Round(10*time.Millisecond), b.Round(10*time.Millisecond))
	}
	ma, mb := median(app), median(plain)
	fmt.Printf("median of %d: pull request → plan comment %s, bare terraform plan %s\n", rounds, ma.Round(10*time.Millisecond), mb.Round(10*time.Millisecond))
	fmt.Printf("ratio (goal ≤ 1.10): %.2f\n", ma.Seconds()/mb.Seconds())
	return nil
}

// prToComment opens the scale-down pull request on a branch of its own and
// times it until the bot's plan comment is posted; then closes it, so that
// the next round's pull request may lock dev.
func prToComment(ctx context.Context, w *demo.World, round int) (time.Duration, error) {
	branch := fmt.Sprintf("bench-%d", round)
	if _, err := w.Emu.Push(ctx, repo, "alice", branch, map[string][]byte{"environments/dev.yaml": w.Files["environments/dev.yaml"]}, "dev: one task per service"); err != nil {
		return 0, err
	}
	start := time.Now()
	pr, err := w.Emu.OpenPR(ctx, repo, "alice", branch, "main", "Scale dev down", "")
	if err != nil {
		return 0, err
	}
	path := fmt.Sprintf("/repos/%s/issues/%d/comments", repo, pr.Number)
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if _, err := w.Emu.AwaitCall(waitCtx, func(c emulator.Call) bool {
		return c.Method == "POST" && c.Path == path && c.Status == 201 && bytes.Contains(c.Body, []byte(report.StickyMarker)) && bytes.Contains(c.Body, []byte("desired_count"))
	}); err != nil {
		return 0, fmt.Errorf("waiting for the plan comment: %w", err)
	}
	took := time.Since(start)
	if err := drainUntil(waitCtx, w, "pr_plan"); err != nil {
		return 0, err
	}
	if err := w.Emu.ClosePR(ctx, repo, "alice", pr.Number); err != nil {
		return 0, err
	}
	return took, drainUntil(waitCtx, w, "pr_closed")
}

func drainUntil(ctx context.Context, w *demo.World, kind string) error {
	for {
		select {
		case k := <-w.JobDone:
			if k == kind {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("waiting for a %s job: %w", kind, ctx.Err())
		}
	}
}

// barePlan is `terraform plan` as an operator would run it in the
// directory dev was applied from: same CLI config (provider mirror), same
// backend and state, the scale-down spec's variables.
type barePlan struct {
	dir  string
	args []string
	env  []string
}

func newBarePlan(w *demo.World) (*barePlan, error) {
	stack := filepath.Join(w.OperatorDir, "envs", "dev", "terraform", "stack")
	if _, err := os.Stat(filepath.Join(stack, ".terraform")); err != nil {
		return nil, fmt.Errorf("the operator's dev directory is not initialized: %w", err)
	}
	spec, err := envspec.Decode("environments/dev.yaml", w.Files["environments/dev.yaml"])
	if err != nil {
		return nil, err
	}
	vars, err := spec.Render()
	if err != nil {
		return nil, err
	}
	varFile := filepath.Join(w.OperatorDir, "bench.tfvars.json")
	if err := os.WriteFile(varFile, vars, 0o600); err != nil {
		return nil, err
	}
	args := []string{"plan", "-input=false", "-lock=false", "-no-color", "-var-file=" + varFile}
	for k, v := range w.TF.Vars {
		args = append(args, "-var", k+"="+v)
	}
	env := append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+filepath.Join(w.OperatorDir, "terraformrc"), "AWS_ENDPOINT_URL="+w.TF.Backend.Endpoint)
	env = append(env, w.TF.Env...)
	return &barePlan{dir: stack, args: args, env: env}, nil
}

func (b *barePlan) run(ctx context.Context) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, "terraform", b.args...)
	cmd.Dir, cmd.Env = b.dir, b.env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("bare terraform plan: %w\n%s", err, tailLines(string(out), 20))
	}
	if !strings.Contains(string(out), "3 to change") {
		return 0, fmt.Errorf("bare terraform plan did not plan the scale-down:\n%s", tailLines(string(out), 20))
	}
	return took, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
