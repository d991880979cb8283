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

// pullState is one pull request.
type pullState struct {
	id, issueID         int64
	number              int
	repo                *repoState // the base repository
	headRepo            *repoState // == repo unless from a fork
	headRef, headSHA    string
	baseRef             string
	baseSHA             string // base tip when closed; open PRs show the live tip
	title, body         string
	user                *user
	state               string // open or closed
	draft               bool
	merged              bool
	mergeCommitSHA      string // the test merge (refs/pull/N/merge) while open
	mergedBy            *user
	created, updated    time.Time
	closedAt, mergedAt  time.Time
	labels              []*labelState
	reviews             []*reviewState
	maintainerCanModify bool
}

type reviewState struct {
	id        int64
	user      *user
	state     string // APPROVED, CHANGES_REQUESTED, COMMENTED
	body      string
	commitID  string
	submitted time.Time
}

func (p *pullState) fromFork() bool { return p.headRepo != p.repo }

func (p *pullState) headLabel() string { return p.headRepo.owner.login + ":" + p.headRef }

// PR is a pull request as the accessors show it.
type PR struct {
	Number         int
	ID             int64
	Repo           string // base repository, owner/name
	Title, Body    string
	User           string
	State          string // open or closed
	Draft          bool
	Merged         bool
	MergeCommitSHA string
	MergedBy       string
	HeadRepo       string // owner/name; differs from Repo for a fork
	HeadRef        string
	HeadSHA        string
	BaseRef        string
	BaseSHA        string
	Labels         []string
	Reviews        []Review
}

// Review is a pull request review.
type Review struct {
	ID       int64
	User     string
	State    string // APPROVED, CHANGES_REQUESTED or COMMENTED
	CommitID string
}

// PROption changes how OpenPR opens a pull request.
type PROption func(*prOptions)

type prOptions struct {
	draft, fork bool
}

// Draft opens the pull request as a draft.
func Draft() PROption { return func(o *prOptions) { o.draft = true } }

// FromFork takes the head branch from the acting user's fork (see Fork)
// instead of the repository itself.
func FromFork() PROption { return func(o *prOptions) { o.fork = true } }

func (e *Emulator) prValue(ctx context.Context, p *pullState) PR {
	out := PR{
		Number: p.number, ID: p.id, Repo: p.repo.fullName(), Title: p.title, Body: p.body, User: p.user.login,
		State: p.state, Draft: p.draft, Merged: p.merged, MergeCommitSHA: p.mergeCommitSHA,
		HeadRepo: p.headRepo.fullName(), HeadRef: p.headRef, HeadSHA: p.headSHA, BaseRef: p.baseRef, BaseSHA: e.baseSHA(ctx, p),
	}
	if p.mergedBy != nil {
		out.MergedBy = p.mergedBy.login
	}
	for _, l := range p.labels {
		out.Labels = append(out.Labels, l.name)
	}
	for _, r := range p.reviews {
		out.Reviews = append(out.Reviews, Review{ID: r.id, User: r.user.login, State: r.state, CommitID: r.commitID})
	}
	return out
}

// PR returns a pull request's current state.
func (e *Emulator) PR(ctx context.Context, fullName string, number int) (PR, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.st.repo(fullName)
	if r == nil || r.pulls[number] == nil {
		return PR{}, fmt.Errorf("pull request %s#%d: not found", fullName, number)
	}
	return e.prValue(ctx, r.pulls[number]), nil
}

// OpenPR opens a pull request from head into base and sends pull_request
// "opened". head is a branch of the repository, or "user:branch" / FromFork
// for a branch of user's fork.
func (e *Emulator) OpenPR(ctx context.Context, fullName, login, head, base, title, body string, opts ...PROption) (*PR, error) {
	var o prOptions
	for _, opt := range opts {
		opt(&o)
	}
	e.mu.Lock()
	r, u, err := e.lookup(fullName, login)
	if err != nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("open pull request: %w", err)
	}
	if o.fork && !strings.Contains(head, ":") {
		head = login + ":" + head
	}
	p, err := e.openPullLocked(ctx, r, u, head, base, title, body, o.draft)
	if err != nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("open pull request %s from %s into %s: %w", fullName, head, base, err)
	}
	pr := e.prValue(ctx, p)
	e.mu.Unlock()
	return &pr, e.Flush(ctx)
}

// openPullLocked opens a pull request; GitHub's refusals are *apiError.
func (e *Emulator) openPullLocked(ctx context.Context, r *repoState, u *user, head, base, title, body string, draft bool) (*pullState, error) {
	headRepo, headRef := r, head
	if owner, ref, ok := strings.Cut(head, ":"); ok {
		headRef = ref
		if !strings.EqualFold(owner, r.owner.login) {
			headRepo = e.st.repo(owner + "/" + r.name)
			if headRepo == nil || headRepo.parent != r {
				return nil, unprocessable("PullRequest", "head", "invalid", "")
			}
		}
	}
	if title == "" {
		return nil, unprocessable("PullRequest", "title", "missing_field", "")
	}
	baseSHA, err := r.git.resolve(ctx, "refs/heads/"+base)
	if err != nil {
		return nil, err
	}
	if baseSHA == "" {
		return nil, unprocessable("PullRequest", "base", "invalid", "")
	}
	headSHA, err := headRepo.git.resolve(ctx, "refs/heads/"+headRef)
	if err != nil {
		return nil, err
	}
	if headSHA == "" {
		return nil, unprocessable("PullRequest", "head", "invalid", "")
	}
	for _, p := range r.pulls {
		if p.state == "open" && p.headRepo == headRepo && p.headRef == headRef && p.baseRef == base {
			return nil, unprocessable("PullRequest", "", "custom", "A pull request already exists for "+p.headLabel()+".")
		}
	}
	number := r.nextNumber + 1
	// The head's commits must reach the base repository before comparing.
	pullRef := fmt.Sprintf("refs/pull/%d/head", number)
	if headRepo != r {
		if _, err := r.git.run(ctx, nil, nil, "fetch", "--quiet", "--no-tags", headRepo.git.dir, "+"+headSHA+":"+pullRef); err != nil {
			return nil, err
		}
	} else if err := r.git.updateRef(ctx, pullRef, headSHA, ""); err != nil {
		return nil, err
	}
	if ok, err := r.git.isAncestor(ctx, headSHA, baseSHA); err != nil {
		return nil, err
	} else if ok {
		_ = r.git.deleteRef(ctx, pullRef)
		return nil, unprocessable("PullRequest", "", "custom", "No commits between "+base+" and "+headRef)
	}
	r.nextNumber = number
	now := time.Now().UTC().Truncate(time.Second)
	p := &pullState{
		id: e.st.id(), issueID: e.st.id(), number: number, repo: r, headRepo: headRepo, headRef: headRef, headSHA: headSHA,
		baseRef: base, title: title, body: body, user: u, state: "open", draft: draft,
		created: now, updated: now, maintainerCanModify: headRepo != r,
	}
	r.pulls[number] = p
	if err := e.refreshMergeRef(ctx, p); err != nil {
		return nil, err
	}
	pj, err := e.pullJSON(ctx, p, false)
	if err != nil {
		return nil, err
	}
	e.enqueue("pull_request", "opened", &github.PullRequestEvent{
		Action: ptr("opened"), Number: ptr(number), PullRequest: pj, Repo: e.repoJSON(r),
		Sender: e.userJSON(u), Installation: e.installationRef(r),
	})
	return p, nil
}

// refreshMergeRef keeps refs/pull/N/merge (and merge_commit_sha) at the test
// merge of an open pull request, as GitHub does; it is absent on conflicts.
func (e *Emulator) refreshMergeRef(ctx context.Context, p *pullState) error {
	if p.state != "open" {
		return nil
	}
	ref := fmt.Sprintf("refs/pull/%d/merge", p.number)
	baseSHA, err := p.repo.git.resolve(ctx, "refs/heads/"+p.baseRef)
	if err != nil || baseSHA == "" {
		return err
	}
	tree, conflict, err := p.repo.git.mergeTree(ctx, baseSHA, p.headSHA)
	if err != nil {
		return err
	}
	if conflict {
		p.mergeCommitSHA = ""
		return p.repo.git.deleteRef(ctx, ref)
	}
	web := signature{Name: "GitHub", Email: "noreply@github.com", When: p.updated}
	sha, err := p.repo.git.commitTree(ctx, tree, []string{baseSHA, p.headSHA},
		fmt.Sprintf("Merge %s into %s", p.headSHA, baseSHA), web, web)
	if err != nil {
		return err
	}
	if _, err := p.repo.git.run(ctx, nil, nil, "update-ref", ref, sha); err != nil {
		return err
	}
	p.mergeCommitSHA = sha
	return nil
}

// baseSHA is the base branch's tip for an open pull request, the tip it was
// closed against otherwise.
func (e *Emulator) baseSHA(ctx context.Context, p *pullState) string {
	if p.state != "open" && p.baseSHA != "" {
		return p.baseSHA
	}
	sha, _ := p.repo.git.resolve(ctx, "refs/heads/"+p.baseRef)
	return sha
}

// ClosePR closes a pull request without merging and sends pull_request "closed".
func (e *Emulator) ClosePR(ctx context.Context, fullName, login string, number int) error {
	return e.setPullState(ctx, fullName, login, number, "closed")
}

// ReopenPR reopens a closed pull request and sends pull_request "reopened".
func (e *Emulator) ReopenPR(ctx context.Context, fullName, login string, number int) error {
	return e.setPullState(ctx, fullName, login, number, "open")
}

func (e *Emulator) setPullState(ctx context.Context, fullName, login string, number int, to string) error {
	e.mu.Lock()
	r, u, err := e.lookup(fullName, login)
	if err == nil {
		err = e.setPullStateLocked(ctx, r, u, number, to)
	}
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("set pull request %s#%d %s: %w", fullName, number, to, err)
	}
	return e.Flush(ctx)
}

func (e *Emulator) setPullStateLocked(ctx context.Context, r *repoState, u *user, number int, to string) error {
	p := r.pulls[number]
	if p == nil {
		return notFound()
	}
	if p.state == to {
		return nil
	}
	if p.merged {
		return unprocessable("PullRequest", "state", "invalid", "state cannot be changed. The pull request cannot be reopened because it was merged.")
	}
	now := time.Now().UTC().Truncate(time.Second)
	action := "reopened"
	if to == "closed" {
		action = "closed"
		p.baseSHA = e.baseSHA(ctx, p)
		p.closedAt = now
	} else {
		p.closedAt = time.Time{}
	}
	p.state, p.updated = to, now
	if err := e.refreshMergeRef(ctx, p); err != nil {
		return err
	}
	return e.enqueuePull(ctx, p, action, u, nil)
}

func (e *Emulator) enqueuePull(ctx context.Context, p *pullState, action string, sender *user, mutate func(*github.PullRequestEvent)) error {
	pj, err := e.pullJSON(ctx, p, false)
	if err != nil {
		return err
	}
	ev := &github.PullRequestEvent{
		Action: ptr(action), Number: ptr(p.number), PullRequest: pj, Repo: e.repoJSON(p.repo),
		Sender: e.userJSON(sender), Installation: e.installationRef(p.repo),
	}
	if mutate != nil {
		mutate(ev)
	}
	e.enqueue("pull_request", action, ev)
	return nil
}

// Merge merges a pull request with a merge commit, as the merge button does
// (the user needs write permission), and sends pull_request "closed" with
// merged true, then push to the base branch. It returns the merge commit.
func (e *Emulator) Merge(ctx context.Context, fullName, login string, number int) (string, error) {
	e.mu.Lock()
	r, u, err := e.lookup(fullName, login)
	var sha string
	if err == nil {
		if !r.canWrite(u) {
			err = fmt.Errorf("%s may not merge: role %s", login, r.role(u))
		} else {
			sha, err = e.mergeLocked(ctx, r, u, number, "", "", "", "merge")
		}
	}
	e.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("merge %s#%d: %w", fullName, number, err)
	}
	return sha, e.Flush(ctx)
}

func (e *Emulator) mergeLocked(ctx context.Context, r *repoState, u *user, number int, title, message, sha, method string) (string, error) {
	p := r.pulls[number]
	if p == nil {
		return "", notFound()
	}
	if p.state != "open" {
		return "", &apiError{Status: http.StatusMethodNotAllowed, Message: "Pull Request is not mergeable"}
	}
	if p.draft {
		return "", &apiError{Status: http.StatusMethodNotAllowed, Message: "Pull Request is still a draft"}
	}
	if sha != "" && sha != p.headSHA {
		return "", &apiError{Status: http.StatusConflict, Message: "Head branch was modified. Review and try the merge again."}
	}
	if method == "rebase" {
		return "", &apiError{Status: http.StatusMethodNotAllowed, Message: "Rebase merges are not allowed on this repository."}
	}
	baseTip, err := r.git.resolve(ctx, "refs/heads/"+p.baseRef)
	if err != nil {
		return "", err
	}
	tree, conflict, err := r.git.mergeTree(ctx, baseTip, p.headSHA)
	if err != nil {
		return "", err
	}
	if conflict {
		return "", &apiError{Status: http.StatusMethodNotAllowed, Message: "Pull Request is not mergeable"}
	}
	author := e.signatureOf(u)
	web := signature{Name: "GitHub", Email: "noreply@github.com"}
	parents := []string{baseTip, p.headSHA}
	if title == "" {
		title = fmt.Sprintf("Merge pull request #%d from %s/%s", p.number, p.headRepo.owner.login, p.headRef)
		if method == "squash" {
			title = fmt.Sprintf("%s (#%d)", p.title, p.number)
		}
	}
	if message == "" && method != "squash" {
		message = p.title
	}
	if method == "squash" {
		parents = parents[:1]
	}
	msg := title
	if message != "" {
		msg += "\n\n" + message
	}
	mergeSHA, err := r.git.commitTree(ctx, tree, parents, msg, author, web)
	if err != nil {
		return "", err
	}
	if err := r.git.updateRef(ctx, "refs/heads/"+p.baseRef, mergeSHA, baseTip); err != nil {
		return "", err
	}
	now := time.Now().UTC().Truncate(time.Second)
	p.state, p.merged, p.mergedBy, p.mergeCommitSHA = "closed", true, u, mergeSHA
	p.mergedAt, p.closedAt, p.updated, p.baseSHA = now, now, now, baseTip
	r.pushed = now
	_ = r.git.deleteRef(ctx, fmt.Sprintf("refs/pull/%d/merge", p.number))
	if err := e.enqueuePull(ctx, p, "closed", u, nil); err != nil {
		return "", err
	}
	if err := e.enqueuePush(ctx, r, u, "refs/heads/"+p.baseRef, baseTip, mergeSHA); err != nil {
		return "", err
	}
	return mergeSHA, e.baseMoved(ctx, r, p.baseRef)
}

// baseMoved refreshes the test merges of open pull requests into a branch
// that just moved.
func (e *Emulator) baseMoved(ctx context.Context, r *repoState, branch string) error {
	for _, p := range r.pulls {
		if p.state == "open" && p.baseRef == branch {
			if err := e.refreshMergeRef(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *Emulator) signatureOf(u *user) signature {
	return signature{Name: u.login, Email: fmt.Sprintf("%d+%s@users.noreply.github.com", u.id, u.login)}
}

// Review submits a review (APPROVE, REQUEST_CHANGES or COMMENT) of the pull
// request's head and sends pull_request_review "submitted".
func (e *Emulator) Review(ctx context.Context, fullName, login string, number int, event string) error {
	states := map[string]string{"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
	state, ok := states[event]
	e.mu.Lock()
	r, u, err := e.lookup(fullName, login)
	switch {
	case err != nil:
	case !ok:
		err = fmt.Errorf("review %q: want APPROVE, REQUEST_CHANGES or COMMENT", event)
	case r.pulls[number] == nil:
		err = fmt.Errorf("no such pull request")
	case r.pulls[number].user == u && state != "COMMENTED":
		err = fmt.Errorf("%s cannot approve or request changes on their own pull request", login)
	default:
		p := r.pulls[number]
		rv := &reviewState{id: e.st.id(), user: u, state: state, commitID: p.headSHA, submitted: time.Now().UTC().Truncate(time.Second)}
		p.reviews = append(p.reviews, rv)
		var pj *github.PullRequest
		if pj, err = e.pullJSON(ctx, p, false); err == nil {
			review := e.reviewJSON(p, rv)
			// Webhook payloads spell the state in lower case; the REST API in upper case.
			review.State = ptr(strings.ToLower(rv.state))
			e.enqueue("pull_request_review", "submitted", &github.PullRequestReviewEvent{
				Action: ptr("submitted"), Review: review, PullRequest: pj, Repo: e.repoJSON(r),
				Sender: e.userJSON(u), Installation: e.installationRef(r),
			})
		}
	}
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("review %s#%d: %w", fullName, number, err)
	}
	return e.Flush(ctx)
}

func (e *Emulator) reviewJSON(p *pullState, rv *reviewState) *github.PullRequestReview {
	html := fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", e.url, p.repo.fullName(), p.number, rv.id)
	return &github.PullRequestReview{
		ID: ptr(rv.id), NodeID: ptr(nodeID("PRR", rv.id)), User: e.userJSON(rv.user), Body: ptr(rv.body),
		SubmittedAt: ts(rv.submitted), CommitID: ptr(rv.commitID), HTMLURL: ptr(html),
		PullRequestURL:    ptr(fmt.Sprintf("%s/repos/%s/pulls/%d", e.url, p.repo.fullName(), p.number)),
		State:             ptr(rv.state),
		AuthorAssociation: ptr(e.association(p.repo, rv.user)),
	}
}

// association is the author_association of a user on a repository.
func (e *Emulator) association(r *repoState, u *user) string {
	switch {
	case u == r.owner:
		return "OWNER"
	case u.typ == "Bot":
		return "NONE"
	case roleRank[r.role(u)] >= roleRank["triage"]:
		return "COLLABORATOR"
	case r.role(u) == "read":
		return "CONTRIBUTOR"
	}
	return "NONE"
}

// pullJSON renders a pull request. full adds what only GET of one pull
// request computes (mergeable, counts); list answers and webhook payloads
// show mergeable as unknown, as GitHub does before it has computed it.
func (e *Emulator) pullJSON(ctx context.Context, p *pullState, full bool) (*github.PullRequest, error) {
	r := p.repo
	api := fmt.Sprintf("%s/repos/%s/pulls/%d", e.url, r.fullName(), p.number)
	issue := fmt.Sprintf("%s/repos/%s/issues/%d", e.url, r.fullName(), p.number)
	html := fmt.Sprintf("%s/%s/pull/%d", e.url, r.fullName(), p.number)
	baseSHA := e.baseSHA(ctx, p)
	out := &github.PullRequest{
		ID: ptr(p.id), NodeID: ptr(nodeID("PR", p.id)), Number: ptr(p.number), State: ptr(p.state), Locked: ptr(false),
		Title: ptr(p.title), Body: ptr(p.body), User: e.userJSON(p.user), Draft: ptr(p.draft), Merged: ptr(p.merged),
		CreatedAt: ts(p.created), UpdatedAt: ts(p.updated), ClosedAt: ts(p.closedAt), MergedAt: ts(p.mergedAt),
		MergedBy: e.userJSON(p.mergedBy), MaintainerCanModify: ptr(p.maintainerCanModify),
		AuthorAssociation: ptr(e.association(r, p.user)),
		URL:               ptr(api), HTMLURL: ptr(html), IssueURL: ptr(issue), DiffURL: ptr(html + ".diff"), PatchURL: ptr(html + ".patch"),
		CommitsURL: ptr(api + "/commits"), ReviewCommentsURL: ptr(api + "/comments"), CommentsURL: ptr(issue + "/comments"),
		StatusesURL: ptr(fmt.Sprintf("%s/repos/%s/statuses/%s", e.url, r.fullName(), p.headSHA)),
		Labels:      []*github.Label{}, Assignees: []*github.User{}, RequestedReviewers: []*github.User{},
		Head: &github.PullRequestBranch{Label: ptr(p.headLabel()), Ref: ptr(p.headRef), SHA: ptr(p.headSHA),
			Repo: e.repoJSON(p.headRepo), User: e.userJSON(p.headRepo.owner)},
		Base: &github.PullRequestBranch{Label: ptr(r.owner.login + ":" + p.baseRef), Ref: ptr(p.baseRef), SHA: ptr(baseSHA),
			Repo: e.repoJSON(r), User: e.userJSON(r.owner)},
		Links: &github.PRLinks{
			Self: &github.PRLink{HRef: ptr(api)}, HTML: &github.PRLink{HRef: ptr(html)}, Issue: &github.PRLink{HRef: ptr(issue)},
			Comments: &github.PRLink{HRef: ptr(issue + "/comments")}, Commits: &github.PRLink{HRef: ptr(api + "/commits")},
			Statuses: &github.PRLink{HRef: ptr(fmt.Sprintf("%s/repos/%s/statuses/%s", e.url, r.fullName(), p.headSHA))},
		},
	}
	if p.mergeCommitSHA != "" {
		out.MergeCommitSHA = ptr(p.mergeCommitSHA)
	}
	for _, l := range sortedLabels(p.labels) {
		out.Labels = append(out.Labels, e.labelJSON(r, l))
	}
	if !full {
		out.MergeableState = ptr("unknown")
		return out, nil
	}
	comments := 0
	for _, c := range e.st.comments {
		if c.repo == r && c.number == p.number {
			comments++
		}
	}
	out.Comments, out.ReviewComments = ptr(comments), ptr(0)
	mb, err := r.git.mergeBase(ctx, baseSHA, p.headSHA)
	if err != nil {
		return nil, err
	}
	if mb != "" {
		commits, err := r.git.log(ctx, mb, p.headSHA, 0)
		if err != nil {
			return nil, err
		}
		files, err := r.git.diff(ctx, mb, p.headSHA)
		if err != nil {
			return nil, err
		}
		adds, dels := 0, 0
		for _, f := range files {
			adds += f.Additions
			dels += f.Deletions
		}
		out.Commits, out.Additions, out.Deletions, out.ChangedFiles = ptr(len(commits)), ptr(adds), ptr(dels), ptr(len(files))
	}
	if p.state == "open" {
		mergeable, state := e.mergeability(ctx, p)
		out.Mergeable, out.MergeableState, out.Rebaseable = ptr(mergeable), ptr(state), ptr(false)
	} else {
		out.MergeableState = ptr("unknown")
	}
	return out, nil
}

// mergeability is GitHub's mergeable and mergeable_state of an open pull
// request: dirty on conflicts, draft, unstable when the head has a failing
// or pending commit status or check run, clean otherwise. (No branch
// protection, so never blocked or behind.)
func (e *Emulator) mergeability(ctx context.Context, p *pullState) (bool, string) {
	if p.mergeCommitSHA == "" {
		return false, "dirty"
	}
	if p.draft {
		return true, "draft"
	}
	if state, n := e.combinedState(p.repo, p.headSHA); n > 0 && state != "success" {
		return true, "unstable"
	}
	for _, c := range e.latestCheckRuns(p.repo, p.headSHA) {
		if c.status != "completed" || !okConclusion(c.conclusion) {
			return true, "unstable"
		}
	}
	return true, "clean"
}

func okConclusion(c string) bool { return c == "success" || c == "neutral" || c == "skipped" }

// GET /repos/{owner}/{repo}/pulls/{pull_number}
func (e *Emulator) getPull(ctx context.Context, q *request) (int, any, error) {
	p := q.repo.pulls[int(q.int("pull_number"))]
	if p == nil {
		return 0, nil, notFound()
	}
	out, err := e.pullJSON(ctx, p, true)
	return http.StatusOK, out, err
}

// GET /repos/{owner}/{repo}/pulls
func (e *Emulator) listPulls(ctx context.Context, q *request) (int, any, error) {
	state := q.query.Get("state")
	if state == "" {
		state = "open"
	}
	var ps []*pullState
	for _, p := range q.repo.pulls {
		if state != "all" && p.state != state {
			continue
		}
		if h := q.query.Get("head"); h != "" && !strings.EqualFold(h, p.headLabel()) {
			continue
		}
		if b := q.query.Get("base"); b != "" && b != p.baseRef {
			continue
		}
		ps = append(ps, p)
	}
	asc := q.query.Get("direction") == "asc"
	sortBy := q.query.Get("sort")
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i].created, ps[j].created
		if sortBy == "updated" {
			a, b = ps[i].updated, ps[j].updated
		}
		if a.Equal(b) {
			a, b = time.Unix(int64(ps[i].number), 0), time.Unix(int64(ps[j].number), 0)
		}
		if asc {
			return a.Before(b)
		}
		return b.Before(a)
	})
	page := paginate(e, q, "/repos/"+q.repo.fullName()+"/pulls", ps)
	out := make([]*github.PullRequest, 0, len(page))
	for _, p := range page {
		pj, err := e.pullJSON(ctx, p, false)
		if err != nil {
			return 0, nil, err
		}
		out = append(out, pj)
	}
	return http.StatusOK, out, nil
}

// GET /repos/{owner}/{repo}/pulls/{pull_number}/files
func (e *Emulator) listPullFiles(ctx context.Context, q *request) (int, any, error) {
	p := q.repo.pulls[int(q.int("pull_number"))]
	if p == nil {
		return 0, nil, notFound()
	}
	r := q.repo
	mb, err := r.git.mergeBase(ctx, e.baseSHA(ctx, p), p.headSHA)
	if err != nil {
		return 0, nil, err
	}
	files, err := r.git.diff(ctx, mb, p.headSHA)
	if err != nil {
		return 0, nil, err
	}
	page := paginate(e, q, fmt.Sprintf("/repos/%s/pulls/%d/files", r.fullName(), p.number), files)
	return http.StatusOK, e.filesJSON(r, p.headSHA, page), nil
}

func (e *Emulator) filesJSON(r *repoState, sha string, files []fileDiff) []*github.CommitFile {
	out := make([]*github.CommitFile, 0, len(files))
	for _, f := range files {
		cf := &github.CommitFile{
			SHA: ptr(f.BlobSHA), Filename: ptr(f.Filename), Status: ptr(f.Status),
			Additions: ptr(f.Additions), Deletions: ptr(f.Deletions), Changes: ptr(f.Additions + f.Deletions),
			BlobURL:     ptr(fmt.Sprintf("%s/%s/blob/%s/%s", e.url, r.fullName(), sha, f.Filename)),
			RawURL:      ptr(fmt.Sprintf("%s/%s/raw/%s/%s", e.url, r.fullName(), sha, f.Filename)),
			ContentsURL: ptr(fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", e.url, r.fullName(), f.Filename, sha)),
		}
		if f.Patch != "" {
			cf.Patch = ptr(f.Patch)
		}
		if f.PreviousFilename != "" {
			cf.PreviousFilename = ptr(f.PreviousFilename)
		}
		out = append(out, cf)
	}
	return out
}

// POST /repos/{owner}/{repo}/pulls
func (e *Emulator) createPull(ctx context.Context, q *request) (int, any, error) {
	var in struct {
		Title, Head, Base, Body string
		Draft                   bool
		Issue                   int
	}
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	if in.Issue != 0 {
		return 0, nil, unprocessable("PullRequest", "issue", "invalid", "converting an issue is not supported by the emulator")
	}
	p, err := e.openPullLocked(ctx, q.repo, e.st.app, in.Head, in.Base, in.Title, in.Body, in.Draft)
	if err != nil {
		return 0, nil, err
	}
	out, err := e.pullJSON(ctx, p, true)
	return http.StatusCreated, out, err
}

// PATCH /repos/{owner}/{repo}/pulls/{pull_number}
func (e *Emulator) updatePull(ctx context.Context, q *request) (int, any, error) {
	p := q.repo.pulls[int(q.int("pull_number"))]
	if p == nil {
		return 0, nil, notFound()
	}
	var in struct {
		Title, Body, State, Base *string
	}
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	changes := &github.EditChange{}
	edited := false
	if in.Title != nil && *in.Title != p.title {
		changes.Title = &github.EditTitle{From: ptr(p.title)}
		p.title, edited = *in.Title, true
	}
	if in.Body != nil && *in.Body != p.body {
		changes.Body = &github.EditBody{From: ptr(p.body)}
		p.body, edited = *in.Body, true
	}
	if in.Base != nil && *in.Base != p.baseRef {
		if sha, err := q.repo.git.resolve(ctx, "refs/heads/"+*in.Base); err != nil {
			return 0, nil, err
		} else if sha == "" {
			return 0, nil, unprocessable("PullRequest", "base", "invalid", "Proposed base branch '"+*in.Base+"' was not found")
		}
		changes.Base = &github.EditBase{Ref: &github.EditRef{From: ptr(p.baseRef)}}
		p.baseRef, edited = *in.Base, true
		if err := e.refreshMergeRef(ctx, p); err != nil {
			return 0, nil, err
		}
	}
	if edited {
		p.updated = time.Now().UTC().Truncate(time.Second)
		if err := e.enqueuePull(ctx, p, "edited", e.st.app, func(ev *github.PullRequestEvent) { ev.Changes = changes }); err != nil {
			return 0, nil, err
		}
	}
	if in.State != nil {
		if err := e.setPullStateLocked(ctx, q.repo, e.st.app, p.number, *in.State); err != nil {
			return 0, nil, err
		}
	}
	out, err := e.pullJSON(ctx, p, true)
	return http.StatusOK, out, err
}

// PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge
func (e *Emulator) mergePull(ctx context.Context, q *request) (int, any, error) {
	var in struct {
		CommitTitle   string `json:"commit_title"`
		CommitMessage string `json:"commit_message"`
		SHA           string `json:"sha"`
		MergeMethod   string `json:"merge_method"`
	}
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	if in.MergeMethod == "" {
		in.MergeMethod = "merge"
	}
	sha, err := e.mergeLocked(ctx, q.repo, e.st.app, int(q.int("pull_number")), in.CommitTitle, in.CommitMessage, in.SHA, in.MergeMethod)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, &github.PullRequestMergeResult{SHA: ptr(sha), Merged: ptr(true), Message: ptr("Pull Request successfully merged")}, nil
}

// GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews
func (e *Emulator) listReviews(_ context.Context, q *request) (int, any, error) {
	p := q.repo.pulls[int(q.int("pull_number"))]
	if p == nil {
		return 0, nil, notFound()
	}
	page := paginate(e, q, fmt.Sprintf("/repos/%s/pulls/%d/reviews", q.repo.fullName(), p.number), p.reviews)
	out := make([]*github.PullRequestReview, 0, len(page))
	for _, rv := range page {
		out = append(out, e.reviewJSON(p, rv))
	}
	return http.StatusOK, out, nil
}
