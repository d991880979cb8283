// Package report renders what the engines produce (plans, cost estimates,
// policy verdicts, applies) as text for the terminal and markdown for the
// sticky PR comment, check runs and the App's replies. It is the only place
// that formats them for people.
//
// Renderers are pure: they take values and return strings, and do no I/O.
// What they render for GitHub is redacted (Redact, RedactValues) and within
// GitHub's size limits (MaxCommentLength and the check-run limits), and its
// markdown is whole: text from outside cannot open or close a code fence,
// a <details> block or a table cell.
package report
