package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/pipeline"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/tf"
)

func newPlanCmd(g *globalOptions) *cobra.Command {
	var f tfFlags
	var all bool
	var parallel int
	cmd := &cobra.Command{
		Use:   "plan <env>... | --all",
		Short: "Plan environments concurrently and save the plans for review and apply",
		Long: `plan renders each environment's spec into terraform variables, runs terraform
plan in that environment's own working directory and saves the plan file, its JSON
and a record (hashes, the state it was made against, the spec it was made from).
Several environments are planned at once; each one's output is kept apart.

With --local, a local AWS emulator (moto) is started for the run, with the state
bucket and lock table created in it, and stopped on exit: no AWS account needed.
Without it, the standard AWS credential chain is used; AWS_ENDPOINT_URL is honoured.`,
		Example: `  gitops plan --all --local
  gitops plan dev
  gitops plan dev staging --json
  gitops apply dev --plan <plan file printed by plan>`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && len(args) > 0 {
				return usageError("give environment names or --all, not both")
			}
			specs, err := loadSpecs(g, args, all)
			if err != nil {
				return err
			}
			progress := cmd.ErrOrStderr()
			s, err := f.open(cmd.Context(), g, progress)
			if err != nil {
				return err
			}
			defer s.Close()

			logs := map[string]*bytes.Buffer{}
			for _, spec := range specs {
				logs[spec.Name] = &bytes.Buffer{}
			}
			start := time.Now()
			results, err := s.pipeline(g).Plan(cmd.Context(), pipeline.PlanRequest{
				Specs:    specs,
				Parallel: parallel,
				Output:   f.output(progress, func(env string) io.Writer { return logs[env] }),
				Progress: progress,
			})
			if err != nil {
				return err
			}
			failed := 0
			for _, r := range results {
				if r.Err != nil {
					failed++
					fmt.Fprintf(progress, "%s: plan failed after %s\n", r.Env, time.Since(start).Round(time.Second))
					continue
				}
				writeLog(r.Plan.File+".log", logs[r.Env].Bytes())
				fmt.Fprintf(progress, "%s: %s\n", r.Env, strings.TrimPrefix(report.PlanHeadline(r.Env, r.Plan.Summary), r.Env+": "))
			}
			fmt.Fprintf(progress, "planned %d environment(s) in %s\n", len(results), time.Since(start).Round(time.Millisecond))
			out := cmd.OutOrStdout()
			if g.json {
				type result struct {
					Env   string   `json:"env"`
					Plan  *tf.Plan `json:"plan,omitempty"`
					Error string   `json:"error,omitempty"`
				}
				rs := make([]result, len(results))
				for i, r := range results {
					rs[i] = result{Env: r.Env, Plan: r.Plan}
					if r.Err != nil {
						rs[i].Error = r.Err.Error()
					}
				}
				if err := writeJSON(out, rs); err != nil {
					return err
				}
			} else {
				for i, r := range results {
					if i > 0 {
						fmt.Fprintln(out)
					}
					if r.Err != nil {
						fmt.Fprintf(out, "%s: plan failed: %v\n%s", r.Env, r.Err, tail(logs[r.Env].String(), 30))
						continue
					}
					if err := report.WritePlanText(out, r.Plan); err != nil {
						return err
					}
				}
			}
			if failed > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("gitops: %d of %d plan(s) failed", failed, len(results))}
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&all, "all", false, "plan every environment in environments/")
	cmd.Flags().IntVar(&parallel, "parallel", 0, "at most this many environments at once (default: all)")
	return cmd
}

func writeLog(path string, data []byte) {
	_ = os.WriteFile(path, data, 0o600) // best effort: the log is for people, the plan is already saved
}

// tail returns the last n lines of s, indented.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString("  | " + l + "\n")
		}
	}
	return b.String()
}

// gitHead is the commit checked out in dir, or "" outside a git repository.
func gitHead(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// prefixWriter prefixes every line written through it, for interleaved output
// of concurrent runs.
type prefixWriter struct {
	prefix string
	w      io.Writer
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i]); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
}
