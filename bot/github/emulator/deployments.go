package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/google/go-github/v60/github"
)

type deploymentState struct {
	id                    int64
	repo                  *repoState
	sha, ref, task        string
	environment           string
	description           string
	payload               json.RawMessage
	transient, production bool
	creator               *user
	created               time.Time
	statuses              []*deploymentStatusState
}

type deploymentStatusState struct {
	id                          int64
	state, description          string
	environment, environmentURL string
	targetURL, logURL           string
	creator                     *user
	created                     time.Time
}

// Deployment is a deployment and its statuses, as the accessors show it.
type Deployment struct {
	ID          int64
	SHA, Ref    string
	Task        string
	Environment string
	Description string
	Payload     json.RawMessage
	Statuses    []DeploymentStatus // oldest first
}

// DeploymentStatus is one status of a deployment.
type DeploymentStatus struct {
	ID          int64
	State       string // error, failure, inactive, in_progress, queued, pending, success
	Description string
	Environment string
	LogURL      string
}

// Deployments returns a repository's deployments, oldest first.
func (e *Emulator) Deployments(fullName string) []Deployment {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Deployment
	for _, d := range e.sortedDeployments() {
		if d.repo.fullName() != fullName {
			continue
		}
		v := Deployment{ID: d.id, SHA: d.sha, Ref: d.ref, Task: d.task, Environment: d.environment,
			Description: d.description, Payload: append(json.RawMessage(nil), d.payload...)}
		for _, s := range d.statuses {
			v.Statuses = append(v.Statuses, DeploymentStatus{ID: s.id, State: s.state, Description: s.description,
				Environment: s.environment, LogURL: s.logURL})
		}
		out = append(out, v)
	}
	return out
}

func (e *Emulator) sortedDeployments() []*deploymentState {
	out := make([]*deploymentState, 0, len(e.st.deployments))
	for _, d := range e.st.deployments {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (e *Emulator) deploymentJSON(d *deploymentState) *github.Deployment {
	api := fmt.Sprintf("%s/repos/%s/deployments/%d", e.url, d.repo.fullName(), d.id)
	payload := d.payload
	if len(payload) == 0 {
		payload = json.RawMessage("{}")
	}
	out := &github.Deployment{
		ID: ptr(d.id), NodeID: ptr(nodeID("DE", d.id)), SHA: ptr(d.sha), Ref: ptr(d.ref), Task: ptr(d.task),
		Payload: payload, Environment: ptr(d.environment), Creator: e.userJSON(d.creator),
		CreatedAt: ts(d.created), UpdatedAt: ts(d.created), URL: ptr(api), StatusesURL: ptr(api + "/statuses"),
		RepositoryURL: ptr(e.url + "/repos/" + d.repo.fullName()),
	}
	if d.description != "" {
		out.Description = ptr(d.description)
	}
	return out
}

func (e *Emulator) deploymentStatusJSON(d *deploymentState, s *deploymentStatusState) *github.DeploymentStatus {
	api := fmt.Sprintf("%s/repos/%s/deployments/%d", e.url, d.repo.fullName(), d.id)
	return &github.DeploymentStatus{
		ID: ptr(s.id), NodeID: ptr(nodeID("DES", s.id)), State: ptr(s.state), Creator: e.userJSON(s.creator),
		Description: ptr(s.description), Environment: ptr(s.environment), EnvironmentURL: ptr(s.environmentURL),
		TargetURL: ptr(s.targetURL), LogURL: ptr(s.logURL), CreatedAt: ts(s.created), UpdatedAt: ts(s.created),
		URL: ptr(fmt.Sprintf("%s/statuses/%d", api, s.id)), DeploymentURL: ptr(api),
		RepositoryURL: ptr(e.url + "/repos/" + d.repo.fullName()),
	}
}

// POST /repos/{owner}/{repo}/deployments
//
// Without required_contexts GitHub verifies every status context and check
// run of the ref first and answers 409 when one is not successful; so does
// the emulator. auto_merge is not emulated (the ref is deployed as is).
func (e *Emulator) createDeployment(ctx context.Context, q *request) (int, any, error) {
	var in struct {
		Ref, Task, Environment, Description string
		RequiredContexts                    *[]string       `json:"required_contexts"`
		Payload                             json.RawMessage `json:"payload"`
		Transient                           bool            `json:"transient_environment"`
		Production                          *bool           `json:"production_environment"`
	}
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	r := q.repo
	sha, err := r.resolveRev(ctx, in.Ref)
	if err != nil {
		return 0, nil, err
	}
	if sha == "" {
		return 0, nil, unprocessable("Deployment", "ref", "invalid", "No ref found for: "+in.Ref)
	}
	var failing []string
	inContexts := func(name string) bool {
		if in.RequiredContexts == nil {
			return true
		}
		for _, c := range *in.RequiredContexts {
			if c == name {
				return true
			}
		}
		return false
	}
	for _, s := range latestStatuses(r, sha) {
		if inContexts(s.context) && s.state != "success" {
			failing = append(failing, s.context)
		}
	}
	for _, c := range e.latestCheckRuns(r, sha) {
		if inContexts(c.name) && (c.status != "completed" || !okConclusion(c.conclusion)) {
			failing = append(failing, c.name)
		}
	}
	if len(failing) > 0 {
		return 0, nil, &apiError{Status: http.StatusConflict, Message: fmt.Sprintf("Conflict: Commit status checks failed for %s.", in.Ref),
			Errors: []fieldError{{Resource: "Deployment", Code: "custom", Field: "required_contexts", Message: fmt.Sprint(failing)}}}
	}
	if in.Task == "" {
		in.Task = "deploy"
	}
	if in.Environment == "" {
		in.Environment = "production"
	}
	if len(in.Payload) > 0 && in.Payload[0] == '"' {
		// A string payload is JSON text, stored as the object it encodes.
		var s string
		_ = json.Unmarshal(in.Payload, &s)
		if !json.Valid([]byte(s)) {
			return 0, nil, unprocessable("Deployment", "payload", "invalid", "payload is not valid JSON")
		}
		in.Payload = json.RawMessage(s)
	}
	d := &deploymentState{id: e.st.id(), repo: r, sha: sha, ref: in.Ref, task: in.Task, environment: in.Environment,
		description: in.Description, payload: in.Payload, transient: in.Transient, production: in.Environment == "production",
		creator: e.st.app, created: time.Now().UTC().Truncate(time.Second)}
	if in.Production != nil {
		d.production = *in.Production
	}
	e.st.deployments[d.id] = d
	return http.StatusCreated, e.deploymentJSON(d), nil
}

// GET /repos/{owner}/{repo}/deployments (newest first)
func (e *Emulator) listDeployments(_ context.Context, q *request) (int, any, error) {
	var ds []*deploymentState
	for _, d := range e.sortedDeployments() {
		if d.repo != q.repo {
			continue
		}
		f := q.query
		if v := f.Get("sha"); v != "" && v != d.sha {
			continue
		}
		if v := f.Get("ref"); v != "" && v != d.ref {
			continue
		}
		if v := f.Get("task"); v != "" && v != d.task {
			continue
		}
		if v := f.Get("environment"); v != "" && v != d.environment {
			continue
		}
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].id > ds[j].id })
	page := paginate(e, q, "/repos/"+q.repo.fullName()+"/deployments", ds)
	out := make([]*github.Deployment, 0, len(page))
	for _, d := range page {
		out = append(out, e.deploymentJSON(d))
	}
	return http.StatusOK, out, nil
}

func (q *request) deployment(e *Emulator) (*deploymentState, error) {
	d := e.st.deployments[q.int("deployment_id")]
	if d == nil || d.repo != q.repo {
		return nil, notFound()
	}
	return d, nil
}

// POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses
//
// A success status makes the earlier successful deployments of the same
// environment inactive (auto_inactive, default true), as on GitHub.
func (e *Emulator) createDeploymentStatus(_ context.Context, q *request) (int, any, error) {
	d, err := q.deployment(e)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		State, Description, Environment string
		EnvironmentURL                  string `json:"environment_url"`
		TargetURL                       string `json:"target_url"`
		LogURL                          string `json:"log_url"`
		AutoInactive                    *bool  `json:"auto_inactive"`
	}
	if err := decode(q, &in); err != nil {
		return 0, nil, err
	}
	if in.Environment == "" {
		in.Environment = d.environment
	}
	if in.LogURL == "" {
		in.LogURL = in.TargetURL
	}
	now := time.Now().UTC().Truncate(time.Second)
	s := &deploymentStatusState{id: e.st.id(), state: in.State, description: in.Description, environment: in.Environment,
		environmentURL: in.EnvironmentURL, targetURL: in.TargetURL, logURL: in.LogURL, creator: e.st.app, created: now}
	d.statuses = append(d.statuses, s)
	if in.State == "success" && (in.AutoInactive == nil || *in.AutoInactive) {
		for _, other := range e.sortedDeployments() {
			if other == d || other.repo != d.repo || other.environment != d.environment || other.transient || len(other.statuses) == 0 {
				continue
			}
			if last := other.statuses[len(other.statuses)-1]; last.state == "success" {
				other.statuses = append(other.statuses, &deploymentStatusState{id: e.st.id(), state: "inactive",
					environment: other.environment, creator: e.st.app, created: now})
			}
		}
	}
	return http.StatusCreated, e.deploymentStatusJSON(d, s), nil
}

// GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses (newest first)
func (e *Emulator) listDeploymentStatuses(_ context.Context, q *request) (int, any, error) {
	d, err := q.deployment(e)
	if err != nil {
		return 0, nil, err
	}
	ss := append([]*deploymentStatusState(nil), d.statuses...)
	sort.Slice(ss, func(i, j int) bool { return ss[i].id > ss[j].id })
	page := paginate(e, q, fmt.Sprintf("/repos/%s/deployments/%d/statuses", q.repo.fullName(), d.id), ss)
	out := make([]*github.DeploymentStatus, 0, len(page))
	for _, s := range page {
		out = append(out, e.deploymentStatusJSON(d, s))
	}
	return http.StatusOK, out, nil
}
