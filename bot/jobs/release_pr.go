package jobs

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/release"
	"github.com/gitops-bot/gitops/bot/report"
)

// ReleasePRArgs opens or updates the release pull request of a tag.
type ReleasePRArgs struct {
	// AppRepo is the repository the tag was pushed to; SHA its commit
	// (empty: the tag's commit now).
	AppRepo        string `json:"app_repo"`
	Tag            string `json:"tag"`
	SHA            string `json:"sha"`
	InstallationID int64  `json:"installation_id"`
}

// Kind names the job in River.
func (ReleasePRArgs) Kind() string { return "release_pr" }

// ReleasePRWorker makes a tag's release pull request: the release file with
// the new version and images pinned by digest on branch release/<tag>, and
// one pull request from it, found again on every later run (a redelivered
// or repeated tag push never opens a second one). Not ready (an image not
// in the registry, the tag's checks not green): a draft that says why.
type ReleasePRWorker struct {
	river.WorkerDefaults[ReleasePRArgs]
	d *Deps
}

// Work makes the release pull request.
func (w *ReleasePRWorker) Work(ctx context.Context, job *river.Job[ReleasePRArgs]) error {
	a, d := job.Args, w.d
	log := d.log(ctx).With("job", job.ID, "kind", a.Kind(), "app_repo", a.AppRepo, "tag", a.Tag)
	repo := d.Config.ReleaseRepo(a.AppRepo)
	if repo == "" {
		return nil // not the application's repository
	}
	version, err := release.ParseVersion(a.Tag)
	if err != nil {
		log.Info("the tag is not a release version; nothing to do", "err", err)
		return nil
	}
	env := d.Config.Releases.Environment
	c := d.GitHub.Client(a.InstallationID)
	if a.SHA == "" { // asked again with /plan: the tag's commit now
		if a.SHA, err = c.RefSHA(ctx, a.AppRepo, "tags/"+a.Tag); err != nil {
			return err
		}
	}
	branch, _, err := c.DefaultBranch(ctx, repo)
	if err != nil {
		return err
	}
	path := "releases/" + env + ".yaml"
	curBytes, err := c.FileContent(ctx, repo, branch, path)
	if errors.Is(err, github.ErrNotFound) {
		log.Error("no release file: a tag releases to an environment with one", "repo", repo, "file", path)
		return nil
	}
	if err != nil {
		return err
	}
	current, err := release.Decode(path, curBytes)
	if err != nil {
		log.Error("the release file on the default branch does not validate; fix it, then push the tag again", "repo", repo, "err", err)
		return nil
	}
	specBytes, err := c.FileContent(ctx, repo, branch, "environments/"+env+".yaml")
	if err != nil {
		return err
	}
	spec, err := envspec.Decode("environments/"+env+".yaml", specBytes)
	if err != nil {
		log.Error("the environment does not validate on the default branch", "repo", repo, "err", err)
		return nil
	}

	pr := report.ReleasePR{AppRepo: a.AppRepo, Tag: a.Tag, TagSHA: a.SHA, File: path}
	images, missing, err := d.resolveImages(ctx, spec.Region, current, version)
	if err != nil {
		return err
	}
	pr.Missing = missing
	if pr.ChecksPending, pr.ChecksFailed, err = c.ChecksPassed(ctx, a.AppRepo, a.SHA); err != nil {
		return err
	}
	nextBytes, err := release.Next(path, curBytes, release.Update{Version: version, Images: images})
	if err != nil {
		return fmt.Errorf("release %s: %w", a.Tag, err)
	}
	next, err := release.Decode(path, nextBytes)
	if err != nil {
		return fmt.Errorf("release %s: %w", a.Tag, err)
	}
	if pr.Plan, err = release.NewPlan(current, next); err != nil {
		return err
	}
	if pr.Plan.Direction == release.Forward && current.Version.IsSemver() {
		commits, err := c.Compare(ctx, a.AppRepo, string(current.Version), a.Tag)
		if err != nil {
			log.Warn("no changelog: the previous release's tag cannot be compared", "previous", current.Version, "err", err)
		} else {
			pr.Changelog = release.NewChangelog(toReleaseCommits(commits), report.MaxChangelogEntries)
		}
	}

	base, err := c.RefSHA(ctx, repo, "heads/"+branch)
	if err != nil {
		return err
	}
	prBranch := "release/" + a.Tag
	if _, err := c.EnsureBranch(ctx, repo, prBranch, base); err != nil {
		return err
	}
	if _, err := c.PutFile(ctx, repo, prBranch, path, nextBytes, fmt.Sprintf("release %s to %s", a.Tag, env)); err != nil {
		return err
	}
	title, body := report.ReleasePRTitle(pr.Plan), report.ReleasePRMarkdown(pr)
	open, err := c.OpenPRFrom(ctx, repo, prBranch)
	if err != nil {
		return err
	}
	if open == nil {
		if open, err = c.CreatePR(ctx, repo, github.NewPR{Title: title, Head: prBranch, Base: branch, Body: body, Draft: !pr.Ready()}); err != nil {
			return err
		}
	} else if err := c.EditPR(ctx, repo, open.Number, title, body); err != nil {
		return err
	}
	labels := []string{"release"}
	if pr.Rollback() {
		labels = append(labels, "rollback")
	}
	if err := c.AddLabels(ctx, repo, open.Number, labels...); err != nil {
		return err
	}
	log.Info("release pull request", "repo", repo, "pr", open.Number, "ready", pr.Ready(), "direction", pr.Plan.Direction)
	return nil
}

// resolveImages pins the release's images (each service's repository at
// the version's tag) by their digests in the environment's registry. An
// image the registry lacks keeps the current release's image in the file
// and is returned in missing: the pull request says so and stays a draft.
func (d *Deps) resolveImages(ctx context.Context, region string, current *release.Release, version release.Version) (map[string]release.Image, []report.MissingImage, error) {
	if d.Engine == nil {
		return nil, nil, errors.New("resolve images: no release engine configured")
	}
	reg, err := d.Engine(ctx, region)
	if err != nil {
		return nil, nil, err
	}
	want := map[string]release.Image{}
	for name, img := range current.Images {
		want[name] = release.Image{Repository: img.Repository, Tag: string(version)}
	}
	res, err := reg.Resolve(ctx, deploy.ResolveRequest{Images: want})
	var gone *deploy.MissingImagesError
	if !errors.As(err, &gone) {
		if err != nil {
			return nil, nil, err
		}
		return res.Images, nil, nil
	}
	var missing []report.MissingImage
	found := maps.Clone(want)
	for _, m := range gone.Missing {
		missing = append(missing, report.MissingImage{Service: m.Service, Image: m.Image.Repository + ":" + m.Image.Tag, Reason: m.Reason})
		delete(found, m.Service)
	}
	images := maps.Clone(current.Images) // the missing keep the current image
	if len(found) > 0 {
		res, err := reg.Resolve(ctx, deploy.ResolveRequest{Images: found})
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(images, res.Images)
	}
	return images, missing, nil
}

func toReleaseCommits(cs []github.Commit) []release.Commit {
	out := make([]release.Commit, len(cs))
	for i, c := range cs {
		// GitHub's compare lists oldest first; the changelog wants newest first.
		out[len(cs)-1-i] = release.Commit{SHA: c.SHA, Subject: c.Subject, Author: c.Author}
	}
	return out
}
