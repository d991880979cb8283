package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/tf"
)

// StickyMarker is the first line of the App's one comment per pull request:
// the App finds the comment to update by it.
const StickyMarker = "<!-- gitops:sticky-comment -->"

// headSHAPrefix starts the hidden line that records the head the comment
// describes (see StickyHeadSHA).
const headSHAPrefix = "<!-- gitops:head-sha "

// PRComment is everything the sticky PR comment shows: one section per
// environment the pull request changes, in the order given.
type PRComment struct {
	// Repo is "owner/name"; PR the pull request's number.
	Repo string
	PR   int
	// HeadSHA is the commit the plans were made for.
	HeadSHA  string
	Sections []EnvSection
	// Notice is shown above everything, e.g. "Waiting for `/plan` from a
	// maintainer: the PR comes from a fork". It is a line of markdown: code
	// spans and links are kept, HTML is not.
	Notice string
	// Requirements are the apply requirements as the App checked them; when
	// nil, the comment lists them without a verdict.
	Requirements []Requirement
	// Version and UpdatedAt make the footer; either may be empty.
	Version   string
	UpdatedAt time.Time
}

// EnvSection is what one environment's plan produced. Any part may be
// missing: a failed plan has Err and LogTail and no Plan, a locked
// environment may have no plan at all.
type EnvSection struct {
	Env string
	// Plan is nil when planning failed or did not run.
	Plan *tf.Plan
	// PlanText is terraform's human-readable plan.
	PlanText string
	Cost     *cost.Estimate
	// CostErr says why there is no estimate.
	CostErr string
	Policy  *policy.Result
	// PolicyPreview is the verdict of the rules the pull request proposes,
	// when it edits policy/: shown as a preview, never the gate.
	PolicyPreview *policy.Result
	// Err says why planning failed; LogTail is the end of terraform's output.
	Err     string
	LogTail string
	// Stale is set when the plan was made for an older head or state and can
	// no longer be applied.
	Stale bool
	// LockedBy is set when another pull request holds the environment's lock.
	LockedBy *LockHolder
	// Applied is set once the plan has been applied.
	Applied *AppliedInfo
	// CheckRunURL is the check run gitops/plan (<env>), which carries the
	// full plan.
	CheckRunURL string
	// Secrets are known secret values of the environment (from its state,
	// from what the App created); they are removed wherever they appear, as
	// well as what Redact finds.
	Secrets []string
}

// LockHolder is the pull request that holds an environment's lock, or
// whose deploy or /seed holds it while it runs.
type LockHolder struct {
	PR  int
	URL string
	// Holder is the store's holder ("pr:<n>", "deploy:<sha>",
	// "seed:<comment id>"); empty is taken as the pull request's plans.
	Holder string
}

// Running reports whether the lock is held by a deploy or a seed, which
// releases it when it ends, rather than by a pull request's plans.
func (l LockHolder) Running() bool {
	kind, _, _ := strings.Cut(l.Holder, ":")
	return kind == "deploy" || kind == "seed"
}

// AppliedInfo records an apply: who asked, when it finished and the state
// serial before and after.
type AppliedInfo struct {
	By           string
	At           time.Time
	SerialBefore uint64
	SerialAfter  uint64
}

// Requirement is one apply requirement and whether the pull request meets it,
// e.g. {"approved", true, "by @alice"}.
type Requirement struct {
	Name   string
	Met    bool
	Detail string
}

// CheckRunName is the name of the check run that carries an environment's
// plan.
func CheckRunName(env string) string { return "gitops/plan (" + env + ")" }

// StickyHeadSHA returns the head SHA recorded in a sticky comment's body, and
// whether body is a sticky comment at all.
func StickyHeadSHA(body string) (sha string, ok bool) {
	first, rest, _ := strings.Cut(body, "\n")
	if strings.TrimRight(first, "\r") != StickyMarker {
		return "", false
	}
	line, _, _ := strings.Cut(rest, "\n")
	if s, found := strings.CutPrefix(strings.TrimRight(line, "\r"), headSHAPrefix); found {
		return strings.TrimSuffix(s, " -->"), true
	}
	return "", true
}

// PRCommentMarkdown renders the sticky PR comment: the marker and the head
// SHA on hidden lines, a table with each environment's status, then per
// environment the spec changes, what the plan changes and why, cost, policy
// and the full plan collapsed; then how to apply and the commands.
//
// Everything posted is redacted (Redact, and RedactValues with the section's
// Secrets). The result never exceeds MaxCommentLength bytes (so neither
// characters): when it would, the full plans of the largest sections give
// way to pointers to their check runs first, then cost and policy details,
// then resource lists are shortened, then sections are reduced to their
// status; the markdown stays whole at every step (see fitComment).
func PRCommentMarkdown(c PRComment) string {
	parts := make([]*sectionParts, len(c.Sections))
	for i, s := range c.Sections {
		parts[i] = newSectionParts(s, false)
	}
	return fitComment(c, parts)
}

// commentHead renders the hidden lines, the title, the notice and the status
// table of the first shown sections.
func commentHead(c PRComment, parts []*sectionParts, shown int) string {
	var b strings.Builder
	b.WriteString(StickyMarker + "\n")
	b.WriteString(headSHAPrefix + safeSHA(c.HeadSHA) + " -->\n")
	b.WriteString("**gitops** · terraform plan")
	if sha := safeSHA(c.HeadSHA); sha != "" {
		fmt.Fprintf(&b, " for %s", code(shortSHA(sha)))
	}
	if c.PR > 0 {
		if repo := capText(clean(c.Repo), 200); repo != "" {
			fmt.Fprintf(&b, " of %s#%d", text(repo), c.PR)
		} else {
			fmt.Fprintf(&b, " of #%d", c.PR)
		}
	}
	b.WriteString("\n\n")
	if n := strings.TrimSpace(c.Notice); n != "" {
		fmt.Fprintf(&b, "> ⏳ %s\n\n", inline(capText(clean(n), 2000)))
	}
	if len(parts) == 0 {
		if c.Notice == "" {
			b.WriteString("No environment to plan: the pull request changes no `environments/<env>.yaml`.\n\n")
		}
		return b.String()
	}
	b.WriteString("| Environment | Plan | Cost per month | Policy | Check run |\n|---|---|---|---|---|\n")
	for _, p := range parts[:shown] {
		b.WriteString(p.row)
	}
	if omitted := len(parts) - shown; omitted > 0 {
		fmt.Fprintf(&b, "\n… and %s, not shown: this comment is at GitHub's size limit. Each has its check run %s.\n", plural(omitted, "more environment", "more environments"), code(CheckRunName("<env>")))
	}
	b.WriteString("\n")
	return b.String()
}

// commentTail renders how to apply, the commands and the footer.
func commentTail(c PRComment) string {
	var b strings.Builder
	b.WriteString("---\n\n### How to apply\n\n")
	b.WriteString("Comment `/apply` to apply every planned environment, or `/apply <env>` for one. gitops applies exactly the plan shown here, never a new one, and only when:\n\n")
	if c.Requirements == nil {
		b.WriteString("- the pull request is approved and mergeable;\n")
		b.WriteString("- the plan is for the pull request's current head (every push plans again);\n")
		b.WriteString("- policy passed (a rule's owner can override a deny with `/approve-policy <rule> <env>`);\n")
		b.WriteString("- no other pull request holds the environment's lock.\n\n")
	} else {
		const most = 20
		for i, r := range c.Requirements {
			if i == most {
				fmt.Fprintf(&b, "- … and %d more\n", len(c.Requirements)-most)
				break
			}
			mark := "❌"
			if r.Met {
				mark = "✅"
			}
			fmt.Fprintf(&b, "- %s %s", mark, inline(capText(clean(r.Name), 200)))
			if r.Detail != "" {
				fmt.Fprintf(&b, " — %s", inline(capText(clean(Redact(r.Detail)), 300)))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("When the pull request merges, gitops plans the merge commit and applies it if it matches the plan reviewed here; otherwise it comments the difference and waits for `/apply`.\n\n")
	b.WriteString("<sub>Commands: `/plan [env…]` plans again · `/apply [env…]` applies · `/unlock [env…]` releases this pull request's locks · `/help` lists every command")
	if v := capText(clean(c.Version), 100); v != "" {
		fmt.Fprintf(&b, " · gitops %s", text(v))
	}
	if !c.UpdatedAt.IsZero() {
		fmt.Fprintf(&b, " · updated %s", when(c.UpdatedAt))
	}
	b.WriteString("</sub>\n")
	return b.String()
}

// safeSHA keeps the letters and digits of a commit SHA, so that it cannot end
// the hidden comment it is written in.
func safeSHA(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == 64 {
			break
		}
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}
