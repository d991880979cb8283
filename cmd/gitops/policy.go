package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/pipeline"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/report"
)

type policyCheckOptions struct {
	tf        tfFlags
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
terraform plan of it: a saved plan (--plan) or one made now. Denies make the exit
code 1; warnings are reported. A rule file that does not compile or a rule that
errors is reported as file:line and the change cannot be applied (exit 1).`,
		Example: `  gitops policy check staging --local
  gitops policy check dev --plan .gitops/envs/dev/plans/<file>.tfplan
  gitops policy check staging --plan plan.json   # terraform show -json output
  gitops policy check staging --plan plan.json --label allow-destroy --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyCheck(cmd, g, o, args[0])
		},
	}
	o.tf.register(cmd.Flags())
	cmd.Flags().StringVar(&o.plan, "plan", "", "plan to check: a plan file saved by gitops plan or terraform show -json output (default: plan now)")
	cmd.Flags().StringVar(&o.policyDir, "policy-dir", "", "directory of *.rego rules (default <dir>/policy)")
	cmd.Flags().StringArrayVar(&o.labels, "label", nil, "pull request label to assume, e.g. allow-destroy or rollback (repeatable)")
	return cmd
}

func runPolicyCheck(cmd *cobra.Command, g *globalOptions, o *policyCheckOptions, env string) error {
	ctx := cmd.Context()
	all, err := loadSpecs(g, nil, true)
	if err != nil {
		return err
	}
	specs, err := loadSpecs(g, []string{env}, false)
	if err != nil {
		return err
	}
	plans, err := planJSONs(ctx, g, &o.tf, specs, o.plan, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	p := pipeline.New(pipeline.Config{Dir: g.dir, PolicyDir: o.policyDir})
	req := pipeline.CheckRequest{Spec: specs[0], All: all, PlanJSON: plans[0]}
	if len(o.labels) > 0 {
		req.PR = &policy.PR{Labels: o.labels}
	}
	res, evalErr := p.Check(ctx, req)
	if res.CostErr != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: no cost estimate for the budget rule: %v\n", env, res.CostErr)
	}
	out := cmd.OutOrStdout()
	if g.json {
		b, err := report.PolicyJSON(res.Policy)
		if err != nil {
			return err
		}
		if _, err := out.Write(b); err != nil {
			return err
		}
	} else {
		fmt.Fprint(out, report.PolicyMarkdown(res.Policy))
	}
	if evalErr != nil {
		// The file:line that failed, on stderr too.
		return policyExit{msg: evalErr.Error()}
	}
	if !res.Policy.Allowed {
		// The report above says why.
		return policyExit{}
	}
	return nil
}

// policyExit makes the process exit 1 after the report was printed: a deny,
// or policy that could not be evaluated.
type policyExit struct{ msg string }

func (e policyExit) Error() string { return e.msg }

func (policyExit) ExitCode() int { return 1 }
