package report

import (
	"fmt"
	"strings"
)

// CheckRunOutput renders the output of an environment's check run,
// gitops/plan (<env>): a title for the checks list, a summary (the
// environment's section of the sticky comment, with cost and policy in
// full) and a text carrying terraform's whole plan, or the error and the
// end of the log of a failed plan.
//
// All three are redacted like the comment and within GitHub's limits
// (MaxCheckRunTitle, MaxCheckRunSummary, MaxCheckRunText, in bytes). The
// summary gives way as the comment's sections do. The text keeps the start
// and the end of what does not fit and says, in the middle, how much it
// left out.
func CheckRunOutput(s EnvSection) (title, summary, text string) {
	p := newSectionParts(s, true)
	return checkRunTitle(s, p.env), checkRunSummary(p), checkRunText(p)
}

// checkRunTitle is e.g. "dev: 0 to add, 3 to change, 0 to destroy · $216.38
// per month (-$72.48) · policy ✅ passed".
func checkRunTitle(s EnvSection, env string) string {
	parts := []string{env + ": " + planState(s)}
	if s.Cost != nil {
		parts = append(parts, fmt.Sprintf("%s per month (%s)", money(s.Cost.After), signedMoney(s.Cost.Delta)))
	}
	if s.Policy != nil {
		parts = append(parts, "policy "+policyVerdict(*s.Policy))
	}
	return capText(oneLine(strings.Join(parts, " · ")), MaxCheckRunTitle)
}

func checkRunSummary(p *sectionParts) string {
	f := newFitter([]*sectionParts{p}, MaxCheckRunSummary, "", "")
	if f.fit() {
		return f.String()
	}
	// Unreachable: a brief section is a few hundred bytes.
	return fmt.Sprintf("%s\n\nThe summary is too large for a check run.\n", text(p.env))
}

// A check run's text is made of blocks, each a title and a fence.
type textBlock struct{ title, content, what string }

// checkRunText renders the error, the log and the plan, sharing
// MaxCheckRunText between them: what is short is kept whole, what is long
// is cut in the middle.
func checkRunText(p *sectionParts) string {
	var blocks []textBlock
	if p.err != "" {
		blocks = append(blocks, textBlock{"### Error\n\n", p.err, "the error"})
	}
	if p.log != "" {
		blocks = append(blocks, textBlock{"### End of terraform's output\n\n", p.log, "the log"})
	}
	if p.planText != "" {
		blocks = append(blocks, textBlock{fmt.Sprintf("### Full plan of %s\n\n", text(p.env)), strings.Trim(p.planText, "\n"), "the plan"})
	}
	if len(blocks) == 0 {
		return ""
	}
	sizes := make([]int, len(blocks))
	room := MaxCheckRunText
	for i, b := range blocks {
		sizes[i] = len(b.content)
		room -= len(b.title) + 2*maxFence + 4 // the title, the fences, their line ends, a blank line
	}
	// Fences indent the lines that start with maxFence backticks or more,
	// so a rendering may come out longer than its shares: shrink them by
	// what it is over until it fits.
	for {
		shares := share(room, sizes)
		var out strings.Builder
		for i, b := range blocks {
			if i > 0 {
				out.WriteString("\n")
			}
			out.WriteString(b.title)
			out.WriteString(fence(cutMiddle(b.content, shares[i], b.what), ""))
		}
		if out.Len() <= MaxCheckRunText || room <= 0 {
			return out.String()
		}
		room -= out.Len() - MaxCheckRunText
	}
}

// share divides room between parts of the given sizes: a part smaller than
// an equal share is given all it needs, and what it leaves goes to the
// others.
func share(room int, sizes []int) []int {
	out := make([]int, len(sizes))
	order := make([]int, len(sizes))
	for i := range order {
		order[i] = i
	}
	// Smallest first, so that each takes what it needs or an equal share.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && sizes[order[j]] < sizes[order[j-1]]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	room = max(room, 0)
	for k, i := range order {
		out[i] = min(sizes[i], room/(len(order)-k))
		room -= out[i]
	}
	return out
}

// cutMiddle returns s within n bytes: whole when it fits, otherwise its
// first and last lines with a line in the middle saying how much of what is
// left out.
func cutMiddle(s string, n int, what string) string {
	if len(s) <= n {
		return s
	}
	marker := func(lines, bytes int) string {
		return fmt.Sprintf("\n… %s (%s) of %s left out here: a check run shows at most %d characters …\n",
			plural(lines, "line", "lines"), plural(bytes, "byte", "bytes"), what, MaxCheckRunText)
	}
	room := n - len(marker(strings.Count(s, "\n")+1, len(s)))
	if room <= 0 {
		return prefixBytes(s, n)
	}
	head := prefixBytes(s, room/2)
	if i := strings.LastIndexByte(head, '\n'); i > len(head)/2 {
		head = head[:i]
	}
	tail := suffixBytes(s, room-len(head))
	if i := strings.IndexByte(tail, '\n'); i >= 0 && i < len(tail)/2 {
		tail = tail[i+1:]
	}
	left := s[len(head) : len(s)-len(tail)]
	return head + marker(strings.Count(left, "\n")+1, len(left)) + tail
}
