package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/command"
	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/release"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/store"
)

// SeedArgs runs the seed steps of an environment's release, asked for with
// /seed on a pull request or an issue.
type SeedArgs struct {
	Repo string `json:"repo"`
	// Number is the pull request or issue the /seed comment is on.
	Number         int    `json:"number"`
	InstallationID int64  `json:"installation_id"`
	Env            string `json:"env"`
	// Steps are the seed steps asked for; none: every one.
	Steps []string `json:"steps,omitempty"`
	// CommentID is the /seed comment: a comment seeds once.
	CommentID int64  `json:"comment_id"`
	Requester string `json:"requester"`
	// Command is the command as parsed, for the comment.
	Command string `json:"command"`
}

// Kind names the job in River.
func (SeedArgs) Kind() string { return "seed" }

// SeedWorker runs seed steps: those of releases/<env>.yaml on the default
// branch (the steps run code: a pull request cannot change them), in the
// order of the file, each a one-off ECS task waited for and checked, under
// the environment's lock (shared with plans, applies and deploys). A
// failing step stops the rest. One comment answers the /seed, updated as
// each step starts and ends.
type SeedWorker struct {
	river.WorkerDefaults[SeedArgs]
	d *Deps
}

// Timeout bounds the seed: its steps have timeouts of their own.
func (w *SeedWorker) Timeout(*river.Job[SeedArgs]) time.Duration { return w.d.timeout() }

func seedKey(a SeedArgs) string { return fmt.Sprintf("seed:%s:%d", a.Repo, a.CommentID) }

func seedHolder(commentID int64) string { return fmt.Sprintf("seed:%d", commentID) }

// Work seeds the environment.
func (w *SeedWorker) Work(ctx context.Context, job *river.Job[SeedArgs]) error {
	a, d := job.Args, w.d
	log := d.log(ctx).With("job", job.ID, "kind", a.Kind(), "repo", a.Repo, "number", a.Number, "env", a.Env, "comment", a.CommentID)
	if run, ok, err := d.findRun(ctx, store.RunFilter{Repo: a.Repo, PR: a.Number, Env: a.Env, Kind: store.RunSeed}, seedKey(a)); err != nil {
		return err
	} else if ok && !resumed(run, job.ID) {
		if run.Status != store.RunRunning {
			if _, err := d.Store.Unlock(ctx, a.Repo, a.Env, seedHolder(a.CommentID)); err != nil {
				return err
			}
		}
		log.Info("the /seed is answered, or being answered, by another job", "run", run.ID, "status", run.Status)
		return nil
	}
	c := d.GitHub.Client(a.InstallationID)
	view := report.Seed{CommentID: a.CommentID, Env: a.Env, Requester: a.Requester, Command: a.Command, Version: d.Version}
	comment := &markedComment{c: c, repo: a.Repo, number: a.Number, marker: report.SeedCommentMarker(a.CommentID)}
	post := func(ctx context.Context) error {
		if view.State != report.RunLocked {
			view.UpdatedAt = time.Now().UTC()
		}
		return comment.post(ctx, report.SeedMarkdown(view))
	}
	react := func(ok bool) {
		reaction := "+1"
		if !ok {
			reaction = "-1"
		}
		if err := c.React(ctx, a.Repo, a.CommentID, reaction); err != nil {
			log.Warn("react to /seed", "err", err)
		}
	}
	notRun := func(err error) error {
		view.State, view.Err = report.RunNotRun, err.Error()
		if err := post(ctx); err != nil {
			return err
		}
		react(false)
		return nil
	}

	branch, _, err := c.DefaultBranch(ctx, a.Repo)
	if err != nil {
		return err
	}
	rel, err := releaseAt(ctx, c, a.Repo, branch, a.Env)
	var invalid release.Errors
	if errors.As(err, &invalid) {
		return notRun(err)
	}
	if err != nil {
		return err
	}
	if rel == nil {
		return notRun(fmt.Errorf("%s has no %s on %s, so it has no seed steps", a.Repo, releasePath(a.Env), branch))
	}
	view.Release = rel.Version
	if view.Steps, err = seedOrder(rel, a.Steps); err != nil {
		return notRun(err)
	}

	if err := d.lockEnvOrWait(ctx, log, store.Lock{Repo: a.Repo, Env: a.Env, Holder: seedHolder(a.CommentID), PR: a.Number}, func(h *report.Holder) error {
		view.State, view.LockedBy = report.RunLocked, h
		return post(ctx)
	}); err != nil {
		return err
	}
	run, started, err := d.Store.BeginRun(ctx, store.Run{Kind: store.RunSeed, Repo: a.Repo, PR: a.Number, Env: a.Env, JobID: job.ID, Key: seedKey(a)})
	if err != nil {
		return err
	}
	if !started && !resumed(run, job.ID) {
		if run.Status != store.RunRunning {
			_, _ = d.Store.Unlock(ctx, a.Repo, a.Env, seedHolder(a.CommentID))
		}
		return nil
	}
	// A resumed seed runs its steps again with the same client tokens: ECS
	// hands back the tasks already started, so no step runs twice.
	res, err := d.seed(ctx, log, c, job.ID, run, a, rel, &view, post)
	status, detail := store.RunSucceeded, []byte(`{"succeeded":true}`)
	if res == nil || !res.Succeeded {
		status, detail = store.RunFailed, []byte(`{"error":`+quote(report.Redact(errorText(err)))+`}`)
	}
	if err := d.Store.FinishRun(ctx, run.ID, status, detail); err != nil {
		return err
	}
	if _, err := d.Store.Unlock(ctx, a.Repo, a.Env, seedHolder(a.CommentID)); err != nil {
		return err
	}
	if err := post(ctx); err != nil {
		// The run is finished: a retry would not post again.
		log.Warn("seed comment", "err", err)
	}
	react(status == store.RunSucceeded)
	log.Info("seed done", "succeeded", status == store.RunSucceeded)
	return nil
}

// seed runs the begun seed on the environment's target.
func (d *Deps) seed(ctx context.Context, log *slog.Logger, c Client, jobID int64, run store.Run, a SeedArgs, rel *release.Release, view *report.Seed, post func(context.Context) error) (*deploy.SeedResult, error) {
	target, eng, err := d.target(ctx, c, a.Repo, a.Env, jobID, rel)
	if err != nil {
		view.State, view.Err = report.RunNotRun, err.Error()
		return nil, err
	}
	view.State = report.RunRunning
	if err := post(ctx); err != nil {
		log.Warn("seed comment", "err", err)
	}
	s := d.startStream(ctx, log, run.ID, func(ctx context.Context, events []deploy.Event) {
		view.Events = events
		if err := post(ctx); err != nil {
			log.Warn("seed comment", "err", err)
		}
	})
	res, err := eng.Seed(ctx, deploy.SeedRequest{Target: target, Release: *rel, Steps: view.Steps, Token: fmt.Sprintf("comment-%d", a.CommentID), Progress: s.event})
	view.Events = s.stop()
	switch {
	case res == nil:
		view.State, view.Err = report.RunNotRun, err.Error()
	case res.Succeeded:
		view.State, view.Result = report.RunSucceeded, res
	default:
		view.State, view.Result = report.RunFailed, res
	}
	return res, err
}

// seedOrder are the seed steps to run, in the order of the release file:
// those asked for, or all. An unknown step is an error that lists them.
func seedOrder(rel *release.Release, asked []string) ([]string, error) {
	var known, out []string
	for _, s := range rel.Seed {
		known = append(known, s.Name)
		if len(asked) == 0 || slices.Contains(asked, s.Name) {
			out = append(out, s.Name)
		}
	}
	if len(known) == 0 {
		return nil, fmt.Errorf("release %s of %s has no seed steps", rel.Version, rel.Environment)
	}
	var unknown []string
	for _, s := range asked {
		if !slices.Contains(known, s) {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown seed step(s) %s; %s has %s", strings.Join(unknown, ", "), rel.Environment, strings.Join(known, ", "))
	}
	return out, nil
}

func errorText(err error) string {
	if err == nil {
		return "failed"
	}
	return err.Error()
}

// seedCommand queues the seed /seed asks for; the seed job answers (its
// comment, then a reaction on the /seed).
func (d *Deps) seedCommand(ctx context.Context, inst int64, repo string, number int, sender string, commentID int64, cmd command.Seed) (outcome, reply string) {
	if d.Engine == nil {
		return "-1", "@" + sender + " " + report.RefusalMarkdown(cmd.String(), "this gitops runs no seeds (no release engine is configured)", "")
	}
	env := cmd.Env
	if env == "" {
		env = d.Config.Releases.Environment
	}
	canonical := command.Seed{Env: env, Steps: cmd.Steps}.String()
	if err := d.Store.Enqueue(ctx, SeedArgs{Repo: repo, Number: number, InstallationID: inst, Env: env, Steps: cmd.Steps, CommentID: commentID, Requester: sender, Command: canonical}); err != nil {
		return "-1", "gitops could not queue the seed; try again."
	}
	return "", ""
}
