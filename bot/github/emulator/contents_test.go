package emulator_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestReleasePRThroughTheAPI plays what the App does for a tag: a branch
// from the tag, one file edited through the contents API, a pull request.
func TestReleasePRThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	tagSHA, err := f.e.PushTag(f.ctx, testRepo, "alice", "v1.2.0", "main")
	if err != nil {
		t.Fatal(err)
	}
	tags := f.hooks.of("push")
	if len(tags) != 1 || tags[0].parsed.(*github.PushEvent).GetRef() != "refs/tags/v1.2.0" || !tags[0].parsed.(*github.PushEvent).GetCreated() {
		t.Fatalf("tag push deliveries = %d", len(tags))
	}

	ref, _, err := f.gh.Git.GetRef(f.ctx, f.owner, f.name, "tags/v1.2.0")
	if err != nil || ref.GetObject().GetSHA() != tagSHA {
		t.Fatalf("tag ref = %v, %v", ref, err)
	}
	if _, _, err := f.gh.Git.CreateRef(f.ctx, f.owner, f.name, &github.Reference{
		Ref: github.String("refs/heads/release/v1.2.0"), Object: &github.GitObject{SHA: github.String(f.origin)},
	}); err != nil {
		t.Fatal(err)
	}
	_, resp, err := f.gh.Git.CreateRef(f.ctx, f.owner, f.name, &github.Reference{
		Ref: github.String("refs/heads/release/v1.2.0"), Object: &github.GitObject{SHA: github.String(f.origin)},
	})
	if err == nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("creating an existing ref: %v", err)
	}

	file, _, _, err := f.gh.Repositories.GetContents(f.ctx, f.owner, f.name, "releases/staging.yaml",
		&github.RepositoryContentGetOptions{Ref: "release/v1.2.0"})
	if err != nil {
		t.Fatal(err)
	}
	old, err := file.GetContent()
	if err != nil || old != "environment: staging\nversion: v1.0.0\n" {
		t.Fatalf("content = %q, %v", old, err)
	}
	newContent := []byte("environment: staging\nversion: v1.2.0\nprevious: v1.0.0\n")
	tests := []struct {
		name string
		sha  *string
		want int
	}{
		{"updating without the blob sha is refused", nil, http.StatusUnprocessableEntity},
		{"updating with a stale blob sha is a conflict", github.String(strings.Repeat("0", 40)), http.StatusConflict},
		{"updating with the blob sha commits", file.SHA, http.StatusOK},
	}
	var commit string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, resp, err := f.gh.Repositories.UpdateFile(f.ctx, f.owner, f.name, "releases/staging.yaml", &github.RepositoryContentFileOptions{
				Message: github.String("release v1.2.0 to staging"), Content: newContent, SHA: tc.sha, Branch: github.String("release/v1.2.0"),
			})
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("status = %v, want %d (%v)", resp, tc.want, err)
			}
			if err == nil {
				commit = res.GetSHA()
			}
		})
	}
	if got, err := f.e.FileAt(f.ctx, testRepo, "release/v1.2.0", "releases/staging.yaml"); err != nil || string(got) != string(newContent) {
		t.Errorf("file on the branch = %q, %v", got, err)
	}
	commits, err := f.e.Commits(f.ctx, testRepo, "release/v1.2.0")
	if err != nil || commits[0].SHA != commit || commits[0].Message != "release v1.2.0 to staging" || commits[0].Parents[0] != f.origin {
		t.Errorf("branch commits = %+v, %v", commits, err)
	}
	// A new file is created with 201.
	_, resp, err = f.gh.Repositories.CreateFile(f.ctx, f.owner, f.name, "releases/prod.yaml", &github.RepositoryContentFileOptions{
		Message: github.String("prod"), Content: []byte("environment: prod\n"), Branch: github.String("release/v1.2.0"),
	})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Errorf("create file: %v", err)
	}

	pr, _, err := f.gh.PullRequests.Create(f.ctx, f.owner, f.name, &github.NewPullRequest{
		Title: github.String("Release v1.2.0 to staging"), Head: github.String("release/v1.2.0"), Base: github.String("main"),
		Body: github.String("| service | from | to |"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetUser().GetLogin() != "gitops[bot]" || pr.GetHead().GetRef() != "release/v1.2.0" {
		t.Errorf("release PR by %s from %s", pr.GetUser().GetLogin(), pr.GetHead().GetRef())
	}
	// Idempotence needs the App to find it again, not to open a second one.
	_, resp, err = f.gh.PullRequests.Create(f.ctx, f.owner, f.name, &github.NewPullRequest{
		Title: github.String("again"), Head: github.String("release/v1.2.0"), Base: github.String("main"),
	})
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(ge.Errors[0].Message, "A pull request already exists for acme:release/v1.2.0") {
		t.Errorf("second PR: %v", err)
	}
	found, _, err := f.gh.PullRequests.List(f.ctx, f.owner, f.name, &github.PullRequestListOptions{Head: "acme:release/v1.2.0"})
	if err != nil || len(found) != 1 || found[0].GetNumber() != pr.GetNumber() {
		t.Errorf("list by head = %v, %v", found, err)
	}
	edited, _, err := f.gh.PullRequests.Edit(f.ctx, f.owner, f.name, pr.GetNumber(), &github.PullRequest{Body: github.String("new body")})
	if err != nil || edited.GetBody() != "new body" {
		t.Errorf("edit = %v, %v", edited.GetBody(), err)
	}

	// The App's REST changes come back as deliveries, in order.
	if err := f.e.Flush(f.ctx); err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, r := range f.hooks.events() {
		var head struct {
			Action, Ref string
		}
		_ = json.Unmarshal(r.payload, &head)
		seq = append(seq, strings.TrimSuffix(r.event+"."+head.Action+head.Ref, "."))
	}
	want := "push.refs/tags/v1.2.0 push.refs/heads/release/v1.2.0 push.refs/heads/release/v1.2.0 push.refs/heads/release/v1.2.0 pull_request.opened pull_request.edited"
	if strings.Join(seq, " ") != want {
		t.Errorf("deliveries:\n got %s\nwant %s", strings.Join(seq, " "), want)
	}
	f.noViolations()
}

func TestUpdateRefFastForwardOnly(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	other, err := f.e.Push(f.ctx, testRepo, "alice", "other", map[string][]byte{"o": []byte("o")}, "o")
	if err != nil {
		t.Fatal(err)
	}
	_, resp, err := f.gh.Git.UpdateRef(f.ctx, f.owner, f.name, &github.Reference{
		Ref: github.String("refs/heads/feature"), Object: &github.GitObject{SHA: github.String(other)}}, false)
	if err == nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("non fast-forward update: %v", err)
	}
	if _, _, err := f.gh.Git.UpdateRef(f.ctx, f.owner, f.name, &github.Reference{
		Ref: github.String("refs/heads/feature"), Object: &github.GitObject{SHA: github.String(other)}}, true); err != nil {
		t.Fatal(err)
	}
	got, _ := f.e.PR(f.ctx, testRepo, pr.Number)
	if got.HeadSHA != other {
		t.Errorf("PR head after a forced ref update = %s, want %s", got.HeadSHA, other)
	}
	f.noViolations()
}
