package report

import (
	"fmt"
	"strings"

	"github.com/gitops-bot/gitops/bot/release"
)

// ReleaseMarker is the first line of a release pull request's body: the
// App finds its own release pull requests by it.
const ReleaseMarker = "<!-- gitops:release -->"

// ReleasePR is what a release pull request says.
type ReleasePR struct {
	Plan      *release.Plan
	Changelog *release.Changelog
	// AppRepo is the repository the tag was pushed to; Tag and TagSHA name
	// the release's commit there.
	AppRepo, Tag, TagSHA string
	// File is the release file the pull request edits.
	File string
	// Missing are the images not in the registry (not ready).
	Missing []MissingImage
	// ChecksPending and ChecksFailed are the tag commit's checks that have
	// not finished or did not pass (not ready).
	ChecksPending, ChecksFailed []string
}

// MissingImage is an image the release names that the registry lacks.
type MissingImage struct {
	Service, Image, Reason string
}

// Ready says whether merging may deploy: every image in the registry and
// every check of the tag passed.
func (r ReleasePR) Ready() bool {
	return len(r.Missing) == 0 && len(r.ChecksPending) == 0 && len(r.ChecksFailed) == 0
}

// Rollback says whether the release goes back to an older version.
func (r ReleasePR) Rollback() bool { return r.Plan.Direction == release.Rollback }

// MaxChangelogEntries is how many changelog entries a release body lists
// (release.NewChangelog's limit).
const MaxChangelogEntries = 100

// ReleasePRTitle is the release pull request's title.
func ReleasePRTitle(p *release.Plan) string {
	env, to := clean(p.Environment), clean(string(p.To))
	if p.Direction == release.Rollback {
		return fmt.Sprintf("Roll %s back to %s", env, to)
	}
	return fmt.Sprintf("Release %s to %s", to, env)
}

// ReleasePRMarkdown is the release pull request's body: whether merging
// deploys it (and if not, why), the images old → new, the migration, the
// changelog and what merging does.
func ReleasePRMarkdown(r ReleasePR) string {
	p := r.Plan
	env := capText(clean(p.Environment), maxEnvName)
	var b strings.Builder
	b.WriteString(ReleaseMarker + "\n")
	fmt.Fprintf(&b, "## %s\n\n", text(ReleasePRTitle(p)))
	if r.Rollback() {
		fmt.Fprintf(&b, "⏪ **This is a rollback**: %s goes from %s back to %s.\n\n", text(env), code(string(p.From)), code(string(p.To)))
	}
	if r.Ready() {
		fmt.Fprintf(&b, "✅ **Ready.** Merging deploys it to %s.\n\n", text(env))
	} else {
		b.WriteString("⏳ **Not ready**: merging is blocked until the missing images are pushed and the tag's checks pass; gitops checks again on later events and on `/plan`.\n\n")
	}

	b.WriteString("### Images\n\n")
	if len(p.Changed) == 0 {
		b.WriteString("No image changes: every service is redeployed as it runs.\n\n")
	} else {
		b.WriteString("| Service | From | To |\n|---|---|---|\n")
		for _, c := range p.Changed {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cellText(c.Service), imageCell(c.From), imageCell(c.To))
		}
		b.WriteString("\n")
	}
	if len(p.Unchanged) > 0 {
		fmt.Fprintf(&b, "Unchanged: %s.\n\n", text(strings.Join(p.Unchanged, ", ")))
	}
	if len(p.Removed) > 0 {
		fmt.Fprintf(&b, "Not in this release (left running as they are): %s.\n\n", text(strings.Join(p.Removed, ", ")))
	}

	b.WriteString("### Migration\n\n")
	m := p.Migration
	switch {
	case m == nil:
		b.WriteString("None: the release has no `migrations`.\n\n")
	case m.SchemaStays:
		fmt.Fprintf(&b, "⚠️ **The database schema stays where it is** (%s's): this rollback runs no migration, because %s sets no `migrations.downgrade`. The older services must work with the newer schema; if they cannot, add a downgrade command to %s in this pull request.\n\n",
			code(string(p.From)), code(r.File), code(r.File))
	case m.Downgrade:
		fmt.Fprintf(&b, "%s runs first, as a one-off task in %s's image of %s (the release being left knows the migrations to undo); the services roll back only if it exits 0.\n\n",
			code(strings.Join(m.Command, " ")), text(m.Service), code(string(p.From)))
	default:
		fmt.Fprintf(&b, "%s runs first, as a one-off task in %s's new image; the services roll only if it exits 0.\n\n", code(strings.Join(m.Command, " ")), text(m.Service))
	}

	writeChangelog(&b, r)

	b.WriteString("### Readiness\n\n")
	imagesOK := len(r.Missing) == 0
	fmt.Fprintf(&b, "- [%s] every image is in the registry, pinned by its digest\n", tick(imagesOK))
	for _, mi := range r.Missing[:min(len(r.Missing), maxReplyItems)] {
		fmt.Fprintf(&b, "  - %s: %s — %s\n", text(mi.Service), code(mi.Image), text(capText(mi.Reason, 200)))
	}
	checksOK := len(r.ChecksPending) == 0 && len(r.ChecksFailed) == 0
	fmt.Fprintf(&b, "- [%s] the checks of %s (%s) passed", tick(checksOK), code(r.Tag), code(shortSHA(r.TagSHA)))
	if len(r.ChecksFailed) > 0 {
		fmt.Fprintf(&b, " — failed: %s", text(strings.Join(capList(r.ChecksFailed), ", ")))
	}
	if len(r.ChecksPending) > 0 {
		fmt.Fprintf(&b, " — not finished: %s", text(strings.Join(capList(r.ChecksPending), ", ")))
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "Merging deploys %s: a GitHub deployment, the migration, every service rolled at once and verified, target health, the smoke checks and the bake of %s; any failure rolls every changed service back. Progress is posted here.\n",
		text(env), code(r.File))
	return b.String()
}

func writeChangelog(b *strings.Builder, r ReleasePR) {
	cl := r.Changelog
	from := "the start"
	if r.Plan.From != "" {
		from = code(string(r.Plan.From))
	}
	if cl == nil || cl.Shown == 0 {
		fmt.Fprintf(b, "### Changelog\n\nNo commits between %s and %s.\n\n", from, code(r.Tag))
		return
	}
	fmt.Fprintf(b, "### Changelog (%s → %s, %s)\n\n", from, code(r.Tag), plural(cl.Shown+cl.Omitted, "commit", "commits"))
	for _, g := range cl.Groups {
		if cl.Grouped {
			fmt.Fprintf(b, "**%s**\n\n", text(g.Title))
		}
		for _, e := range g.Entries {
			line := "- "
			if e.Scope != "" {
				line += "**" + text(e.Scope) + ":** "
			}
			line += text(e.Subject) + " (" + code(e.ShortSHA)
			if e.Author != "" {
				line += ", " + text(e.Author)
			}
			if e.PR > 0 {
				line += fmt.Sprintf(", #%d", e.PR)
			}
			b.WriteString(line + ")\n")
		}
		b.WriteString("\n")
	}
	if cl.Omitted > 0 {
		fmt.Fprintf(b, "… and %s.\n\n", plural(cl.Omitted, "more commit", "more commits"))
	}
}

func imageCell(i release.Image) string {
	if i.Repository == "" {
		return "(new)"
	}
	s := cellCode(i.Tag)
	if i.Digest != "" {
		s += " " + cellCode(shortDigest(i.Digest))
	}
	return s
}

// shortDigest is sha256: and 12 hex digits, as docker shows them.
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

func tick(ok bool) string {
	if ok {
		return "x"
	}
	return " "
}

func capList(l []string) []string {
	if len(l) > maxReplyItems {
		return append(l[:maxReplyItems:maxReplyItems], fmt.Sprintf("and %d more", len(l)-maxReplyItems))
	}
	return l
}
