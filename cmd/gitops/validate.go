package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/envspec"
)

func newValidateCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check every environments/*.yaml (strict schema, Fargate sizes, CIDR overlaps)",
		Long: `validate decodes every environments/<env>.yaml strictly and checks it the way
plan does, without running terraform. Errors are printed as file:line:col: message,
all of them at once; the exit code is 1 when any file is invalid.`,
		Example: `  gitops validate
  gitops validate --json
  gitops validate --repo ../infra`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			specs, err := envspec.LoadDir(filepath.Join(g.repoDir, "environments"))
			var verrs envspec.Errors
			if err != nil && !errors.As(err, &verrs) {
				return err
			}
			out := cmd.OutOrStdout()
			if g.json {
				type result struct {
					Valid        bool             `json:"valid"`
					Environments []string         `json:"environments"`
					Errors       []*envspec.Error `json:"errors"`
				}
				r := result{Valid: err == nil, Errors: verrs, Environments: []string{}}
				for _, s := range specs {
					r.Environments = append(r.Environments, s.Name)
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if encErr := enc.Encode(r); encErr != nil {
					return encErr
				}
				if err != nil {
					return &exitError{code: 1}
				}
				return nil
			}
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			for _, s := range specs {
				fmt.Fprintf(out, "%s: ok (%s, %d services)\n", s.Name, s.Region, len(s.Services))
			}
			return nil
		},
	}
}
