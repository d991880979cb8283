package github_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/github/emulator"
)

// app returns an App authenticated against a fresh emulator holding
// acme/infra with an open pull request #1 from alice.
func app(t *testing.T) (*github.App, *emulator.Emulator) {
	t.Helper()
	ctx := context.Background()
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	if _, err := emu.CreateRepo(ctx, "acme/infra", map[string][]byte{"environments/dev.yaml": []byte("name: dev\n")}); err != nil {
		t.Fatal(err)
	}
	for user, role := range map[string]string{"alice": emulator.RoleWrite, "bob": emulator.RoleMaintain, "carol": emulator.RoleRead} {
		if err := emu.SetPermission("acme/infra", user, role); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := emu.Push(ctx, "acme/infra", "alice", "scale-down", map[string][]byte{"environments/dev.yaml": []byte("name: dev\n# smaller\n")}, "scale down"); err != nil {
		t.Fatal(err)
	}
	if _, err := emu.OpenPR(ctx, "acme/infra", "alice", "scale-down", "main", "Scale dev down", ""); err != nil {
		t.Fatal(err)
	}
	a, err := github.New(github.Config{URL: emu.URL(), AppID: emu.AppID(), PrivateKey: emu.PrivateKeyPEM(), Retry: github.RetryConfig{Backoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return a, emu
}

func TestClientAgainstTheEmulator(t *testing.T) {
	ctx := context.Background()
	a, emu := app(t)
	c := a.Client(emu.InstallationID())

	pr, err := c.PullRequest(ctx, "acme/infra", 1)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Author != "alice" || pr.HeadRef != "scale-down" || pr.FromFork("acme/infra") || len(pr.HeadSHA) != 40 || pr.CloneURL == "" {
		t.Fatalf("pull request = %+v", pr)
	}
	if main, err := emu.ResolveRef(ctx, "acme/infra", "main"); err != nil || pr.BaseSHA != main {
		t.Fatalf("base SHA = %s, want main's %s (%v)", pr.BaseSHA, main, err)
	}
	if names, err := c.ListDir(ctx, "acme/infra", "main", "environments"); err != nil || !slices.Equal(names, []string{"dev.yaml"}) {
		t.Fatalf("ListDir(environments) = %v, %v", names, err)
	}
	if _, err := c.ListDir(ctx, "acme/infra", "main", "releases"); !errors.Is(err, github.ErrNotFound) {
		t.Fatalf("ListDir of a missing directory: %v, want ErrNotFound", err)
	}
	files, err := c.ChangedFiles(ctx, "acme/infra", 1)
	if err != nil || !slices.Equal(files, []string{"environments/dev.yaml"}) {
		t.Fatalf("changed files = %v, %v", files, err)
	}
	for user, want := range map[string]string{"alice": "write", "bob": "maintain", "carol": "read", "mallory": "none"} {
		if got, err := c.Permission(ctx, "acme/infra", user); err != nil || got != want {
			t.Errorf("permission of %s = %q, %v; want %q", user, got, err, want)
		}
	}
	if err := emu.Review(ctx, "acme/infra", "bob", 1, "APPROVE"); err != nil {
		t.Fatal(err)
	}
	if err := emu.Review(ctx, "acme/infra", "carol", 1, "COMMENT"); err != nil {
		t.Fatal(err)
	}
	if approvers, err := c.Approvers(ctx, "acme/infra", 1); err != nil || !slices.Equal(approvers, []string{"bob"}) {
		t.Fatalf("approvers = %v, %v", approvers, err)
	}

	const marker = "<!-- gitops:sticky-comment -->"
	if id, err := c.FindComment(ctx, "acme/infra", 1, marker); err != nil || id != 0 {
		t.Fatalf("sticky comment before any = %d, %v", id, err)
	}
	if _, err := emu.Comment(ctx, "acme/infra", "alice", 1, marker+" pretending to be the bot"); err != nil {
		t.Fatal(err)
	}
	id, err := c.CreateComment(ctx, "acme/infra", 1, marker+"\nplanning…")
	if err != nil {
		t.Fatal(err)
	}
	if found, err := c.FindComment(ctx, "acme/infra", 1, marker); err != nil || found != id {
		t.Fatalf("FindComment = %d, %v; want the bot's %d, not a user's with the marker", found, err, id)
	}
	if found, body, err := c.MarkedComment(ctx, "acme/infra", 1, marker); err != nil || found != id || body != marker+"\nplanning…" {
		t.Fatalf("MarkedComment = %d, %q, %v; want the bot's %d with its body", found, body, err, id)
	}
	if err := c.EditComment(ctx, "acme/infra", id, marker+"\nplanned"); err != nil {
		t.Fatal(err)
	}
	if err := c.React(ctx, "acme/infra", id, "eyes"); err != nil {
		t.Fatal(err)
	}

	run := github.CheckRun{Name: "gitops/plan (dev)", HeadSHA: pr.HeadSHA, ExternalID: "acme/infra#1/dev", Status: "in_progress", Title: "planning", Summary: "…"}
	first, err := c.UpsertCheckRun(ctx, "acme/infra", run)
	if err != nil {
		t.Fatal(err)
	}
	run.Status, run.Conclusion, run.Title = "completed", "success", "3 to change"
	run.Actions = []github.CheckRunAction{{Label: "Apply", Description: "Apply this plan", Identifier: "apply"}}
	second, err := c.UpsertCheckRun(ctx, "acme/infra", run)
	if err != nil || second != first {
		t.Fatalf("second upsert = %d, %v; want the same check run %d", second, err, first)
	}
	if runs := emu.CheckRuns("acme/infra"); len(runs) != 1 || runs[0].Conclusion != "success" {
		t.Fatalf("check runs = %+v, want one, completed", runs)
	}
	if tok, err := c.Token(ctx); err != nil || tok == "" {
		t.Fatalf("token: %v", err)
	}
	if v := emu.Violations(); len(v) > 0 {
		t.Fatalf("calls GitHub's API would refuse: %s", emu.ViolationsText())
	}
}

func TestRetriesCarryTheClientThroughFaults(t *testing.T) {
	ctx := context.Background()
	_, emu := app(t)
	var retries int
	a2, err := github.New(github.Config{URL: emu.URL(), AppID: emu.AppID(), PrivateKey: emu.PrivateKeyPEM(),
		Retry: github.RetryConfig{Attempts: 8, Backoff: time.Millisecond}, Observer: github.Observer{Retry: func(string) { retries++ }}})
	if err != nil {
		t.Fatal(err)
	}
	c := a2.Client(emu.InstallationID())
	emu.SetFaults(emulator.Faults{Rate: 0.3, Seed: 7})
	id, err := c.CreateComment(ctx, "acme/infra", 1, "hello")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := c.EditComment(ctx, "acme/infra", id, "edit "+string(rune('a'+i))); err != nil {
			t.Fatalf("edit %d: %v", i, err)
		}
	}
	emu.SetFaults(emulator.Faults{})
	comments := emu.Comments("acme/infra", 1)
	if len(comments) != 1 || comments[0].Body != "edit t" {
		t.Fatalf("comments = %+v, want one, edited last to 'edit t'", comments)
	}
	if retries == 0 {
		t.Fatal("no call was retried: the faults did not reach the client")
	}
}
