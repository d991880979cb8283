package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gitops-bot/gitops/bot/command"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/pipeline"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/store"
)

// ownersPath is where the rule owners live, read from the default branch:
// a pull request cannot make its author an owner.
var ownersPath = "policy/" + pipeline.OwnersFile

// approvePolicy records an owner's override of a denied rule, then plans
// again so that the comment, the check run and the apply requirements see
// it. Ownership is read from the default branch's policy/OWNERS; the policy
// engine checks it again wherever the override is used.
func (d *Deps) approvePolicy(ctx context.Context, c Client, inst int64, repo string, number int, sender string, commentID int64, cmd command.ApprovePolicy) (outcome, reply string) {
	refuse := func(why, fix string) (string, string) {
		return "-1", "@" + sender + " " + report.RefusalMarkdown(cmd.String(), why, fix)
	}
	branch, _, err := c.DefaultBranch(ctx, repo)
	if err != nil {
		return refuse("gitops could not read the default branch of "+repo, "try again in a moment")
	}
	data, err := c.FileContent(ctx, repo, branch, ownersPath)
	if errors.Is(err, github.ErrNotFound) {
		return refuse(fmt.Sprintf("no rule has owners: %s does not exist on %s", ownersPath, branch),
			fmt.Sprintf("add %s on %s naming who may override which rule (e.g. `budget @%s`)", ownersPath, branch, sender))
	}
	if err != nil {
		return refuse("gitops could not read "+ownersPath+" on "+branch, "try again in a moment")
	}
	owners, err := policy.ParseOwners(bytes.NewReader(data), ownersPath)
	if err != nil {
		return refuse(err.Error(), "fix "+ownersPath+" on "+branch)
	}
	who := owners.For(cmd.Rule)
	if !slices.ContainsFunc(who, func(l string) bool { return strings.EqualFold(l, sender) }) {
		why := fmt.Sprintf("@%s is not an owner of rule `%s` in %s on %s", sender, cmd.Rule, ownersPath, branch)
		if len(who) == 0 {
			return refuse(why+" (the rule has no owners)", "add its owners to "+ownersPath+" on "+branch)
		}
		return refuse(why, "ask one of its owners: @"+strings.Join(who, ", @"))
	}
	if err := d.Store.AddOverride(ctx, store.Override{Repo: repo, PR: number, Env: cmd.Env, Rule: cmd.Rule, By: sender, CommentID: commentID}); err != nil {
		return "-1", "gitops could not record the override; try again."
	}
	var envs []string
	where := "every environment"
	if cmd.Env != "" {
		envs, where = []string{cmd.Env}, cmd.Env
	}
	if err := d.Store.Enqueue(ctx, PlanArgs{Repo: repo, PR: number, InstallationID: inst, Envs: envs, Requester: sender, Trigger: "approve-policy"}); err != nil {
		return "-1", "gitops recorded the override but could not queue the new evaluation; comment `/plan`."
	}
	return "+1", fmt.Sprintf("@%s overrides `%s` on %s for this pull request (recorded). The plan is made again so that the comment and the checks show the override.", sender, cmd.Rule, where)
}

// overridesFor are the pull request's recorded overrides that apply to env,
// as the policy engine takes them.
func (d *Deps) overridesFor(ctx context.Context, repo string, pr int, env string) ([]policy.Override, error) {
	all, err := d.Store.Overrides(ctx, repo, pr)
	if err != nil {
		return nil, err
	}
	var out []policy.Override
	for _, o := range all {
		if o.Env == "" || o.Env == env {
			out = append(out, policy.Override{Rule: o.Rule, By: o.By, At: o.At, PR: o.PR})
		}
	}
	return out, nil
}
