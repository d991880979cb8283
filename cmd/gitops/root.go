package main

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every subcommand shares.
type globalOptions struct {
	json bool
	dir  string
}

func newRootCmd() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "gitops",
		Short: "Plan, price, police and apply the inventory-management infrastructure from pull requests",
		Long: `gitops turns environments/<env>.yaml into reviewed terraform plans, estimates
their monthly cost, evaluates policy/*.rego over them and applies exactly the
reviewed plan. The same engines run behind the GitHub App (gitops serve).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolVar(&g.json, "json", false, "print machine-readable JSON instead of text")
	root.PersistentFlags().StringVarP(&g.dir, "dir", "C", ".", "root of the gitops checkout (holds environments/, terraform/, policy/), as git -C")
	root.AddCommand(subcommands(g)...)
	return root
}

// writeJSON is the --json output of every command: indented, one document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
