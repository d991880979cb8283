package github_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gitops-bot/gitops/bot/github"
)

// TestReleaseCallsAgainstTheEmulator goes through what a release pull
// request and its deployment need, in order, and checks what GitHub holds
// after each call (the emulator also checks each call against the REST
// description).
func TestReleaseCallsAgainstTheEmulator(t *testing.T) {
	ctx := context.Background()
	a, emu := app(t)
	c := a.Client(emu.InstallationID())
	const repo = "acme/infra"

	tag, err := emu.PushTag(ctx, repo, "alice", "v1.2.0", "main")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.RefSHA(ctx, repo, "tags/v1.2.0"); err != nil || got != tag {
		t.Fatalf("RefSHA(tags/v1.2.0) = %s, %v; want %s", got, err, tag)
	}
	if _, err := c.RefSHA(ctx, repo, "tags/v9.9.9"); !errors.Is(err, github.ErrNotFound) {
		t.Fatalf("a missing tag: %v, want ErrNotFound", err)
	}

	t.Run("a branch is created once", func(t *testing.T) {
		for i, want := range []bool{true, false} {
			created, err := c.EnsureBranch(ctx, repo, "release/v1.2.0", tag)
			if err != nil || created != want {
				t.Fatalf("EnsureBranch #%d = %v, %v; want %v", i+1, created, err, want)
			}
		}
	})

	t.Run("a file is committed when its content changes, not otherwise", func(t *testing.T) {
		first, err := c.PutFile(ctx, repo, "release/v1.2.0", "releases/staging.yaml", []byte("version: v1.2.0\n"), "release v1.2.0")
		if err != nil || first == "" {
			t.Fatalf("new file: %q, %v", first, err)
		}
		again, err := c.PutFile(ctx, repo, "release/v1.2.0", "releases/staging.yaml", []byte("version: v1.2.0\n"), "release v1.2.0")
		if err != nil || again != "" {
			t.Fatalf("same content: commit %q, %v; want none", again, err)
		}
		second, err := c.PutFile(ctx, repo, "release/v1.2.0", "releases/staging.yaml", []byte("version: v1.2.0\nprevious: v1.1.0\n"), "release v1.2.0")
		if err != nil || second == "" || second == first {
			t.Fatalf("changed content: %q, %v", second, err)
		}
		if got, err := emu.FileAt(ctx, repo, "release/v1.2.0", "releases/staging.yaml"); err != nil || string(got) != "version: v1.2.0\nprevious: v1.1.0\n" {
			t.Fatalf("on the branch: %q, %v", got, err)
		}
	})

	t.Run("the release pull request is found again by its branch", func(t *testing.T) {
		if pr, err := c.OpenPRFrom(ctx, repo, "release/v1.2.0"); err != nil || pr != nil {
			t.Fatalf("before opening: %+v, %v", pr, err)
		}
		opened, err := c.CreatePR(ctx, repo, github.NewPR{Title: "Release v1.2.0 to staging", Head: "release/v1.2.0", Base: "main", Body: "images", Draft: true})
		if err != nil || !opened.Draft {
			t.Fatalf("CreatePR = %+v, %v", opened, err)
		}
		found, err := c.OpenPRFrom(ctx, repo, "release/v1.2.0")
		if err != nil || found == nil || found.Number != opened.Number {
			t.Fatalf("OpenPRFrom = %+v, %v; want #%d", found, err, opened.Number)
		}
		if err := c.EditPR(ctx, repo, opened.Number, "Release v1.2.0 to staging", "images, changelog"); err != nil {
			t.Fatal(err)
		}
		if err := c.AddLabels(ctx, repo, opened.Number, "release"); err != nil {
			t.Fatal(err)
		}
		if got := emu.Labels(repo, opened.Number); !slices.Contains(got, "release") {
			t.Fatalf("labels %v", got)
		}
	})

	t.Run("compare lists the commits between two refs, oldest first", func(t *testing.T) {
		commits, err := c.Compare(ctx, repo, "main", "release/v1.2.0")
		if err != nil || len(commits) != 2 || commits[0].Subject != "release v1.2.0" || commits[0].SHA == commits[1].SHA {
			t.Fatalf("Compare = %+v, %v", commits, err)
		}
	})

	t.Run("checks: none is green; a failing status is named", func(t *testing.T) {
		pending, failed, err := c.ChecksPassed(ctx, repo, tag)
		if err != nil || len(pending)+len(failed) != 0 {
			t.Fatalf("no checks: pending %v failed %v, %v", pending, failed, err)
		}
		if err := c.CommitStatus(ctx, repo, tag, "failure", "ci/tests", "3 tests failed"); err != nil {
			t.Fatal(err)
		}
		pending, failed, err = c.ChecksPassed(ctx, repo, tag)
		if err != nil || len(pending) != 0 || !slices.Equal(failed, []string{"ci/tests"}) {
			t.Fatalf("after a failing status: pending %v failed %v, %v", pending, failed, err)
		}
	})

	t.Run("a deployment goes in progress then succeeds", func(t *testing.T) {
		id, err := c.CreateDeployment(ctx, repo, github.Deployment{Ref: tag, Environment: "staging", Description: "v1.2.0", Payload: map[string]any{"version": "v1.2.0"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []string{"in_progress", "success"} {
			if err := c.DeploymentStatus(ctx, repo, id, st, "deploying v1.2.0", "https://staging.example.com"); err != nil {
				t.Fatal(err)
			}
		}
		deps := emu.Deployments(repo)
		if len(deps) != 1 || deps[0].Environment != "staging" || len(deps[0].Statuses) != 2 || deps[0].Statuses[len(deps[0].Statuses)-1].State != "success" {
			t.Fatalf("deployments %+v", deps)
		}
	})
	if v := emu.ViolationsText(); v != "" {
		t.Fatalf("calls GitHub would refuse:\n%s", v)
	}
}
