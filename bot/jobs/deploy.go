package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/release"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/store"
)

// DeployArgs deploys the release a merged pull request put in
// releases/<env>.yaml.
type DeployArgs struct {
	Repo string `json:"repo" river:"unique"`
	PR   int    `json:"pr" river:"unique"`
	Env  string `json:"env" river:"unique"`
	// MergeSHA is the merge commit: its release file is what deploys, and
	// the GitHub deployment's ref.
	MergeSHA string `json:"merge_sha" river:"unique"`
	// BaseSHA is the base branch just before the merge: its release file is
	// what runs now.
	BaseSHA        string `json:"base_sha"`
	InstallationID int64  `json:"installation_id"`
	// NowBy is the maintainer whose /deploy --now (comment CommentID)
	// overrides a freeze window.
	NowBy     string `json:"now_by,omitempty" river:"unique"`
	CommentID int64  `json:"comment_id,omitempty"`
}

// Kind names the job in River.
func (DeployArgs) Kind() string { return "deploy" }

// InsertOpts make a merge's deploy one job however often the job of the
// closed pull request that enqueues it runs.
func (DeployArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DeployWorker deploys a merged release: it waits out a freeze window
// (unless a maintainer said /deploy --now) and the environment's lock, then
// creates a GitHub deployment and runs the release engine, showing each
// step in one comment on the pull request, and sets the deployment's status
// from the outcome. A merge deploys once: the run is keyed on the merge
// commit, and the migration's RunTask on the GitHub deployment.
type DeployWorker struct {
	river.WorkerDefaults[DeployArgs]
	d *Deps
}

// Timeout bounds a deploy: the release's own timeouts are shorter.
func (w *DeployWorker) Timeout(*river.Job[DeployArgs]) time.Duration { return w.d.timeout() }

// lockRetry is how long a deploy or a seed waits before it tries again for
// a lock someone else holds.
const lockRetry = 30 * time.Second

// lockEnvOrWait takes the environment's lock for l.Holder. When another
// holds it, waiting is told who (to say so on the pull request) and the job
// snoozes for lockRetry: the returned error is River's snooze.
func (d *Deps) lockEnvOrWait(ctx context.Context, log *slog.Logger, l store.Lock, waiting func(*report.Holder) error) error {
	held, ok, err := d.Store.TryLock(ctx, l)
	if err != nil || ok {
		return err
	}
	if err := waiting(&report.Holder{Holder: held.Holder, PR: held.PR, URL: held.URL}); err != nil {
		return err
	}
	log.Info("the environment is locked: waiting", "holder", held.Holder)
	return river.JobSnooze(lockRetry)
}

// Journal lines in a deploy run's log: what a job resumed after its
// process died needs to go on with the same deploy rather than start
// another.
const (
	journalDeployment    = "# github deployment "
	journalRollbackPoint = "# rollback point "
)

// deployKey names a merge's deploy to an environment in the store's runs.
func deployKey(a DeployArgs) string {
	return fmt.Sprintf("deploy:%s:%s:%s", a.Repo, a.Env, a.MergeSHA)
}

// deployHolder is a deploy's name as a lock holder.
func deployHolder(sha string) string { return "deploy:" + sha }

// Work deploys the release.
func (w *DeployWorker) Work(ctx context.Context, job *river.Job[DeployArgs]) error {
	a, d := job.Args, w.d
	log := d.log(ctx).With("job", job.ID, "kind", a.Kind(), "repo", a.Repo, "pr", a.PR, "env", a.Env, "merge_sha", a.MergeSHA)
	if run, ok, err := d.findRun(ctx, store.RunFilter{Repo: a.Repo, PR: a.PR, Env: a.Env, Kind: store.RunDeploy}, deployKey(a)); err != nil {
		return err
	} else if ok && !resumed(run, job.ID) {
		if run.Status != store.RunRunning {
			// Finished: its lock goes, should the job that ran it have
			// stopped before releasing it.
			if _, err := d.Store.Unlock(ctx, a.Repo, a.Env, deployHolder(a.MergeSHA)); err != nil {
				return err
			}
		}
		log.Info("the merge is deployed, or being deployed, by another job", "run", run.ID, "status", run.Status)
		return nil
	}
	c := d.GitHub.Client(a.InstallationID)
	view := report.Deploy{Env: a.Env, MergeSHA: a.MergeSHA, Version: d.Version, OverrideBy: a.NowBy}
	comment := &markedComment{c: c, repo: a.Repo, number: a.PR, marker: report.DeployCommentMarker(a.Env)}
	post := func(ctx context.Context) error {
		if view.State != report.RunFrozen && view.State != report.RunLocked {
			// A waiting comment says the same at every wake-up: it is
			// posted once.
			view.UpdatedAt = time.Now().UTC()
		}
		return comment.post(ctx, report.DeployMarkdown(view))
	}

	notRun := func(err error) error {
		view.State, view.Err = report.RunNotRun, err.Error()
		return post(ctx)
	}
	var invalid release.Errors
	next, err := releaseAt(ctx, c, a.Repo, a.MergeSHA, a.Env)
	if errors.As(err, &invalid) {
		return notRun(err)
	}
	if err != nil {
		return err
	}
	if next == nil {
		log.Info("the merge commit has no release file; nothing to deploy")
		return nil
	}
	var current *release.Release
	if a.BaseSHA != "" {
		current, err = releaseAt(ctx, c, a.Repo, a.BaseSHA, a.Env)
		if errors.As(err, &invalid) {
			return notRun(fmt.Errorf("the release before the merge (at %s) cannot be read, so what changes is unknown: %w", short(a.BaseSHA), err))
		}
		if err != nil {
			return err
		}
	}
	plan, err := release.NewPlan(current, next)
	if err != nil {
		return notRun(err)
	}
	view.Plan = plan
	if len(plan.Changed) == 0 && (plan.Migration == nil || len(plan.Migration.Command) == 0) {
		log.Info("the merge changes no image and runs no migration; nothing to deploy", "version", next.Version)
		return nil
	}

	now := time.Now()
	if a.NowBy == "" {
		if frozen, until, win := next.FrozenAt(now); frozen {
			view.State, view.FrozenUntil, view.Freeze = report.RunFrozen, until, win.Freeze
			if err := post(ctx); err != nil {
				return err
			}
			log.Info("inside a freeze window: waiting", "until", until)
			return river.JobSnooze(until.Sub(now) + time.Second)
		}
	}

	pr, err := c.PullRequest(ctx, a.Repo, a.PR)
	if err != nil {
		return err
	}
	holderName := deployHolder(a.MergeSHA)
	if err := d.lockEnvOrWait(ctx, log, store.Lock{Repo: a.Repo, Env: a.Env, Holder: holderName, PR: a.PR, URL: pr.HTMLURL}, func(h *report.Holder) error {
		view.State, view.LockedBy = report.RunLocked, h
		return post(ctx)
	}); err != nil {
		return err
	}

	run, started, err := d.Store.BeginRun(ctx, store.Run{Kind: store.RunDeploy, Repo: a.Repo, PR: a.PR, Env: a.Env, JobID: job.ID, Key: deployKey(a)})
	if err != nil {
		return err
	}
	if !started && !resumed(run, job.ID) {
		if run.Status != store.RunRunning {
			// This job took the lock again after the other had released it.
			_, _ = d.Store.Unlock(ctx, a.Repo, a.Env, holderName)
		}
		log.Info("the merge is deployed, or being deployed, by another job", "run", run.ID, "status", run.Status)
		return nil
	}
	if a.NowBy != "" {
		if frozen, _, _ := next.FrozenAt(now); !frozen {
			view.OverrideBy = "" // nothing to override after all
		}
	}
	var journal deployJournal
	if !started {
		// This job's process stopped mid-deploy: go on with the same
		// deployment (the same migration task, the rollback points it
		// recorded) rather than start another.
		logText, err := d.Store.Log(ctx, run.ID, 0)
		if err != nil {
			return err
		}
		journal = readJournal(logText)
		log.Warn("resuming an interrupted deploy", "run", run.ID, "github_deployment", journal.deployment, "rollback_points", len(journal.rollbackTo))
	}
	outcome := d.deploy(ctx, log, c, job.ID, run, a, next, current, plan, journal, &view, post)
	detail, _ := json.Marshal(outcome)
	status := store.RunSucceeded
	if !outcome.Succeeded {
		status = store.RunFailed
	}
	if err := d.Store.FinishRun(ctx, run.ID, status, detail); err != nil {
		return err
	}
	if _, err := d.Store.Unlock(ctx, a.Repo, a.Env, holderName); err != nil {
		return err
	}
	if err := post(ctx); err != nil {
		// The run is finished: a retry would not post again.
		log.Warn("deploy comment", "err", err)
	}
	if a.CommentID != 0 {
		reaction := "+1"
		if !outcome.Succeeded {
			reaction = "-1"
		}
		if err := c.React(ctx, a.Repo, a.CommentID, reaction); err != nil {
			log.Warn("react to /deploy --now", "err", err)
		}
	}
	log.Info("deploy done", "succeeded", outcome.Succeeded, "failure", outcome.Failure)
	return nil
}

// deployOutcome is what the store keeps of a deploy (a run's detail).
type deployOutcome struct {
	GitHubDeployment int64  `json:"github_deployment,omitempty"`
	Version          string `json:"version"`
	Succeeded        bool   `json:"succeeded"`
	Failure          string `json:"failure,omitempty"`
	OverrideBy       string `json:"override_by,omitempty"`
}

// deploy runs a begun deploy to its end: the GitHub deployment, the target,
// the engine, the deployment's status. It reports every failure in the
// comment and the outcome, so that the run always finishes.
func (d *Deps) deploy(ctx context.Context, log *slog.Logger, c Client, jobID int64, run store.Run, a DeployArgs, next, current *release.Release, plan *release.Plan, journal deployJournal, view *report.Deploy, post func(context.Context) error) deployOutcome {
	out := deployOutcome{Version: string(next.Version), OverrideBy: view.OverrideBy}
	fail := func(depID int64, err error) deployOutcome {
		view.State, view.Err = report.RunNotRun, err.Error()
		out.Failure = report.Redact(err.Error())
		if depID != 0 {
			if err := c.DeploymentStatus(ctx, a.Repo, depID, "error", "not deployed: "+firstLine(out.Failure), ""); err != nil {
				log.Warn("deployment status", "err", err)
			}
		}
		return out
	}
	depID := journal.deployment
	if depID == 0 {
		desc := fmt.Sprintf("%s to %s (#%d)", next.Version, a.Env, a.PR)
		payload := map[string]any{"version": string(next.Version), "pull_request": a.PR}
		if view.OverrideBy != "" {
			payload["freeze_override_by"] = view.OverrideBy
		}
		id, err := c.CreateDeployment(ctx, a.Repo, github.Deployment{Ref: a.MergeSHA, Environment: a.Env, Description: desc, Payload: payload})
		if err != nil {
			return fail(0, err)
		}
		depID = id
		if err := d.Store.AppendLog(ctx, run.ID, []byte(journalDeployment+strconv.FormatInt(id, 10)+"\n")); err != nil {
			return fail(depID, err)
		}
	}
	view.DeploymentID, out.GitHubDeployment = depID, depID
	view.State = report.RunRunning
	if err := c.DeploymentStatus(ctx, a.Repo, depID, "in_progress", fmt.Sprintf("deploying %s", next.Version), ""); err != nil {
		log.Warn("deployment status", "err", err)
	}
	if err := post(ctx); err != nil {
		log.Warn("deploy comment", "err", err)
	}

	target, eng, err := d.target(ctx, c, a.Repo, a.Env, jobID, next)
	if err != nil {
		return fail(depID, err)
	}
	view.EnvURL = target.BaseURL
	s := d.startStream(ctx, log, run.ID, func(ctx context.Context, events []deploy.Event) {
		view.Events = events
		if err := post(ctx); err != nil {
			log.Warn("deploy comment", "err", err)
		}
	})
	req := deploy.DeployRequest{
		Target: target, Current: current, Next: *next,
		DeploymentID: fmt.Sprintf("github-%d", depID),
		RollbackTo:   journal.rollbackTo,
		Progress:     s.event,
	}
	var res *deploy.DeployResult
	if plan.Direction == release.Rollback {
		res, err = eng.Rollback(ctx, req)
	} else {
		res, err = eng.Deploy(ctx, req)
	}
	view.Events = s.stop()
	if res == nil {
		return fail(depID, err)
	}
	view.Result = res
	if res.Succeeded {
		view.State, out.Succeeded = report.RunSucceeded, true
		if err := c.DeploymentStatus(ctx, a.Repo, depID, "success", fmt.Sprintf("%s deployed", next.Version), target.BaseURL); err != nil {
			log.Warn("deployment status", "err", err)
		}
		return out
	}
	view.State = report.RunFailed
	reason := "failed"
	if res.Failure != nil {
		out.Failure = report.Redact(res.Failure.String())
		reason = "failed at " + out.Failure
	}
	if err := c.DeploymentStatus(ctx, a.Repo, depID, "failure", reason, ""); err != nil {
		log.Warn("deployment status", "err", err)
	}
	return out
}

// deployJournal is what a deploy's run log says it did.
type deployJournal struct {
	deployment int64
	rollbackTo map[string]string
}

func readJournal(log []byte) deployJournal {
	var j deployJournal
	for line := range strings.Lines(string(log)) {
		line = strings.TrimSpace(line)
		if s, ok := strings.CutPrefix(line, journalDeployment); ok {
			j.deployment, _ = strconv.ParseInt(s, 10, 64)
		}
		if s, ok := strings.CutPrefix(line, journalRollbackPoint); ok {
			if svc, td, ok := strings.Cut(s, " "); ok {
				if j.rollbackTo == nil {
					j.rollbackTo = map[string]string{}
				}
				if _, seen := j.rollbackTo[svc]; !seen {
					j.rollbackTo[svc] = td
				}
			}
		}
	}
	return j
}

// findRun is the run of key among those f selects.
func (d *Deps) findRun(ctx context.Context, f store.RunFilter, key string) (store.Run, bool, error) {
	runs, err := d.Store.Runs(ctx, f)
	if err != nil {
		return store.Run{}, false, err
	}
	for _, r := range runs {
		if r.Key == key {
			return r, true, nil
		}
	}
	return store.Run{}, false, nil
}
