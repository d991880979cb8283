package main

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/envspec"
)

func newValidateCmd(g *globalOptions) *cobra.Command {
	var withTerraform bool
	var f tfFlags
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check every environments/*.yaml (strict schema, Fargate sizes, CIDR overlaps)",
		Long: `validate decodes every environments/<env>.yaml strictly and checks it the way
plan does, without running terraform. Errors are printed as file:line:col: message,
all of them at once; the exit code is 1 when any file is invalid. With
--terraform, terraform validate also checks the stack (no AWS access needed).`,
		Example: `  gitops validate
  gitops validate --terraform
  gitops validate --json
  gitops validate -C ../infra`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			specs, err := envspec.LoadDir(filepath.Join(g.dir, "environments"))
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
				if encErr := writeJSON(out, r); encErr != nil {
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
			if withTerraform {
				return validateTerraform(cmd, g, &f)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&withTerraform, "terraform", false, "also run terraform validate on terraform/stack")
	f.registerLocal(cmd.Flags())
	return cmd
}

func validateTerraform(cmd *cobra.Command, g *globalOptions, f *tfFlags) error {
	s, err := f.open(cmd.Context(), g, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.runner.ValidateStack(cmd.Context())
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	for _, d := range res.Diagnostics {
		where := ""
		if d.Range != nil {
			// terraform names files relative to the stack directory.
			where = fmt.Sprintf("%s:%d:%d: ", path.Join("terraform", "stack", d.Range.Filename), d.Range.Start.Line, d.Range.Start.Column)
		}
		fmt.Fprintf(out, "%s%s: %s: %s\n", where, d.Severity, d.Summary, d.Detail)
	}
	if !res.Valid || res.ErrorCount > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("gitops: terraform/stack is not valid (%d errors)", res.ErrorCount)}
	}
	fmt.Fprintln(out, "terraform/stack: ok")
	return nil
}
