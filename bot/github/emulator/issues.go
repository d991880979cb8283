package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// maxCommentBody is GitHub's limit on a comment body, in characters.
const maxCommentBody = 65536

type commentState struct {
	id               int64
	repo             *repoState
	number           int
	user             *user
	body             string
	created, updated time.Time
	history          []string // earlier bodies, oldest first
	reactions        []*reactionState
}

type reactionState struct {
	id      int64
	user    *user
	content string
	created time.Time
}

// Comment is an issue or pull request comment as the accessors show it.
type Comment struct {
	ID     int64
	Number int
	User   string
	Body   string
	// Edits is how many times the body was edited; History holds the
	// earlier bodies, oldest first.
	Edits     int
	History   []string
	Reactions []Reaction
}

// Reaction is a reaction to a comment.
type Reaction struct {
	ID      int64
	User    string
	Content string // +1, -1, laugh, confused, heart, hooray, rocket, eyes
}

func commentValue(c *commentState) Comment {
	out := Comment{ID: c.id, Number: c.number, User: c.user.login, Body: c.body, Edits: len(c.history),
		History: append([]string(nil), c.history...)}
	for _, r := range c.reactions {
		out.Reactions = append(out.Reactions, Reaction{ID: r.id, User: r.user.login, Content: r.content})
	}
	return out
}

// commentsOf lists the comments of an issue or pull request, oldest first.
func (e *Emulator) commentsOf(r *repoState, number int) []*commentState {
	var out []*commentState
	for _, c := range e.st.comments {
		if c.repo == r && c.number == number {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// Comments returns the comments of a pull request, oldest first.
func (e *Emulator) Comments(fullName string, number int) []Comment {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.st.repo(fullName)
	if r == nil {
		return nil
	}
	var out []Comment
	for _, c := range e.commentsOf(r, number) {
		out = append(out, commentValue(c))
	}
	return out
}

// Comment posts a comment on a pull request as user and sends
// issue_comment "created".
func (e *Emulator) Comment(ctx context.Context, fullName, login string, number int, body string) (*Comment, error) {
	e.mu.Lock()
	c, err := e.commentLocked(fullName, login, number, body)
	e.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("comment on %s#%d: %w", fullName, number, err)
	}
	return c, e.Flush(ctx)
}

func (e *Emulator) commentLocked(fullName, login string, number int, body string) (*Comment, error) {
	r, u, err := e.lookup(fullName, login)
	if err != nil {
		return nil, err
	}
	if r.pulls[number] == nil {
		return nil, fmt.Errorf("no pull request #%d", number)
	}
	if n := utf8.RuneCountInString(body); n > maxCommentBody {
		return nil, fmt.Errorf("body is too long (%d characters, maximum is %d)", n, maxCommentBody)
	}
	c := e.addComment(r, u, number, body)
	v := commentValue(c)
	return &v, nil
}

func (e *Emulator) addComment(r *repoState, u *user, number int, body string) *commentState {
	now := time.Now().UTC().Truncate(time.Second)
	c := &commentState{id: e.st.id(), repo: r, number: number, user: u, body: body, created: now, updated: now}
	e.st.comments[c.id] = c
	p := r.pulls[number]
	p.updated = now
	e.enqueue("issue_comment", "created", &github.IssueCommentEvent{
		Action: ptr("created"), Issue: e.issueJSON(p), Comment: e.commentJSON(c), Repo: e.repoJSON(r),
		Sender: e.userJSON(u), Installation: e.installationRef(r),
	})
	return c
}

// EditComment changes a comment's body as user and sends issue_comment "edited".
func (e *Emulator) EditComment(ctx context.Context, fullName, login string, commentID int64, body string) error {
	e.mu.Lock()
	r, u, err := e.lookup(fullName, login)
	if err == nil {
		c := e.st.comments[commentID]
		if c == nil || c.repo != r {
			err = fmt.Errorf("no comment %d", commentID)
		} else {
			e.editComment(c, u, body)
		}
	}
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("edit comment %d on %s: %w", commentID, fullName, err)
	}
	return e.Flush(ctx)
}

func (e *Emulator) editComment(c *commentState, u *user, body string) {
	from := c.body
	c.history = append(c.history, from)
	c.body, c.updated = body, time.Now().UTC().Truncate(time.Second)
	e.enqueue("issue_comment", "edited", &github.IssueCommentEvent{
		Action: ptr("edited"), Issue: e.issueJSON(c.repo.pulls[c.number]), Comment: e.commentJSON(c),
		Changes: &github.EditChange{Body: &github.EditBody{From: ptr(from)}},
		Repo:    e.repoJSON(c.repo), Sender: e.userJSON(u), Installation: e.installationRef(c.repo),
	})
}

// Label adds a label to a pull request as user and sends pull_request
// "labeled" (the label is created in the repository on first use).
func (e *Emulator) Label(ctx context.Context, fullName, login string, number int, label string) error {
	e.mu.Lock()
	r, u, err := e.lookup(fullName, login)
	if err == nil {
		if p := r.pulls[number]; p == nil {
			err = fmt.Errorf("no pull request #%d", number)
		} else {
			err = e.addLabels(ctx, p, u, []string{label})
		}
	}
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("label %s#%d: %w", fullName, number, err)
	}
	return e.Flush(ctx)
}

func (e *Emulator) addLabels(ctx context.Context, p *pullState, u *user, names []string) error {
	for _, name := range names {
		key := strings.ToLower(name)
		l := p.repo.labels[key]
		if l == nil {
			l = &labelState{id: e.st.id(), name: name, color: "ededed"}
			p.repo.labels[key] = l
		}
		has := false
		for _, x := range p.labels {
			has = has || x == l
		}
		if has {
			continue
		}
		p.labels = append(p.labels, l)
		p.updated = time.Now().UTC().Truncate(time.Second)
		if err := e.enqueuePull(ctx, p, "labeled", u, func(ev *github.PullRequestEvent) {
			ev.Label = e.labelJSON(p.repo, l)
		}); err != nil {
			return err
		}
	}
	return nil
}

// Labels returns a pull request's labels, by name.
func (e *Emulator) Labels(fullName string, number int) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.st.repo(fullName)
	if r == nil || r.pulls[number] == nil {
		return nil
	}
	var out []string
	for _, l := range sortedLabels(r.pulls[number].labels) {
		out = append(out, l.name)
	}
	return out
}

func (e *Emulator) labelJSON(r *repoState, l *labelState) *github.Label {
	return &github.Label{ID: ptr(l.id), NodeID: ptr(nodeID("LA", l.id)), Name: ptr(l.name), Color: ptr(l.color),
		Default: ptr(false), URL: ptr(fmt.Sprintf("%s/repos/%s/labels/%s", e.url, r.fullName(), l.name))}
}

// issueJSON renders the issue side of a pull request.
func (e *Emulator) issueJSON(p *pullState) *github.Issue {
	r := p.repo
	api := fmt.Sprintf("%s/repos/%s/issues/%d", e.url, r.fullName(), p.number)
	html := fmt.Sprintf("%s/%s/pull/%d", e.url, r.fullName(), p.number)
	out := &github.Issue{
		ID: ptr(p.issueID), NodeID: ptr(nodeID("PR", p.id)), Number: ptr(p.number), State: ptr(p.state), Locked: ptr(false),
		Title: ptr(p.title), Body: ptr(p.body), User: e.userJSON(p.user), Labels: []*github.Label{}, Assignees: []*github.User{},
		Comments: ptr(len(e.commentsOf(r, p.number))), CreatedAt: ts(p.created), UpdatedAt: ts(p.updated), ClosedAt: ts(p.closedAt),
		AuthorAssociation: ptr(e.association(r, p.user)), Draft: ptr(p.draft),
		URL: ptr(api), HTMLURL: ptr(html), CommentsURL: ptr(api + "/comments"), EventsURL: ptr(api + "/events"),
		LabelsURL: ptr(api + "/labels{/name}"), RepositoryURL: ptr(e.url + "/repos/" + r.fullName()),
		PullRequestLinks: &github.PullRequestLinks{
			URL:     ptr(fmt.Sprintf("%s/repos/%s/pulls/%d", e.url, r.fullName(), p.number)),
			HTMLURL: ptr(html), DiffURL: ptr(html + ".diff"), PatchURL: ptr(html + ".patch"), MergedAt: ts(p.mergedAt),
		},
	}
	if p.state == "closed" {
		out.StateReason = ptr("completed")
	}
	for _, l := range sortedLabels(p.labels) {
		out.Labels = append(out.Labels, e.labelJSON(r, l))
	}
	return out
}

func (e *Emulator) commentJSON(c *commentState) *github.IssueComment {
	r := c.repo
	n := map[string]int{}
	for _, x := range c.reactions {
		n[x.content]++
	}
	counts := &github.Reactions{
		URL:        ptr(fmt.Sprintf("%s/repos/%s/issues/comments/%d/reactions", e.url, r.fullName(), c.id)),
		TotalCount: ptr(len(c.reactions)), PlusOne: ptr(n["+1"]), MinusOne: ptr(n["-1"]), Laugh: ptr(n["laugh"]),
		Confused: ptr(n["confused"]), Heart: ptr(n["heart"]), Hooray: ptr(n["hooray"]), Rocket: ptr(n["rocket"]), Eyes: ptr(n["eyes"]),
	}
	return &github.IssueComment{
		ID: ptr(c.id), NodeID: ptr(nodeID("IC", c.id)), Body: ptr(c.body), User: e.userJSON(c.user), Reactions: counts,
		CreatedAt: ts(c.created), UpdatedAt: ts(c.updated), AuthorAssociation: ptr(e.association(r, c.user)),
		URL:      ptr(fmt.Sprintf("%s/repos/%s/issues/comments/%d", e.url, r.fullName(), c.id)),
		HTMLURL:  ptr(fmt.Sprintf("%s/%s/pull/%d#issuecomment-%d", e.url, r.fullName(), c.number, c.id)),
		IssueURL: ptr(fmt.Sprintf("%s/repos/%s/issues/%d", e.url, r.fullName(), c.number)),
	}
}

// issuePull finds the pull request behind {issue_number}; the emulator has
// no plain issues.
func (q *request) issuePull() (*pullState, error) {
	p := q.repo.pulls[int(q.int("issue_number"))]
	if p == nil {
		return nil, notFound()
	}
	return p, nil
}

// GET /repos/{owner}/{repo}/issues/{issue_number}
func (e *Emulator) getIssue(_ context.Context, q *request) (int, any, error) {
	p, err := q.issuePull()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.issueJSON(p), nil
}

// GET /repos/{owner}/{repo}/issues/{issue_number}/comments
func (e *Emulator) listComments(_ context.Context, q *request) (int, any, error) {
	p, err := q.issuePull()
	if err != nil {
		return 0, nil, err
	}
	cs := e.commentsOf(q.repo, p.number)
	if since := q.query.Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			return 0, nil, unprocessable("IssueComment", "since", "invalid", "since must be an ISO 8601 timestamp")
		}
		var kept []*commentState
		for _, c := range cs {
			if !c.updated.Before(t) {
				kept = append(kept, c)
			}
		}
		cs = kept
	}
	page := paginate(e, q, fmt.Sprintf("/repos/%s/issues/%d/comments", q.repo.fullName(), p.number), cs)
	out := make([]*github.IssueComment, 0, len(page))
	for _, c := range page {
		out = append(out, e.commentJSON(c))
	}
	return http.StatusOK, out, nil
}

// POST /repos/{owner}/{repo}/issues/{issue_number}/comments
func (e *Emulator) createComment(_ context.Context, q *request) (int, any, error) {
	p, err := q.issuePull()
	if err != nil {
		return 0, nil, err
	}
	var in struct{ Body string }
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	c := e.addComment(q.repo, e.st.app, p.number, in.Body)
	return http.StatusCreated, e.commentJSON(c), nil
}

func (q *request) comment(e *Emulator) (*commentState, error) {
	c := e.st.comments[q.int("comment_id")]
	if c == nil || c.repo != q.repo {
		return nil, notFound()
	}
	return c, nil
}

// GET /repos/{owner}/{repo}/issues/comments/{comment_id}
func (e *Emulator) getComment(_ context.Context, q *request) (int, any, error) {
	c, err := q.comment(e)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.commentJSON(c), nil
}

// PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}
func (e *Emulator) updateComment(_ context.Context, q *request) (int, any, error) {
	c, err := q.comment(e)
	if err != nil {
		return 0, nil, err
	}
	if c.user != e.st.app {
		return 0, nil, &apiError{Status: http.StatusForbidden, Message: "Resource not accessible by integration"}
	}
	var in struct{ Body string }
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	if in.Body != c.body {
		e.editComment(c, e.st.app, in.Body)
	}
	return http.StatusOK, e.commentJSON(c), nil
}

// POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions
//
// 201 for a new reaction, 200 with the existing one when the caller has
// already reacted with that content.
func (e *Emulator) createReaction(_ context.Context, q *request) (int, any, error) {
	c, err := q.comment(e)
	if err != nil {
		return 0, nil, err
	}
	var in struct{ Content string }
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	for _, x := range c.reactions {
		if x.user == e.st.app && x.content == in.Content {
			return http.StatusOK, e.reactionJSON(x), nil
		}
	}
	x := &reactionState{id: e.st.id(), user: e.st.app, content: in.Content, created: time.Now().UTC().Truncate(time.Second)}
	c.reactions = append(c.reactions, x)
	return http.StatusCreated, e.reactionJSON(x), nil
}

func (e *Emulator) reactionJSON(x *reactionState) *github.Reaction {
	return &github.Reaction{ID: ptr(x.id), NodeID: ptr(nodeID("REA", x.id)), User: e.userJSON(x.user), Content: ptr(x.content)}
}

// POST /repos/{owner}/{repo}/issues/{issue_number}/labels
func (e *Emulator) addLabelsREST(ctx context.Context, q *request) (int, any, error) {
	p, err := q.issuePull()
	if err != nil {
		return 0, nil, err
	}
	names, err := labelNames(q.body)
	if err != nil {
		return 0, nil, err
	}
	if err := e.addLabels(ctx, p, e.st.app, names); err != nil {
		return 0, nil, err
	}
	out := []*github.Label{}
	for _, l := range sortedLabels(p.labels) {
		out = append(out, e.labelJSON(q.repo, l))
	}
	return http.StatusOK, out, nil
}

// labelNames reads the label names of an add-labels body, in any of the
// shapes GitHub accepts: ["a"], {"labels": ["a"]}, [{"name": "a"}] or
// {"labels": [{"name": "a"}]}.
func labelNames(body []byte) ([]string, error) {
	var wrapped struct {
		Labels json.RawMessage `json:"labels"`
	}
	list := json.RawMessage(body)
	if err := json.Unmarshal(body, &wrapped); err == nil && wrapped.Labels != nil {
		list = wrapped.Labels
	}
	var names []string
	if err := json.Unmarshal(list, &names); err == nil {
		return names, nil
	}
	var objs []struct{ Name string }
	if err := json.Unmarshal(list, &objs); err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Message: "Problems parsing JSON"}
	}
	for _, o := range objs {
		names = append(names, o.Name)
	}
	return names, nil
}
