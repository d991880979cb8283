// Package report renders what the engines produce (plans, cost estimates,
// policy verdicts) as text for the terminal and markdown for PR comments and
// check runs. It is the only place that formats them for people.
package report
