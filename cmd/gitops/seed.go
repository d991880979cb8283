package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/deploy"
)

func newSeedCmd(g *globalOptions) *cobra.Command {
	var f releaseFlags
	var token string
	cmd := &cobra.Command{
		Use:   "seed <env> [step…]",
		Short: "Run the seed steps of releases/<env>.yaml as one-off ECS tasks",
		Long: `seed runs the seed steps of releases/<env>.yaml (all of them, or those named) in
the order of the file, each as a one-off task of the task definition its service runs,
and waits for it: a step that does not exit 0 stops the rest, and the end of its log
is printed. --token names the run: the same token never runs a step twice.`,
		Example: `  gitops seed staging
  gitops seed staging roles inventory --token seed-2026-01-15`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env := args[0]
			rel, err := loadRelease(g, env)
			if err != nil {
				return err
			}
			progress := cmd.ErrOrStderr()
			eng, target, err := f.engine(cmd.Context(), g, env, progress)
			if err != nil {
				return err
			}
			if token == "" {
				token = "cli-seed-" + time.Now().UTC().Format("20060102T150405Z")
			}
			res, err := eng.Seed(cmd.Context(), deploy.SeedRequest{Target: target, Release: *rel, Steps: args[1:], Token: token, Progress: printEvents(progress)})
			if res == nil {
				return usageError(err.Error())
			}
			out := cmd.OutOrStdout()
			switch {
			case g.json:
				if werr := writeJSON(out, res); werr != nil {
					return werr
				}
			case res.Succeeded:
				fmt.Fprintf(out, "%s: %d seed step(s) ran\n", env, len(res.Steps))
			default:
				fmt.Fprintf(out, "%s: seed failed\n", env)
				writeFailure(out, res.Failure, nil)
			}
			if err != nil {
				return &exitError{code: 1, msg: "gitops: " + err.Error()}
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&token, "token", "", "names this seed; the same token never runs a step twice (default: a new one)")
	return cmd
}
