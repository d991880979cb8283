package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/pipeline"
	"github.com/gitops-bot/gitops/bot/report"
)

func newCostCmd(g *globalOptions) *cobra.Command {
	var f tfFlags
	var all, specOnly bool
	var planFile string
	var budget float64
	cmd := &cobra.Command{
		Use:   "cost <env>... | --all",
		Short: "Estimate monthly cost before → after, per resource, against budgets (offline)",
		Long: `cost prices a terraform plan of each environment with the price catalogue
embedded in gitops (dated, with sources): the prior state (before) and the planned
values (after) at 730 hours a month, per resource and component. Usage-based items
(ALB LCUs, NAT traffic, log volume, ECR storage, backups) use stated assumptions,
overridable in environments/<env>.usage.yaml. Each environment is checked against
the budget in its spec; --all also checks the total against the repository budget.
When a budget is exceeded, savings computed for this configuration are listed.

The plan comes from --plan FILE (a plan saved by gitops plan, or terraform show
-json output), or is made now (use --local for the emulator). --spec-only prices
the spec directly without terraform (after only). No network call is made for
prices.`,
		Example: `  gitops cost --all --local
  gitops cost dev --plan .gitops/local/envs/dev/plans/<file>.tfplan
  gitops cost staging --spec-only --json
  gitops cost refresh   # rebuild the catalogue from the AWS Price List API`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && len(args) > 0 {
				return usageError("give environment names or --all, not both")
			}
			specs, err := loadSpecs(g, args, all)
			if err != nil {
				return err
			}
			estimates := make([]*cost.Estimate, len(specs))
			var jsons [][]byte
			if !specOnly {
				if jsons, err = planJSONs(cmd.Context(), g, &f, specs, planFile, cmd.ErrOrStderr()); err != nil {
					return err
				}
			}
			failing := 0
			for i, spec := range specs {
				opts, err := pipeline.New(pipeline.Config{Dir: g.dir}).CostOptions(spec)
				if err != nil {
					return err
				}
				if specOnly {
					estimates[i], err = cost.EstimateSpec(spec, opts)
				} else {
					estimates[i], err = cost.EstimatePlanJSON(jsons[i], opts)
				}
				if err != nil {
					return fmt.Errorf("cost %s: %w", spec.Name, err)
				}
				if b := estimates[i].Budget; b != nil && b.Verdict == cost.VerdictFail {
					failing++
				}
			}
			var total *cost.Summary
			if all {
				total = cost.Total(estimates, budget)
			}
			out := cmd.OutOrStdout()
			if g.json {
				if err := writeJSON(out, struct {
					Environments []*cost.Estimate `json:"environments"`
					Total        *cost.Summary    `json:"total,omitempty"`
				}{estimates, total}); err != nil {
					return err
				}
			} else {
				var parts []string
				for _, e := range estimates {
					parts = append(parts, report.CostMarkdown(e))
				}
				if total != nil {
					parts = append(parts, report.CostSummaryMarkdown(total))
				}
				fmt.Fprintln(out, strings.Join(parts, "\n\n"))
			}
			if failing > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("gitops: %d environment(s) over an enforced budget", failing)}
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&all, "all", false, "every environment, with the total against the repository budget")
	cmd.Flags().BoolVar(&specOnly, "spec-only", false, "price the specs directly, without terraform (no before)")
	cmd.Flags().StringVar(&planFile, "plan", "", "price this plan (saved by gitops plan, or terraform show -json output) instead of planning")
	cmd.Flags().Float64Var(&budget, "budget", cost.DefaultRepoBudgetUSD, "repository-wide monthly budget in USD for --all")
	cmd.AddCommand(newCostRefreshCmd(g))
	return cmd
}

func newCostRefreshCmd(g *globalOptions) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "refresh",
		Short: "Rebuild the price catalogue from the AWS Price List API (needs AWS credentials)",
		Long: `refresh asks the AWS Price List API (GetProducts) for every price in the
catalogue and writes the updated catalogue with today's date. Prices the API
does not return are kept and listed. Commit the result to embed it in gitops.`,
		Example: `  gitops cost refresh
  gitops cost refresh --out /tmp/catalogue.json --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := cost.DefaultCatalogue()
			if err != nil {
				return err
			}
			lister, err := cost.NewPriceLister(cmd.Context())
			if err != nil {
				return err
			}
			updated, rep, err := cost.Refresh(cmd.Context(), lister, base, time.Now().UTC())
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join(g.dir, "bot", "cost", "catalogue.json")
			}
			if err := updated.WriteFile(out); err != nil {
				return err
			}
			if g.json {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote %s: %d updated, %d confirmed, %d kept\n", out, len(rep.Updated), len(rep.Confirmed), len(rep.Kept))
			for _, u := range rep.Updated {
				fmt.Fprintf(w, "  updated %s\n", u)
			}
			for _, k := range rep.Kept {
				fmt.Fprintf(w, "  kept    %s\n", k)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "where to write the catalogue (default <dir>/bot/cost/catalogue.json)")
	return cmd
}
