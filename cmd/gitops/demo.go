package main

import (
	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/demo"
)

func newDemoCmd(g *globalOptions) *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Play a pull request through the real App, against a GitHub emulator and moto",
		Long: `demo runs gitops serve against the project's GitHub emulator, a local AWS
emulator (moto) and SQLite, all on loopback, and plays a user: it applies dev as
it was before the scale-down, opens the scale-down pull request, prints the bot's
comment, has a read-only user try /apply (refused), approves, applies with /apply,
checks ECS's task counts and merges. Each step is printed with its time; the exit
code is 1 when a step does not behave. Needs terraform and moto, not GitHub or AWS.`,
		Example: `  go run ./cmd/gitops demo
  gitops demo --keep      # leave it running and print the URLs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return demo.Run(cmd.Context(), demo.Options{Dir: g.dir, Out: cmd.OutOrStdout(), Keep: keep})
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "leave the App and emulators running after the last step, and print their URLs")
	return cmd
}
