package emulator_test

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/gitops-bot/gitops/bot/github/emulator"
)

func TestOpenPRAndReadFiles(t *testing.T) {
	f := newFixture(t)
	if _, err := f.e.Push(f.ctx, testRepo, "alice", "feature", map[string][]byte{
		"environments/dev.yaml":     []byte("name: dev\nregion: eu-west-1\n"),
		"environments/staging.yaml": []byte("name: staging\n"),
		"README.md":                 nil, // deleted
	}, "three changes"); err != nil {
		t.Fatal(err)
	}
	pr, err := f.e.OpenPR(f.ctx, testRepo, "alice", "feature", "main", "Change envs", "body")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 1 || pr.State != "open" || pr.HeadRef != "feature" {
		t.Errorf("PR = %+v", pr)
	}

	got, _, err := f.gh.PullRequests.Get(f.ctx, f.owner, f.name, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetHead().GetSHA() != pr.HeadSHA || got.GetBase().GetSHA() != f.origin || got.GetBase().GetRef() != "main" ||
		got.GetHead().GetRepo().GetFork() || got.GetUser().GetLogin() != "alice" || got.GetMerged() || got.GetDraft() {
		t.Errorf("GET PR: head %s base %s@%s fork %v user %s", got.GetHead().GetSHA(), got.GetBase().GetRef(), got.GetBase().GetSHA(),
			got.GetHead().GetRepo().GetFork(), got.GetUser().GetLogin())
	}
	if !got.GetMergeable() || got.GetMergeableState() != "clean" || got.GetChangedFiles() != 3 || got.GetCommits() != 1 {
		t.Errorf("mergeable %v %s, changed files %d, commits %d", got.GetMergeable(), got.GetMergeableState(), got.GetChangedFiles(), got.GetCommits())
	}
	if got.GetMergeCommitSHA() == "" {
		t.Error("an open mergeable PR has the sha of its test merge")
	}

	// Files, one per page, following Link headers as the App does.
	var files []*github.CommitFile
	opts := &github.ListOptions{PerPage: 1}
	for {
		page, resp, err := f.gh.PullRequests.ListFiles(f.ctx, f.owner, f.name, pr.Number, opts)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, page...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	status := map[string]string{}
	for _, fl := range files {
		status[fl.GetFilename()] = fl.GetStatus()
	}
	want := map[string]string{"environments/dev.yaml": "modified", "environments/staging.yaml": "added", "README.md": "removed"}
	if len(files) != 3 || status["environments/dev.yaml"] != want["environments/dev.yaml"] ||
		status["environments/staging.yaml"] != "added" || status["README.md"] != "removed" {
		t.Errorf("files = %v, want %v", status, want)
	}
	for _, fl := range files {
		if fl.GetFilename() == "environments/dev.yaml" && !strings.Contains(fl.GetPatch(), "+region: eu-west-1") {
			t.Errorf("patch = %q", fl.GetPatch())
		}
	}

	open := f.hooks.of("pull_request")
	if len(open) != 1 {
		t.Fatalf("pull_request deliveries = %d", len(open))
	}
	ev := open[0].parsed.(*github.PullRequestEvent)
	if ev.GetAction() != "opened" || ev.GetNumber() != 1 || ev.GetInstallation().GetID() != f.repo.InstallationID ||
		ev.GetRepo().GetCloneURL() != f.repo.CloneURL || ev.GetPullRequest().GetHead().GetSHA() != pr.HeadSHA {
		t.Errorf("opened event = %s %d inst %d clone %s", ev.GetAction(), ev.GetNumber(), ev.GetInstallation().GetID(), ev.GetRepo().GetCloneURL())
	}
	f.noViolations()
}

func TestListPullsFilters(t *testing.T) {
	f := newFixture(t)
	f.openPR("one")
	f.openPR("two")
	if err := f.e.ClosePR(f.ctx, testRepo, "alice", 2); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts github.PullRequestListOptions
		want []int
	}{
		{"open by default", github.PullRequestListOptions{}, []int{1}},
		{"all, newest first", github.PullRequestListOptions{State: "all"}, []int{2, 1}},
		{"closed", github.PullRequestListOptions{State: "closed"}, []int{2}},
		{"by head owner:branch", github.PullRequestListOptions{State: "all", Head: "acme:two"}, []int{2}},
		{"by base", github.PullRequestListOptions{State: "all", Base: "release"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prs, _, err := f.gh.PullRequests.List(f.ctx, f.owner, f.name, &tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range prs {
				got = append(got, p.GetNumber())
			}
			if !equalInts(got, tc.want) {
				t.Errorf("numbers = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPushSynchronizesOpenPR(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	after, err := f.e.Push(f.ctx, testRepo, "alice", "feature", map[string][]byte{"b.txt": []byte("b\n")}, "more")
	if err != nil {
		t.Fatal(err)
	}
	var sync *github.PullRequestEvent
	for _, r := range f.hooks.of("pull_request") {
		if ev := r.parsed.(*github.PullRequestEvent); ev.GetAction() == "synchronize" {
			sync = ev
		}
	}
	if sync == nil || sync.GetBefore() != pr.HeadSHA || sync.GetAfter() != after || sync.GetPullRequest().GetHead().GetSHA() != after {
		t.Fatalf("synchronize = %+v", sync)
	}
	pushes := f.hooks.of("push")
	last := pushes[len(pushes)-1].parsed.(*github.PushEvent)
	if last.GetRef() != "refs/heads/feature" || last.GetAfter() != after || last.GetBefore() != pr.HeadSHA ||
		len(last.Commits) != 1 || last.Commits[0].Added[0] != "b.txt" || last.GetRepo().GetFullName() != testRepo {
		t.Errorf("push = %s %s..%s commits %d", last.GetRef(), last.GetBefore(), last.GetAfter(), len(last.Commits))
	}
	got, _ := f.e.PR(f.ctx, testRepo, pr.Number)
	if got.HeadSHA != after {
		t.Errorf("PR head = %s, want %s", got.HeadSHA, after)
	}
}

func TestMergeMakesAMergeCommitVisibleToGit(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	if err := f.e.Review(f.ctx, testRepo, "bob", pr.Number, "APPROVE"); err != nil {
		t.Fatal(err)
	}
	reviews, _, err := f.gh.PullRequests.ListReviews(f.ctx, f.owner, f.name, pr.Number, nil)
	if err != nil || len(reviews) != 1 || reviews[0].GetState() != "APPROVED" || reviews[0].GetCommitID() != pr.HeadSHA {
		t.Fatalf("reviews = %v, %v", reviews, err)
	}
	sha, err := f.e.Merge(f.ctx, testRepo, "bob", pr.Number)
	if err != nil {
		t.Fatal(err)
	}

	got, _, err := f.gh.PullRequests.Get(f.ctx, f.owner, f.name, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !got.GetMerged() || got.GetState() != "closed" || got.GetMergeCommitSHA() != sha || got.GetMergedBy().GetLogin() != "bob" {
		t.Errorf("merged PR = merged %v state %s sha %s by %s", got.GetMerged(), got.GetState(), got.GetMergeCommitSHA(), got.GetMergedBy().GetLogin())
	}

	// Deliveries: closed with merged=true, then push to main.
	var seq []string
	for _, r := range f.hooks.events() {
		switch ev := r.parsed.(type) {
		case *github.PullRequestEvent:
			seq = append(seq, "pull_request."+ev.GetAction())
			if ev.GetAction() == "closed" && !ev.GetPullRequest().GetMerged() {
				t.Error("closed by merge without merged=true")
			}
		case *github.PushEvent:
			seq = append(seq, "push:"+ev.GetRef())
		case *github.PullRequestReviewEvent:
			seq = append(seq, "review."+ev.GetReview().GetState())
		}
	}
	want := "push:refs/heads/feature pull_request.opened review.approved pull_request.closed push:refs/heads/main"
	if strings.Join(seq, " ") != want {
		t.Errorf("deliveries = %s\nwant        %s", strings.Join(seq, " "), want)
	}

	// The merge commit is in git, as a clone with the installation token shows.
	token, _, err := f.e.InstallationToken(f.repo.InstallationID)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "clone")
	if out, err := git(t, "", "clone", "--quiet", cloneURL(t, f.repo.CloneURL, token), dir); err != nil {
		t.Fatalf("clone: %v: %s", err, out)
	}
	head, _ := git(t, dir, "rev-parse", "HEAD")
	parents, _ := git(t, dir, "log", "-1", "--format=%P %s", "HEAD")
	if head != sha || !strings.HasPrefix(parents, f.origin+" "+pr.HeadSHA+" Merge pull request #1 from acme/feature") {
		t.Errorf("HEAD = %s (%s), want merge %s of %s and %s", head, parents, sha, f.origin, pr.HeadSHA)
	}
	if out, err := git(t, dir, "fetch", "--quiet", "origin", "refs/pull/1/head"); err != nil {
		t.Fatalf("fetch refs/pull/1/head: %v: %s", err, out)
	}
	if fetched, _ := git(t, dir, "rev-parse", "FETCH_HEAD"); fetched != pr.HeadSHA {
		t.Errorf("refs/pull/1/head = %s, want %s", fetched, pr.HeadSHA)
	}
	f.noViolations()
}

func TestGitNeedsTheToken(t *testing.T) {
	f := newFixture(t)
	token, _, err := f.e.InstallationToken(f.repo.InstallationID)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		url   string
		clone bool
	}{
		{"with the installation token", cloneURL(t, f.repo.CloneURL, token), true},
		{"without credentials", f.repo.CloneURL, false},
		{"with a wrong token", cloneURL(t, f.repo.CloneURL, "ghs_wrong"), false},
		{"of an unknown repository", cloneURL(t, strings.Replace(f.repo.CloneURL, "infra", "nope", 1), token), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := git(t, "", "clone", "--quiet", tc.url, filepath.Join(t.TempDir(), "c"))
			if (err == nil) != tc.clone {
				t.Errorf("clone succeeded = %v, want %v: %s", err == nil, tc.clone, out)
			}
		})
	}
	// Pushing over git is refused: users push through Emulator.Push.
	dir := filepath.Join(t.TempDir(), "c")
	if out, err := git(t, "", "clone", "--quiet", cloneURL(t, f.repo.CloneURL, token), dir); err != nil {
		t.Fatal(out)
	}
	if out, err := git(t, dir, "push", "origin", "HEAD:refs/heads/x"); err == nil {
		t.Errorf("git push succeeded: %s", out)
	}
}

func TestForkPR(t *testing.T) {
	f := newFixture(t)
	fork, err := f.e.Fork(f.ctx, testRepo, "mallory")
	if err != nil {
		t.Fatal(err)
	}
	sha, err := f.e.Push(f.ctx, fork.FullName, "mallory", "evil", map[string][]byte{"terraform/x.tf": []byte("# x\n")}, "x")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.hooks.of("push")); n != 0 {
		t.Errorf("a push to a fork sent %d push deliveries; the App is not installed there", n)
	}
	pr, err := f.e.OpenPR(f.ctx, testRepo, "mallory", "evil", "main", "Totally safe", "", emulator.FromFork())
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := f.gh.PullRequests.Get(f.ctx, f.owner, f.name, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !got.GetHead().GetRepo().GetFork() || got.GetHead().GetRepo().GetFullName() != "mallory/infra" || got.GetHead().GetSHA() != sha ||
		got.GetHead().GetLabel() != "mallory:evil" {
		t.Errorf("fork head = %s fork %v sha %s", got.GetHead().GetRepo().GetFullName(), got.GetHead().GetRepo().GetFork(), got.GetHead().GetSHA())
	}
	perm, _, err := f.gh.Repositories.GetPermissionLevel(f.ctx, f.owner, f.name, "mallory")
	if err != nil || perm.GetPermission() != "none" {
		t.Errorf("mallory's permission = %v, %v", perm.GetPermission(), err)
	}

	// Check runs on a fork's head list no pull requests, as on GitHub.
	run, _, err := f.gh.Checks.CreateCheckRun(f.ctx, f.owner, f.name, github.CreateCheckRunOptions{Name: "plan", HeadSHA: sha})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.PullRequests) != 0 {
		t.Errorf("check run of a fork head lists %d pull requests", len(run.PullRequests))
	}
	f.noViolations()
}

func TestPermissionLevels(t *testing.T) {
	f := newFixture(t)
	tests := []struct{ role, permission, roleName string }{
		{emulator.RoleAdmin, "admin", "admin"},
		{emulator.RoleMaintain, "write", "maintain"},
		{emulator.RoleWrite, "write", "write"},
		{emulator.RoleTriage, "read", "triage"},
		{emulator.RoleRead, "read", "read"},
		{emulator.RoleNone, "none", ""},
	}
	for _, tc := range tests {
		t.Run(tc.role, func(t *testing.T) {
			if err := f.e.SetPermission(testRepo, "carol", tc.role); err != nil {
				t.Fatal(err)
			}
			req, err := f.gh.NewRequest("GET", "repos/acme/infra/collaborators/carol/permission", nil)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Permission string `json:"permission"`
				RoleName   string `json:"role_name"`
			}
			if _, err := f.gh.Do(f.ctx, req, &got); err != nil {
				t.Fatal(err)
			}
			if got.Permission != tc.permission || got.RoleName != tc.roleName {
				t.Errorf("permission %q role_name %q, want %q %q", got.Permission, got.RoleName, tc.permission, tc.roleName)
			}
		})
	}
	_, resp, err := f.gh.Repositories.GetPermissionLevel(f.ctx, f.owner, f.name, "nobody-ever")
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown user: %v", err)
	}
}

func TestMergeRefusals(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	tests := []struct {
		name string
		opts *github.PullRequestOptions
		want int
	}{
		{"a stale head sha is a conflict", &github.PullRequestOptions{SHA: f.origin}, http.StatusConflict},
		{"rebase merges are not allowed", &github.PullRequestOptions{MergeMethod: "rebase"}, http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, err := f.gh.PullRequests.Merge(f.ctx, f.owner, f.name, pr.Number, "", tc.opts)
			if err == nil || resp.StatusCode != tc.want {
				t.Errorf("status = %v, want %d (%v)", resp.StatusCode, tc.want, err)
			}
		})
	}
	// A conflicting change on main makes the PR dirty and unmergeable.
	if _, err := f.e.Push(f.ctx, testRepo, "bob", "main", map[string][]byte{"environments/dev.yaml": []byte("name: dev\nregion: ap-south-1\n")}, "conflict"); err != nil {
		t.Fatal(err)
	}
	got, _, err := f.gh.PullRequests.Get(f.ctx, f.owner, f.name, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetMergeable() || got.GetMergeableState() != "dirty" {
		t.Errorf("mergeable %v %s after a conflicting push", got.GetMergeable(), got.GetMergeableState())
	}
	res, _, err := f.gh.PullRequests.Merge(f.ctx, f.owner, f.name, pr.Number, "", &github.PullRequestOptions{SHA: pr.HeadSHA})
	if err == nil {
		t.Errorf("merged a conflicting PR: %v", res)
	}
	if _, err := f.e.Merge(f.ctx, testRepo, "mallory", pr.Number); err == nil {
		t.Error("a user without write permission merged")
	}
	f.noViolations()
}

func TestCompare(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	cmp, _, err := f.gh.Repositories.CompareCommits(f.ctx, f.owner, f.name, "main", "feature", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.GetStatus() != "ahead" || cmp.GetAheadBy() != 1 || cmp.GetBehindBy() != 0 || len(cmp.Commits) != 1 ||
		cmp.Commits[0].GetSHA() != pr.HeadSHA || cmp.GetMergeBaseCommit().GetSHA() != f.origin || len(cmp.Files) != 1 {
		t.Errorf("compare = %s +%d -%d commits %d files %d", cmp.GetStatus(), cmp.GetAheadBy(), cmp.GetBehindBy(), len(cmp.Commits), len(cmp.Files))
	}
	if _, _, err := f.gh.Repositories.CompareCommits(f.ctx, f.owner, f.name, "main", "no-such-branch", nil); err == nil {
		t.Error("compare with an unknown head succeeded")
	}
	f.noViolations()
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMergeThroughRESTAndPRStates(t *testing.T) {
	f := newFixture(t)
	draft := f.openPR("draft", emulator.Draft())
	got, _, err := f.gh.PullRequests.Get(f.ctx, f.owner, f.name, draft.Number)
	if err != nil || !got.GetDraft() || got.GetMergeableState() != "draft" {
		t.Fatalf("draft PR = draft %v state %s, %v", got.GetDraft(), got.GetMergeableState(), err)
	}
	if _, resp, err := f.gh.PullRequests.Merge(f.ctx, f.owner, f.name, draft.Number, "", nil); err == nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("merging a draft: %v", err)
	}
	if err := f.e.ClosePR(f.ctx, testRepo, "alice", draft.Number); err != nil {
		t.Fatal(err)
	}
	if err := f.e.ReopenPR(f.ctx, testRepo, "alice", draft.Number); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.gh.PullRequests.Edit(f.ctx, f.owner, f.name, draft.Number, &github.PullRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}
	// The App's own close comes back in the background; Flush waits for it.
	if err := f.e.Flush(f.ctx); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range f.hooks.of("pull_request") {
		actions = append(actions, r.parsed.(*github.PullRequestEvent).GetAction())
	}
	if got := strings.Join(actions, ","); got != "opened,closed,reopened,closed" {
		t.Errorf("actions = %s", got)
	}

	pr := f.openPR("feature")
	res, _, err := f.gh.PullRequests.Merge(f.ctx, f.owner, f.name, pr.Number, "", &github.PullRequestOptions{SHA: pr.HeadSHA, MergeMethod: "squash"})
	if err != nil || !res.GetMerged() {
		t.Fatalf("squash merge: %v %v", res, err)
	}
	commits, err := f.e.Commits(f.ctx, testRepo, "main")
	if err != nil || commits[0].SHA != res.GetSHA() || len(commits[0].Parents) != 1 || !strings.HasPrefix(commits[0].Message, "Move dev (#2)") {
		t.Errorf("main after a squash merge = %+v, %v", commits[0], err)
	}
	after, _ := f.e.PR(f.ctx, testRepo, pr.Number)
	if !after.Merged || after.MergedBy != "gitops[bot]" || after.MergeCommitSHA != res.GetSHA() {
		t.Errorf("PR after merge = %+v", after)
	}
	f.noViolations()
}
