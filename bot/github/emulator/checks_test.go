package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestCheckRunFoundByExternalID(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	run, resp, err := f.gh.Checks.CreateCheckRun(f.ctx, f.owner, f.name, github.CreateCheckRunOptions{
		Name: "gitops/plan dev", HeadSHA: pr.HeadSHA, ExternalID: github.String("plan:1:dev"), Status: github.String("in_progress"),
		Output:  &github.CheckRunOutput{Title: github.String("Planning"), Summary: github.String("…")},
		Actions: []*github.CheckRunAction{{Label: "Apply", Description: "Apply the reviewed plan", Identifier: "apply:dev"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || run.GetStatus() != "in_progress" || run.GetApp().GetID() != f.e.AppID() ||
		len(run.PullRequests) != 1 || run.PullRequests[0].GetNumber() != pr.Number {
		t.Errorf("created run: %d %s app %d prs %d", resp.StatusCode, run.GetStatus(), run.GetApp().GetID(), len(run.PullRequests))
	}
	if _, _, err := f.gh.Checks.UpdateCheckRun(f.ctx, f.owner, f.name, run.GetID(), github.UpdateCheckRunOptions{
		Conclusion: github.String("success"),
		Output:     &github.CheckRunOutput{Title: github.String("1 to add"), Summary: github.String("Plan: 1 to add"), Text: github.String("```\n+ x\n```")},
	}); err != nil {
		t.Fatal(err)
	}

	// Found again by name on the head, then matched by external_id.
	list, _, err := f.gh.Checks.ListCheckRunsForRef(f.ctx, f.owner, f.name, "feature", &github.ListCheckRunsOptions{CheckName: github.String("gitops/plan dev")})
	if err != nil {
		t.Fatal(err)
	}
	if list.GetTotal() != 1 || list.CheckRuns[0].GetExternalID() != "plan:1:dev" || list.CheckRuns[0].GetConclusion() != "success" ||
		list.CheckRuns[0].GetStatus() != "completed" || list.CheckRuns[0].GetOutput().GetText() != "```\n+ x\n```" {
		t.Errorf("list = %+v", list)
	}
	runs := f.e.CheckRuns(testRepo)
	if len(runs) != 1 || runs[0].Updates != 1 || runs[0].Actions[0].Identifier != "apply:dev" {
		t.Errorf("CheckRuns = %+v", runs)
	}

	// A user clicks the button.
	if err := f.e.RequestCheckRunAction(f.ctx, testRepo, "bob", run.GetID(), "apply:dev"); err != nil {
		t.Fatal(err)
	}
	var req *github.CheckRunEvent
	for _, r := range f.hooks.of("check_run") {
		if ev := r.parsed.(*github.CheckRunEvent); ev.GetAction() == "requested_action" {
			req = ev
		}
	}
	if req == nil || req.GetRequestedAction().Identifier != "apply:dev" || req.GetCheckRun().GetExternalID() != "plan:1:dev" ||
		req.GetCheckRun().GetHeadSHA() != pr.HeadSHA || len(req.GetCheckRun().PullRequests) != 1 || req.GetSender().GetLogin() != "bob" {
		t.Fatalf("requested_action = %+v", req)
	}
	if err := f.e.RequestCheckRunAction(f.ctx, testRepo, "bob", run.GetID(), "destroy"); err == nil {
		t.Error("an identifier the run does not offer was clicked")
	}
	if err := f.e.RequestCheckRunAction(f.ctx, testRepo, "mallory", run.GetID(), "apply:dev"); err == nil {
		t.Error("a user without write permission clicked")
	}
	f.noViolations()
}

func TestCheckRunValidation(t *testing.T) {
	f := newFixture(t)
	sha := f.origin
	action := func(label, desc, id string) *github.CheckRunAction {
		return &github.CheckRunAction{Label: label, Description: desc, Identifier: id}
	}
	ok := action("Apply", "Apply the plan", "apply")
	tests := []struct {
		name string
		opts github.CreateCheckRunOptions
		want int
	}{
		{"a minimal run is created", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha}, http.StatusCreated},
		{"three actions are allowed", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Actions: []*github.CheckRunAction{ok, ok, ok}}, http.StatusCreated},
		{"limits are inclusive", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Actions: []*github.CheckRunAction{
			action(strings.Repeat("l", 20), strings.Repeat("d", 40), strings.Repeat("i", 20))}}, http.StatusCreated},
		{"four actions are refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Actions: []*github.CheckRunAction{ok, ok, ok, ok}}, http.StatusUnprocessableEntity},
		{"a label over 20 characters is refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Actions: []*github.CheckRunAction{
			action(strings.Repeat("l", 21), "d", "i")}}, http.StatusUnprocessableEntity},
		{"a description over 40 characters is refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Actions: []*github.CheckRunAction{
			action("l", strings.Repeat("d", 41), "i")}}, http.StatusUnprocessableEntity},
		{"an identifier over 20 characters is refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Actions: []*github.CheckRunAction{
			action("l", "d", strings.Repeat("i", 21))}}, http.StatusUnprocessableEntity},
		{"a summary over 65,535 characters is refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String(strings.Repeat("s", 65536))}}, http.StatusUnprocessableEntity},
		{"a text over 65,535 characters is refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String("s"), Text: github.String(strings.Repeat("x", 65536))}}, http.StatusUnprocessableEntity},
		{"a summary of 65,535 characters is accepted", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String(strings.Repeat("s", 65535))}}, http.StatusCreated},
		{"an unknown status is refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Status: github.String("running")}, http.StatusUnprocessableEntity},
		{"an unknown conclusion is refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Conclusion: github.String("passed")}, http.StatusUnprocessableEntity},
		{"completed without a conclusion is refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Status: github.String("completed")}, http.StatusUnprocessableEntity},
		{"output without a summary is refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: sha, Output: &github.CheckRunOutput{Title: github.String("t")}}, http.StatusUnprocessableEntity},
		{"an unknown head sha is refused", github.CreateCheckRunOptions{Name: "n", HeadSHA: strings.Repeat("a", 40)}, http.StatusUnprocessableEntity},
		{"a missing head sha is refused", github.CreateCheckRunOptions{Name: "n"}, http.StatusUnprocessableEntity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.e.CheckRuns(testRepo))
			_, resp, err := f.gh.Checks.CreateCheckRun(f.ctx, f.owner, f.name, tc.opts)
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("status = %v, want %d (%v)", resp, tc.want, err)
			}
			grew := len(f.e.CheckRuns(testRepo)) - before
			if (tc.want == http.StatusCreated) != (grew == 1) {
				t.Errorf("check runs grew by %d", grew)
			}
		})
	}
}
