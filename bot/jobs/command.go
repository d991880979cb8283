package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/command"
	"github.com/gitops-bot/gitops/bot/config"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/store"
)

// CommandArgs handles a comment on a pull request (or /seed on an issue).
type CommandArgs struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind names the job in River.
func (CommandArgs) Kind() string { return "command" }

// CommandWorker reads a PR comment's command, checks the commenter's
// permission and starts the work, answering on the comment: 👀 on receipt,
// then 👍 or 👎 with a reply that says what is wrong.
type CommandWorker struct {
	river.WorkerDefaults[CommandArgs]
	d *Deps
}

// Timeout bounds the command's own work (plans and applies are jobs of their own).
func (w *CommandWorker) Timeout(*river.Job[CommandArgs]) time.Duration { return 5 * time.Minute }

// Work handles the comment.
func (w *CommandWorker) Work(ctx context.Context, job *river.Job[CommandArgs]) error {
	d := w.d
	del, err := d.Store.Delivery(ctx, job.Args.DeliveryID)
	if err != nil {
		return err
	}
	var ev gh.IssueCommentEvent
	if err := json.Unmarshal(del.Payload, &ev); err != nil {
		return fmt.Errorf("delivery %s: %w", del.ID, err)
	}
	repo, number := ev.GetRepo().GetFullName(), ev.GetIssue().GetNumber()
	sender, commentID := ev.GetSender().GetLogin(), ev.GetComment().GetID()
	c := d.GitHub.Client(ev.GetInstallation().GetID())
	cmd, perr := command.Parse(ev.GetComment().GetBody(), command.Options{})
	if errors.Is(perr, command.ErrNotCommand) {
		return nil
	}
	if seed, ok := cmd.(command.Seed); ok && len(seed.Steps) > 0 && seed.Env == "" {
		// Read again knowing the environments, so that the first word names
		// one (/seed staging roles).
		envs, err := d.releaseEnvironments(ctx, c, repo)
		if err != nil {
			return err
		}
		cmd, perr = command.Parse(ev.GetComment().GetBody(), command.Options{Envs: envs})
	}
	if _, ok := cmd.(command.Seed); !ok && !ev.GetIssue().IsPullRequest() {
		return nil // on an issue, only /seed is a command
	}
	// A comment is answered once, however often it is delivered or the job retried.
	run, started, err := d.Store.BeginRun(ctx, store.Run{Kind: store.RunKind("command"), Repo: repo, PR: number, JobID: job.ID, Key: "comment:" + fmt.Sprint(commentID)})
	if err != nil {
		return err
	}
	if !started && !resumed(run, job.ID) {
		return nil // answered, or being answered, by another delivery's job
	}
	if err := c.React(ctx, repo, commentID, "eyes"); err != nil {
		return err
	}
	outcome, reply := d.command(ctx, c, ev.GetInstallation().GetID(), repo, number, sender, commentID, cmd, perr)
	if reply != "" {
		if _, err := c.CreateComment(ctx, repo, number, reply); err != nil {
			return err
		}
	}
	if outcome != "" {
		if err := c.React(ctx, repo, commentID, outcome); err != nil {
			return err
		}
	}
	status := store.RunSucceeded
	if outcome == "-1" {
		status = store.RunFailed
	}
	return d.Store.FinishRun(ctx, run.ID, status, nil)
}

// command starts a parsed command; it returns the reaction to end with
// ("" when the job it starts reacts) and a reply ("" for none).
func (d *Deps) command(ctx context.Context, c Client, inst int64, repo string, number int, sender string, commentID int64, cmd command.Command, perr error) (outcome, reply string) {
	var cerr *command.Error
	if errors.As(perr, &cerr) {
		return "-1", "@" + sender + " " + report.RefusalMarkdown("the comment", "`"+cerr.Msg+"`", "write the command as the help below says") + "\n" + report.HelpMarkdown(command.HelpText())
	}
	if perr != nil {
		return "-1", "@" + sender + " " + report.RefusalMarkdown("the comment", "gitops could not read it as a command", "write the command as the help below says") + "\n" + report.HelpMarkdown(command.HelpText())
	}
	if _, ok := cmd.(command.Help); ok {
		return "+1", report.HelpMarkdown(command.HelpText())
	}
	least := d.Config.Permissions[cmd.Name()]
	if least == "" {
		least = "maintain"
	}
	role, err := c.Permission(ctx, repo, sender)
	if err != nil {
		return "-1", "@" + sender + " " + report.RefusalMarkdown(cmd.String(), "gitops could not read your permission on "+repo, "try again in a moment")
	}
	if !config.AllowsRole(role, least) {
		return "-1", "@" + sender + " " + report.RefusalMarkdown(cmd.String(), fmt.Sprintf("it needs the %s role on %s; @%s has %s", least, repo, sender, role), fmt.Sprintf("ask someone with the %s role, or an admin to change `permissions.%s` in gitops' configuration", least, cmd.Name()))
	}
	if seed, ok := cmd.(command.Seed); ok {
		return d.seedCommand(ctx, inst, repo, number, sender, commentID, seed)
	}
	pr, err := c.PullRequest(ctx, repo, number)
	if err != nil {
		return "-1", "gitops could not read this pull request; try again."
	}
	switch cmd := cmd.(type) {
	case command.Plan:
		if tag, ok := strings.CutPrefix(pr.HeadRef, "release/"); ok && strings.HasPrefix(tag, "v") {
			// A release pull request: check its images and the tag's checks again.
			appRepo := d.Config.Releases.AppRepo
			if appRepo == "" {
				appRepo = repo
			}
			if err := d.Store.Enqueue(ctx, ReleasePRArgs{AppRepo: appRepo, Tag: tag, InstallationID: inst}); err != nil {
				return "-1", "gitops could not queue the release check; try again."
			}
			return "+1", ""
		}
		err = d.Store.Enqueue(ctx, PlanArgs{Repo: repo, PR: number, InstallationID: inst, Envs: cmd.Envs, Requester: sender, Trigger: "comment"})
		if err != nil {
			return "-1", "gitops could not queue the plan; try again."
		}
		return "+1", ""
	case command.Apply:
		err = d.Store.Enqueue(ctx, ApplyArgs{Repo: repo, PR: number, InstallationID: inst, Envs: cmd.Envs, Requester: sender, HeadSHA: pr.HeadSHA, CommentID: commentID, Via: "`/apply`"})
		if err != nil {
			return "-1", "gitops could not queue the apply; try again."
		}
		return "", "" // the apply job reacts when it is done
	case command.Deploy:
		return d.deployNow(ctx, c, inst, repo, pr, sender, commentID, cmd)
	case command.ApprovePolicy:
		return d.approvePolicy(ctx, c, inst, repo, number, sender, commentID, cmd)
	case command.Unlock:
		released, err := d.unlock(ctx, repo, number, cmd.Envs)
		if err != nil {
			return "-1", "gitops could not release the locks; try again."
		}
		if len(released) == 0 {
			return "+1", "This pull request holds no lock" + onEnvs(cmd.Envs) + "."
		}
		return "+1", "Released the lock of " + strings.Join(released, ", ") + ". Its plans stay, but another pull request may now plan and apply these environments; comment `/plan` to lock them again."
	default:
		return "-1", fmt.Sprintf("`%s` is not available in this version of gitops yet.", cmd.String())
	}
}

func onEnvs(envs []string) string {
	if len(envs) == 0 {
		return ""
	}
	return " on " + strings.Join(envs, ", ")
}

// unlock releases the pull request's locks (on envs, or all).
func (d *Deps) unlock(ctx context.Context, repo string, pr int, envs []string) ([]string, error) {
	if len(envs) == 0 {
		return d.Store.UnlockHolder(ctx, repo, holder(pr))
	}
	var out []string
	for _, e := range envs {
		ok, err := d.Store.Unlock(ctx, repo, e, holder(pr))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// deployNow deploys the releases a merged pull request changed at once,
// inside a freeze window: a maintainer's override, recorded in the deploy's
// comment, its run and its GitHub deployment. The deploy job reacts on the
// comment when it is done.
func (d *Deps) deployNow(ctx context.Context, c Client, inst int64, repo string, pr *github.PR, sender string, commentID int64, cmd command.Deploy) (outcome, reply string) {
	refuse := func(why, fix string) (string, string) {
		return "-1", "@" + sender + " " + report.RefusalMarkdown(cmd.String(), why, fix)
	}
	if !pr.Merged {
		return refuse("the pull request is not merged; `/deploy --now` deploys a merged release that waits for a freeze window to end", "merge it: merging deploys the release, or waits for the freeze window to end")
	}
	if d.Engine == nil {
		return refuse("this gitops deploys no releases (no release engine is configured)", "")
	}
	files, err := c.ChangedFiles(ctx, repo, pr.Number)
	if err != nil {
		return "-1", "gitops could not list the files of this pull request; try again."
	}
	envs := releaseEnvs(files)
	if len(envs) == 0 {
		return refuse("the pull request changes no `releases/<env>.yaml`, so it deploys nothing", "")
	}
	var jobs []river.JobArgs
	var done []string
	for _, env := range envs {
		a := DeployArgs{Repo: repo, PR: pr.Number, Env: env, MergeSHA: pr.MergeCommitSHA, BaseSHA: pr.BaseSHA, InstallationID: inst, NowBy: sender, CommentID: commentID}
		run, ok, err := d.findRun(ctx, store.RunFilter{Repo: repo, PR: pr.Number, Env: env, Kind: store.RunDeploy}, deployKey(a))
		if err != nil {
			return "-1", "gitops could not read its deploys; try again."
		}
		if ok {
			switch run.Status {
			case store.RunSucceeded:
				done = append(done, fmt.Sprintf("%s is already deployed (run %d)", env, run.ID))
			case store.RunFailed:
				done = append(done, fmt.Sprintf("the deploy to %s failed (run %d; its comment says why); gitops does not deploy a merge twice: fix the cause in a new pull request of `%s`, or deploy with `gitops deploy %s`", env, run.ID, releasePath(env), env))
			default:
				done = append(done, fmt.Sprintf("%s is being deployed (run %d)", env, run.ID))
			}
			continue
		}
		jobs = append(jobs, a)
	}
	if len(jobs) == 0 {
		return "+1", "Nothing to deploy now: " + strings.Join(done, "; ") + "."
	}
	if err := d.Store.Enqueue(ctx, jobs...); err != nil {
		return "-1", "gitops could not queue the deploy; try again."
	}
	return "", ""
}

// releaseEnvironments are the environments with a release file on the
// default branch (releases/<env>.yaml).
func (d *Deps) releaseEnvironments(ctx context.Context, c Client, repo string) ([]string, error) {
	branch, _, err := c.DefaultBranch(ctx, repo)
	if err != nil {
		return nil, err
	}
	names, err := c.ListDir(ctx, repo, branch, "releases")
	if errors.Is(err, github.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var files []string
	for _, n := range names {
		files = append(files, "releases/"+n)
	}
	return releaseEnvs(files), nil
}
