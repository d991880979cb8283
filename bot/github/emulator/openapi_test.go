package emulator_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// raw sends one request with the installation's token and returns the status.
func (f *fixture) raw(method, path, body string) int {
	f.t.Helper()
	token, _, err := f.e.InstallationToken(f.repo.InstallationID)
	if err != nil {
		f.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(f.ctx, method, f.e.URL()+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestViolations(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	c, err := f.e.Comment(f.ctx, testRepo, "bob", pr.Number, "/plan")
	if err != nil {
		t.Fatal(err)
	}
	commentPath := "/repos/acme/infra/issues/comments/" + itoa(c.ID)
	tests := []struct {
		name, method, path, body string
		want                     int
		kind                     string // "" when the call is valid
	}{
		{"an unknown reaction is 422", "POST", commentPath + "/reactions", `{"content":"rocket2"}`, 422, "request-body"},
		{"a missing required field is 422", "POST", "/repos/acme/infra/issues/1/comments", `{"bdy":"x"}`, 422, "request-body"},
		{"a wrong type is 422", "POST", "/repos/acme/infra/issues/1/comments", `{"body":42}`, 422, "request-body"},
		{"a body that is not JSON is 400", "POST", "/repos/acme/infra/issues/1/comments", `{body`, 400, "request-body"},
		{"an unknown commit status state is 422", "POST", "/repos/acme/infra/statuses/" + pr.HeadSHA, `{"state":"green"}`, 422, "request-body"},
		{"an unknown deployment status is 422", "POST", "/repos/acme/infra/deployments/1/statuses", `{"state":"done"}`, 422, "request-body"},
		{"an unknown enum in the query is 422", "GET", "/repos/acme/infra/pulls?state=merged", "", 422, "query"},
		{"per_page over 100 is 422", "GET", "/repos/acme/infra/pulls?per_page=1000", "", 422, "query"},
		{"an unknown endpoint is 404", "GET", "/repos/acme/infra/branches/main", "", 404, "unknown-operation"},
		{"an unknown method is 404", "DELETE", "/repos/acme/infra/pulls/1", "", 404, "unknown-operation"},
		{"a non-numeric number is 404", "GET", "/repos/acme/infra/pulls/one", "", 404, "unknown-path"},
		{"a valid call is no violation", "POST", commentPath + "/reactions", `{"content":"rocket"}`, 201, ""},
		{"a ref with slashes routes", "GET", "/repos/acme/infra/git/ref/heads/feature", "", 200, ""},
		{"an unknown repository is 404 without violation", "GET", "/repos/acme/nope/pulls/1", "", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.e.ResetCalls()
			if got := f.raw(tc.method, tc.path, tc.body); got != tc.want {
				t.Errorf("status = %d, want %d", got, tc.want)
			}
			v := f.e.Violations()
			switch {
			case tc.kind == "" && len(v) != 0:
				t.Errorf("violations = %v", v)
			case tc.kind != "" && (len(v) != 1 || v[0].Kind != tc.kind):
				t.Errorf("violations = %v, want one of kind %s", v, tc.kind)
			}
		})
	}
}

func TestRocket2ThroughGoGitHub(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	c, err := f.e.Comment(f.ctx, testRepo, "bob", pr.Number, "/plan")
	if err != nil {
		t.Fatal(err)
	}
	_, resp, err := f.gh.Reactions.CreateIssueCommentReaction(f.ctx, f.owner, f.name, c.ID, "rocket2")
	if err == nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("rocket2: %v", err)
	}
	if !strings.Contains(err.Error(), `"rocket2" is not a member of`) {
		t.Errorf("error = %v", err)
	}
	v := f.e.Violations()
	if len(v) != 1 || v[0].Operation != "reactions/create-for-issue-comment" {
		t.Errorf("violations = %v", v)
	}
	if n := len(f.e.Comments(testRepo, pr.Number)[0].Reactions); n != 0 {
		t.Errorf("a refused reaction was stored (%d)", n)
	}
	calls := f.e.CallsFor("reactions/create-for-issue-comment")
	if len(calls) != 1 || calls[0].Status != 422 || !bytes.Contains(calls[0].Body, []byte("rocket2")) {
		t.Errorf("recorded call = %+v", calls)
	}
}

func TestEnterprisePathPrefix(t *testing.T) {
	f := newFixture(t)
	gh, err := github.NewClient(&http.Client{Transport: f.itr}).WithEnterpriseURLs(f.e.URL()+"/", f.e.URL()+"/")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Repositories.Get(f.ctx, f.owner, f.name); err != nil {
		t.Fatal(err)
	}
	if n := len(f.e.CallsTo("GET", "/repos/acme/infra")); n != 1 {
		t.Errorf("calls under /api/v3 recorded as /repos/acme/infra: %d", n)
	}
	f.noViolations()
}
