package main

import "github.com/spf13/cobra"

// subcommands lists every subcommand; each lives in its own file.
func subcommands(g *globalOptions) []*cobra.Command {
	return []*cobra.Command{
		newValidateCmd(g),
		newPlanCmd(g),
		newApplyCmd(g),
		newShowCmd(g),
		newCostCmd(g),
		newPolicyCmd(g),
		newDeployCmd(g),
		newRollbackCmd(g),
		newSeedCmd(g),
		newServeCmd(g),
		newSetupCmd(g),
		newDemoCmd(g),
	}
}
