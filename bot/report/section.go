package report

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/gitops-bot/gitops/bot/cost"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/tf"
)

// Caps on what one environment's section shows in the comment, whatever the
// room: the check run shows more.
const (
	maxInline      = 300  // an address, a spec path, an attribute
	maxValue       = 200  // a spec value
	maxEnvName     = 100  // an environment's name
	maxURL         = 1000 // a link; a longer one is left out
	maxListed      = 5    // attributes, replace reasons and causes of one resource
	maxCommentErr  = 4000 // the error of a failed plan
	maxCommentTail = 4000 // the end of the log of a failed plan
)

// sectionParts is one environment's section rendered once, in pieces, so
// that fitComment and checkRunSummary can put it together in several sizes
// without rendering it again. Every piece is redacted and whole markdown.
type sectionParts struct {
	env     string // cleaned and capped, not yet escaped
	link    string // the check run's URL, or ""
	row     string // the comment's status table row
	heading string // "## env — status"
	notes   string // applied, stale, locked
	status  string // the plan's state against which it was made
	failure string // error and log tail, capped for the comment

	specRows, resRows []string

	costFull, costShort     string
	policyFull, policyShort string

	planText string // the whole redacted plan text
	planFull string // planText collapsed in <details>, for the comment
	planGone string // the pointer that replaces planFull

	brief string // the section reduced to its status and a pointer

	// elsewhere says where what is left out can be found: "in the check run
	// …" in the comment; in the check run itself, that it is left out.
	elsewhere string

	err string // the whole redacted error
	log string // the whole redacted log tail
}

// sectionView says which pieces of a section a rendering includes.
type sectionView struct {
	planText     bool
	costDetail   bool
	policyDetail bool
	rows         int // spec-change and resource rows, at most; -1 for all
	brief        bool
}

var fullView = sectionView{planText: true, costDetail: true, policyDetail: true, rows: -1}

// redactor removes known secret values, then what Redact finds. In that
// order: Redact could replace part of a known value (after "password=")
// and leave the rest where RedactValues no longer finds it whole.
type redactor []string

func (r redactor) redact(s string) string { return Redact(RedactValues(clean(s), r)) }

// newSectionParts renders s for the comment, or for its own check run.
func newSectionParts(s EnvSection, forCheckRun bool) *sectionParts {
	red := redactor(s.Secrets)
	env := capText(oneLine(clean(s.Env)), maxEnvName)
	if env == "" {
		env = "(unnamed)"
	}
	p := &sectionParts{env: env, link: linkURL(s.CheckRunURL)}
	p.elsewhere = "in the check run " + p.checkRunLink()
	if forCheckRun {
		p.elsewhere = "left out here, at GitHub's size limit for a check run"
	}
	p.planText = red.redact(s.PlanText)
	p.err = strings.TrimRight(red.redact(s.Err), "\n")
	p.log = strings.TrimRight(red.redact(s.LogTail), "\n")

	heading := planState(s)
	planCell := heading
	if a := s.Applied; a != nil {
		planCell = fmt.Sprintf("✅ applied (state serial %d → %d)", a.SerialBefore, a.SerialAfter)
	}
	if s.LockedBy != nil && !strings.HasPrefix(planCell, "🔒") {
		planCell += fmt.Sprintf(" · 🔒 locked by #%d", s.LockedBy.PR)
	}
	p.heading = fmt.Sprintf("## %s — %s\n\n", text(env), heading)

	costCell := "—"
	switch {
	case s.Cost != nil:
		costCell = fmt.Sprintf("%s → %s (%s)", money(s.Cost.Before), money(s.Cost.After), signedMoney(s.Cost.Delta))
	case s.CostErr != "":
		costCell = "⚠️ not estimated"
	}
	policyCell := "—"
	var pol *policy.Result
	if s.Policy != nil {
		pol = redactPolicy(*s.Policy, red)
		policyCell = policyVerdict(*pol)
	}
	p.row = fmt.Sprintf("| %s | %s | %s | %s | %s |\n", cellText(env), planCell, costCell, cellText(policyCell), p.checkRunLink())

	p.notes = notes(s, env)
	if s.Plan != nil {
		p.status = fmt.Sprintf("Planned against %s.", stateText(s.Plan.State))
		if sha := safeSHA(s.Plan.HeadSHA); sha != "" {
			p.status = fmt.Sprintf("Planned for %s against %s.", code(shortSHA(sha)), stateText(s.Plan.State))
		}
		if !forCheckRun {
			p.status += " Check run: " + p.checkRunLink() + "."
		}
		p.status += "\n\n"
	} else if p.link != "" && !forCheckRun {
		p.status = "Check run: " + p.checkRunLink() + ".\n\n"
	}
	if p.err != "" || p.log != "" {
		var b strings.Builder
		b.WriteString("### ❌ Plan failed\n\n")
		if p.err != "" {
			b.WriteString(fence(cutEnd(p.err, maxCommentErr), ""))
			b.WriteString("\n")
		}
		if p.log != "" {
			b.WriteString("<details><summary>End of terraform's output</summary>\n\n")
			b.WriteString(fence(cutStart(p.log, maxCommentTail), ""))
			b.WriteString("\n</details>\n\n")
		}
		p.failure = b.String()
	}

	if s.Plan != nil {
		p.specRows = specRows(s.Plan.Summary.SpecChanges, red)
		p.resRows = resourceRows(s.Plan.Summary.Resources, red)
	}

	switch {
	case s.Cost != nil:
		p.costFull = paragraphs(costCollapsed(s.Cost))
		var b strings.Builder
		writeCostHead(&b, s.Cost, maxListed)
		fmt.Fprintf(&b, "By resource: %s.\n\n", p.elsewhere)
		p.costShort = b.String()
	case s.CostErr != "":
		p.costFull = fmt.Sprintf("### Cost — not estimated\n\n%s\n\n", text(capText(red.redact(s.CostErr), 2000)))
		p.costShort = p.costFull
	}
	if pol != nil {
		p.policyFull = paragraphs(PolicyMarkdown(*pol))
		p.policyShort = fmt.Sprintf("### Policy — %s\n\nThe findings: %s.\n\n", text(PolicyHeadline(*pol)), p.elsewhere)
	}
	if s.PolicyPreview != nil {
		pre := redactPolicy(*s.PolicyPreview, red)
		p.policyFull += fmt.Sprintf("<details><summary>Preview of the rules this pull request proposes — %s</summary>\n\n"+
			"They are not this pull request's gate (the default branch's rules are, above); once merged, they gate the pull requests after it.\n\n%s\n</details>\n\n",
			text(PolicyHeadline(*pre)), paragraphs(PolicyMarkdown(*pre)))
		p.policyShort += fmt.Sprintf("Preview of the proposed rules — %s: %s.\n\n", text(PolicyHeadline(*pre)), p.elsewhere)
	}

	switch {
	case p.planText != "" && forCheckRun:
		// The check run's text carries the plan.
		p.planFull = "Terraform's plan is below.\n\n"
		p.planGone = p.planFull
	case p.planText != "":
		p.planFull = fmt.Sprintf("<details><summary>Full plan of %s</summary>\n\n%s\n</details>\n\n", text(env), fence(strings.Trim(p.planText, "\n"), ""))
		p.planGone = fmt.Sprintf("The full plan of %s is too long for this comment: it is %s.\n\n", text(env), p.elsewhere)
	}
	p.brief = fmt.Sprintf("%s%sThe details are %s.\n\n", p.heading, p.notes, p.elsewhere)
	if !forCheckRun {
		p.brief = fmt.Sprintf("%s%sThe details are in the check run %s: this comment is at GitHub's size limit.\n\n", p.heading, p.notes, p.checkRunLink())
	}
	return p
}

// planState says where an environment's plan stands, e.g. "❌ plan failed"
// or "0 to add, 3 to change, 0 to destroy".
func planState(s EnvSection) string {
	failed := s.Plan == nil || s.Err != ""
	switch {
	case s.Applied != nil:
		return "✅ applied"
	case failed && s.Err == "" && s.LockedBy != nil:
		return fmt.Sprintf("🔒 locked by #%d", s.LockedBy.PR)
	case failed:
		return "❌ plan failed"
	case s.Stale:
		return "⚠️ stale: " + counts(s.Plan.Summary)
	case s.Plan.Summary.NoChanges():
		return "no changes"
	}
	return counts(s.Plan.Summary)
}

// render puts the section together as view says.
func (p *sectionParts) render(v sectionView) string {
	var b strings.Builder
	if v.brief {
		b.WriteString(p.brief)
		return b.String()
	}
	b.WriteString(p.heading)
	b.WriteString(p.notes)
	b.WriteString(p.status)
	b.WriteString(p.failure)
	p.writeRows(&b, v.rows)
	if v.costDetail {
		b.WriteString(p.costFull)
	} else {
		b.WriteString(p.costShort)
	}
	if v.policyDetail {
		b.WriteString(p.policyFull)
	} else {
		b.WriteString(p.policyShort)
	}
	if v.planText {
		b.WriteString(p.planFull)
	} else {
		b.WriteString(p.planGone)
	}
	return b.String()
}

// writeRows writes the spec changes and the resource changes, at most limit
// rows of each (all when limit < 0).
func (p *sectionParts) writeRows(b *strings.Builder, limit int) {
	table := func(title, header string, rows []string, what string) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(b, "### %s\n\n", title)
		n := len(rows)
		if limit >= 0 {
			n = min(n, limit)
		}
		if n == 0 {
			fmt.Fprintf(b, "%s: %s.\n\n", plural(len(rows), what, what+"s"), p.elsewhere)
			return
		}
		b.WriteString(header)
		for _, r := range rows[:n] {
			b.WriteString(r)
		}
		b.WriteString("\n")
		if n < len(rows) {
			fmt.Fprintf(b, "… and %s: %s.\n\n", plural(len(rows)-n, "more "+what, "more "+what+"s"), p.elsewhere)
		}
	}
	table("Spec changes", "| Spec path | Before | After |\n|---|---|---|\n", p.specRows, "spec change")
	table("What changes", "| | Resource | Change | Caused by |\n|---|---|---|---|\n", p.resRows, "resource")
}

// checkRunLink names the section's check run, linked when its URL is known.
func (p *sectionParts) checkRunLink() string {
	name := cellCode(CheckRunName(p.env))
	if p.link == "" {
		return name
	}
	return "[" + name + "](" + p.link + ")"
}

func notes(s EnvSection, env string) string {
	var b strings.Builder
	if a := s.Applied; a != nil {
		fmt.Fprintf(&b, "> ✅ **Applied**")
		if by := strings.TrimPrefix(capText(clean(a.By), maxEnvName), "@"); by != "" {
			fmt.Fprintf(&b, " by @%s", text(by))
		}
		if !a.At.IsZero() {
			fmt.Fprintf(&b, " at %s", when(a.At))
		}
		fmt.Fprintf(&b, " — state serial %d → %d.\n\n", a.SerialBefore, a.SerialAfter)
	}
	if s.Stale {
		fmt.Fprintf(&b, "> ⚠️ **Stale** — this plan was made before the latest push or before the state of %s changed, so it can no longer be applied. Comment %s to plan again.\n\n", text(env), code("/plan "+env))
	}
	if l := s.LockedBy; l != nil && l.Running() {
		fmt.Fprintf(&b, "> 🔒 **Locked** — %s holds the lock of %s while it runs. This pull request can plan %s but not apply it until then; comment %s once it is done.\n\n", Holder{Holder: l.Holder, PR: l.PR, URL: l.URL}, text(env), text(env), code("/plan "+env))
	} else if l != nil {
		holder := fmt.Sprintf("#%d", l.PR)
		if u := linkURL(l.URL); u != "" {
			holder = "[" + holder + "](" + u + ")"
		}
		fmt.Fprintf(&b, "> 🔒 **Locked** — %s holds the lock of %s. This pull request can plan %s but not apply it until %s is merged or closed, or releases the lock with %s.\n\n", holder, text(env), text(env), holder, code("/unlock "+env))
	}
	return b.String()
}

func specRows(changes []tf.SpecChange, red redactor) []string {
	rows := make([]string, 0, len(changes))
	for _, c := range changes {
		before, after := red.redact(c.Before), red.redact(c.After)
		if namesSecret(c.Path) {
			before, after = Redacted, Redacted
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s |\n",
			cellCode(capText(clean(c.Path), maxInline)), cellCode(capText(before, maxValue)), cellCode(capText(after, maxValue))))
	}
	return rows
}

var actionLabel = map[tf.Action]string{
	tf.ActionCreate:  "+ create",
	tf.ActionUpdate:  "~ update",
	tf.ActionDelete:  "- destroy",
	tf.ActionReplace: "-/+ replace",
}

func resourceRows(resources []tf.ResourceChange, red redactor) []string {
	rows := make([]string, 0, len(resources))
	for _, r := range resources {
		change := listed(r.Attributes, func(a string) string { return cellCode(capText(red.redact(a), maxInline)) })
		if len(r.ReplaceReasons) > 0 {
			reasons := listed(r.ReplaceReasons, func(rr string) string { return cellCode(capText(clean(rr), maxInline)) })
			change = append(change, "replaced: "+strings.Join(reasons, ", ")+" cannot change in place")
		}
		paths := make([]string, len(r.CausedBy))
		for i, c := range r.CausedBy {
			paths[i] = c.Path
		}
		causes := listed(paths, func(p string) string { return cellCode(capText(clean(p), maxInline)) })
		label := actionLabel[r.Action]
		if label == "" {
			label = cellText(capText(clean(string(r.Action)), maxEnvName))
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |\n",
			label, cellCode(capText(clean(r.Address), maxInline)), strings.Join(change, "<br>"), strings.Join(causes, "<br>")))
	}
	return rows
}

// costCollapsed is CostMarkdown with the resources collapsed, for the
// sticky comment, where the headline and the budget are what a reviewer
// reads first.
func costCollapsed(e *cost.Estimate) string {
	var b strings.Builder
	writeCostHead(&b, e, -1)
	b.WriteString("<details><summary>By resource</summary>\n\n")
	writeCostResources(&b, e)
	b.WriteString("\n</details>\n")
	return b.String()
}

// paragraphs ends a block of markdown with one blank line.
func paragraphs(md string) string { return strings.TrimRight(md, "\n") + "\n\n" }

// listed renders the first maxListed items and says how many more there are.
func listed(items []string, render func(string) string) []string {
	var out []string
	for _, it := range items[:min(len(items), maxListed)] {
		out = append(out, render(it))
	}
	if len(items) > maxListed {
		out = append(out, fmt.Sprintf("and %d more", len(items)-maxListed))
	}
	return out
}

func counts(s tf.Summary) string {
	h := fmt.Sprintf("%d to add, %d to change, %d to destroy", s.Add, s.Change, s.Destroy)
	if s.Replace > 0 {
		h += fmt.Sprintf(" (%d replaced)", s.Replace)
	}
	return h
}

func stateText(s tf.StateVersion) string {
	if s.Lineage == "" {
		return "an empty state"
	}
	return fmt.Sprintf("state serial %d", s.Serial)
}

// secretName matches a spec path or key whose last part names a secret.
var secretName = regexp.MustCompile(`(?i)(password|passwd|secret|token|secret[_-]?access[_-]?key|secret[_-]?key|api[_-]?key|private[_-]?key)([_-]?(string|value|wo))?$`)

func namesSecret(path string) bool { return secretName.MatchString(path) }

// redactPolicy copies res with its free text redacted.
func redactPolicy(res policy.Result, red redactor) *policy.Result {
	out := res
	out.Error = red.redact(res.Error)
	out.Verdicts = make([]policy.Verdict, len(res.Verdicts))
	for i, v := range res.Verdicts {
		v.Message = red.redact(v.Message)
		out.Verdicts[i] = v
	}
	out.Overrides = make([]policy.OverrideOutcome, len(res.Overrides))
	for i, o := range res.Overrides {
		o.Reason = red.redact(o.Reason)
		out.Overrides[i] = o
	}
	return &out
}

// linkURL returns u when it is an http(s) URL that can sit in a markdown
// link as it is, "" otherwise.
func linkURL(u string) string {
	if u == "" || len(u) > maxURL || strings.ContainsAny(u, " \t\r\n<>\"'`()[]\\|") {
		return ""
	}
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" || parsed.User != nil {
		return ""
	}
	return u
}

// cutEnd keeps the start of s, at most n bytes, cut at a line end when one
// is near, and says what was left out.
func cutEnd(s string, n int) string {
	if len(s) <= n {
		return s
	}
	head := prefixBytes(s, n)
	if i := strings.LastIndexByte(head, '\n'); i > n/2 {
		head = head[:i]
	}
	return head + fmt.Sprintf("\n… %d more bytes in the check run", len(s)-len(head))
}

// cutStart keeps the end of s, at most n bytes, cut at a line start when one
// is near.
func cutStart(s string, n int) string {
	if len(s) <= n {
		return s
	}
	tail := suffixBytes(s, n)
	if i := strings.IndexByte(tail, '\n'); i >= 0 && i < n/2 {
		tail = tail[i+1:]
	}
	return fmt.Sprintf("… %d earlier bytes in the check run\n", len(s)-len(tail)) + tail
}
