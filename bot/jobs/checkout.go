package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gitops-bot/gitops/bot/checkout"
	"github.com/gitops-bot/gitops/bot/github"
)

// checkouts are a pull request's head (what is planned) and its default
// branch (whose policy/ gates the apply).
type checkouts struct {
	head, base string
}

// fetchPR fetches the pull request's head at sha and the default branch,
// from the clone URL GitHub gave, with the installation token, into
// directories of this job's own (jobs of one pull request may overlap);
// remove them when done.
func (d *Deps) fetchPR(ctx context.Context, c Client, repo string, pr *github.PR, sha string, jobID int64) (checkouts, error) {
	token, err := c.Token(ctx)
	if err != nil {
		return checkouts{}, err
	}
	branch, cloneURL, err := c.DefaultBranch(ctx, repo)
	if err != nil {
		return checkouts{}, err
	}
	if pr.CloneURL != "" {
		cloneURL = pr.CloneURL
	}
	dir := d.prDir(repo, pr.Number)
	job := filepath.Join(dir, "jobs", fmt.Sprint(jobID))
	co := checkouts{head: filepath.Join(job, "head"), base: filepath.Join(job, "base")}
	if err := checkout.Fetch(ctx, checkout.Request{CloneURL: cloneURL, Token: token, Ref: fmt.Sprintf("refs/pull/%d/head", pr.Number), SHA: sha, Dir: co.head}); err != nil {
		return checkouts{}, err
	}
	if err := checkout.Fetch(ctx, checkout.Request{CloneURL: cloneURL, Token: token, Ref: branch, Dir: co.base, Guarded: []string{"policy"}}); err != nil {
		return checkouts{}, fmt.Errorf("default branch %s: %w", branch, err)
	}
	return co, nil
}

// fetchMerged fetches the default branch at sha (a merge commit) into a
// directory of this job's own; it is both what is applied and where the
// rules come from. The branch having moved past sha is a *checkout.MovedError.
func (d *Deps) fetchMerged(ctx context.Context, c Client, repo string, pr int, sha string, jobID int64) (checkouts, error) {
	token, err := c.Token(ctx)
	if err != nil {
		return checkouts{}, err
	}
	branch, cloneURL, err := c.DefaultBranch(ctx, repo)
	if err != nil {
		return checkouts{}, err
	}
	dir := filepath.Join(d.prDir(repo, pr), "jobs", fmt.Sprint(jobID), "merge")
	co := checkouts{head: dir, base: dir}
	if err := checkout.Fetch(ctx, checkout.Request{CloneURL: cloneURL, Token: token, Ref: branch, SHA: sha, Dir: dir}); err != nil {
		return co, err
	}
	return co, nil
}

// remove deletes the job's checkouts.
func (co checkouts) remove() {
	if co.head != "" {
		_ = os.RemoveAll(filepath.Dir(co.head))
	}
}
