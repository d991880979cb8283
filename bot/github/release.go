package github

import (
	"bytes"
	"context"

	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// The calls of release pull requests and deployments.

// RefSHA is the commit a ref points at, e.g. "tags/v1.2.0" or
// "heads/main"; a missing ref wraps ErrNotFound.
//
// GET /repos/{owner}/{repo}/git/ref/{ref}
func (c *Client) RefSHA(ctx context.Context, repo, ref string) (string, error) {
	owner, name := split(repo)
	r, resp, err := c.gh.Git.GetRef(ctx, owner, name, ref)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return "", fmt.Errorf("ref %s of %s: %w", ref, repo, ErrNotFound)
		}
		return "", fmt.Errorf("ref %s of %s: %w", ref, repo, err)
	}
	return r.GetObject().GetSHA(), nil
}

// EnsureBranch creates branch at sha unless it exists; it reports whether
// it created it. An existing branch is left where it is.
//
// POST /repos/{owner}/{repo}/git/refs
func (c *Client) EnsureBranch(ctx context.Context, repo, branch, sha string) (bool, error) {
	owner, name := split(repo)
	_, resp, err := c.gh.Git.CreateRef(ctx, owner, name, &gh.Reference{Ref: gh.String("refs/heads/" + branch), Object: &gh.GitObject{SHA: gh.String(sha)}})
	if err == nil {
		return true, nil
	}
	if resp != nil && resp.StatusCode == http.StatusUnprocessableEntity {
		if _, err := c.RefSHA(ctx, repo, "heads/"+branch); err == nil {
			return false, nil
		}
	}
	return false, fmt.Errorf("create branch %s of %s: %w", branch, repo, err)
}

// PutFile commits content to path on branch, unless the file already holds
// it; it returns the new commit ("" when nothing changed).
//
// GET and PUT /repos/{owner}/{repo}/contents/{path}
func (c *Client) PutFile(ctx context.Context, repo, branch, path string, content []byte, message string) (string, error) {
	owner, name := split(repo)
	opts := &gh.RepositoryContentFileOptions{Message: gh.String(message), Content: content, Branch: gh.String(branch)}
	f, _, resp, err := c.gh.Repositories.GetContents(ctx, owner, name, path, &gh.RepositoryContentGetOptions{Ref: branch})
	switch {
	case err == nil && f != nil:
		old, derr := f.GetContent()
		if derr == nil && bytes.Equal([]byte(old), content) {
			return "", nil
		}
		opts.SHA = f.SHA
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		// A new file: no blob to name.
	default:
		return "", fmt.Errorf("read %s on %s of %s: %w", path, branch, repo, err)
	}
	res, _, err := c.gh.Repositories.UpdateFile(ctx, owner, name, path, opts)
	if err != nil {
		return "", fmt.Errorf("commit %s on %s of %s: %w", path, branch, repo, err)
	}
	return res.GetSHA(), nil
}

// OpenPRFrom is the open pull request whose head is branch of repo, if any
// (nil, nil when there is none).
//
// GET /repos/{owner}/{repo}/pulls?head={owner}:{branch}&state=open
func (c *Client) OpenPRFrom(ctx context.Context, repo, branch string) (*PR, error) {
	owner, name := split(repo)
	list, _, err := c.gh.PullRequests.List(ctx, owner, name, &gh.PullRequestListOptions{Head: owner + ":" + branch, State: "open"})
	if err != nil {
		return nil, fmt.Errorf("pull requests from %s of %s: %w", branch, repo, err)
	}
	for _, p := range list {
		if p.GetHead().GetRef() == branch {
			return toPR(p), nil
		}
	}
	return nil, nil
}

// NewPR is a pull request to open.
type NewPR struct {
	Title, Head, Base, Body string
	Draft                   bool
}

// CreatePR opens a pull request.
//
// POST /repos/{owner}/{repo}/pulls
func (c *Client) CreatePR(ctx context.Context, repo string, n NewPR) (*PR, error) {
	owner, name := split(repo)
	p, _, err := c.gh.PullRequests.Create(ctx, owner, name, &gh.NewPullRequest{
		Title: gh.String(n.Title), Head: gh.String(n.Head), Base: gh.String(n.Base), Body: gh.String(n.Body), Draft: gh.Bool(n.Draft),
	})
	if err != nil {
		return nil, fmt.Errorf("open pull request from %s on %s: %w", n.Head, repo, err)
	}
	return toPR(p), nil
}

// EditPR sets a pull request's title and body.
//
// PATCH /repos/{owner}/{repo}/pulls/{pull_number}
func (c *Client) EditPR(ctx context.Context, repo string, number int, title, body string) error {
	owner, name := split(repo)
	if _, _, err := c.gh.PullRequests.Edit(ctx, owner, name, number, &gh.PullRequest{Title: gh.String(title), Body: gh.String(body)}); err != nil {
		return fmt.Errorf("edit pull request %s#%d: %w", repo, number, err)
	}
	return nil
}

// AddLabels adds labels to an issue or pull request.
//
// POST /repos/{owner}/{repo}/issues/{issue_number}/labels
func (c *Client) AddLabels(ctx context.Context, repo string, number int, labels ...string) error {
	owner, name := split(repo)
	if _, _, err := c.gh.Issues.AddLabelsToIssue(ctx, owner, name, number, labels); err != nil {
		return fmt.Errorf("label %s#%d %s: %w", repo, number, strings.Join(labels, ", "), err)
	}
	return nil
}

// Commit is one commit of a comparison.
type Commit struct {
	SHA, Subject, Author string
}

// Compare lists the commits reachable from head and not from base, oldest
// first (at most 250, as GitHub's compare answers).
//
// GET /repos/{owner}/{repo}/compare/{basehead}
func (c *Client) Compare(ctx context.Context, repo, base, head string) ([]Commit, error) {
	owner, name := split(repo)
	var out []Commit
	opts := &gh.ListOptions{PerPage: 100}
	for {
		cmp, resp, err := c.gh.Repositories.CompareCommits(ctx, owner, name, base, head, opts)
		if err != nil {
			return nil, fmt.Errorf("compare %s...%s of %s: %w", base, head, repo, err)
		}
		for _, rc := range cmp.Commits {
			subject, _, _ := strings.Cut(rc.GetCommit().GetMessage(), "\n")
			author := rc.GetAuthor().GetLogin()
			if author == "" {
				author = rc.GetCommit().GetAuthor().GetName()
			}
			out = append(out, Commit{SHA: rc.GetSHA(), Subject: subject, Author: author})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// ChecksPassed says whether every check of ref passed: the combined commit
// status and the check runs. pending lists what has not finished yet,
// failed what did not pass; both empty and no error: all green (or none).
//
// GET /repos/{owner}/{repo}/commits/{ref}/status and /check-runs
func (c *Client) ChecksPassed(ctx context.Context, repo, ref string) (pending, failed []string, err error) {
	owner, name := split(repo)
	st, _, err := c.gh.Repositories.GetCombinedStatus(ctx, owner, name, ref, &gh.ListOptions{PerPage: 100})
	if err != nil {
		return nil, nil, fmt.Errorf("statuses of %s at %s: %w", repo, short(ref), err)
	}
	for _, s := range st.Statuses {
		switch s.GetState() {
		case "success":
		case "pending":
			pending = append(pending, s.GetContext())
		default:
			failed = append(failed, s.GetContext())
		}
	}
	runs, _, err := c.gh.Checks.ListCheckRunsForRef(ctx, owner, name, ref, &gh.ListCheckRunsOptions{ListOptions: gh.ListOptions{PerPage: 100}})
	if err != nil {
		return nil, nil, fmt.Errorf("check runs of %s at %s: %w", repo, short(ref), err)
	}
	for _, r := range runs.CheckRuns {
		switch {
		case r.GetStatus() != "completed":
			pending = append(pending, r.GetName())
		case r.GetConclusion() != "success" && r.GetConclusion() != "neutral" && r.GetConclusion() != "skipped":
			failed = append(failed, r.GetName())
		}
	}
	return pending, failed, nil
}

// Deployment is a GitHub deployment to create.
type Deployment struct {
	Ref, Environment, Description string
	// Payload is stored with the deployment (e.g. the release version).
	Payload map[string]any
}

// CreateDeployment records a deployment of ref to an environment and
// returns its id. Required contexts are not checked (the App checked the
// release's readiness itself).
//
// POST /repos/{owner}/{repo}/deployments
func (c *Client) CreateDeployment(ctx context.Context, repo string, d Deployment) (int64, error) {
	owner, name := split(repo)
	dep, _, err := c.gh.Repositories.CreateDeployment(ctx, owner, name, &gh.DeploymentRequest{
		Ref: gh.String(d.Ref), Environment: gh.String(d.Environment), Description: gh.String(d.Description),
		Payload: d.Payload, AutoMerge: gh.Bool(false), RequiredContexts: &[]string{},
	})
	if err != nil {
		return 0, fmt.Errorf("create deployment of %s to %s on %s: %w", short(d.Ref), d.Environment, repo, err)
	}
	return dep.GetID(), nil
}

// DeploymentStatus sets a deployment's state (in_progress, success,
// failure, error) with a description and, on success, the environment URL.
//
// POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses
func (c *Client) DeploymentStatus(ctx context.Context, repo string, id int64, state, description, envURL string) error {
	owner, name := split(repo)
	req := &gh.DeploymentStatusRequest{State: gh.String(state), Description: gh.String(capRunes(description, 140))}
	if envURL != "" {
		req.EnvironmentURL = gh.String(envURL)
	}
	if _, _, err := c.gh.Repositories.CreateDeploymentStatus(ctx, owner, name, id, req); err != nil {
		return fmt.Errorf("deployment %d of %s %s: %w", id, repo, state, err)
	}
	return nil
}

// CommitStatus sets a commit status (pending, success, failure, error).
//
// POST /repos/{owner}/{repo}/statuses/{sha}
func (c *Client) CommitStatus(ctx context.Context, repo, sha, state, statusContext, description string) error {
	owner, name := split(repo)
	if _, _, err := c.gh.Repositories.CreateStatus(ctx, owner, name, sha, &gh.RepoStatus{
		State: gh.String(state), Context: gh.String(statusContext), Description: gh.String(capRunes(description, 140)),
	}); err != nil {
		return fmt.Errorf("status %s of %s at %s: %w", statusContext, repo, short(sha), err)
	}
	return nil
}

// capRunes cuts s to at most n characters (GitHub refuses longer
// descriptions).
func capRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
