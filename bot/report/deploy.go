package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/release"
)

// The comments of deploys and seeds: one per deploy (per pull request and
// environment) and one per /seed, each found again by its hidden first line
// and edited in place as the engine reports each step.

// DeployCommentMarker is the first line of the comment of a pull request's
// deploy to env.
func DeployCommentMarker(env string) string {
	return "<!-- gitops:deploy " + safeName(env) + " -->"
}

// SeedCommentMarker is the first line of the comment answering the /seed
// comment commentID.
func SeedCommentMarker(commentID int64) string {
	return fmt.Sprintf("<!-- gitops:seed %d -->", commentID)
}

// safeName keeps the characters of an environment name, so that it cannot
// end the hidden comment it is written in.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == maxEnvName {
			break
		}
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// RunState is where a deploy or a seed is.
type RunState string

const (
	RunFrozen    RunState = "frozen"    // waiting for a freeze window to end
	RunLocked    RunState = "locked"    // waiting for the environment's lock
	RunRunning   RunState = "running"   // the engine is at work
	RunSucceeded RunState = "succeeded" // every step passed
	RunFailed    RunState = "failed"    // a step failed (Result says which)
	RunNotRun    RunState = "not-run"   // it could not start (Err says why)
)

// Holder is who holds an environment's lock, as the store records it.
type Holder struct {
	// Holder is the store's holder: "pr:<n>" (a pull request's plans),
	// "deploy:<sha>" (a deploy), "seed:<comment id>" (a /seed).
	Holder string
	PR     int
	URL    string
}

func (h Holder) String() string {
	pr := fmt.Sprintf("#%d", h.PR)
	if u := linkURL(h.URL); u != "" && h.PR > 0 {
		pr = "[" + pr + "](" + u + ")"
	}
	kind, _, _ := strings.Cut(h.Holder, ":")
	switch {
	case kind == "deploy" && h.PR > 0:
		return "the deploy of " + pr
	case kind == "deploy":
		return "a deploy"
	case kind == "seed" && h.PR > 0:
		return "a `/seed` on " + pr
	case kind == "seed":
		return "a `/seed`"
	case h.PR > 0:
		return pr + " (its plans)"
	}
	return code(capText(clean(h.Holder), maxInline))
}

// Deploy is what a deploy's comment shows.
type Deploy struct {
	Env string
	// Plan is what the release changes; nil when the release files could
	// not be read.
	Plan     *release.Plan
	MergeSHA string
	State    RunState
	// FrozenUntil is when the freeze window that holds the merge ends
	// (RunFrozen), Freeze that window's rule.
	FrozenUntil time.Time
	Freeze      release.Freeze
	// LockedBy holds the environment's lock (RunLocked).
	LockedBy *Holder
	// OverrideBy is the maintainer who deployed during a freeze window
	// with /deploy --now.
	OverrideBy string
	// DeploymentID is the GitHub deployment; EnvURL where the environment
	// answers (its load balancer).
	DeploymentID int64
	EnvURL       string
	// Events are the engine's progress so far, in order; Result its
	// outcome once it is known.
	Events []deploy.Event
	Result *deploy.DeployResult
	// Err says why the deploy did not start (RunNotRun), or what went
	// wrong around it.
	Err       string
	Version   string
	UpdatedAt time.Time
}

// deploySteps are a deploy's steps in the order it takes them.
var deploySteps = []deploy.Step{deploy.StepImages, deploy.StepRecord, deploy.StepRegister, deploy.StepMigrate, deploy.StepRoll, deploy.StepHealth, deploy.StepSmoke, deploy.StepBake}

// DeployMarkdown renders a deploy's comment: what goes out (versions and
// images), where the deploy is (waiting for a freeze window or the lock,
// running, done), every step with its status, start and duration, the
// services' rolls, and on a failure the step that failed with its reason
// and evidence (a task's log tail, the failing smoke check, ECS's service
// events) and what was rolled back.
func DeployMarkdown(d Deploy) string {
	env := text(capText(clean(d.Env), maxEnvName))
	var b strings.Builder
	b.WriteString(DeployCommentMarker(d.Env) + "\n")
	to, what := "", "the release"
	if d.Plan != nil {
		to = string(d.Plan.To)
		what = code(to)
	}
	verb := "Deploy"
	if d.Plan != nil && d.Plan.Direction == release.Rollback {
		verb = "Rollback"
	}
	fmt.Fprintf(&b, "### %s of %s to %s\n\n", verb, what, env)
	switch d.State {
	case RunFrozen:
		fmt.Fprintf(&b, "⏸️ **Waiting for the freeze window to end: %s.** The merge landed inside a freeze of %s (from %s for %s, %s); the deploy starts by itself then. A maintainer can deploy now with %s.\n\n",
			when(d.FrozenUntil), env, code(d.Freeze.Start), span(d.Freeze.Duration), text(d.Freeze.TimeZone), code("/deploy --now"))
	case RunLocked:
		holder := "another job"
		if d.LockedBy != nil {
			holder = d.LockedBy.String()
		}
		fmt.Fprintf(&b, "🔒 **Waiting for the lock of %s**, held by %s. The deploy starts by itself once it is released.\n\n", env, holder)
	case RunRunning:
		fmt.Fprintf(&b, "⏳ **Deploying** %s to %s.\n\n", what, env)
	case RunSucceeded:
		took := ""
		if r := d.Result; r != nil && !r.Finished.IsZero() {
			took = " in " + duration(r.Finished.Sub(r.Started))
		}
		fmt.Fprintf(&b, "✅ **Deployed** %s to %s%s.", what, env, took)
		if u := linkURL(d.EnvURL); u != "" {
			fmt.Fprintf(&b, " It answers at %s.", u)
		}
		b.WriteString("\n\n")
	case RunFailed:
		fmt.Fprintf(&b, "❌ **The deploy of %s to %s failed**", what, env)
		if r := d.Result; r != nil && r.Failure != nil {
			fmt.Fprintf(&b, " at step %s", code(string(r.Failure.Step)))
		}
		b.WriteString(".\n\n")
	case RunNotRun:
		fmt.Fprintf(&b, "❌ **%s was not deployed to %s.**\n\n", capitalize(what), env)
	}
	if e := strings.TrimSpace(d.Err); e != "" {
		b.WriteString(fence(cutEnd(redactor(nil).redact(e), maxReplyErr), ""))
		b.WriteString("\n")
	}
	if d.OverrideBy != "" {
		fmt.Fprintf(&b, "⏩ @%s deployed during a freeze window with %s (recorded).\n\n", text(capText(clean(d.OverrideBy), 100)), code("/deploy --now"))
	}
	if p := d.Plan; p != nil {
		writeDeployPlan(&b, p)
	}
	if d.State != RunFrozen && d.State != RunLocked && d.State != RunNotRun || len(d.Events) > 0 {
		writeSteps(&b, StepRows(d.Events), deploySteps, d.State == RunRunning)
		writeServices(&b, StepRows(d.Events))
	}
	if r := d.Result; r != nil {
		if r.Failure != nil {
			writeFailure(&b, r.Failure)
			writeRollback(&b, r.Rollback)
		}
		if r.SchemaStays {
			fmt.Fprintf(&b, "⚠️ No downgrade ran: the database keeps the schema of %s.\n\n", code(string(r.From)))
		}
	}
	b.WriteString("<sub>")
	var foot []string
	if sha := safeSHA(d.MergeSHA); sha != "" {
		foot = append(foot, "merge commit "+code(shortSHA(sha)))
	}
	if d.DeploymentID > 0 {
		foot = append(foot, fmt.Sprintf("GitHub deployment %d", d.DeploymentID))
	}
	if v := capText(clean(d.Version), 100); v != "" {
		foot = append(foot, "gitops "+text(v))
	}
	if !d.UpdatedAt.IsZero() {
		foot = append(foot, "updated "+when(d.UpdatedAt))
	}
	b.WriteString(strings.Join(foot, " · "))
	b.WriteString("</sub>\n")
	return b.String()
}

// writeDeployPlan writes the versions and the services that change.
func writeDeployPlan(b *strings.Builder, p *release.Plan) {
	from := "nothing"
	if p.From != "" {
		from = code(string(p.From))
	}
	fmt.Fprintf(b, "%s → %s", from, code(string(p.To)))
	if p.Direction == release.Rollback {
		b.WriteString(" (a rollback)")
	}
	if len(p.Changed) == 0 {
		b.WriteString(": no service changes its image.\n\n")
		return
	}
	names := make([]string, len(p.Changed))
	for i, c := range p.Changed {
		names[i] = c.Service
	}
	fmt.Fprintf(b, ": %s %s.\n\n", plural(len(names), "service changes:", "services change:"), text(strings.Join(capList(names), ", ")))
}

// StepRow is one step of a deploy, or one seed step, as its events tell it.
type StepRow struct {
	Step deploy.Step
	// Seed is the seed step's name (StepSeed).
	Seed string
	// Status is the last status the step reported ("" before its first).
	Status         deploy.Status
	Message        string
	Task           string
	Started, Ended time.Time
	// Services are the services' parts of a roll or a rollback, in the
	// order they started.
	Services []ServiceRow
}

// ServiceRow is one service's part of a roll or a rollback.
type ServiceRow struct {
	Service        string
	Status         deploy.Status
	Message        string
	TaskDefinition string
}

// StepRows folds a deploy's or a seed's events into one row per step (per
// seed step for StepSeed), in the order the steps started: each with its
// last status and message, when it started and when it ended, and for a
// roll or a rollback each service's last status. Progress events change
// the message, never the status.
func StepRows(events []deploy.Event) []StepRow {
	var rows []StepRow
	find := func(ev deploy.Event) *StepRow {
		for i := range rows {
			if rows[i].Step == ev.Step && rows[i].Seed == ev.Seed {
				return &rows[i]
			}
		}
		rows = append(rows, StepRow{Step: ev.Step, Seed: ev.Seed, Started: ev.Time})
		return &rows[len(rows)-1]
	}
	for _, ev := range events {
		row := find(ev)
		if ev.Service != "" && ev.Seed == "" {
			if ev.Step != deploy.StepRoll && ev.Step != deploy.StepRollback {
				continue // record and register: the step's own line says enough
			}
			i := slices.IndexFunc(row.Services, func(s ServiceRow) bool { return s.Service == ev.Service })
			if i < 0 {
				row.Services = append(row.Services, ServiceRow{Service: ev.Service})
				i = len(row.Services) - 1
			}
			s := &row.Services[i]
			if ev.Status != deploy.StatusProgress {
				s.Status = ev.Status
			}
			s.Message = ev.Message
			if ev.TaskDefinition != "" {
				s.TaskDefinition = ev.TaskDefinition
			}
			continue
		}
		if ev.Status != deploy.StatusProgress {
			row.Status = ev.Status
		}
		if ev.Message != "" {
			row.Message = ev.Message
		}
		if ev.Task != "" {
			row.Task = ev.Task
		}
		switch ev.Status {
		case deploy.StatusSucceeded, deploy.StatusFailed, deploy.StatusSkipped:
			row.Ended = ev.Time
		}
	}
	return rows
}

// writeSteps writes the steps table: every step of order (and any other
// step that reported, such as a rollback), those not reached as waiting
// while the run goes on and as not run once it ended.
func writeSteps(b *strings.Builder, rows []StepRow, order []deploy.Step, running bool) {
	b.WriteString("| Step | Status | Started (UTC) | Took | Detail |\n|---|---|---|---|---|\n")
	seen := map[deploy.Step]bool{}
	for _, r := range rows {
		seen[r.Step] = true
	}
	all := slices.Clone(rows)
	for _, s := range order {
		if !seen[s] {
			all = append(all, StepRow{Step: s})
		}
	}
	// The steps in the engine's order; a rollback last.
	rank := func(s deploy.Step) int {
		if i := slices.Index(order, s); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(all, func(x, y StepRow) int { return rank(x.Step) - rank(y.Step) })
	for _, r := range all {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", code(string(r.Step)), statusCell(r.Status, running), clock(r.Started), took(r), cellText(capText(redactor(nil).redact(r.Message), maxInline)))
	}
	b.WriteString("\n")
}

// writeServices writes each service's roll and rollback.
func writeServices(b *strings.Builder, rows []StepRow) {
	var roll, back *StepRow
	for i := range rows {
		switch rows[i].Step {
		case deploy.StepRoll:
			roll = &rows[i]
		case deploy.StepRollback:
			back = &rows[i]
		}
	}
	if roll == nil || len(roll.Services) == 0 {
		return
	}
	names := make([]string, 0, len(roll.Services))
	for _, s := range roll.Services {
		names = append(names, s.Service)
	}
	slices.Sort(names)
	b.WriteString("| Service | Roll | Task definition | Detail |")
	if back != nil {
		b.WriteString(" Rollback |")
	}
	b.WriteString("\n|---|---|---|---|")
	if back != nil {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for i, name := range names {
		if i == maxReplyItems {
			fmt.Fprintf(b, "\n… and %d more services.\n", len(names)-i)
			break
		}
		s := roll.Services[slices.IndexFunc(roll.Services, func(s ServiceRow) bool { return s.Service == name })]
		fmt.Fprintf(b, "| %s | %s | %s | %s |", cellText(name), statusCell(s.Status, true), cellCode(shortTD(s.TaskDefinition)), cellText(capText(redactor(nil).redact(s.Message), maxInline)))
		if back != nil {
			cell := "—"
			if j := slices.IndexFunc(back.Services, func(s ServiceRow) bool { return s.Service == name }); j >= 0 {
				bs := back.Services[j]
				cell = statusCell(bs.Status, true) + " " + cellCode(shortTD(bs.TaskDefinition))
			}
			fmt.Fprintf(b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// writeFailure writes why a deploy or seed failed and what shows it.
func writeFailure(b *strings.Builder, f *deploy.Failure) {
	red := redactor(nil)
	where := string(f.Step)
	if f.Seed != "" {
		where += " " + f.Seed
	}
	if f.Service != "" {
		where += " (" + f.Service + ")"
	}
	fmt.Fprintf(b, "**Failed at %s:** %s\n\n", code(capText(clean(where), maxInline)), text(capText(red.redact(f.Reason), maxReplyText)))
	if f.Check != nil {
		fmt.Fprintf(b, "The failing smoke check: %s.\n\n", code(capText(f.Check.String(), maxInline)))
	}
	if len(f.Events) > 0 {
		b.WriteString("ECS's newest events of the service:\n\n")
		for i, ev := range f.Events {
			if i == 10 {
				break
			}
			fmt.Fprintf(b, "- %s\n", text(capText(red.redact(ev), maxInline)))
		}
		b.WriteString("\n")
	}
	if len(f.LogTail) > 0 {
		log := strings.TrimRight(red.redact(strings.Join(f.LogTail, "\n")), "\n")
		fmt.Fprintf(b, "<details open><summary>The last %s of the task's log</summary>\n\n", plural(len(f.LogTail), "line", "lines"))
		b.WriteString(fence(tailBytes(log, maxReplyLog), ""))
		b.WriteString("\n</details>\n\n")
	}
}

// writeRollback says what a failed deploy set back; the services table
// shows each service's rollback.
func writeRollback(b *strings.Builder, rb *deploy.RollbackResult) {
	switch {
	case rb == nil:
		b.WriteString("**Nothing was rolled back:** no service had been changed when the deploy stopped; every service runs what it ran before.\n\n")
	case rb.Verified:
		fmt.Fprintf(b, "**Rolled back:** %s back on the task definition they ran before, verified.\n\n", plural(len(rb.Services), "service is", "services are"))
	default:
		var unverified []string
		for _, s := range rb.Services {
			if s.Status != deploy.StatusSucceeded {
				unverified = append(unverified, s.Service)
			}
		}
		fmt.Fprintf(b, "⚠️ **Rolled back, but not verified on the task definition they ran before:** %s. Look at them in the ECS console.\n\n", text(strings.Join(capList(unverified), ", ")))
	}
}

// statusCell renders a step's status; a step not reached is waiting while
// the run goes on, not run once it ended.
func statusCell(s deploy.Status, running bool) string {
	switch s {
	case deploy.StatusStarted:
		return "⏳ running"
	case deploy.StatusSucceeded:
		return "✅ passed"
	case deploy.StatusFailed:
		return "❌ failed"
	case deploy.StatusSkipped:
		return "⏭️ skipped"
	case "":
		if running {
			return "· waiting"
		}
		return "· not run"
	}
	return text(string(s))
}

// span is a window's length without its zero minutes and seconds: 63h, 1h30m.
func span(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// clock is a step's start, in UTC to the second; "" for none.
func clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("15:04:05")
}

// took is how long a finished step took; "" while it runs.
func took(r StepRow) string {
	if r.Started.IsZero() || r.Ended.IsZero() {
		return ""
	}
	return duration(r.Ended.Sub(r.Started))
}

// duration is d for people: under a second as "<1s", else to the second.
func duration(d time.Duration) string {
	if d < time.Second {
		return "<1s"
	}
	return d.Round(time.Second).String()
}

// shortTD is a task definition's family:revision, without the ARN's prefix.
func shortTD(arn string) string {
	if _, after, ok := strings.Cut(arn, ":task-definition/"); ok {
		return after
	}
	return arn
}

// tailBytes keeps the end of s, at most n bytes, from a line start when
// one is near.
func tailBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	tail := suffixBytes(s, n)
	if i := strings.IndexByte(tail, '\n'); i >= 0 && i < n/2 {
		tail = tail[i+1:]
	}
	return fmt.Sprintf("… %d earlier bytes left out\n", len(s)-len(tail)) + tail
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Seed is what a /seed's comment shows.
type Seed struct {
	// CommentID is the /seed comment answered (SeedCommentMarker).
	CommentID int64
	Env       string
	// Release is the release whose seed steps run.
	Release release.Version
	// Requester asked with Command (e.g. "/seed staging roles").
	Requester, Command string
	// Steps are the seed steps to run, in the order they run.
	Steps    []string
	State    RunState
	LockedBy *Holder
	Events   []deploy.Event
	Result   *deploy.SeedResult
	// Err says why the seed did not run (RunNotRun).
	Err       string
	Version   string
	UpdatedAt time.Time
}

// SeedMarkdown renders a /seed's comment: who asked, each seed step with
// its status, start and duration (those after a failure not run), and on a
// failure the step's reason and the end of its task's log.
func SeedMarkdown(s Seed) string {
	env := text(capText(clean(s.Env), maxEnvName))
	var b strings.Builder
	b.WriteString(SeedCommentMarker(s.CommentID) + "\n")
	fmt.Fprintf(&b, "### Seed of %s", env)
	if s.Release != "" {
		fmt.Fprintf(&b, " (release %s)", code(string(s.Release)))
	}
	b.WriteString("\n\n")
	if s.Requester != "" {
		fmt.Fprintf(&b, "@%s asked with %s.\n\n", text(capText(clean(s.Requester), 100)), code(capText(clean(s.Command), maxInline)))
	}
	switch s.State {
	case RunLocked:
		holder := "another job"
		if s.LockedBy != nil {
			holder = s.LockedBy.String()
		}
		fmt.Fprintf(&b, "🔒 **Waiting for the lock of %s**, held by %s. The seed starts by itself once it is released.\n\n", env, holder)
	case RunRunning:
		fmt.Fprintf(&b, "⏳ **Seeding** %s: %s, one after the other.\n\n", env, text(strings.Join(capList(s.Steps), ", ")))
	case RunSucceeded:
		fmt.Fprintf(&b, "✅ **Seeded** %s: %s ran and exited 0.\n\n", env, plural(len(s.Steps), "step", "steps"))
	case RunFailed:
		b.WriteString("❌ **The seed failed**")
		if r := s.Result; r != nil && r.Failure != nil && r.Failure.Seed != "" {
			fmt.Fprintf(&b, " at step %s; the steps after it did not run", code(r.Failure.Seed))
		}
		b.WriteString(".\n\n")
	case RunNotRun:
		fmt.Fprintf(&b, "❌ **Nothing was seeded in %s.**\n\n", env)
	}
	if e := strings.TrimSpace(s.Err); e != "" {
		b.WriteString(fence(cutEnd(redactor(nil).redact(e), maxReplyErr), ""))
		b.WriteString("\n")
	}
	if len(s.Steps) > 0 && s.State != RunNotRun {
		rows := StepRows(s.Events)
		b.WriteString("| Step | Status | Started (UTC) | Took | Detail |\n|---|---|---|---|---|\n")
		for i, name := range s.Steps {
			if i == maxReplyItems {
				fmt.Fprintf(&b, "\n… and %d more steps.\n", len(s.Steps)-i)
				break
			}
			r := StepRow{Step: deploy.StepSeed, Seed: name}
			if j := slices.IndexFunc(rows, func(r StepRow) bool { return r.Step == deploy.StepSeed && r.Seed == name }); j >= 0 {
				r = rows[j]
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cellCode(name), statusCell(r.Status, s.State == RunRunning || s.State == RunLocked), clock(r.Started), took(r), cellText(capText(redactor(nil).redact(r.Message), maxInline)))
		}
		b.WriteString("\n")
	}
	if r := s.Result; r != nil && r.Failure != nil {
		writeFailure(&b, r.Failure)
	}
	b.WriteString("<sub>")
	var foot []string
	if v := capText(clean(s.Version), 100); v != "" {
		foot = append(foot, "gitops "+text(v))
	}
	if !s.UpdatedAt.IsZero() {
		foot = append(foot, "updated "+when(s.UpdatedAt))
	}
	b.WriteString(strings.Join(foot, " · "))
	b.WriteString("</sub>\n")
	return b.String()
}
