package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/release"
)

func newDeployCmd(g *globalOptions) *cobra.Command {
	var f releaseFlags
	var version, id string
	cmd := &cobra.Command{
		Use:   "deploy <env> [--version vX.Y.Z]",
		Short: "Deploy releases/<env>.yaml to the environment's ECS services",
		Long: `deploy takes the release in releases/<env>.yaml to the environment, as merging a
release pull request does: it checks every image in ECR, records the task definition
each service runs, registers revisions copied from each family's latest with only the
image replaced (pinned by digest), runs the migration as a one-off task and checks its
exit code, rolls the services concurrently and verifies each deployment, then checks
target health, the smoke checks and, for the release's bake time, the alarms. On a
failure every service it changed is set back to its recorded task definition and
verified; the reason, the log tail and what was rolled back are printed.

Where the environment lives comes from the stack's outputs (terraform output, or
--outputs FILE). AWS credentials and endpoints are the SDK's usual ones (AWS_PROFILE,
AWS_ENDPOINT_URL…).

--version refuses to deploy unless the file is at that version. --id names the deploy:
running it again with the same id (after an interruption) never runs the migration
twice.`,
		Example: `  gitops deploy staging
  gitops deploy staging --version v1.2.0 --id deploy-v1.2.0
  gitops deploy staging --outputs outputs.json --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env := args[0]
			next, err := loadRelease(g, env)
			if err != nil {
				return err
			}
			if version != "" && string(next.Version) != version {
				return &exitError{code: 1, msg: fmt.Sprintf("gitops: releases/%s.yaml is at %s, not %s", env, next.Version, version)}
			}
			progress := cmd.ErrOrStderr()
			eng, target, err := f.engine(cmd.Context(), g, env, progress)
			if err != nil {
				return err
			}
			if err := validateRelease(next, target); err != nil {
				return err
			}
			res, err := eng.Deploy(cmd.Context(), deploy.DeployRequest{
				Target: target, Next: *next, DeploymentID: deploymentID(id, env, next.Version), Progress: printEvents(progress),
			})
			return deployOutcome(cmd, g, env, "deploy of", res, err)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&version, "version", "", "deploy only if releases/<env>.yaml is at this version")
	cmd.Flags().StringVar(&id, "id", "", "deployment id; the same id never runs the migration twice (default: a new one)")
	return cmd
}

func newRollbackCmd(g *globalOptions) *cobra.Command {
	var f releaseFlags
	var to, id string
	cmd := &cobra.Command{
		Use:   "rollback <env> [--to REV]",
		Short: "Deploy the release before the one in releases/<env>.yaml",
		Long: `rollback deploys the previous release: the one releases/<env>.yaml names as
previous, read from the newest commit of the checkout's history whose
releases/<env>.yaml is at that version (or from --to REV). It is a deploy whose plan is a
rollback: the current release's migration downgrade runs when it declares one (in the
current release's image); without one no migration runs and the database keeps the
newer schema, which is said.`,
		Example: `  gitops rollback staging
  gitops rollback staging --to 3f2a9c1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env := args[0]
			current, err := loadRelease(g, env)
			if err != nil {
				return err
			}
			if current.Previous == "" && to == "" {
				return usageError(fmt.Sprintf("releases/%s.yaml names no previous release: give --to REV", env))
			}
			older, rev, err := previousRelease(cmd.Context(), g.dir, env, current.Previous, to)
			if err != nil {
				return err
			}
			progress := cmd.ErrOrStderr()
			fmt.Fprintf(progress, "%s: rolling back %s → %s (releases/%s.yaml at %s)\n", env, current.Version, older.Version, env, rev)
			eng, target, err := f.engine(cmd.Context(), g, env, progress)
			if err != nil {
				return err
			}
			if err := validateRelease(older, target); err != nil {
				return err
			}
			res, err := eng.Rollback(cmd.Context(), deploy.DeployRequest{
				Target: target, Current: current, Next: *older, DeploymentID: deploymentID(id, env, older.Version), Progress: printEvents(progress),
			})
			return deployOutcome(cmd, g, env, "rollback to", res, err)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&to, "to", "", "git revision whose releases/<env>.yaml is the release to go back to")
	cmd.Flags().StringVar(&id, "id", "", "deployment id; the same id never runs the downgrade twice (default: a new one)")
	return cmd
}

func deploymentID(id, env string, v release.Version) string {
	if id != "" {
		return id
	}
	return fmt.Sprintf("cli-%s-%s-%s", env, v, time.Now().UTC().Format("20060102T150405Z"))
}

// deployOutcome prints the result of a deploy or rollback (what is "deploy
// of" or "rollback to") and turns a failed one into exit code 1.
func deployOutcome(cmd *cobra.Command, g *globalOptions, env, what string, res *deploy.DeployResult, err error) error {
	if res == nil {
		return err
	}
	out := cmd.OutOrStdout()
	switch {
	case g.json:
		if werr := writeJSON(out, res); werr != nil {
			return werr
		}
	case res.Succeeded:
		fmt.Fprintf(out, "%s: %s %s succeeded: %d service(s) rolled in %s\n", env, what, res.To, len(res.Services), res.Finished.Sub(res.Started).Round(time.Second))
		if res.SchemaStays {
			fmt.Fprintf(out, "%s: no downgrade ran: the database keeps the schema of %s\n", env, res.From)
		}
	default:
		fmt.Fprintf(out, "%s: %s %s failed\n", env, what, res.To)
		writeFailure(out, res.Failure, res.Rollback)
	}
	if err != nil {
		return &exitError{code: 1, msg: "gitops: " + err.Error()}
	}
	return nil
}

// previousRelease reads the release to roll back to from the checkout's
// history: releases/<env>.yaml at rev, or at the newest commit where it is
// at version want.
func previousRelease(ctx context.Context, dir, env string, want release.Version, rev string) (*release.Release, string, error) {
	path := "releases/" + env + ".yaml"
	read := func(rev string) (*release.Release, error) {
		data, err := exec.CommandContext(ctx, "git", "-C", dir, "show", rev+":"+path).Output()
		if err != nil {
			return nil, fmt.Errorf("git show %s:%s: %w", rev, path, err)
		}
		return release.Decode(path, data)
	}
	if rev != "" {
		r, err := read(rev)
		return r, rev, err
	}
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "log", "--format=%h", "--", path).Output()
	if err != nil {
		return nil, "", fmt.Errorf("git log %s: %w", path, err)
	}
	for _, c := range strings.Fields(string(out)) {
		if r, err := read(c); err == nil && r.Version == want {
			return r, c, nil
		}
	}
	return nil, "", &exitError{code: 1, msg: fmt.Sprintf("gitops: no commit of %s is at %s: give --to REV", path, want)}
}
