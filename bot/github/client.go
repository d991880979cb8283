package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// The calls the App makes, each with GitHub's REST path. Repositories are
// "owner/name"; every error is wrapped with what was asked.

// PR is what the App reads of a pull request.
type PR struct {
	Number  int
	State   string // open | closed
	Merged  bool
	Draft   bool
	Title   string
	Author  string
	HeadSHA string
	HeadRef string
	// HeadRepo is the repository the head lives in ("owner/name"); a fork
	// when it is not the base repository.
	HeadRepo string
	BaseRef  string
	// BaseSHA is the base branch's commit the pull request was last
	// compared with (for a merged one: the base just before the merge).
	BaseSHA string
	// Mergeable is nil while GitHub computes it.
	Mergeable      *bool
	MergeableState string
	MergeCommitSHA string
	Labels         []string
	// CloneURL is the base repository's clone URL (pull request heads are
	// fetched from it as refs/pull/<n>/head).
	CloneURL string
	HTMLURL  string
}

// FromFork reports whether the head is in another repository.
func (p *PR) FromFork(repo string) bool { return !strings.EqualFold(p.HeadRepo, repo) }

func split(repo string) (owner, name string) {
	owner, name, _ = strings.Cut(repo, "/")
	return owner, name
}

// PullRequest reads a pull request.
//
// GET /repos/{owner}/{repo}/pulls/{pull_number}
func (c *Client) PullRequest(ctx context.Context, repo string, number int) (*PR, error) {
	owner, name := split(repo)
	p, _, err := c.gh.PullRequests.Get(ctx, owner, name, number)
	if err != nil {
		return nil, fmt.Errorf("get pull request %s#%d: %w", repo, number, err)
	}
	return toPR(p), nil
}

func toPR(p *gh.PullRequest) *PR {
	pr := &PR{
		Number: p.GetNumber(), State: p.GetState(), Merged: p.GetMerged(), Draft: p.GetDraft(),
		Title: p.GetTitle(), Author: p.GetUser().GetLogin(),
		HeadSHA: p.GetHead().GetSHA(), HeadRef: p.GetHead().GetRef(), HeadRepo: p.GetHead().GetRepo().GetFullName(),
		BaseRef: p.GetBase().GetRef(), BaseSHA: p.GetBase().GetSHA(), Mergeable: p.Mergeable, MergeableState: p.GetMergeableState(),
		MergeCommitSHA: p.GetMergeCommitSHA(), CloneURL: p.GetBase().GetRepo().GetCloneURL(), HTMLURL: p.GetHTMLURL(),
	}
	for _, l := range p.Labels {
		pr.Labels = append(pr.Labels, l.GetName())
	}
	return pr
}

// ChangedFiles lists the paths a pull request changes (a rename gives both names).
//
// GET /repos/{owner}/{repo}/pulls/{pull_number}/files
func (c *Client) ChangedFiles(ctx context.Context, repo string, number int) ([]string, error) {
	owner, name := split(repo)
	var out []string
	opts := &gh.ListOptions{PerPage: 100}
	for {
		files, resp, err := c.gh.PullRequests.ListFiles(ctx, owner, name, number, opts)
		if err != nil {
			return nil, fmt.Errorf("list files of %s#%d: %w", repo, number, err)
		}
		for _, f := range files {
			out = append(out, f.GetFilename())
			if prev := f.GetPreviousFilename(); prev != "" {
				out = append(out, prev)
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// Permission is a user's role on a repository: admin, maintain, write,
// triage, read or none.
//
// GET /repos/{owner}/{repo}/collaborators/{username}/permission
func (c *Client) Permission(ctx context.Context, repo, user string) (string, error) {
	owner, name := split(repo)
	// go-github v60 does not decode role_name, the field that tells maintain
	// from write and triage from read; the legacy permission is the fallback.
	req, err := c.gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/collaborators/%s/permission", owner, name, user), nil)
	if err != nil {
		return "", fmt.Errorf("permission of %s on %s: %w", user, repo, err)
	}
	var p struct {
		Permission string `json:"permission"`
		RoleName   string `json:"role_name"`
	}
	resp, err := c.gh.Do(ctx, req, &p)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return "none", nil
		}
		return "", fmt.Errorf("permission of %s on %s: %w", user, repo, err)
	}
	if p.RoleName != "" {
		return p.RoleName, nil
	}
	return p.Permission, nil
}

// Approvers are the users whose latest review of the pull request approves it.
//
// GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews
func (c *Client) Approvers(ctx context.Context, repo string, number int) ([]string, error) {
	owner, name := split(repo)
	latest := map[string]string{}
	var order []string
	opts := &gh.ListOptions{PerPage: 100}
	for {
		reviews, resp, err := c.gh.PullRequests.ListReviews(ctx, owner, name, number, opts)
		if err != nil {
			return nil, fmt.Errorf("reviews of %s#%d: %w", repo, number, err)
		}
		for _, r := range reviews {
			user, state := r.GetUser().GetLogin(), strings.ToUpper(r.GetState())
			if state == "COMMENTED" || state == "PENDING" {
				continue // a comment does not change an approval
			}
			if _, seen := latest[user]; !seen {
				order = append(order, user)
			}
			latest[user] = state
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	var out []string
	for _, u := range order {
		if latest[u] == "APPROVED" {
			out = append(out, u)
		}
	}
	return out, nil
}

// FindComment returns the first comment of the bot on the issue whose body
// starts with marker (0 if none).
//
// GET /repos/{owner}/{repo}/issues/{issue_number}/comments
func (c *Client) FindComment(ctx context.Context, repo string, number int, marker string) (int64, error) {
	id, _, err := c.MarkedComment(ctx, repo, number, marker)
	return id, err
}

// MarkedComment returns the first comment of the bot on the issue whose
// body starts with marker, and its body (0 and "" if none).
//
// GET /repos/{owner}/{repo}/issues/{issue_number}/comments
func (c *Client) MarkedComment(ctx context.Context, repo string, number int, marker string) (int64, string, error) {
	owner, name := split(repo)
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		comments, resp, err := c.gh.Issues.ListComments(ctx, owner, name, number, opts)
		if err != nil {
			return 0, "", fmt.Errorf("list comments of %s#%d: %w", repo, number, err)
		}
		for _, cm := range comments {
			if strings.HasPrefix(cm.GetBody(), marker) && cm.GetUser().GetType() == "Bot" {
				return cm.GetID(), cm.GetBody(), nil
			}
		}
		if resp.NextPage == 0 {
			return 0, "", nil
		}
		opts.Page = resp.NextPage
	}
}

// CreateComment posts a comment and returns its id.
//
// POST /repos/{owner}/{repo}/issues/{issue_number}/comments
func (c *Client) CreateComment(ctx context.Context, repo string, number int, body string) (int64, error) {
	owner, name := split(repo)
	cm, _, err := c.gh.Issues.CreateComment(ctx, owner, name, number, &gh.IssueComment{Body: gh.String(body)})
	if err != nil {
		return 0, fmt.Errorf("comment on %s#%d: %w", repo, number, err)
	}
	return cm.GetID(), nil
}

// EditComment replaces a comment's body.
//
// PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}
func (c *Client) EditComment(ctx context.Context, repo string, id int64, body string) error {
	owner, name := split(repo)
	_, _, err := c.gh.Issues.EditComment(ctx, owner, name, id, &gh.IssueComment{Body: gh.String(body)})
	if err != nil {
		return fmt.Errorf("edit comment %d on %s: %w", id, repo, err)
	}
	return nil
}

// ErrNotFound is wrapped when GitHub answers 404.
var ErrNotFound = errors.New("not found")

// React adds a reaction (+1, -1, eyes, …) to an issue comment.
//
// POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions
func (c *Client) React(ctx context.Context, repo string, commentID int64, content string) error {
	owner, name := split(repo)
	_, _, err := c.gh.Reactions.CreateIssueCommentReaction(ctx, owner, name, commentID, content)
	if err != nil {
		return fmt.Errorf("react %s to comment %d on %s: %w", content, commentID, repo, err)
	}
	return nil
}

// CheckRun is what the App writes of a check run.
type CheckRun struct {
	Name, HeadSHA, ExternalID string
	// Status is queued | in_progress | completed; Conclusion is set with
	// completed (success, failure, neutral, action_required, cancelled, skipped).
	Status, Conclusion string
	Title, Summary     string
	Text               string
	DetailsURL         string
	// Actions are buttons (at most 3): label ≤ 20, description ≤ 40, identifier ≤ 20 characters.
	Actions []CheckRunAction
}

// CheckRunAction is a button of a check run.
type CheckRunAction struct{ Label, Description, Identifier string }

// UpsertCheckRun creates the check run of this head and external id, or
// updates it when one exists, so that a retried job never makes a second.
// It returns the check run's id.
//
// GET /repos/{owner}/{repo}/commits/{ref}/check-runs,
// POST /repos/{owner}/{repo}/check-runs,
// PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}
func (c *Client) UpsertCheckRun(ctx context.Context, repo string, cr CheckRun) (int64, error) {
	owner, name := split(repo)
	id, err := c.findCheckRun(ctx, repo, cr)
	if err != nil {
		return 0, err
	}
	out := &gh.CheckRunOutput{Title: gh.String(cr.Title), Summary: gh.String(cr.Summary)}
	if cr.Text != "" {
		out.Text = gh.String(cr.Text)
	}
	var actions []*gh.CheckRunAction
	for _, a := range cr.Actions {
		actions = append(actions, &gh.CheckRunAction{Label: a.Label, Description: a.Description, Identifier: a.Identifier})
	}
	var conclusion *string
	var completed *gh.Timestamp
	if cr.Status == "completed" {
		conclusion = gh.String(cr.Conclusion)
		completed = &gh.Timestamp{Time: time.Now()}
	}
	var details *string
	if cr.DetailsURL != "" {
		details = gh.String(cr.DetailsURL)
	}
	if id == 0 {
		run, _, err := c.gh.Checks.CreateCheckRun(ctx, owner, name, gh.CreateCheckRunOptions{
			Name: cr.Name, HeadSHA: cr.HeadSHA, ExternalID: gh.String(cr.ExternalID), DetailsURL: details,
			Status: gh.String(cr.Status), Conclusion: conclusion, CompletedAt: completed, Output: out, Actions: actions,
		})
		if err != nil {
			return 0, fmt.Errorf("create check run %q on %s@%s: %w", cr.Name, repo, short(cr.HeadSHA), err)
		}
		return run.GetID(), nil
	}
	_, _, err = c.gh.Checks.UpdateCheckRun(ctx, owner, name, id, gh.UpdateCheckRunOptions{
		Name: cr.Name, ExternalID: gh.String(cr.ExternalID), DetailsURL: details,
		Status: gh.String(cr.Status), Conclusion: conclusion, CompletedAt: completed, Output: out, Actions: actions,
	})
	if err != nil {
		return 0, fmt.Errorf("update check run %d %q on %s: %w", id, cr.Name, repo, err)
	}
	return id, nil
}

func (c *Client) findCheckRun(ctx context.Context, repo string, cr CheckRun) (int64, error) {
	owner, name := split(repo)
	opts := &gh.ListCheckRunsOptions{CheckName: gh.String(cr.Name), ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		res, resp, err := c.gh.Checks.ListCheckRunsForRef(ctx, owner, name, cr.HeadSHA, opts)
		if err != nil {
			return 0, fmt.Errorf("list check runs of %s@%s: %w", repo, short(cr.HeadSHA), err)
		}
		for _, run := range res.CheckRuns {
			if run.GetExternalID() == cr.ExternalID {
				return run.GetID(), nil
			}
		}
		if resp.NextPage == 0 {
			return 0, nil
		}
		opts.Page = resp.NextPage
	}
}

// Merge merges a pull request (a merge commit).
//
// PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge
func (c *Client) Merge(ctx context.Context, repo string, number int) error {
	owner, name := split(repo)
	if _, _, err := c.gh.PullRequests.Merge(ctx, owner, name, number, "", nil); err != nil {
		return fmt.Errorf("merge %s#%d: %w", repo, number, err)
	}
	return nil
}

// DefaultBranch is a repository's default branch and clone URL.
//
// GET /repos/{owner}/{repo}
func (c *Client) DefaultBranch(ctx context.Context, repo string) (branch, cloneURL string, err error) {
	owner, name := split(repo)
	r, _, err := c.gh.Repositories.Get(ctx, owner, name)
	if err != nil {
		return "", "", fmt.Errorf("get repository %s: %w", repo, err)
	}
	return r.GetDefaultBranch(), r.GetCloneURL(), nil
}

// maxFileContent bounds a file read through the contents API (GitHub
// serves up to 1 MB inline).
const maxFileContent = 1 << 20

// FileContent is a file of the repository at ref; a missing file wraps
// ErrNotFound.
//
// GET /repos/{owner}/{repo}/contents/{path}
func (c *Client) FileContent(ctx context.Context, repo, ref, path string) ([]byte, error) {
	owner, name := split(repo)
	f, _, resp, err := c.gh.Repositories.GetContents(ctx, owner, name, path, &gh.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("%s at %s of %s: %w", path, ref, repo, ErrNotFound)
		}
		return nil, fmt.Errorf("%s at %s of %s: %w", path, ref, repo, err)
	}
	if f == nil || f.GetType() != "file" {
		return nil, fmt.Errorf("%s at %s of %s: not a file", path, ref, repo)
	}
	if f.GetSize() > maxFileContent {
		return nil, fmt.Errorf("%s at %s of %s: %d bytes, over the %d gitops reads", path, ref, repo, f.GetSize(), maxFileContent)
	}
	text, err := f.GetContent()
	if err != nil {
		return nil, fmt.Errorf("%s at %s of %s: %w", path, ref, repo, err)
	}
	return []byte(text), nil
}

// ListDir lists the names of the entries of a directory of the repository
// at ref; a missing directory wraps ErrNotFound.
//
// GET /repos/{owner}/{repo}/contents/{path}
func (c *Client) ListDir(ctx context.Context, repo, ref, path string) ([]string, error) {
	owner, name := split(repo)
	f, dir, resp, err := c.gh.Repositories.GetContents(ctx, owner, name, path, &gh.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("%s at %s of %s: %w", path, ref, repo, ErrNotFound)
		}
		return nil, fmt.Errorf("%s at %s of %s: %w", path, ref, repo, err)
	}
	if f != nil {
		return nil, fmt.Errorf("%s at %s of %s: not a directory", path, ref, repo)
	}
	names := make([]string, 0, len(dir))
	for _, e := range dir {
		names = append(names, e.GetName())
	}
	return names, nil
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
