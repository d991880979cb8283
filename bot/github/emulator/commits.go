package emulator

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

type statusState struct {
	id                  int64
	sha, state, context string
	description, target string
	creator             *user
	created             time.Time
}

// Status is a commit status as the accessors show it.
type Status struct {
	ID          int64
	SHA         string
	State       string // error, failure, pending, success
	Context     string
	Description string
	TargetURL   string
}

// Statuses returns the commit statuses of a sha, oldest first.
func (e *Emulator) Statuses(fullName, sha string) []Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.st.repo(fullName)
	if r == nil {
		return nil
	}
	var out []Status
	for _, s := range r.statuses {
		if s.sha == sha {
			out = append(out, Status{ID: s.id, SHA: s.sha, State: s.state, Context: s.context, Description: s.description, TargetURL: s.target})
		}
	}
	return out
}

// latestStatuses is the newest status of each context on a commit.
func latestStatuses(r *repoState, sha string) []*statusState {
	latest := map[string]*statusState{}
	for _, s := range r.statuses {
		if s.sha == sha {
			latest[s.context] = s
		}
	}
	out := make([]*statusState, 0, len(latest))
	for _, s := range latest {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id > out[j].id })
	return out
}

// combinedState is GitHub's combined state: failure if any context failed
// or errored, pending if any is pending (or there is none), success otherwise.
func (e *Emulator) combinedState(r *repoState, sha string) (string, int) {
	ss := latestStatuses(r, sha)
	state := "success"
	if len(ss) == 0 {
		state = "pending"
	}
	for _, s := range ss {
		switch s.state {
		case "failure", "error":
			return "failure", len(ss)
		case "pending":
			state = "pending"
		}
	}
	return state, len(ss)
}

func (e *Emulator) statusJSON(r *repoState, s *statusState) *github.RepoStatus {
	out := &github.RepoStatus{
		ID: ptr(s.id), NodeID: ptr(nodeID("SC", s.id)), State: ptr(s.state), Context: ptr(s.context),
		Creator: e.userJSON(s.creator), CreatedAt: ts(s.created), UpdatedAt: ts(s.created),
		URL:       ptr(fmt.Sprintf("%s/repos/%s/statuses/%s", e.url, r.fullName(), s.sha)),
		AvatarURL: ptr(e.url + "/avatars/app"),
	}
	if s.description != "" {
		out.Description = ptr(s.description)
	}
	if s.target != "" {
		out.TargetURL = ptr(s.target)
	}
	return out
}

// POST /repos/{owner}/{repo}/statuses/{sha}
func (e *Emulator) createStatus(ctx context.Context, q *request) (int, any, error) {
	var in struct {
		State, Description, Context string
		TargetURL                   string `json:"target_url"`
	}
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	sha := q.params["sha"]
	if got, err := q.repo.git.resolve(ctx, sha); err != nil {
		return 0, nil, err
	} else if got == "" || got != sha {
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "No commit found for SHA: " + sha}
	}
	if in.Context == "" {
		in.Context = "default"
	}
	s := &statusState{id: e.st.id(), sha: sha, state: in.State, context: in.Context, description: in.Description,
		target: in.TargetURL, creator: e.st.app, created: time.Now().UTC().Truncate(time.Second)}
	q.repo.statuses = append(q.repo.statuses, s)
	return http.StatusCreated, e.statusJSON(q.repo, s), nil
}

// GET /repos/{owner}/{repo}/commits/{ref}/status
func (e *Emulator) getCombinedStatus(ctx context.Context, q *request) (int, any, error) {
	sha, err := q.repo.resolveRev(ctx, q.params["ref"])
	if err != nil {
		return 0, nil, err
	}
	if sha == "" {
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "No commit found for SHA: " + q.params["ref"]}
	}
	state, n := e.combinedState(q.repo, sha)
	page := paginate(e, q, fmt.Sprintf("/repos/%s/commits/%s/status", q.repo.fullName(), q.params["ref"]), latestStatuses(q.repo, sha))
	out := &github.CombinedStatus{
		State: ptr(state), Name: ptr(q.repo.fullName()), SHA: ptr(sha), TotalCount: ptr(n), Statuses: []*github.RepoStatus{},
		CommitURL:     ptr(fmt.Sprintf("%s/repos/%s/commits/%s", e.url, q.repo.fullName(), sha)),
		RepositoryURL: ptr(e.url + "/repos/" + q.repo.fullName()),
	}
	for _, s := range page {
		out.Statuses = append(out.Statuses, e.statusJSON(q.repo, s))
	}
	return http.StatusOK, out, nil
}

// GET /repos/{owner}/{repo}/compare/{basehead}
func (e *Emulator) compare(ctx context.Context, q *request) (int, any, error) {
	r := q.repo
	baseRev, headRev, ok := strings.Cut(q.params["basehead"], "...")
	if !ok {
		return 0, nil, notFound()
	}
	base, err := r.resolveRev(ctx, baseRev)
	if err != nil {
		return 0, nil, err
	}
	head, err := r.resolveRev(ctx, headRev)
	if err != nil {
		return 0, nil, err
	}
	if base == "" || head == "" {
		return 0, nil, notFound()
	}
	mb, err := r.git.mergeBase(ctx, base, head)
	if err != nil {
		return 0, nil, err
	}
	if mb == "" {
		return 0, nil, notFound()
	}
	ahead, err := r.git.log(ctx, mb, head, 0)
	if err != nil {
		return 0, nil, err
	}
	behind, err := r.git.log(ctx, mb, base, 0)
	if err != nil {
		return 0, nil, err
	}
	files, err := r.git.diff(ctx, mb, head)
	if err != nil {
		return 0, nil, err
	}
	status := "diverged"
	switch {
	case base == head:
		status = "identical"
	case len(behind) == 0:
		status = "ahead"
	case len(ahead) == 0:
		status = "behind"
	}
	if len(ahead) > 250 { // GitHub lists at most 250 commits
		ahead = ahead[:250]
	}
	page := paginate(e, q, fmt.Sprintf("/repos/%s/compare/%s", r.fullName(), q.params["basehead"]), ahead)
	html := fmt.Sprintf("%s/%s/compare/%s", e.url, r.fullName(), q.params["basehead"])
	out := &github.CommitsComparison{
		Status: ptr(status), AheadBy: ptr(len(ahead)), BehindBy: ptr(len(behind)), TotalCommits: ptr(len(ahead)),
		URL:     ptr(fmt.Sprintf("%s/repos/%s/compare/%s", e.url, r.fullName(), q.params["basehead"])),
		HTMLURL: ptr(html), DiffURL: ptr(html + ".diff"), PatchURL: ptr(html + ".patch"),
		PermalinkURL: ptr(fmt.Sprintf("%s/%s/compare/%s...%s", e.url, r.fullName(), base[:7], head[:7])),
		Commits:      []*github.RepositoryCommit{}, Files: e.filesJSON(r, head, files),
	}
	for _, sha := range []struct {
		sha string
		to  **github.RepositoryCommit
	}{{base, &out.BaseCommit}, {mb, &out.MergeBaseCommit}} {
		c, err := r.git.commit(ctx, sha.sha)
		if err != nil {
			return 0, nil, err
		}
		*sha.to = e.commitJSON(r, *c)
	}
	for _, c := range page {
		out.Commits = append(out.Commits, e.commitJSON(r, c))
	}
	return http.StatusOK, out, nil
}

func (e *Emulator) commitJSON(r *repoState, c commitInfo) *github.RepositoryCommit {
	api := fmt.Sprintf("%s/repos/%s/commits/%s", e.url, r.fullName(), c.SHA)
	out := &github.RepositoryCommit{
		SHA: ptr(c.SHA), NodeID: ptr("C_" + c.SHA[:12]), URL: ptr(api), CommentsURL: ptr(api + "/comments"),
		HTMLURL: ptr(fmt.Sprintf("%s/%s/commit/%s", e.url, r.fullName(), c.SHA)),
		Commit: &github.Commit{
			Message:   ptr(c.Message),
			Author:    &github.CommitAuthor{Name: ptr(c.Author.Name), Email: ptr(c.Author.Email), Date: ts(c.Author.When)},
			Committer: &github.CommitAuthor{Name: ptr(c.Committer.Name), Email: ptr(c.Committer.Email), Date: ts(c.Committer.When)},
			Tree:      &github.Tree{SHA: ptr(c.Tree)},
			URL:       ptr(fmt.Sprintf("%s/repos/%s/git/commits/%s", e.url, r.fullName(), c.SHA)),
		},
	}
	if u := e.st.users[strings.ToLower(c.Author.Name)]; u != nil {
		out.Author = e.userJSON(u)
	}
	if u := e.st.users[strings.ToLower(c.Committer.Name)]; u != nil {
		out.Committer = e.userJSON(u)
	}
	for _, p := range c.Parents {
		out.Parents = append(out.Parents, &github.Commit{SHA: ptr(p), URL: ptr(fmt.Sprintf("%s/repos/%s/commits/%s", e.url, r.fullName(), p))})
	}
	return out
}
