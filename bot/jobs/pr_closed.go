package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/checkout"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/pipeline"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/store"
	"github.com/gitops-bot/gitops/bot/tf"
)

// ClosedArgs handles a pull request that was closed or merged.
type ClosedArgs struct {
	Repo           string `json:"repo"`
	PR             int    `json:"pr"`
	InstallationID int64  `json:"installation_id"`
	DeliveryID     string `json:"delivery_id"`
}

// Kind names the job in River.
func (ClosedArgs) Kind() string { return "pr_closed" }

// ClosedWorker applies a merged pull request's reviewed plans (apply on
// merge), then releases its locks; a pull request closed unmerged has its
// plans discarded and its locks released.
type ClosedWorker struct {
	river.WorkerDefaults[ClosedArgs]
	d *Deps
}

// Timeout bounds a plan and apply of every environment.
func (w *ClosedWorker) Timeout(*river.Job[ClosedArgs]) time.Duration { return w.d.timeout() }

// Work handles the closed pull request.
func (w *ClosedWorker) Work(ctx context.Context, job *river.Job[ClosedArgs]) error {
	a := job.Args
	d := w.d
	c := d.GitHub.Client(a.InstallationID)
	pr, err := c.PullRequest(ctx, a.Repo, a.PR)
	if err != nil {
		return err
	}
	if pr.State == "open" {
		return nil // reopened since
	}
	if !pr.Merged {
		return d.discard(ctx, a.Repo, a.PR, store.PRClosed)
	}
	if err := d.enqueueDeploys(ctx, c, a, pr); err != nil {
		return err
	}
	plans, err := d.Store.Plans(ctx, a.Repo, a.PR)
	if err != nil {
		return err
	}
	var reviewed []store.PlanRecord
	for _, p := range plans {
		if p.Status == store.PlanCurrent && p.HeadSHA == pr.HeadSHA {
			reviewed = append(reviewed, p)
		}
	}
	if len(reviewed) == 0 {
		return d.discard(ctx, a.Repo, a.PR, store.PRMerged)
	}
	lines, keep, err := d.applyOnMerge(ctx, c, job.ID, a, pr.MergeCommitSHA, reviewed, pr.Author, pr.Labels)
	if err != nil {
		return err
	}
	msg := "Merged: " + strings.Join(lines, "\n")
	if _, err := c.CreateComment(ctx, a.Repo, a.PR, msg); err != nil {
		return err
	}
	if keep {
		return nil // the locks stay until the differences are applied or /unlock
	}
	return d.discard(ctx, a.Repo, a.PR, store.PRMerged)
}

// applyOnMerge plans the merge commit; an environment whose plan makes the
// same changes as the reviewed one is applied, others are reported with
// their differences (keep: the locks stay).
func (d *Deps) applyOnMerge(ctx context.Context, c Client, jobID int64, a ClosedArgs, mergeSHA string, reviewed []store.PlanRecord, author string, labels []string) (lines []string, keep bool, err error) {
	token, err := c.Token(ctx)
	if err != nil {
		return nil, false, err
	}
	branch, cloneURL, err := c.DefaultBranch(ctx, a.Repo)
	if err != nil {
		return nil, false, err
	}
	dir := filepath.Join(d.prDir(a.Repo, a.PR), "jobs", fmt.Sprint(jobID), "merge")
	co := checkouts{head: dir}
	defer co.remove()
	err = checkout.Fetch(ctx, checkout.Request{CloneURL: cloneURL, Token: token, Ref: branch, SHA: mergeSHA, Dir: dir})
	var moved *checkout.MovedError
	if errors.As(err, &moved) {
		// Something else was merged since: plan the branch as it is, the
		// comparison with the reviewed plan still decides.
		mergeSHA = moved.Got
		err = checkout.Fetch(ctx, checkout.Request{CloneURL: cloneURL, Token: token, Ref: branch, SHA: mergeSHA, Dir: dir})
	}
	if err != nil {
		return nil, false, err
	}
	runner, err := d.runner(a.Repo, a.PR, dir)
	if err != nil {
		return nil, false, err
	}
	p := pipeline.New(pipeline.Config{Dir: dir, Runner: runner, HeadSHA: mergeSHA})
	all, err := p.Environments()
	if err != nil {
		return []string{"the merge commit's environments do not validate; nothing was applied:\n```\n" + relative(err.Error(), dir) + "\n```"}, true, nil
	}
	var envs []string
	for _, r := range reviewed {
		envs = append(envs, r.Env)
	}
	specs, err := pipeline.Select(all, envs)
	if err != nil {
		return []string{err.Error()}, true, nil
	}
	var out bytes.Buffer
	results, err := p.Plan(ctx, pipeline.PlanRequest{Specs: specs, Output: func(string) io.Writer { return &out }})
	if err != nil {
		return nil, false, err
	}
	prIn := &policy.PR{Number: a.PR, Author: author, Labels: labels}
	for i, r := range results {
		rec := reviewed[i]
		if r.Err != nil {
			keep = true
			lines = append(lines, fmt.Sprintf("- **%s**: ❌ the merge commit could not be planned (%s); nothing applied", r.Env, firstLine(r.Err.Error())))
			continue
		}
		var was tf.Summary
		if err := json.Unmarshal(rec.Summary, &was); err != nil {
			return nil, false, fmt.Errorf("summary of plan %d: %w", rec.ID, err)
		}
		if diff := tf.DiffChanges(was, r.Plan.Summary); len(diff) > 0 {
			// The merge commit's plan becomes the pull request's plan of the
			// environment, judged by the merged rules: what `/apply` applies.
			keep = true
			lines = append(lines, report.MergeDiffMarkdown(r.Env, was, r.Plan.Summary))
			planJSON, err := p.PlanJSON(ctx, r.Plan)
			if err != nil {
				lines = append(lines, fmt.Sprintf("(the merge commit's plan of %s cannot be read, so it cannot be applied: %s)", r.Env, firstLine(err.Error())))
				continue
			}
			spec, _ := pipeline.Select(specs, []string{r.Env})
			overrides, err := d.overridesFor(ctx, a.Repo, a.PR, r.Env)
			if err != nil {
				return nil, false, err
			}
			check, policyErr, err := d.judgeAndSave(ctx, p, a.Repo, a.PR, mergeSHA, r.Plan, planJSON, spec[0], all, prIn, overrides)
			if err != nil {
				return nil, false, err
			}
			if policyErr != nil || !check.Policy.Allowed {
				lines = append(lines, fmt.Sprintf("Policy does not allow the merge commit's plan of %s%s, so `/apply %s` will be refused until it does.", r.Env, denies(check.Policy), r.Env))
			}
			continue
		}
		run, started, err := d.Store.BeginRun(ctx, store.Run{Kind: store.RunApply, Repo: a.Repo, PR: a.PR, Env: r.Env, PlanID: rec.ID, JobID: jobID, Key: fmt.Sprintf("merge-apply:%d", rec.ID)})
		if err != nil {
			return nil, false, err
		}
		if !started && resumed(run, jobID) {
			// This job's process stopped while terraform was applying: how far
			// it got is unknown, so it is not run again.
			keep = true
			_ = d.Store.FinishRun(ctx, run.ID, store.RunFailed, []byte(`{"error":"interrupted"}`))
			lines = append(lines, fmt.Sprintf("- **%s**: ❌ the apply on merge was interrupted (the App stopped while terraform was applying); part of it may be applied. Comment `/plan %s` to see what is left, then `/apply %s`.", r.Env, r.Env, r.Env))
			continue
		}
		if !started {
			lines = append(lines, fmt.Sprintf("- **%s**: already applied on merge (run %d)", r.Env, run.ID))
			continue
		}
		overrides, err := d.overridesFor(ctx, a.Repo, a.PR, r.Env)
		if err != nil {
			return nil, false, err
		}
		res, err := p.Apply(ctx, pipeline.ApplyRequest{Env: r.Env, Plan: r.Plan, PR: prIn, Overrides: overrides, Output: &out, Progress: &out})
		if err != nil {
			keep = true
			_ = d.Store.FinishRun(ctx, run.ID, store.RunFailed, []byte(`{"error":`+quote(err.Error())+`}`))
			lines = append(lines, fmt.Sprintf("- **%s**: ❌ apply on merge failed: %s", r.Env, firstLine(err.Error())))
			continue
		}
		detail, _ := json.Marshal(res.ApplyResult)
		if err := d.Store.FinishRun(ctx, run.ID, store.RunSucceeded, detail); err != nil {
			return nil, false, err
		}
		_, _ = d.Store.SetPlanStatus(ctx, rec.ID, []store.PlanStatus{store.PlanCurrent}, store.PlanApplied)
		lines = append(lines, fmt.Sprintf("- **%s**: ✅ the merge commit %s made the reviewed changes; applied in %s (state serial %d → %d)", r.Env, short(mergeSHA), res.Duration.Round(time.Second), res.Before.Serial, res.After.Serial))
	}
	return lines, keep, nil
}

// enqueueDeploys starts the deploy of each release file the merged pull
// request changed (a release pull request, or any edit of
// releases/<env>.yaml). Each is one job however often this runs.
func (d *Deps) enqueueDeploys(ctx context.Context, c Client, a ClosedArgs, pr *github.PR) error {
	if d.Engine == nil {
		return nil // releases are not handled
	}
	files, err := c.ChangedFiles(ctx, a.Repo, a.PR)
	if err != nil {
		return err
	}
	var deploys []river.JobArgs
	for _, env := range releaseEnvs(files) {
		deploys = append(deploys, DeployArgs{Repo: a.Repo, PR: a.PR, Env: env, MergeSHA: pr.MergeCommitSHA, BaseSHA: pr.BaseSHA, InstallationID: a.InstallationID})
	}
	return d.Store.Enqueue(ctx, deploys...)
}

// discard forgets a closed pull request's plans and releases its locks.
func (d *Deps) discard(ctx context.Context, repo string, pr int, state store.PRStatus) error {
	dirs, err := d.Store.DiscardPR(ctx, repo, pr)
	if err != nil {
		return err
	}
	// The plans can no longer be applied: their files go, and with them
	// the pull request's checkouts and terraform working directories.
	for _, dir := range dirs {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("discard plans of %s#%d: %w", repo, pr, err)
		}
	}
	if err := os.RemoveAll(d.prDir(repo, pr)); err != nil {
		return fmt.Errorf("discard work of %s#%d: %w", repo, pr, err)
	}
	if _, err := d.Store.UnlockHolder(ctx, repo, holder(pr)); err != nil {
		return err
	}
	st, err := d.Store.PRState(ctx, repo, pr)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	st.Repo, st.PR, st.State = repo, pr, state
	return d.Store.SetPRState(ctx, st)
}
