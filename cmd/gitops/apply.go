package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/pipeline"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/tf"
)

func newApplyCmd(g *globalOptions) *cobra.Command {
	var f tfFlags
	var planFile string
	var labels []string
	cmd := &cobra.Command{
		Use:   "apply <env> --plan FILE",
		Short: "Apply a saved, reviewed plan behind the policy gate (never plans anew)",
		Long: `apply applies exactly the plan file made by 'gitops plan', after checking that
the file is the one recorded (sha256), that environments/<env>.yaml, terraform/ and
policy/ have not changed since, that the checkout is at the commit the plan was
made for, and that the state has not moved (another apply). A stale plan is
refused with the reason and nothing changes; make a new plan then.

policy/*.rego is evaluated over the plan first (as 'gitops policy check' does):
a deny refuses the apply, naming the rule. Labels such as allow-destroy are
given with --label, as a pull request would carry them.`,
		Example: `  gitops plan dev
  gitops apply dev --plan .gitops/envs/dev/plans/20261125T101010.000000000Z-1a2b3c4d.tfplan
  gitops apply dev --plan FILE --label allow-destroy
  gitops apply dev --plan FILE --local   # against the local emulator`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env := args[0]
			if planFile == "" {
				return usageError("--plan FILE is required: apply only applies a saved plan (make one with gitops plan " + env + ")")
			}
			p, err := pipeline.LoadPlan(planFile, env)
			if err != nil {
				return planError(err)
			}
			progress := cmd.ErrOrStderr()
			s, err := f.open(cmd.Context(), g, progress)
			if err != nil {
				return err
			}
			defer s.Close()
			var out io.Writer = newApplyProgress(env, p.Summary.Add+p.Summary.Change+p.Summary.Destroy, progress)
			if f.verbose {
				out = &prefixWriter{prefix: env + " | ", w: progress}
			}
			fmt.Fprintf(progress, "%s\napplying…\n", report.PlanHeadline(env, p.Summary))
			req := pipeline.ApplyRequest{Env: env, Plan: p, Output: out, Progress: progress}
			if len(labels) > 0 {
				req.PR = &policy.PR{Labels: labels}
			}
			res, err := s.pipeline(g).Apply(cmd.Context(), req)
			var stale *tf.StaleError
			var denied *pipeline.DeniedError
			switch {
			case errors.As(err, &stale):
				return &exitError{code: 1, msg: "gitops: " + stale.Error()}
			case errors.As(err, &denied):
				return &exitError{code: 1, msg: "gitops: " + denied.Error()}
			case err != nil:
				return err
			}
			if g.json {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: applied in %s (%s → %s)\n", env, res.Duration.Round(1e6), res.Before, res.After)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&planFile, "plan", "", "plan file written by gitops plan (required)")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "pull request label to assume for policy, e.g. allow-destroy (repeatable)")
	return cmd
}
