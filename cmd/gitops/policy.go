package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/report"
)

type policyCheckOptions struct {
	plan      string
	policyDir string
	labels    []string
}

func newPolicyCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Evaluate policy/*.rego over an environment's spec and terraform plan",
	}
	cmd.AddCommand(newPolicyCheckCmd(g))
	return cmd
}

func newPolicyCheckCmd(g *globalOptions) *cobra.Command {
	o := &policyCheckOptions{}
	cmd := &cobra.Command{
		Use:   "check <env>",
		Short: "Check a saved plan of <env> against policy (exit 1 on deny)",
		Long: `check evaluates the rules of policy/*.rego over environments/<env>.yaml and a
terraform plan in JSON (terraform show -json <planfile>). Denies make the exit
code 1; warnings are reported. A rule file that does not compile or a rule that
errors is reported as file:line and the change cannot be applied (exit 1).`,
		Example: `  terraform show -json plan.tfplan > plan.json
  gitops policy check staging --plan plan.json
  gitops policy check staging --plan plan.json --label allow-destroy --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyCheck(cmd, g, o, args[0])
		},
	}
	cmd.Flags().StringVar(&o.plan, "plan", "", "plan JSON file (output of terraform show -json)")
	cmd.Flags().StringVar(&o.policyDir, "policy-dir", "", "directory of *.rego rules (default <repo>/policy)")
	cmd.Flags().StringArrayVar(&o.labels, "label", nil, "pull request label to assume, e.g. allow-destroy or rollback (repeatable)")
	_ = cmd.MarkFlagRequired("plan")
	return cmd
}

func runPolicyCheck(cmd *cobra.Command, g *globalOptions, o *policyCheckOptions, env string) error {
	ctx := cmd.Context()
	dir := o.policyDir
	if dir == "" {
		dir = filepath.Join(g.repoDir, "policy")
	}
	engine, err := policy.LoadDir(ctx, dir)
	if err != nil {
		return err
	}
	spec, err := envspec.Load(filepath.Join(g.repoDir, "environments", env+".yaml"))
	if err != nil {
		return err
	}
	envs, err := repoEnvironments(g.repoDir)
	if err != nil {
		return err
	}
	plan, err := os.ReadFile(o.plan)
	if err != nil {
		return fmt.Errorf("read plan: %w", err)
	}
	in := policy.Input{Environment: env, Spec: spec, Plan: plan, Environments: envs}
	if len(o.labels) > 0 {
		in.PR = &policy.PR{Labels: o.labels}
	}
	res, evalErr := engine.Evaluate(ctx, in, nil)
	out := cmd.OutOrStdout()
	if g.json {
		b, err := report.PolicyJSON(res)
		if err != nil {
			return err
		}
		if _, err := out.Write(b); err != nil {
			return err
		}
	} else {
		fmt.Fprint(out, report.PolicyMarkdown(res))
	}
	if evalErr != nil || !res.Allowed {
		// The report above says why (denies, or the file:line that failed).
		return policyExit{}
	}
	return nil
}

// repoEnvironments reads every environments/*.yaml for the rules that look
// across environments (VPC ranges).
func repoEnvironments(repo string) ([]policy.Environment, error) {
	paths, err := filepath.Glob(filepath.Join(repo, "environments", "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	envs := make([]policy.Environment, 0, len(paths))
	for _, p := range paths {
		s, err := envspec.Load(p)
		if err != nil {
			return nil, err
		}
		envs = append(envs, policy.Environment{Name: s.Name, VPCCIDR: s.Network.VPCCIDR})
	}
	return envs, nil
}

// policyExit makes the process exit 1 after the report was printed: a deny,
// or policy that could not be evaluated.
type policyExit struct{ msg string }

func (e policyExit) Error() string { return e.msg }

func (policyExit) ExitCode() int { return 1 }
