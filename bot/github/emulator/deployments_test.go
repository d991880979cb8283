package emulator_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestDeploymentsAndStatuses(t *testing.T) {
	f := newFixture(t)
	sha := f.origin
	deploy := func() *github.Deployment {
		t.Helper()
		d, resp, err := f.gh.Repositories.CreateDeployment(f.ctx, f.owner, f.name, &github.DeploymentRequest{
			Ref: github.String("main"), Environment: github.String("staging"), Description: github.String("v1.2.0"),
			Payload: map[string]string{"version": "v1.2.0"}, RequiredContexts: &[]string{},
		})
		if err != nil || resp.StatusCode != http.StatusCreated || d.GetSHA() != sha {
			t.Fatalf("create deployment: %v %v", d, err)
		}
		return d
	}
	first := deploy()
	for _, state := range []string{"in_progress", "success"} {
		if _, _, err := f.gh.Repositories.CreateDeploymentStatus(f.ctx, f.owner, f.name, first.GetID(), &github.DeploymentStatusRequest{
			State: github.String(state), Description: github.String(state),
		}); err != nil {
			t.Fatal(err)
		}
	}
	second := deploy()
	if _, _, err := f.gh.Repositories.CreateDeploymentStatus(f.ctx, f.owner, f.name, second.GetID(), &github.DeploymentStatusRequest{
		State: github.String("success"),
	}); err != nil {
		t.Fatal(err)
	}

	ds := f.e.Deployments(testRepo)
	if len(ds) != 2 || string(ds[0].Payload) != `{"version":"v1.2.0"}` || ds[0].Environment != "staging" {
		t.Fatalf("deployments = %+v", ds)
	}
	var states []string
	for _, s := range ds[0].Statuses {
		states = append(states, s.State)
	}
	// A later success makes the earlier deployment inactive, as on GitHub.
	if want := "[in_progress success inactive]"; fmt.Sprint(states) != want {
		t.Errorf("first deployment statuses = %v, want %s", states, want)
	}
	list, _, err := f.gh.Repositories.ListDeployments(f.ctx, f.owner, f.name, &github.DeploymentsListOptions{Environment: "staging"})
	if err != nil || len(list) != 2 || list[0].GetID() != second.GetID() {
		t.Errorf("list = %v, %v", list, err)
	}
	statuses, _, err := f.gh.Repositories.ListDeploymentStatuses(f.ctx, f.owner, f.name, first.GetID(), nil)
	if err != nil || len(statuses) != 3 || statuses[0].GetState() != "inactive" {
		t.Errorf("statuses = %v, %v", statuses, err)
	}
	f.noViolations()
}

func TestDeploymentNeedsGreenStatuses(t *testing.T) {
	f := newFixture(t)
	if _, _, err := f.gh.Repositories.CreateStatus(f.ctx, f.owner, f.name, f.origin, &github.RepoStatus{
		State: github.String("failure"), Context: github.String("ci/build"),
	}); err != nil {
		t.Fatal(err)
	}
	combined, _, err := f.gh.Repositories.GetCombinedStatus(f.ctx, f.owner, f.name, "main", nil)
	if err != nil || combined.GetState() != "failure" || combined.GetTotalCount() != 1 {
		t.Fatalf("combined = %v, %v", combined, err)
	}
	_, resp, err := f.gh.Repositories.CreateDeployment(f.ctx, f.owner, f.name, &github.DeploymentRequest{Ref: github.String("main")})
	if err == nil || resp.StatusCode != http.StatusConflict {
		t.Errorf("deploying a red commit: %v", err)
	}
	if _, _, err := f.gh.Repositories.CreateStatus(f.ctx, f.owner, f.name, f.origin, &github.RepoStatus{
		State: github.String("success"), Context: github.String("ci/build"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.gh.Repositories.CreateDeployment(f.ctx, f.owner, f.name, &github.DeploymentRequest{Ref: github.String("main")}); err != nil {
		t.Errorf("deploying a green commit: %v", err)
	}
	if got := f.e.Statuses(testRepo, f.origin); len(got) != 2 {
		t.Errorf("statuses = %v", got)
	}
	f.noViolations()
}
