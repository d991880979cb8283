// Package jobs is where the App's work is sequenced: one file per job kind
// (a pull request's plan, a command, an apply, a closed or merged pull
// request), each a River worker. A job reads GitHub, runs the engines
// through bot/pipeline, records what it did in the store and writes the
// results back to GitHub (one sticky comment per pull request, one check
// run per environment). Effects are idempotent: River runs a job at least
// once, and GitHub may deliver an event twice.
//
// It is not for HTTP (bot/server), persistence (bot/store) or rendering
// (bot/report).
package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/config"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/metrics"
	"github.com/gitops-bot/gitops/bot/store"
	"github.com/gitops-bot/gitops/bot/tf"
)

// GitHub is what the jobs ask of GitHub, per installation.
type GitHub interface {
	Client(installationID int64) Client
}

// Client is the calls the jobs make on one installation (github.Client).
type Client interface {
	PullRequest(ctx context.Context, repo string, number int) (*github.PR, error)
	ChangedFiles(ctx context.Context, repo string, number int) ([]string, error)
	Permission(ctx context.Context, repo, user string) (string, error)
	Approvers(ctx context.Context, repo string, number int) ([]string, error)
	FindComment(ctx context.Context, repo string, number int, marker string) (int64, error)
	MarkedComment(ctx context.Context, repo string, number int, marker string) (int64, string, error)
	CreateComment(ctx context.Context, repo string, number int, body string) (int64, error)
	EditComment(ctx context.Context, repo string, id int64, body string) error
	React(ctx context.Context, repo string, commentID int64, content string) error
	UpsertCheckRun(ctx context.Context, repo string, cr github.CheckRun) (int64, error)
	DefaultBranch(ctx context.Context, repo string) (branch, cloneURL string, err error)
	Token(ctx context.Context) (string, error)
	FileContent(ctx context.Context, repo, ref, path string) ([]byte, error)
	ListDir(ctx context.Context, repo, ref, path string) ([]string, error)
	// Releases.
	RefSHA(ctx context.Context, repo, ref string) (string, error)
	EnsureBranch(ctx context.Context, repo, branch, sha string) (bool, error)
	PutFile(ctx context.Context, repo, branch, path string, content []byte, message string) (string, error)
	OpenPRFrom(ctx context.Context, repo, branch string) (*github.PR, error)
	CreatePR(ctx context.Context, repo string, n github.NewPR) (*github.PR, error)
	EditPR(ctx context.Context, repo string, number int, title, body string) error
	AddLabels(ctx context.Context, repo string, number int, labels ...string) error
	Compare(ctx context.Context, repo, base, head string) ([]github.Commit, error)
	ChecksPassed(ctx context.Context, repo, ref string) (pending, failed []string, err error)
	// Deployments.
	CreateDeployment(ctx context.Context, repo string, dep github.Deployment) (int64, error)
	DeploymentStatus(ctx context.Context, repo string, id int64, state, description, envURL string) error
}

// AppGitHub adapts a github.App to GitHub.
type AppGitHub struct{ App *github.App }

// Client returns the installation's client.
func (a AppGitHub) Client(id int64) Client { return a.App.Client(id) }

// Deps are what every job needs.
type Deps struct {
	Store  store.Store
	GitHub GitHub
	Config config.Config
	// TF are the terraform options besides the checkout and work
	// directories: backend, mirror, extra environment (an AWS emulator's
	// endpoint), extra variables.
	TF     tf.Options
	Logger *slog.Logger
	// Version is shown in the comment's footer.
	Version string
	// Metrics receives plan and apply durations; nil: none.
	Metrics *metrics.Metrics
	// Engine gives the release engine of a region: release pull requests
	// look their images up with it, deploys and seeds run on it; nil:
	// releases are not handled.
	Engine func(ctx context.Context, region string) (Engine, error)
	// Outputs gives an environment's stack outputs, where its deploys and
	// seeds find it (deploy.TargetFromOutputs); nil: terraform output on a
	// checkout of the default branch.
	Outputs func(ctx context.Context, env string) (map[string]json.RawMessage, error)
}

// observe records how long a plan or an apply took.
func (d *Deps) observe(kind string, start time.Time, err error) {
	if d.Metrics == nil {
		return
	}
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	d.Metrics.Durations.WithLabelValues(kind, outcome).Observe(time.Since(start).Seconds())
}

// Register adds every job kind's worker to workers.
func Register(workers *river.Workers, d *Deps) {
	river.AddWorker(workers, &PlanWorker{d: d})
	river.AddWorker(workers, &CommandWorker{d: d})
	river.AddWorker(workers, &ApplyWorker{d: d})
	river.AddWorker(workers, &ClosedWorker{d: d})
	river.AddWorker(workers, &PruneWorker{d: d})
	river.AddWorker(workers, &ReleasePRWorker{d: d})
	river.AddWorker(workers, &DeployWorker{d: d})
	river.AddWorker(workers, &SeedWorker{d: d})
}

// ForEvent is the work a webhook delivery starts: the jobs to enqueue in
// the transaction that stores it. Events the App does not act on start none.
func ForEvent(e *github.Event) []river.JobArgs {
	switch e.Kind {
	case "pull_request":
		switch e.Action {
		case "opened", "synchronize", "reopened", "labeled", "unlabeled", "ready_for_review":
			return []river.JobArgs{PlanArgs{Repo: e.Repo, PR: e.Number, InstallationID: e.InstallationID, HeadSHA: e.HeadSHA, Trigger: e.Action}}
		case "closed":
			return []river.JobArgs{ClosedArgs{Repo: e.Repo, PR: e.Number, InstallationID: e.InstallationID, DeliveryID: e.DeliveryID}}
		}
	case "issue_comment":
		if e.Action == "created" && e.Number > 0 && !strings.HasSuffix(e.Sender, "[bot]") {
			return []river.JobArgs{CommandArgs{DeliveryID: e.DeliveryID}}
		}
	case "push":
		// A tag created (a deleted one's "after" is all zeros): maybe a release.
		if tag, ok := strings.CutPrefix(e.Ref, "refs/tags/"); ok && strings.HasPrefix(tag, "v") && strings.Trim(e.HeadSHA, "0") != "" {
			return []river.JobArgs{ReleasePRArgs{AppRepo: e.Repo, Tag: tag, SHA: e.HeadSHA, InstallationID: e.InstallationID}}
		}
	case "check_run":
		if e.Action == "requested_action" && e.Ref == "apply" && e.Number > 0 {
			return []river.JobArgs{ApplyArgs{Repo: e.Repo, PR: e.Number, InstallationID: e.InstallationID, Requester: e.Sender, HeadSHA: e.HeadSHA, Via: "the Apply button"}}
		}
	}
	return nil
}

// prDir is where a pull request's checkouts and terraform work live.
func (d *Deps) prDir(repo string, pr int) string {
	return filepath.Join(d.Config.DataDir, "repos", filepath.FromSlash(repo), fmt.Sprintf("pr-%d", pr))
}

// runner is the terraform runner of a pull request's checkout: its work
// directory is the PR's own (two PRs never share one), the plugin cache is
// shared.
func (d *Deps) runner(repo string, pr int, checkout string) (*tf.Runner, error) {
	opts := d.TF
	opts.SourceDir = filepath.Join(checkout, "terraform")
	opts.WorkDir = filepath.Join(d.prDir(repo, pr), "work")
	if opts.PluginCacheDir == "" {
		opts.PluginCacheDir = filepath.Join(d.Config.DataDir, "plugin-cache")
	}
	if opts.InitCache == "" {
		opts.InitCache = filepath.Join(d.Config.DataDir, "repos", filepath.FromSlash(repo), "tf-init")
	}
	return tf.New(opts)
}

func (d *Deps) log(ctx context.Context) *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// holder is a pull request's name as a lock holder.
func holder(pr int) string { return fmt.Sprintf("pr:%d", pr) }

// timeout bounds one job.
func (d *Deps) timeout() time.Duration {
	if d.Config.JobTimeout > 0 {
		return d.Config.JobTimeout
	}
	return 30 * time.Minute
}
