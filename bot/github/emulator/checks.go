package emulator

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/google/go-github/v60/github"
)

type checkRunState struct {
	id                     int64
	repo                   *repoState
	suiteID                int64
	name, headSHA          string
	externalID, detailsURL string
	status, conclusion     string
	startedAt, completedAt time.Time
	title, summary, text   string
	annotations            int
	actions                []CheckRunAction
	updates                int // PATCHes received
}

// CheckRun is a check run as the accessors show it.
type CheckRun struct {
	ID                   int64
	Repo                 string
	Name                 string
	HeadSHA              string
	ExternalID           string
	DetailsURL           string
	Status               string // queued, in_progress, completed, …
	Conclusion           string // success, failure, … ("" until completed)
	Title, Summary, Text string // output
	Actions              []CheckRunAction
	Updates              int // how many times the App updated it
}

// CheckRunAction is a button of a check run.
type CheckRunAction struct {
	Label       string `json:"label"`
	Description string `json:"description"`
	Identifier  string `json:"identifier"`
}

func checkRunValue(c *checkRunState) CheckRun {
	return CheckRun{
		ID: c.id, Repo: c.repo.fullName(), Name: c.name, HeadSHA: c.headSHA, ExternalID: c.externalID,
		DetailsURL: c.detailsURL, Status: c.status, Conclusion: c.conclusion,
		Title: c.title, Summary: c.summary, Text: c.text, Actions: append([]CheckRunAction(nil), c.actions...), Updates: c.updates,
	}
}

// CheckRuns returns a repository's check runs, oldest first.
func (e *Emulator) CheckRuns(fullName string) []CheckRun {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []CheckRun
	for _, c := range e.sortedCheckRuns() {
		if c.repo.fullName() == fullName {
			out = append(out, checkRunValue(c))
		}
	}
	return out
}

func (e *Emulator) sortedCheckRuns() []*checkRunState {
	out := make([]*checkRunState, 0, len(e.st.checkRuns))
	for _, c := range e.st.checkRuns {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// latestCheckRuns is the newest check run of each name on a commit.
func (e *Emulator) latestCheckRuns(r *repoState, sha string) []*checkRunState {
	latest := map[string]*checkRunState{}
	for _, c := range e.sortedCheckRuns() {
		if c.repo == r && c.headSHA == sha {
			latest[c.name] = c
		}
	}
	out := make([]*checkRunState, 0, len(latest))
	for _, c := range latest {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// RequestCheckRunAction clicks one of a check run's buttons as user (who
// needs write permission, as on GitHub) and sends check_run "requested_action".
func (e *Emulator) RequestCheckRunAction(ctx context.Context, fullName, login string, checkRunID int64, identifier string) error {
	e.mu.Lock()
	err := e.requestActionLocked(fullName, login, checkRunID, identifier)
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("request action %q of check run %d on %s: %w", identifier, checkRunID, fullName, err)
	}
	return e.Flush(ctx)
}

func (e *Emulator) requestActionLocked(fullName, login string, checkRunID int64, identifier string) error {
	r, u, err := e.lookup(fullName, login)
	if err != nil {
		return err
	}
	c := e.st.checkRuns[checkRunID]
	if c == nil || c.repo != r {
		return fmt.Errorf("no such check run")
	}
	if !r.canWrite(u) {
		return fmt.Errorf("%s cannot request actions: role %s", login, r.role(u))
	}
	found := false
	for _, a := range c.actions {
		found = found || a.Identifier == identifier
	}
	if !found {
		return fmt.Errorf("the check run has no action %q", identifier)
	}
	e.enqueue("check_run", "requested_action", &github.CheckRunEvent{
		Action: ptr("requested_action"), CheckRun: e.checkRunJSON(c), Repo: e.repoJSON(r),
		Sender: e.userJSON(u), Installation: e.installationRef(r),
		RequestedAction: &github.RequestedAction{Identifier: identifier},
	})
	return nil
}

func (e *Emulator) checkRunJSON(c *checkRunState) *github.CheckRun {
	r := c.repo
	api := fmt.Sprintf("%s/repos/%s/check-runs/%d", e.url, r.fullName(), c.id)
	out := &github.CheckRun{
		ID: ptr(c.id), NodeID: ptr(nodeID("CR", c.id)), Name: ptr(c.name), HeadSHA: ptr(c.headSHA),
		ExternalID: ptr(c.externalID), Status: ptr(c.status), StartedAt: ts(c.startedAt), CompletedAt: ts(c.completedAt),
		URL: ptr(api), HTMLURL: ptr(fmt.Sprintf("%s/%s/runs/%d", e.url, r.fullName(), c.id)),
		Output: &github.CheckRunOutput{
			Title: ptr(c.title), Summary: ptr(c.summary), Text: ptr(c.text),
			AnnotationsCount: ptr(c.annotations), AnnotationsURL: ptr(api + "/annotations"),
		},
		CheckSuite:   &github.CheckSuite{ID: ptr(c.suiteID)},
		App:          e.appJSON(),
		PullRequests: []*github.PullRequest{},
	}
	if c.detailsURL != "" {
		out.DetailsURL = ptr(c.detailsURL)
	}
	if c.conclusion != "" {
		out.Conclusion = ptr(c.conclusion)
	}
	// As on GitHub, only pull requests from the same repository are listed
	// (never those from forks).
	var nums []int
	for n, p := range r.pulls {
		if p.state == "open" && p.headSHA == c.headSHA && !p.fromFork() {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	for _, n := range nums {
		p := r.pulls[n]
		out.PullRequests = append(out.PullRequests, &github.PullRequest{
			URL: ptr(fmt.Sprintf("%s/repos/%s/pulls/%d", e.url, r.fullName(), n)), ID: ptr(p.id), Number: ptr(n),
			Head: &github.PullRequestBranch{Ref: ptr(p.headRef), SHA: ptr(p.headSHA), Repo: e.miniRepo(p.headRepo)},
			Base: &github.PullRequestBranch{Ref: ptr(p.baseRef), SHA: ptr(e.baseSHA(context.Background(), p)), Repo: e.miniRepo(r)},
		})
	}
	return out
}

func (e *Emulator) miniRepo(r *repoState) *github.Repository {
	return &github.Repository{ID: ptr(r.id), Name: ptr(r.name), URL: ptr(e.url + "/repos/" + r.fullName())}
}

// checkRunInput is the body of create and update.
type checkRunInput struct {
	Name        *string    `json:"name"`
	HeadSHA     string     `json:"head_sha"`
	DetailsURL  *string    `json:"details_url"`
	ExternalID  *string    `json:"external_id"`
	Status      *string    `json:"status"`
	Conclusion  *string    `json:"conclusion"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Output      *struct {
		Title       string           `json:"title"`
		Summary     string           `json:"summary"`
		Text        *string          `json:"text"`
		Annotations []map[string]any `json:"annotations"`
	} `json:"output"`
	Actions []CheckRunAction `json:"actions"`
}

// apply sets the fields present in the input, with GitHub's rules: a
// conclusion completes the run, and a completed run needs a conclusion.
func (c *checkRunState) apply(in *checkRunInput) error {
	if in.Name != nil && *in.Name != "" {
		c.name = *in.Name
	}
	if in.DetailsURL != nil {
		c.detailsURL = *in.DetailsURL
	}
	if in.ExternalID != nil {
		c.externalID = *in.ExternalID
	}
	if in.Status != nil {
		c.status = *in.Status
	}
	if in.Conclusion != nil {
		c.conclusion, c.status = *in.Conclusion, "completed"
	}
	if c.status == "completed" && c.conclusion == "" {
		return unprocessable("CheckRun", "conclusion", "missing_field", "Conclusion is required when status is completed")
	}
	if in.StartedAt != nil {
		c.startedAt = *in.StartedAt
	}
	if c.status == "completed" && c.completedAt.IsZero() {
		c.completedAt = time.Now().UTC().Truncate(time.Second)
		if in.CompletedAt != nil {
			c.completedAt = *in.CompletedAt
		}
	}
	if o := in.Output; o != nil {
		c.title, c.summary = o.Title, o.Summary
		if o.Text != nil {
			c.text = *o.Text
		}
		c.annotations += len(o.Annotations)
	}
	if in.Actions != nil {
		c.actions = append([]CheckRunAction(nil), in.Actions...)
	}
	return nil
}

// POST /repos/{owner}/{repo}/check-runs
func (e *Emulator) createCheckRun(ctx context.Context, q *request) (int, any, error) {
	var in checkRunInput
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	sha, err := q.repo.git.resolve(ctx, in.HeadSHA)
	if err != nil {
		return 0, nil, err
	}
	if sha == "" || sha != in.HeadSHA {
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "No commit found for SHA: " + in.HeadSHA}
	}
	now := time.Now().UTC().Truncate(time.Second)
	c := &checkRunState{id: e.st.id(), repo: q.repo, headSHA: sha, status: "queued", startedAt: now, suiteID: e.suiteID(q.repo, sha)}
	if err := c.apply(&in); err != nil {
		return 0, nil, err
	}
	e.st.checkRuns[c.id] = c
	e.enqueueCheckRun(c, "created")
	if c.status == "completed" {
		e.enqueueCheckRun(c, "completed")
	}
	return http.StatusCreated, e.checkRunJSON(c), nil
}

// suiteID is the App's check suite of a commit: the suite of an earlier run
// on the same commit, or a new ID.
func (e *Emulator) suiteID(r *repoState, sha string) int64 {
	for _, c := range e.st.checkRuns {
		if c.repo == r && c.headSHA == sha {
			return c.suiteID
		}
	}
	return e.st.id()
}

func (e *Emulator) enqueueCheckRun(c *checkRunState, action string) {
	e.enqueue("check_run", action, &github.CheckRunEvent{
		Action: ptr(action), CheckRun: e.checkRunJSON(c), Repo: e.repoJSON(c.repo),
		Sender: e.userJSON(e.st.app), Installation: e.installationRef(c.repo),
	})
}

func (q *request) checkRun(e *Emulator) (*checkRunState, error) {
	c := e.st.checkRuns[q.int("check_run_id")]
	if c == nil || c.repo != q.repo {
		return nil, notFound()
	}
	return c, nil
}

// PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}
func (e *Emulator) updateCheckRun(_ context.Context, q *request) (int, any, error) {
	c, err := q.checkRun(e)
	if err != nil {
		return 0, nil, err
	}
	var in checkRunInput
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	updated := *c
	if err := updated.apply(&in); err != nil {
		return 0, nil, err
	}
	wasCompleted := c.status == "completed"
	*c = updated
	c.updates++
	if c.status == "completed" && !wasCompleted {
		e.enqueueCheckRun(c, "completed")
	}
	return http.StatusOK, e.checkRunJSON(c), nil
}

// GET /repos/{owner}/{repo}/check-runs/{check_run_id}
func (e *Emulator) getCheckRun(_ context.Context, q *request) (int, any, error) {
	c, err := q.checkRun(e)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.checkRunJSON(c), nil
}

// GET /repos/{owner}/{repo}/commits/{ref}/check-runs
func (e *Emulator) listCheckRunsForRef(ctx context.Context, q *request) (int, any, error) {
	sha, err := q.repo.resolveRev(ctx, q.params["ref"])
	if err != nil {
		return 0, nil, err
	}
	if sha == "" {
		return 0, nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "No commit found for SHA: " + q.params["ref"]}
	}
	var runs []*checkRunState
	if q.query.Get("filter") == "all" {
		for _, c := range e.sortedCheckRuns() {
			if c.repo == q.repo && c.headSHA == sha {
				runs = append(runs, c)
			}
		}
	} else {
		runs = e.latestCheckRuns(q.repo, sha)
	}
	var kept []*checkRunState
	for _, c := range runs {
		if n := q.query.Get("check_name"); n != "" && c.name != n {
			continue
		}
		if s := q.query.Get("status"); s != "" && c.status != s {
			continue
		}
		if a := q.query.Get("app_id"); a != "" && a != fmt.Sprint(e.opts.AppID) {
			continue
		}
		kept = append(kept, c)
	}
	// Newest first, as GitHub lists them.
	sort.Slice(kept, func(i, j int) bool { return kept[i].id > kept[j].id })
	page := paginate(e, q, fmt.Sprintf("/repos/%s/commits/%s/check-runs", q.repo.fullName(), q.params["ref"]), kept)
	out := &github.ListCheckRunsResults{Total: ptr(len(kept)), CheckRuns: []*github.CheckRun{}}
	for _, c := range page {
		out.CheckRuns = append(out.CheckRuns, e.checkRunJSON(c))
	}
	return http.StatusOK, out, nil
}
