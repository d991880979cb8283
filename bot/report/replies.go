package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gitops-bot/gitops/bot/tf"
)

// The replies below are the App's other comments: one each, posted as they
// happen, never edited. Each caps what it shows (maxReplyItems per list,
// maxInline per item, the error's start and the log's end), so that none
// can reach MaxCommentLength; each redacts what it did not write itself.

const (
	maxReplyItems = 30
	maxReplyText  = 4000  // a reason, a remedy
	maxReplyErr   = 8000  // the start of an error
	maxReplyLog   = 16000 // the end of a log
	maxHelp       = 32000 // the help text
)

// LockedMarkdown is the reply when a command needs an environment whose lock
// another pull request holds.
func LockedMarkdown(env string, holderPR int, holderURL string) string {
	e := capText(clean(env), maxEnvName)
	holder := fmt.Sprintf("#%d", holderPR)
	if u := linkURL(holderURL); u != "" {
		holder = "[" + holder + "](" + u + ")"
	}
	return fmt.Sprintf("🔒 **%s is locked by %s**, which planned it first. Only the pull request that holds an environment's lock applies to it, so that no plan is applied to a state another is about to change.\n\n"+
		"This pull request can go ahead once %s is merged or closed, or releases the lock with %s; then comment %s here to plan again.\n",
		text(e), holder, holder, code("/unlock "+e), code("/plan "+e))
}

// RefusalMarkdown is the reply when a command is refused: which command,
// the requirement it failed and what would satisfy it, each a line of
// markdown (code spans are kept; HTML is not), e.g.
// RefusalMarkdown("/apply staging", "the pull request is not approved",
// "a maintainer approves the pull request").
func RefusalMarkdown(command, reason, howToFix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "🚫 %s **was refused**: %s.\n", code(capText(clean(command), maxInline)), inline(reply(reason)))
	if strings.TrimSpace(howToFix) != "" {
		fmt.Fprintf(&b, "\n**To go ahead:** %s.\n", inline(reply(howToFix)))
	}
	return b.String()
}

// ApplyResult is what an apply did.
type ApplyResult struct {
	Env string
	// Err is empty when the apply succeeded.
	Err      string
	Duration time.Duration
	// SerialBefore and SerialAfter are the state's serials around the apply.
	SerialBefore, SerialAfter uint64
	// Applied are the resources changed; NotApplied those the plan would have
	// changed but that a failed apply did not reach.
	Applied, NotApplied []string
	// LogTail is the end of terraform's output, shown when the apply failed.
	LogTail string
	// CheckRunURL links the plan that was applied.
	CheckRunURL string
	// Secrets are known secret values, removed wherever they appear.
	Secrets []string
	// Interrupted: the process stopped while terraform was applying, so
	// nobody knows how far it got; Err says what to do.
	Interrupted bool
}

// ApplyResultMarkdown is the reply after an apply. On success: the
// environment, how long it took and the state serial before and after. On
// failure: the error, what was applied and what was not, the end of the log,
// and that the lock stays with the pull request.
func ApplyResultMarkdown(r ApplyResult) string {
	red := redactor(r.Secrets)
	env := capText(clean(r.Env), maxEnvName)
	var b strings.Builder
	took := r.Duration.Round(time.Second).String()
	if r.Err == "" {
		fmt.Fprintf(&b, "✅ **Applied %s** in %s — state serial %d → %d.\n\n", text(env), took, r.SerialBefore, r.SerialAfter)
		writeList(&b, "Changed", r.Applied, red)
		if u := linkURL(r.CheckRunURL); u != "" {
			fmt.Fprintf(&b, "The plan applied: [%s](%s).\n", code(CheckRunName(env)), u)
		}
		return b.String()
	}
	if r.Interrupted {
		fmt.Fprintf(&b, "❌ **Applying %s was interrupted** (state serial %d before; terraform saves the state of what it applied, so how far it got is in the state, not here).\n\n", text(env), r.SerialBefore)
		b.WriteString(fence(cutEnd(strings.TrimRight(red.redact(r.Err), "\n"), maxReplyErr), ""))
		fmt.Fprintf(&b, "\nThe lock of %s stays with this pull request; %s shows what is left, then %s applies it.\n", text(env), code("/plan "+env), code("/apply "+env))
		return b.String()
	}
	fmt.Fprintf(&b, "❌ **Applying %s failed** after %s (state serial %d before; terraform saves the state of what it applied).\n\n", text(env), took, r.SerialBefore)
	b.WriteString(fence(cutEnd(strings.TrimRight(red.redact(r.Err), "\n"), maxReplyErr), ""))
	b.WriteString("\n")
	if len(r.Applied) == 0 {
		b.WriteString("**Applied before the failure:** nothing.\n\n")
	} else {
		writeList(&b, "Applied before the failure", r.Applied, red)
	}
	writeList(&b, "Not applied", r.NotApplied, red)
	if log := strings.TrimRight(red.redact(r.LogTail), "\n"); log != "" {
		b.WriteString("<details><summary>End of terraform's output</summary>\n\n")
		b.WriteString(fence(cutStart(log, maxReplyLog), ""))
		b.WriteString("\n</details>\n\n")
	}
	fmt.Fprintf(&b, "The lock of %s stays with this pull request; %s retries from a fresh plan.\n", text(env), code("/apply "+env))
	return b.String()
}

// writeList writes a titled list of resources, at most maxReplyItems.
func writeList(b *strings.Builder, title string, items []string, red redactor) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "**%s (%d):**\n\n", title, len(items))
	for i, it := range items {
		if i == maxReplyItems {
			fmt.Fprintf(b, "- … and %d more\n", len(items)-i)
			break
		}
		fmt.Fprintf(b, "- %s\n", code(capText(red.redact(it), maxInline)))
	}
	b.WriteString("\n")
}

// MergeDiffMarkdown is the reply when the plan of a merge commit differs
// from the plan reviewed on the pull request, so that gitops did not apply
// it: the two headlines and each resource that differs, with what either
// plan does to it.
func MergeDiffMarkdown(env string, reviewed, merged tf.Summary) string {
	e := capText(clean(env), maxEnvName)
	var b strings.Builder
	fmt.Fprintf(&b, "⚠️ **The merge commit's plan for %s differs from the plan reviewed here**, so gitops did not apply it.\n\n", text(e))
	fmt.Fprintf(&b, "- reviewed: %s\n- merge commit: %s\n\n", counts(reviewed), counts(merged))
	rows, differ := mergeDiffRows(reviewed, merged)
	if differ > 0 {
		b.WriteString("| Resource | Reviewed | Merge commit |\n|---|---|---|\n")
		for _, r := range rows {
			b.WriteString(r)
		}
		if more := differ - len(rows); more > 0 {
			fmt.Fprintf(&b, "\n… and %s.\n", plural(more, "more resource", "more resources"))
		}
		b.WriteString("\n")
	} else {
		b.WriteString("The same resources change in the same way; the plans differ in what terraform cannot show before applying (values known only after apply, data read at plan time).\n\n")
	}
	fmt.Fprintf(&b, "Something merged after the review changed the plan. Review the difference; comment %s to apply the merge commit's plan, or open a pull request that fixes it.\n", code("/apply "+e))
	return b.String()
}

// mergeDiffRows renders a row for each of the first maxReplyItems resources
// the two plans treat differently, by address, and counts them all.
func mergeDiffRows(reviewed, merged tf.Summary) (rows []string, differ int) {
	before := map[string]tf.ResourceChange{}
	after := map[string]tf.ResourceChange{}
	var addrs []string
	for _, r := range reviewed.Resources {
		before[r.Address] = r
		addrs = append(addrs, r.Address)
	}
	for _, r := range merged.Resources {
		after[r.Address] = r
		if _, ok := before[r.Address]; !ok {
			addrs = append(addrs, r.Address)
		}
	}
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	for _, a := range addrs {
		x, inX := before[a]
		y, inY := after[a]
		sameShown := inX && inY && x.Action == y.Action && slices.Equal(x.Attributes, y.Attributes) && slices.Equal(x.ReplaceReasons, y.ReplaceReasons)
		// Planned digests are compared when both plans have one (see tf.DiffChanges).
		otherValues := sameShown && x.Planned != y.Planned && x.Planned != "" && y.Planned != ""
		if sameShown && !otherValues {
			continue
		}
		if differ++; len(rows) < maxReplyItems {
			now := diffCell(y, inY)
			if otherValues {
				now += " (other values)"
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s |\n", cellCode(capText(clean(a), maxInline)), diffCell(x, inX), now))
		}
	}
	return rows, differ
}

// diffCell says what one plan does to a resource.
func diffCell(r tf.ResourceChange, in bool) string {
	if !in {
		return "no change"
	}
	label := actionLabel[r.Action]
	if label == "" {
		label = cellText(capText(clean(string(r.Action)), maxEnvName))
	}
	var attrs []string
	for _, a := range r.Attributes[:min(len(r.Attributes), 3)] {
		attrs = append(attrs, cellCode(capText(Redact(clean(a)), maxValue)))
	}
	if more := len(r.Attributes) - len(attrs); more > 0 {
		attrs = append(attrs, fmt.Sprintf("and %d more", more))
	}
	if len(attrs) == 0 {
		return label
	}
	return label + ": " + strings.Join(attrs, ", ")
}

// HelpMarkdown is the reply to /help: the help text, which the command
// grammar owns and writes as markdown (lists and code spans), under a title.
func HelpMarkdown(help string) string {
	help = strings.TrimSpace(clean(help))
	if len(help) > maxHelp || hasBlocks(help) {
		// The grammar's text is a few hundred bytes of lists and code spans.
		// Should it ever grow past this, or hold a fence or an HTML block
		// that a cut or a missing close could break, it is shown as it is,
		// fenced.
		help = fence(cutEnd(help, maxHelp), "")
	}
	return "### gitops commands\n\n" + help + "\n"
}

// hasBlocks reports whether markdown has a code fence or a <details> block.
func hasBlocks(md string) bool {
	lower := strings.ToLower(md)
	if strings.Contains(lower, "<details") || strings.Contains(lower, "</details") {
		return true
	}
	for line := range strings.Lines(md) {
		if fenceRun(line) >= 3 || strings.HasPrefix(strings.TrimLeft(line, " "), "~~~") {
			return true
		}
	}
	return false
}

// reply cleans, redacts and caps a free text of a reply.
func reply(s string) string {
	return capText(strings.TrimRight(redactor(nil).redact(s), ". \n"), maxReplyText)
}
