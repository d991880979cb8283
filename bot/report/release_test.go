package report

import (
	"maps"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/release"
)

// releases returns staging's release file as committed and a next release
// at version with every image moved to it (digests made up, per service).
func releases(t *testing.T, version string) (current, next *release.Release) {
	t.Helper()
	current, err := release.Load("../../releases/staging.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := *current
	n.Version = release.Version(version)
	n.Images = maps.Clone(current.Images)
	for name, img := range n.Images {
		img.Tag = version
		img.Digest = "sha256:" + strings.Repeat(string("0123456789abcdef"[len(name)%16]), 64)
		n.Images[name] = img
	}
	return current, &n
}

func TestReleasePRMarkdown(t *testing.T) {
	cur, next := releases(t, "v1.2.0")
	forward, err := release.NewPlan(cur, next)
	if err != nil {
		t.Fatal(err)
	}
	changelog := release.NewChangelog([]release.Commit{
		{SHA: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", Subject: "feat(inventory): reserve stock per location (#41)", Author: "alice"},
		{SHA: "b1b2c3d4e5f60718293a4b5c6d7e8f9012345678", Subject: "fix(ui): <script> in item names is shown, not run", Author: "bob"},
		{SHA: "c1b2c3d4e5f60718293a4b5c6d7e8f9012345678", Subject: "Merge pull request #40 from acme/x", Author: "bob", Parents: 2},
	}, MaxChangelogEntries)

	// Back from v1.2.0 to v1.1.0, with and without a downgrade.
	back, err := release.NewPlan(next, cur)
	if err != nil {
		t.Fatal(err)
	}
	noDown := *next
	m := *next.Migrations
	m.Downgrade = nil
	noDown.Migrations = &m
	stays, err := release.NewPlan(&noDown, cur)
	if err != nil {
		t.Fatal(err)
	}

	const tagSHA = "3f786850e387550fdab836ed7e6dc881de23001b"
	tests := []struct {
		name string
		r    ReleasePR
	}{
		{"release_ready", ReleasePR{Plan: forward, Changelog: changelog, AppRepo: "acme/inventory", Tag: "v1.2.0", TagSHA: tagSHA, File: "releases/staging.yaml"}},
		{"release_not_ready", ReleasePR{Plan: forward, Changelog: changelog, AppRepo: "acme/inventory", Tag: "v1.2.0", TagSHA: tagSHA, File: "releases/staging.yaml",
			Missing:      []MissingImage{{Service: "ui", Image: "inventory-management/ui:v1.2.0", Reason: "ImageNotFoundException"}},
			ChecksFailed: []string{"ci/tests"}, ChecksPending: []string{"build-images"}}},
		{"release_rollback_with_downgrade", ReleasePR{Plan: back, AppRepo: "acme/inventory", Tag: "v1.1.0", TagSHA: tagSHA, File: "releases/staging.yaml"}},
		{"release_rollback_schema_stays", ReleasePR{Plan: stays, AppRepo: "acme/inventory", Tag: "v1.1.0", TagSHA: tagSHA, File: "releases/staging.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ReleasePRMarkdown(tt.r)
			checkMarkdown(t, got, MaxCommentLength)
			if !strings.HasPrefix(got, ReleaseMarker+"\n") {
				t.Errorf("the marker is not the first line")
			}
			if strings.Contains(got, "<script>") {
				t.Errorf("a commit subject's HTML is not escaped")
			}
			golden(t, tt.name+".golden.md", []byte(got))
		})
	}
	if got := ReleasePRTitle(back); got != "Roll staging back to v1.1.0" {
		t.Errorf("rollback title %q", got)
	}
}
