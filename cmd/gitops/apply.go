package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/tf"
)

func newApplyCmd(g *globalOptions) *cobra.Command {
	var f tfFlags
	var planFile string
	cmd := &cobra.Command{
		Use:   "apply <env> --plan FILE",
		Short: "Apply a saved, reviewed plan (never plans anew)",
		Long: `apply applies exactly the plan file made by 'gitops plan', after checking that
the file is the one recorded (sha256), that environments/<env>.yaml has not changed
since, and that the state has not moved (another apply). A stale plan is refused
with the reason and nothing changes; make a new plan then.`,
		Example: `  gitops plan dev
  gitops apply dev --plan .gitops/envs/dev/plans/20261125T101010.000000000Z-1a2b3c4d.tfplan
  gitops apply dev --plan FILE --local   # against the local emulator`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env := args[0]
			if planFile == "" {
				return usageError("--plan FILE is required: apply only applies a saved plan (make one with gitops plan " + env + ")")
			}
			p, err := tf.LoadPlan(planFile)
			if err != nil {
				return err
			}
			if p.Env != env {
				return usageError(fmt.Sprintf("%s is a plan for %s, not %s", planFile, p.Env, env))
			}
			specs, err := loadSpecs(g, []string{env}, false)
			if err != nil {
				return err
			}
			vars, err := specs[0].Render()
			if err != nil {
				return fmt.Errorf("render %s: %w", env, err)
			}
			progress := cmd.ErrOrStderr()
			s, err := f.open(cmd.Context(), g, progress)
			if err != nil {
				return err
			}
			defer s.Close()
			var out io.Writer = &applyProgress{env: env, total: p.Summary.Add + p.Summary.Change + p.Summary.Destroy, w: progress}
			if f.verbose {
				out = &prefixWriter{prefix: env + " | ", w: progress}
			}
			fmt.Fprintf(progress, "%s\napplying…\n", report.PlanHeadline(env, p.Summary))
			res, err := s.runner.Apply(cmd.Context(), tf.ApplyRequest{Plan: p, TFVars: vars, Output: out})
			if err != nil {
				var stale *tf.StaleError
				if errors.As(err, &stale) {
					return &exitError{code: 1, msg: "gitops: " + stale.Error()}
				}
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
	return cmd
}
