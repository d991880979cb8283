package emulator

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

const zeroSHA = "0000000000000000000000000000000000000000"

// Push commits files to a branch as user, as a `git push` of one commit
// would: a nil content deletes the file. A branch that does not exist yet
// starts at the default branch (with no files it is created without a new
// commit). It sends push, and pull_request "synchronize" for every open pull
// request whose head is that branch. The user needs write permission (a
// fork's owner has it on the fork). It returns the new head.
func (e *Emulator) Push(ctx context.Context, fullName, login, branch string, files map[string][]byte, message string) (string, error) {
	e.mu.Lock()
	sha, err := e.pushLocked(ctx, fullName, login, branch, files, message)
	e.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("push to %s %s: %w", fullName, branch, err)
	}
	return sha, e.Flush(ctx)
}

func (e *Emulator) pushLocked(ctx context.Context, fullName, login, branch string, files map[string][]byte, message string) (string, error) {
	r, u, err := e.lookup(fullName, login)
	if err != nil {
		return "", err
	}
	if !r.canWrite(u) {
		return "", fmt.Errorf("%s may not push: role %s", login, r.role(u))
	}
	ref := "refs/heads/" + branch
	before, err := r.git.resolve(ctx, ref)
	if err != nil {
		return "", err
	}
	parent := before
	if before == "" {
		if parent, err = r.git.resolve(ctx, "refs/heads/"+r.defaultBranch); err != nil {
			return "", err
		}
	}
	after := parent
	if before != "" || len(files) > 0 {
		if message == "" {
			message = "Update " + branch
		}
		sig := e.signatureOf(u)
		if after, err = r.git.commitFiles(ctx, parent, files, message, sig, sig); err != nil {
			return "", err
		}
	}
	if err := r.git.updateRef(ctx, ref, after, before); err != nil {
		return "", err
	}
	r.pushed = time.Now().UTC().Truncate(time.Second)
	if err := e.enqueuePush(ctx, r, u, ref, before, after); err != nil {
		return "", err
	}
	if err := e.headMoved(ctx, r, branch, before, after, u); err != nil {
		return "", err
	}
	return after, e.baseMoved(ctx, r, branch)
}

// headMoved updates the open pull requests whose head is the branch that
// moved (in r, or in its parent when r is a fork) and sends "synchronize".
func (e *Emulator) headMoved(ctx context.Context, r *repoState, branch, before, after string, sender *user) error {
	bases := []*repoState{r}
	if r.parent != nil {
		bases = append(bases, r.parent)
	}
	for _, base := range bases {
		for _, p := range base.pulls {
			if p.state != "open" || p.headRepo != r || p.headRef != branch || p.headSHA == after {
				continue
			}
			pullRef := fmt.Sprintf("refs/pull/%d/head", p.number)
			if base != r {
				if _, err := base.git.run(ctx, nil, nil, "fetch", "--quiet", "--no-tags", r.git.dir, "+"+after+":"+pullRef); err != nil {
					return err
				}
			} else if _, err := base.git.run(ctx, nil, nil, "update-ref", pullRef, after); err != nil {
				return err
			}
			p.headSHA, p.updated = after, time.Now().UTC().Truncate(time.Second)
			if err := e.refreshMergeRef(ctx, p); err != nil {
				return err
			}
			if err := e.enqueuePull(ctx, p, "synchronize", sender, func(ev *github.PullRequestEvent) {
				ev.Before, ev.After = ptr(before), ptr(after)
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// PushTag creates a lightweight tag at a revision (sha, branch or tag) and
// sends push for refs/tags/<tag>, as `git push origin <tag>` does.
func (e *Emulator) PushTag(ctx context.Context, fullName, login, tag, rev string) (string, error) {
	e.mu.Lock()
	sha, err := e.pushTagLocked(ctx, fullName, login, tag, rev)
	e.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("push tag %s to %s: %w", tag, fullName, err)
	}
	return sha, e.Flush(ctx)
}

func (e *Emulator) pushTagLocked(ctx context.Context, fullName, login, tag, rev string) (string, error) {
	r, u, err := e.lookup(fullName, login)
	if err != nil {
		return "", err
	}
	if !r.canWrite(u) {
		return "", fmt.Errorf("%s may not push: role %s", login, r.role(u))
	}
	sha, err := r.resolveRev(ctx, rev)
	if err != nil {
		return "", err
	}
	if sha == "" {
		return "", fmt.Errorf("revision %s: not found", rev)
	}
	ref := "refs/tags/" + tag
	if err := r.git.updateRef(ctx, ref, sha, ""); err != nil {
		return "", fmt.Errorf("tag %s exists already: %w", tag, err)
	}
	return sha, e.enqueuePush(ctx, r, u, ref, "", sha)
}

// pushPayload is a push delivery. GitHub's push payload differs from the
// other events' in its repository (timestamps in epoch seconds, owner with
// name and email), hence the wrapper around go-github's types.
type pushPayload struct {
	Ref          string               `json:"ref"`
	Before       string               `json:"before"`
	After        string               `json:"after"`
	Repository   pushRepository       `json:"repository"`
	Pusher       *github.CommitAuthor `json:"pusher"`
	Sender       *github.User         `json:"sender"`
	Installation *github.Installation `json:"installation,omitempty"`
	Created      bool                 `json:"created"`
	Deleted      bool                 `json:"deleted"`
	Forced       bool                 `json:"forced"`
	BaseRef      *string              `json:"base_ref"`
	Compare      string               `json:"compare"`
	Commits      []*github.HeadCommit `json:"commits"`
	HeadCommit   *github.HeadCommit   `json:"head_commit"`
}

type pushRepository struct {
	*github.Repository
	CreatedAt int64 `json:"created_at"`
	PushedAt  int64 `json:"pushed_at"`
}

// enqueuePush queues a push delivery; none is sent for repositories the App
// is not installed on (forks).
func (e *Emulator) enqueuePush(ctx context.Context, r *repoState, u *user, ref, before, after string) error {
	if r.inst == nil {
		return nil
	}
	created := before == ""
	if created {
		before = zeroSHA
	}
	var commits []commitInfo
	var err error
	switch {
	case strings.HasPrefix(ref, "refs/tags/"):
	case !created:
		commits, err = r.git.log(ctx, before, after, 0)
	default:
		// A new branch lists the commits that no other branch has.
		var tip string
		if tip, err = r.git.resolve(ctx, "refs/heads/"+r.defaultBranch); err == nil && tip != after {
			commits, err = r.git.log(ctx, tip, after, 0)
		}
	}
	if err != nil {
		return err
	}
	if len(commits) > 20 { // GitHub lists at most 20 commits in a push payload
		commits = commits[len(commits)-20:]
	}
	p := &pushPayload{
		Ref: ref, Before: before, After: after, Created: created, Commits: []*github.HeadCommit{},
		Repository: e.pushRepositoryJSON(r),
		Pusher:     &github.CommitAuthor{Name: ptr(u.login), Email: ptr(e.signatureOf(u).Email)},
		Sender:     e.userJSON(u), Installation: e.installationRef(r),
		Compare: fmt.Sprintf("%s/%s/compare/%s...%s", e.url, r.fullName(), before[:12], after[:12]),
	}
	if created {
		p.Compare = fmt.Sprintf("%s/%s/compare/%s", e.url, r.fullName(), strings.TrimPrefix(strings.TrimPrefix(ref, "refs/heads/"), "refs/tags/"))
	}
	for _, c := range commits {
		hc, err := e.headCommit(ctx, r, c)
		if err != nil {
			return err
		}
		p.Commits = append(p.Commits, hc)
	}
	if c, err := r.git.commit(ctx, after); err == nil {
		if p.HeadCommit, err = e.headCommit(ctx, r, *c); err != nil {
			return err
		}
	}
	e.enqueue("push", "", p)
	return nil
}

func (e *Emulator) pushRepositoryJSON(r *repoState) pushRepository {
	repo := e.repoJSON(r)
	repo.MasterBranch = ptr(r.defaultBranch)
	repo.Owner.Name = ptr(r.owner.login)
	repo.Owner.Email = ptr(e.signatureOf(r.owner).Email)
	return pushRepository{Repository: repo, CreatedAt: r.created.Unix(), PushedAt: r.pushed.Unix()}
}

func (e *Emulator) headCommit(ctx context.Context, r *repoState, c commitInfo) (*github.HeadCommit, error) {
	hc := &github.HeadCommit{
		ID: ptr(c.SHA), TreeID: ptr(c.Tree), Distinct: ptr(true), Message: ptr(c.Message),
		Timestamp: ts(c.Author.When), URL: ptr(fmt.Sprintf("%s/%s/commit/%s", e.url, r.fullName(), c.SHA)),
		Author:    &github.CommitAuthor{Name: ptr(c.Author.Name), Email: ptr(c.Author.Email), Login: ptr(c.Author.Name)},
		Committer: &github.CommitAuthor{Name: ptr(c.Committer.Name), Email: ptr(c.Committer.Email), Login: ptr(c.Committer.Name)},
		Added:     []string{}, Removed: []string{}, Modified: []string{},
	}
	parent := ""
	if len(c.Parents) > 0 {
		parent = c.Parents[0]
	}
	if parent == "" {
		return hc, nil
	}
	files, err := r.git.diff(ctx, parent, c.SHA)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		switch f.Status {
		case "added":
			hc.Added = append(hc.Added, f.Filename)
		case "removed":
			hc.Removed = append(hc.Removed, f.Filename)
		case "renamed":
			hc.Added = append(hc.Added, f.Filename)
			hc.Removed = append(hc.Removed, f.PreviousFilename)
		default:
			hc.Modified = append(hc.Modified, f.Filename)
		}
	}
	return hc, nil
}
