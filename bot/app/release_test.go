package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
	"github.com/gitops-bot/gitops/bot/release"
)

var services = []string{"api-gateway", "inventory", "location", "user", "reporting", "ui"}

func TestATagOpensOneReleasePullRequestThatSaysWhenItIsReady(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	// The previous release's tag, made before the App listens.
	if _, err := w.emu.PushTag(ctx, repo, "alice", "v1.1.0", "main"); err != nil {
		t.Fatal(err)
	}
	fake := ecsfake.Start(ecsfake.Options{Region: "us-east-1"})
	t.Cleanup(fake.Close)
	digest := func(svc string) string { return fmt.Sprintf("sha256:%064x", len(svc)*7919) }
	for _, svc := range services {
		if svc != "ui" { // the ui image is not pushed yet
			fake.AddImage("inventory-management/"+svc, "v1.2.0", digest(svc))
		}
	}
	h := startIn(t, w, Options{AWS: func(context.Context, string) (aws.Config, error) { return fake.Config(), nil }})

	if _, err := h.emu.Push(ctx, repo, "alice", "main", map[string][]byte{"README.md": []byte("stock per location\n")}, "feat(inventory): reserve stock per location"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.emu.PushTag(ctx, repo, "alice", "v1.2.0", "main"); err != nil {
		t.Fatal(err)
	}
	h.wait(t, "release_pr")

	pr := h.releasePR(t, "release/v1.2.0")
	if !pr.Draft || !strings.Contains(pr.Body, "Not ready") || !strings.Contains(pr.Body, "inventory-management/ui:v1.2.0") {
		t.Fatalf("with the ui image missing, want a draft that says so:\n%+v", pr)
	}
	if !strings.Contains(pr.Body, "reserve stock per location") {
		t.Errorf("the changelog lacks the commit since v1.1.0:\n%s", pr.Body)
	}
	if labels := h.emu.Labels(repo, pr.Number); !strings.Contains(strings.Join(labels, ","), "release") {
		t.Errorf("labels %v", labels)
	}
	file := h.releaseFile(t, "release/v1.2.0")
	if file.Version != "v1.2.0" || file.Previous != "v1.1.0" || file.Images["api-gateway"].Digest != digest("api-gateway") || file.Images["ui"].Tag != "v1.1.0" {
		t.Fatalf("release file: version %s previous %s images %+v", file.Version, file.Previous, file.Images)
	}

	// The same tag push under another delivery id is the same event: one pull request.
	var id string
	for _, d := range h.emu.DeliveriesOf("push", "") {
		if strings.Contains(string(d.Payload), `"ref":"refs/tags/v1.2.0"`) {
			id = d.ID
		}
	}
	if d, err := h.emu.Resend(ctx, id); err != nil || d.Status != 202 {
		t.Fatalf("resend the tag push: %v, %v", d.Status, err)
	}
	// The image is pushed; a maintainer asks for the release to be checked again.
	fake.AddImage("inventory-management/ui", "v1.2.0", digest("ui"))
	if _, err := h.emu.Comment(ctx, repo, "bob", pr.Number, "/plan"); err != nil {
		t.Fatal(err)
	}
	h.wait(t, "release_pr")
	again := h.releasePR(t, "release/v1.2.0")
	if again.Number != pr.Number || !strings.Contains(again.Body, "Ready.") {
		t.Fatalf("after the image was pushed: #%d (was #%d), body:\n%s", again.Number, pr.Number, again.Body)
	}
	if file := h.releaseFile(t, "release/v1.2.0"); file.Images["ui"].Digest != digest("ui") || file.Images["ui"].Tag != "v1.2.0" {
		t.Fatalf("ui not pinned: %+v", file.Images["ui"])
	}
}

// releasePR is the one open pull request from branch.
func (h *harness) releasePR(t *testing.T, branch string) emulatorPR {
	t.Helper()
	var found []emulatorPR
	for n := 1; ; n++ {
		pr, err := h.emu.PR(context.Background(), repo, n)
		if err != nil {
			break
		}
		if pr.HeadRef == branch {
			found = append(found, emulatorPR{Number: pr.Number, Draft: pr.Draft, Body: pr.Body})
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d pull requests from %s, want 1", len(found), branch)
	}
	return found[0]
}

type emulatorPR struct {
	Number int
	Draft  bool
	Body   string
}

func (h *harness) releaseFile(t *testing.T, branch string) *release.Release {
	t.Helper()
	data, err := h.emu.FileAt(context.Background(), repo, branch, "releases/staging.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := release.Decode("releases/staging.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
