package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/checkout"
	"github.com/gitops-bot/gitops/bot/config"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/pipeline"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/store"
	"github.com/gitops-bot/gitops/bot/tf"
)

// ApplyArgs applies a pull request's reviewed plans, from `/apply` or the
// check run's Apply button; both go through the same checks here.
type ApplyArgs struct {
	Repo           string   `json:"repo"`
	PR             int      `json:"pr"`
	InstallationID int64    `json:"installation_id"`
	Envs           []string `json:"envs,omitempty"`
	Requester      string   `json:"requester"`
	// HeadSHA is the head when the apply was asked for: a push since makes
	// the request stale.
	HeadSHA string `json:"head_sha"`
	// CommentID is the /apply comment to react on (0 for the button).
	CommentID int64  `json:"comment_id,omitempty"`
	Via       string `json:"via"`
}

// Kind names the job in River.
func (ApplyArgs) Kind() string { return "apply" }

// ApplyWorker applies reviewed plans.
type ApplyWorker struct {
	river.WorkerDefaults[ApplyArgs]
	d *Deps
}

// Timeout bounds the applies of one request.
func (w *ApplyWorker) Timeout(*river.Job[ApplyArgs]) time.Duration { return w.d.timeout() }

// refusal is an apply that may not run: what failed and what would satisfy it.
type refusal struct{ reason, fix string }

func (r *refusal) Error() string { return r.reason }

// Work checks the requirements and applies each environment's current plan.
func (w *ApplyWorker) Work(ctx context.Context, job *river.Job[ApplyArgs]) error {
	a := job.Args
	d := w.d
	c := d.GitHub.Client(a.InstallationID)
	pr, approvals, plans, err := d.applyChecks(ctx, c, a)
	var no *refusal
	if errors.As(err, &no) {
		return d.answer(ctx, c, a, "-1", "@"+a.Requester+" "+report.RefusalMarkdown(applyCommand(a), no.reason, no.fix))
	}
	if err != nil {
		return err
	}
	head := pr.HeadSHA
	var co checkouts
	if pr.Merged {
		// The merge commit's plan: its code and its rules are the default
		// branch's at that commit.
		head = plans[0].HeadSHA
		co, err = d.fetchMerged(ctx, c, a.Repo, a.PR, head, job.ID)
	} else {
		co, err = d.fetchPR(ctx, c, a.Repo, pr, pr.HeadSHA, job.ID)
	}
	defer co.remove()
	var moved *checkout.MovedError
	if errors.As(err, &moved) {
		return d.answer(ctx, c, a, "-1", "@"+a.Requester+" "+report.RefusalMarkdown(applyCommand(a),
			fmt.Sprintf("the default branch moved on to %s since the merge commit %s was planned", short(moved.Got), short(head)),
			"Open a pull request for what is left to apply, or apply it with the gitops CLI."))
	}
	if err != nil {
		return err
	}
	runner, err := d.runner(a.Repo, a.PR, co.head)
	if err != nil {
		return err
	}
	p := pipeline.New(pipeline.Config{Dir: co.head, PolicyDir: filepath.Join(co.base, "policy"), Runner: runner, HeadSHA: head})
	prIn := &policy.PR{Number: a.PR, Author: pr.Author, Labels: pr.Labels, Approvals: approvals}
	var replies []string
	failed := false
	for _, rec := range plans {
		reply, ok, err := d.applyOne(ctx, c, job.ID, a, pr, p, prIn, rec)
		if err != nil {
			return err
		}
		failed = failed || !ok
		replies = append(replies, reply)
	}
	outcome := "+1"
	if failed {
		outcome = "-1"
	}
	if pr.Merged && !failed {
		// What the merge left to apply is applied: the pull request is done.
		if err := d.discard(ctx, a.Repo, a.PR, store.PRMerged); err != nil {
			return err
		}
	}
	return d.answer(ctx, c, a, outcome, fmt.Sprintf("@%s asked with %s:\n\n%s", a.Requester, a.Via, strings.Join(replies, "\n---\n\n")))
}

// applyChecks checks the requester's permission and the apply requirements
// and returns the pull request, its approvers (the policy input needs them
// too) and the plans to apply.
func (d *Deps) applyChecks(ctx context.Context, c Client, a ApplyArgs) (*github.PR, []string, []store.PlanRecord, error) {
	least := d.Config.Permissions["apply"]
	role, err := c.Permission(ctx, a.Repo, a.Requester)
	if err != nil {
		return nil, nil, nil, err
	}
	if !config.AllowsRole(role, least) {
		return nil, nil, nil, &refusal{fmt.Sprintf("applying needs the %s role on %s; @%s has %s", least, a.Repo, a.Requester, role), "Ask a maintainer to apply."}
	}
	pr, err := c.PullRequest(ctx, a.Repo, a.PR)
	if err != nil {
		return nil, nil, nil, err
	}
	req := d.Config.Require
	switch {
	case pr.Merged:
		// Applied on merge unless the merge commit's plan differed from the
		// one reviewed: then that plan, commented as a difference, is what
		// /apply applies (below: only plans of the merge commit qualify).
	case pr.State != "open":
		return nil, nil, nil, &refusal{"the pull request is " + pr.State, "Reopen it to apply it."}
	case req.CurrentHead && a.HeadSHA != "" && a.HeadSHA != pr.HeadSHA:
		return nil, nil, nil, &refusal{fmt.Sprintf("the pull request moved on to %s after the apply was asked for at %s", short(pr.HeadSHA), short(a.HeadSHA)), "Review the new plan, then ask again."}
	case req.Mergeable && pr.Mergeable == nil:
		return nil, nil, nil, &refusal{"GitHub has not yet said whether the pull request can be merged", "Try again in a moment."}
	case req.Mergeable && !*pr.Mergeable:
		return nil, nil, nil, &refusal{"the pull request cannot be merged (" + pr.MergeableState + ")", "Resolve the conflicts or failing required checks, then ask again."}
	}
	approvers, err := c.Approvers(ctx, a.Repo, a.PR)
	if err != nil {
		return nil, nil, nil, err
	}
	if req.Approved && !slices.ContainsFunc(approvers, func(u string) bool { return u != pr.Author }) {
		return nil, nil, nil, &refusal{"no one but the author has approved the pull request", "Ask a reviewer to approve it, then ask again."}
	}
	envs := a.Envs
	if len(envs) == 0 {
		all, err := d.Store.Plans(ctx, a.Repo, a.PR)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, p := range all {
			if p.Status == store.PlanCurrent && !slices.Contains(envs, p.Env) {
				envs = append(envs, p.Env)
			}
		}
		if len(envs) == 0 {
			return nil, nil, nil, &refusal{"there is no plan to apply", "Comment `/plan` to plan the environments this pull request changes."}
		}
	}
	var plans []store.PlanRecord
	for _, env := range envs {
		rec, err := d.Store.CurrentPlan(ctx, a.Repo, a.PR, env)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, nil, &refusal{"there is no current plan of " + env, "Comment `/plan " + env + "`, review it, then ask again."}
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if pr.Merged && rec.HeadSHA == pr.HeadSHA {
			return nil, nil, nil, &refusal{"the pull request is merged, and the only plan of " + env + " is of its head, not of what was merged", "Open a pull request for what is left to apply on " + env + ", or apply it with the gitops CLI."}
		}
		if req.CurrentHead && !pr.Merged && rec.HeadSHA != pr.HeadSHA {
			return nil, nil, nil, &refusal{fmt.Sprintf("the plan of %s is for %s, not the current head %s", env, short(rec.HeadSHA), short(pr.HeadSHA)), "Wait for the new plan, review it, then ask again."}
		}
		var verdict policy.Result
		if err := json.Unmarshal(rec.Verdict, &verdict); err != nil {
			return nil, nil, nil, fmt.Errorf("verdict of plan %d: %w", rec.ID, err)
		}
		if req.PolicyPassed && !verdict.Allowed {
			return nil, nil, nil, &refusal{"policy denies the plan of " + env + denies(verdict), "Change the pull request so that the rules pass, or have an owner of the rule override it."}
		}
		plans = append(plans, rec)
	}
	return pr, approvers, plans, nil
}

func denies(r policy.Result) string {
	var rules []string
	for _, v := range r.Denied() {
		rules = append(rules, "`"+v.Rule+"`")
	}
	if len(rules) == 0 {
		return ""
	}
	return " (" + strings.Join(rules, ", ") + ")"
}

// applyOne applies one recorded plan once: the plan moves current →
// applying exactly once, and the run is recorded before terraform starts,
// so a retried job never applies twice.
func (d *Deps) applyOne(ctx context.Context, c Client, jobID int64, a ApplyArgs, pr *github.PR, p *pipeline.Pipeline, prIn *policy.PR, rec store.PlanRecord) (string, bool, error) {
	run, started, err := d.Store.BeginRun(ctx, store.Run{Kind: store.RunApply, Repo: a.Repo, PR: a.PR, Env: rec.Env, PlanID: rec.ID, JobID: jobID, Key: fmt.Sprintf("apply:%d", rec.ID)})
	if err != nil {
		return "", false, err
	}
	if !started && resumed(run, jobID) {
		return d.interruptedApply(ctx, c, a.Repo, pr.HeadSHA, externalID(a.Repo, a.PR, rec.Env), run, rec), false, nil
	}
	if !started {
		return report.RefusalMarkdown("/apply "+rec.Env, fmt.Sprintf("this plan was already applied or is being applied (run %d, %s)", run.ID, run.Status), "nothing to do; comment `/plan "+rec.Env+"` for a new plan"), run.Status != store.RunFailed, nil
	}
	ok, err := d.Store.SetPlanStatus(ctx, rec.ID, []store.PlanStatus{store.PlanCurrent}, store.PlanApplying)
	if err != nil {
		return "", false, err
	}
	if !ok {
		_ = d.Store.FinishRun(ctx, run.ID, store.RunFailed, nil)
		return report.RefusalMarkdown("/apply "+rec.Env, "the plan is no longer current (a newer push, or another apply); nothing was applied", "review the newest plan, then ask again"), false, nil
	}
	cr := github.CheckRun{Name: report.CheckRunName(rec.Env), HeadSHA: pr.HeadSHA, ExternalID: externalID(a.Repo, a.PR, rec.Env), Status: "in_progress", Title: "applying…", Summary: fmt.Sprintf("@%s asked with %s.", a.Requester, a.Via)}
	if _, err := c.UpsertCheckRun(ctx, a.Repo, cr); err != nil {
		return "", false, err
	}
	var out bytes.Buffer
	plan, err := pipeline.LoadPlan(rec.PlanFile, rec.Env)
	var res *pipeline.ApplyResult
	if err == nil {
		start := time.Now()
		var overrides []policy.Override
		if overrides, err = d.overridesFor(ctx, a.Repo, a.PR, rec.Env); err == nil {
			total := plan.Summary.Add + plan.Summary.Change + plan.Summary.Destroy
			output := io.MultiWriter(&out, d.checkRunProgress(ctx, c, a.Repo, cr, total))
			res, err = p.Apply(ctx, pipeline.ApplyRequest{Env: rec.Env, Plan: plan, PR: prIn, Overrides: overrides, Output: output, Progress: &out})
		}
		d.observe("apply", start, err)
	}
	if err != nil {
		_ = d.Store.AppendLog(ctx, run.ID, []byte(report.Redact(out.String())))
		_ = d.Store.FinishRun(ctx, run.ID, store.RunFailed, []byte(`{"error":`+quote(err.Error())+`}`))
		_, _ = d.Store.SetPlanStatus(ctx, rec.ID, []store.PlanStatus{store.PlanApplying}, store.PlanFailed)
		cr.Status, cr.Conclusion, cr.Title = "completed", "failure", "apply failed"
		cr.Summary = "```\n" + report.Redact(relative(err.Error(), filepath.Dir(rec.Dir))) + "\n```"
		cr.Text = "```\n" + report.Redact(tail(out.String(), 60)) + "\n```"
		_, _ = c.UpsertCheckRun(ctx, a.Repo, cr)
		result := report.ApplyResult{Env: rec.Env, Err: relative(err.Error(), filepath.Dir(rec.Dir)), LogTail: tail(out.String(), 60)}
		if plan != nil {
			result.SerialBefore = plan.State.Serial
		}
		var stale *tf.StaleError
		var denied *pipeline.DeniedError
		if errors.As(err, &stale) || errors.As(err, &denied) {
			result.LogTail = "" // refused before terraform ran: nothing applied
		}
		if plan != nil && result.LogTail == "" {
			result.NotApplied = addresses(plan.Summary)
		}
		return report.ApplyResultMarkdown(result), false, nil
	}
	detail, _ := json.Marshal(res.ApplyResult)
	_ = d.Store.AppendLog(ctx, run.ID, []byte(report.Redact(out.String())))
	if err := d.Store.FinishRun(ctx, run.ID, store.RunSucceeded, detail); err != nil {
		return "", false, err
	}
	if _, err := d.Store.SetPlanStatus(ctx, rec.ID, []store.PlanStatus{store.PlanApplying}, store.PlanApplied); err != nil {
		return "", false, err
	}
	cr.Status, cr.Conclusion, cr.Title = "completed", "success", "applied"
	cr.Summary = fmt.Sprintf("Applied by @%s in %s: state %s → %s.", a.Requester, res.Duration.Round(time.Second), res.Before, res.After)
	if _, err := c.UpsertCheckRun(ctx, a.Repo, cr); err != nil {
		return "", false, err
	}
	return report.ApplyResultMarkdown(report.ApplyResult{Env: rec.Env, Duration: res.Duration, SerialBefore: res.Before.Serial, SerialAfter: res.After.Serial, Applied: addresses(plan.Summary)}), true, nil
}

// resumed reports that run was begun by this very job, which is running it
// again: its process stopped mid-way (a crash, SIGKILL) and the queue handed
// the job back.
func resumed(run store.Run, jobID int64) bool {
	return run.Status == store.RunRunning && run.JobID == jobID
}

// interruptedApply closes an apply whose process stopped while terraform was
// running. Nobody knows how far terraform got, so it is not run again: the
// plan is failed, the lock stays with the pull request, and the answer says
// how to go on from a fresh plan.
func (d *Deps) interruptedApply(ctx context.Context, c Client, repo, headSHA, extID string, run store.Run, rec store.PlanRecord) string {
	const why = "the apply was interrupted: the App stopped while terraform was applying, so part of the plan may have been applied"
	_ = d.Store.FinishRun(ctx, run.ID, store.RunFailed, []byte(`{"error":`+quote(why)+`}`))
	_, _ = d.Store.SetPlanStatus(ctx, rec.ID, []store.PlanStatus{store.PlanApplying, store.PlanCurrent}, store.PlanFailed)
	_, _ = c.UpsertCheckRun(ctx, repo, github.CheckRun{
		Name: report.CheckRunName(rec.Env), HeadSHA: headSHA, ExternalID: extID,
		Status: "completed", Conclusion: "failure", Title: "apply interrupted",
		Summary: why + ". Comment `/plan " + rec.Env + "` to see what is left, then `/apply " + rec.Env + "`.",
	})
	result := report.ApplyResult{Env: rec.Env, Interrupted: true,
		Err: "the App stopped while terraform was applying. If terraform's state lock was left held, the next apply names it (release it with `terraform force-unlock`)."}
	if plan, err := pipeline.LoadPlan(rec.PlanFile, rec.Env); err == nil {
		result.SerialBefore = plan.State.Serial
	}
	return report.ApplyResultMarkdown(result)
}

// addresses lists the resources a plan changes.
func addresses(s tf.Summary) []string {
	out := make([]string, len(s.Resources))
	for i, r := range s.Resources {
		out[i] = r.Address
	}
	return out
}

// applyCommand names how an apply was asked for, for a refusal.
func applyCommand(a ApplyArgs) string {
	if a.CommentID == 0 {
		return "the Apply button"
	}
	return "/apply " + strings.Join(a.Envs, " ")
}

// answer replies on the pull request and reacts on the /apply comment.
func (d *Deps) answer(ctx context.Context, c Client, a ApplyArgs, reaction, msg string) error {
	if _, err := c.CreateComment(ctx, a.Repo, a.PR, msg); err != nil {
		return err
	}
	if a.CommentID != 0 {
		return c.React(ctx, a.Repo, a.CommentID, reaction)
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
