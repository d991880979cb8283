package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/gitops-bot/gitops/bot/github/emulator"
)

func TestStickyCommentCreatedThenEdited(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	c, resp, err := f.gh.Issues.CreateComment(f.ctx, f.owner, f.name, pr.Number, &github.IssueComment{Body: github.String("<!-- gitops:plan -->\nplan v1")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || c.GetUser().GetLogin() != "gitops[bot]" || c.GetUser().GetType() != "Bot" {
		t.Errorf("create: status %d user %s (%s)", resp.StatusCode, c.GetUser().GetLogin(), c.GetUser().GetType())
	}
	// The App finds its sticky comment again by listing, then edits it.
	list, _, err := f.gh.Issues.ListComments(f.ctx, f.owner, f.name, pr.Number, nil)
	if err != nil || len(list) != 1 || list[0].GetID() != c.GetID() {
		t.Fatalf("list = %v, %v", list, err)
	}
	edited, _, err := f.gh.Issues.EditComment(f.ctx, f.owner, f.name, c.GetID(), &github.IssueComment{Body: github.String("<!-- gitops:plan -->\nplan v2")})
	if err != nil {
		t.Fatal(err)
	}
	if edited.GetBody() != "<!-- gitops:plan -->\nplan v2" {
		t.Errorf("edited body = %q", edited.GetBody())
	}
	got, _, err := f.gh.Issues.GetComment(f.ctx, f.owner, f.name, c.GetID())
	if err != nil || got.GetBody() != edited.GetBody() {
		t.Errorf("get = %q, %v", got.GetBody(), err)
	}

	comments := f.e.Comments(testRepo, pr.Number)
	if len(comments) != 1 || comments[0].Edits != 1 || comments[0].History[0] != "<!-- gitops:plan -->\nplan v1" {
		t.Errorf("comments = %+v", comments)
	}
	if n := len(f.e.CallsTo("POST", "/repos/acme/infra/issues/1/comments")); n != 1 {
		t.Errorf("POST comments calls = %d", n)
	}

	// The App's own comments come back to it as issue_comment deliveries
	// (sent in the background; Flush waits for them).
	if err := f.e.Flush(f.ctx); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range f.hooks.of("issue_comment") {
		ev := r.parsed.(*github.IssueCommentEvent)
		actions = append(actions, ev.GetAction())
		if ev.GetSender().GetType() != "Bot" || !ev.GetIssue().IsPullRequest() {
			t.Errorf("issue_comment from %s, is PR %v", ev.GetSender().GetLogin(), ev.GetIssue().IsPullRequest())
		}
		if ev.GetAction() == "edited" && ev.GetChanges().GetBody().GetFrom() != "<!-- gitops:plan -->\nplan v1" {
			t.Errorf("edited changes = %v", ev.GetChanges())
		}
	}
	if strings.Join(actions, ",") != "created,edited" {
		t.Errorf("issue_comment actions = %v", actions)
	}
	f.noViolations()
}

func TestUserCommentDelivery(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	c, err := f.e.Comment(f.ctx, testRepo, "bob", pr.Number, "/apply dev")
	if err != nil {
		t.Fatal(err)
	}
	got := f.hooks.of("issue_comment")
	if len(got) != 1 {
		t.Fatalf("issue_comment deliveries = %d", len(got))
	}
	ev := got[0].parsed.(*github.IssueCommentEvent)
	if ev.GetComment().GetID() != c.ID || ev.GetComment().GetBody() != "/apply dev" || ev.GetSender().GetLogin() != "bob" ||
		ev.GetIssue().GetNumber() != pr.Number || ev.GetIssue().GetPullRequestLinks().GetURL() == "" ||
		ev.GetComment().GetAuthorAssociation() != "COLLABORATOR" || ev.GetInstallation().GetID() != f.repo.InstallationID {
		t.Errorf("issue_comment = %+v", ev)
	}
	if _, err := f.e.Comment(f.ctx, testRepo, "bob", pr.Number, strings.Repeat("x", 65537)); err == nil {
		t.Error("a user comment over 65,536 characters was accepted")
	}
}

func TestReactions(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	c, err := f.e.Comment(f.ctx, testRepo, "bob", pr.Number, "/plan")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		content string
		want    int
	}{
		{"eyes", http.StatusCreated},
		{"eyes", http.StatusOK}, // the same reaction again is not a new one
		{"+1", http.StatusCreated},
		{"-1", http.StatusCreated},
	}
	for _, tc := range tests {
		_, resp, err := f.gh.Reactions.CreateIssueCommentReaction(f.ctx, f.owner, f.name, c.ID, tc.content)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.want {
			t.Errorf("reaction %s: status %d, want %d", tc.content, resp.StatusCode, tc.want)
		}
	}
	got := f.e.Comments(testRepo, pr.Number)[0].Reactions
	if len(got) != 3 || got[0].Content != "eyes" || got[0].User != "gitops[bot]" {
		t.Errorf("reactions = %+v", got)
	}
	rc, _, err := f.gh.Issues.GetComment(f.ctx, f.owner, f.name, c.ID)
	if err != nil || rc.GetReactions().GetTotalCount() != 3 || rc.GetReactions().GetEyes() != 1 {
		t.Errorf("comment reactions = %+v, %v", rc.GetReactions(), err)
	}
	f.noViolations()
}

func TestCommentBodyLimit(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	tests := []struct {
		name string
		body string
		want int
	}{
		{"65,536 characters are accepted", strings.Repeat("a", 65536), http.StatusCreated},
		{"65,536 multi-byte characters are accepted", strings.Repeat("é", 65536), http.StatusCreated},
		{"65,537 characters are refused", strings.Repeat("a", 65537), http.StatusUnprocessableEntity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, err := f.gh.Issues.CreateComment(f.ctx, f.owner, f.name, pr.Number, &github.IssueComment{Body: github.String(tc.body)})
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("status = %v, want %d (%v)", resp, tc.want, err)
			}
			if tc.want != http.StatusUnprocessableEntity {
				return
			}
			var ge *github.ErrorResponse
			if !errors.As(err, &ge) || len(ge.Errors) != 1 || ge.Errors[0].Message != "Body is too long (maximum is 65536 characters)" ||
				ge.Errors[0].Resource != "IssueComment" {
				t.Errorf("error = %v", err)
			}
		})
	}
	if n := len(f.e.Comments(testRepo, pr.Number)); n != 2 {
		t.Errorf("comments stored = %d, want the 2 accepted", n)
	}
	// Editing is held to the same limit.
	c := f.e.Comments(testRepo, pr.Number)[0]
	_, resp, _ := f.gh.Issues.EditComment(f.ctx, f.owner, f.name, c.ID, &github.IssueComment{Body: github.String(strings.Repeat("b", 70000))})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("oversized edit: status %d", resp.StatusCode)
	}
	if v := f.e.Violations(); len(v) != 2 || v[0].Kind != "request-body" {
		t.Errorf("violations = %v", v)
	}
}

func TestLabels(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	if err := f.e.Label(f.ctx, testRepo, "bob", pr.Number, "rollback"); err != nil {
		t.Fatal(err)
	}
	labels, _, err := f.gh.Issues.AddLabelsToIssue(f.ctx, f.owner, f.name, pr.Number, []string{"release", "rollback"})
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 2 || strings.Join(f.e.Labels(testRepo, pr.Number), ",") != "release,rollback" {
		t.Errorf("labels = %v / %v", labels, f.e.Labels(testRepo, pr.Number))
	}
	issue, _, err := f.gh.Issues.Get(f.ctx, f.owner, f.name, pr.Number)
	if err != nil || len(issue.Labels) != 2 || !issue.IsPullRequest() {
		t.Errorf("issue = %v, %v", issue, err)
	}
	if err := f.e.Flush(f.ctx); err != nil {
		t.Fatal(err)
	}
	var labeled []string
	for _, r := range f.hooks.of("pull_request") {
		if ev := r.parsed.(*github.PullRequestEvent); ev.GetAction() == "labeled" {
			labeled = append(labeled, ev.GetLabel().GetName())
		}
	}
	if strings.Join(labeled, ",") != "rollback,release" {
		t.Errorf("labeled deliveries = %v", labeled)
	}
	f.noViolations()
}

func TestAwaitCallReturnsTheFirstMatchingCallPastOrFuture(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	isComment := func(body string) func(emulator.Call) bool {
		return func(c emulator.Call) bool {
			return c.Method == "POST" && strings.HasSuffix(c.Path, "/comments") && strings.Contains(string(c.Body), body)
		}
	}
	got := make(chan emulator.Call, 1)
	go func() {
		c, err := f.e.AwaitCall(f.ctx, isComment("second"))
		if err != nil {
			t.Error(err)
		}
		got <- c
	}()
	for _, body := range []string{"first", "second"} {
		if _, _, err := f.gh.Issues.CreateComment(f.ctx, f.owner, f.name, pr.Number, &github.IssueComment{Body: github.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	if c := <-got; !strings.Contains(string(c.Body), "second") {
		t.Fatalf("awaited call %s %s %s", c.Method, c.Path, c.Body)
	}
	// A call made before the wait began is found at once.
	if c, err := f.e.AwaitCall(f.ctx, isComment("first")); err != nil || !strings.Contains(string(c.Body), "first") {
		t.Fatalf("past call: %s, %v", c.Body, err)
	}
	// None matching: the context's end ends the wait.
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	if _, err := f.e.AwaitCall(ctx, isComment("never")); !errors.Is(err, context.Canceled) {
		t.Fatalf("no match, cancelled: %v", err)
	}
}
