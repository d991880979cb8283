package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/tf"
)

func newShowCmd(g *globalOptions) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Show a saved plan: summary, or terraform's full rendering with --full",
		Example: `  gitops show .gitops/envs/dev/plans/<file>.tfplan
  gitops show <file>.tfplan --json     # the plan record with its summary
  gitops show <file>.tfplan --full     # terraform's own human-readable plan`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := tf.LoadPlan(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case g.json:
				return writeJSON(out, p)
			case full:
				text, err := os.ReadFile(p.TextFile)
				if err != nil {
					return fmt.Errorf("read plan text: %w", err)
				}
				_, err = out.Write(text)
				return err
			default:
				return report.WritePlanText(out, p)
			}
		},
	}
	cmd.Flags().BoolVar(&full, "full", false, "print terraform's full plan output")
	return cmd
}
