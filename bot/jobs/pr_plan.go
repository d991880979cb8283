package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/checkout"
	"github.com/gitops-bot/gitops/bot/config"
	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/pipeline"
	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/store"
	"github.com/gitops-bot/gitops/bot/tf"
)

// PlanArgs plans a pull request's environments.
type PlanArgs struct {
	Repo           string `json:"repo"`
	PR             int    `json:"pr"`
	InstallationID int64  `json:"installation_id"`
	// HeadSHA is the head the event was about; the job does nothing when
	// the pull request has moved on (the newer push plans). Empty: the
	// current head (/plan).
	HeadSHA string `json:"head_sha,omitempty"`
	// Envs are the environments to plan; none: those the PR changes.
	Envs []string `json:"envs,omitempty"`
	// Requester asked with /plan (their permission already checked).
	Requester string `json:"requester,omitempty"`
	Trigger   string `json:"trigger"`
}

// Kind names the job in River.
func (PlanArgs) Kind() string { return "pr_plan" }

// PlanWorker plans a pull request: checkout, environments affected, locks,
// plan, cost, policy, then one sticky comment and a check run per environment.
type PlanWorker struct {
	river.WorkerDefaults[PlanArgs]
	d *Deps
}

// Timeout bounds a plan of every environment.
func (w *PlanWorker) Timeout(*river.Job[PlanArgs]) time.Duration { return w.d.timeout() }

// Work plans the pull request.
func (w *PlanWorker) Work(ctx context.Context, job *river.Job[PlanArgs]) error {
	a := job.Args
	d := w.d
	log := d.log(ctx).With("job", job.ID, "kind", a.Kind(), "repo", a.Repo, "pr", a.PR)
	c := d.GitHub.Client(a.InstallationID)
	pr, err := c.PullRequest(ctx, a.Repo, a.PR)
	if err != nil {
		return err
	}
	if pr.State != "open" {
		log.Info("pull request is not open; nothing to plan")
		return nil
	}
	if a.HeadSHA != "" && a.HeadSHA != pr.HeadSHA {
		log.Info("head moved on; the newer push plans it", "event_head", a.HeadSHA, "head", pr.HeadSHA)
		return nil
	}
	claimant := fmt.Sprintf("job:%d", job.ID)
	comment := report.PRComment{Repo: a.Repo, PR: a.PR, HeadSHA: pr.HeadSHA, Version: d.Version, UpdatedAt: time.Now().UTC()}

	files, err := c.ChangedFiles(ctx, a.Repo, a.PR)
	if err != nil {
		return err
	}
	if a.Requester == "" && !slices.ContainsFunc(files, func(f string) bool {
		return strings.HasPrefix(f, "environments/") || strings.HasPrefix(f, "terraform/")
	}) {
		return nil // nothing to plan (a release pull request, docs): not a word
	}
	if why, err := d.untrusted(ctx, c, a.Repo, pr, a.Requester); err != nil {
		return err
	} else if why != "" {
		comment.Notice = why
		return d.postSticky(ctx, c, a.Repo, a.PR, claimant, report.PRCommentMarkdown(comment))
	}

	fetchStart := time.Now()
	co, err := d.fetchPR(ctx, c, a.Repo, pr, pr.HeadSHA, job.ID)
	defer co.remove()
	log.Info("fetched", "head", pr.HeadSHA, "since_enqueued_s", fetchStart.Sub(job.CreatedAt).Seconds(), "fetch_s", time.Since(fetchStart).Seconds())
	var moved *checkout.MovedError
	var links *checkout.SymlinkError
	switch {
	case errors.As(err, &moved):
		log.Info("head moved on while fetching; the newer push plans it")
		return nil
	case errors.As(err, &links):
		comment.Notice = "gitops cannot plan this commit: " + links.Error()
		return d.postSticky(ctx, c, a.Repo, a.PR, claimant, report.PRCommentMarkdown(comment))
	case err != nil:
		return err
	}
	base := pipeline.New(pipeline.Config{Dir: co.head})
	all, err := base.Environments()
	var invalid envspec.Errors
	if errors.As(err, &invalid) {
		if !pipeline.TouchesEnvironments(files) && a.Requester == "" {
			return nil // broken on the default branch, not by this PR
		}
		comment.Notice = "The environment files do not validate, so nothing was planned:\n\n```\n" + relative(invalid.Error(), co.head) + "\n```"
		return d.postSticky(ctx, c, a.Repo, a.PR, claimant, report.PRCommentMarkdown(comment))
	} else if err != nil {
		return err
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	envs := pipeline.Affected(files, names)
	if len(a.Envs) > 0 {
		envs = a.Envs
	}
	if len(envs) == 0 {
		if a.Requester != "" {
			comment.Notice = "This pull request changes no environment: nothing to plan."
			return d.postSticky(ctx, c, a.Repo, a.PR, claimant, report.PRCommentMarkdown(comment))
		}
		return nil
	}
	specs, err := pipeline.Select(all, envs)
	if err != nil {
		comment.Notice = err.Error()
		return d.postSticky(ctx, c, a.Repo, a.PR, claimant, report.PRCommentMarkdown(comment))
	}

	prev, err := d.Store.PRState(ctx, a.Repo, a.PR)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := d.Store.SetPRState(ctx, store.PRState{Repo: a.Repo, PR: a.PR, HeadSHA: pr.HeadSHA, State: store.PROpen}); err != nil {
		return err
	}

	// Locks: an environment held by another pull request is not planned.
	sections := make([]report.EnvSection, len(specs))
	var toPlan []*envspec.Spec
	for i, s := range specs {
		sections[i].Env = s.Name
		held, ok, err := d.Store.TryLock(ctx, store.Lock{Repo: a.Repo, Env: s.Name, Holder: holder(a.PR), PR: a.PR, URL: pr.HTMLURL})
		if err != nil {
			return err
		}
		if !ok {
			sections[i].LockedBy = &report.LockHolder{PR: held.PR, URL: held.URL, Holder: held.Holder}
			continue
		}
		toPlan = append(toPlan, s)
	}
	for i := range sections {
		if sections[i].LockedBy != nil {
			if _, err := c.UpsertCheckRun(ctx, a.Repo, d.lockedRun(a, pr.HeadSHA, sections[i])); err != nil {
				return err
			}
		} else if _, err := c.UpsertCheckRun(ctx, a.Repo, github.CheckRun{Name: report.CheckRunName(sections[i].Env), HeadSHA: pr.HeadSHA, ExternalID: externalID(a.Repo, a.PR, sections[i].Env), Status: "in_progress", Title: "planning…", Summary: "gitops is planning " + sections[i].Env + " at " + short(pr.HeadSHA) + "."}); err != nil {
			return err
		}
	}
	if prev.HeadSHA != "" && prev.HeadSHA != pr.HeadSHA {
		d.markStale(ctx, c, a, prev.HeadSHA, pr.HeadSHA, specs)
	}

	if len(toPlan) > 0 {
		editsRules := slices.ContainsFunc(files, func(f string) bool { return strings.HasPrefix(f, "policy/") })
		if err := d.planEnvs(ctx, c, a, pr, co, all, toPlan, sections, editsRules); err != nil {
			return err
		}
	}
	comment.Sections = sections
	comment.Requirements = nil
	if err := d.postSticky(ctx, c, a.Repo, a.PR, claimant, report.PRCommentMarkdown(comment)); err != nil {
		return err
	}
	for _, s := range sections {
		if s.LockedBy != nil {
			continue
		}
		if _, err := c.UpsertCheckRun(ctx, a.Repo, d.planRun(a, pr.HeadSHA, s)); err != nil {
			return err
		}
	}
	log.Info("planned", "head", pr.HeadSHA, "envs", strings.Join(envs, ","))
	return nil
}

// planEnvs plans, prices and judges the environments and records each plan.
// With editsRules (the pull request changes policy/), its own rules are
// evaluated too and shown as a preview: never as its gate.
func (d *Deps) planEnvs(ctx context.Context, c Client, a PlanArgs, pr *github.PR, co checkouts, all, toPlan []*envspec.Spec, sections []report.EnvSection, editsRules bool) error {
	runner, err := d.runner(a.Repo, a.PR, co.head)
	if err != nil {
		return err
	}
	p := pipeline.New(pipeline.Config{Dir: co.head, PolicyDir: filepath.Join(co.base, "policy"), Runner: runner, HeadSHA: pr.HeadSHA})
	logs := map[string]*bytes.Buffer{}
	for _, s := range toPlan {
		logs[s.Name] = &bytes.Buffer{}
	}
	start := time.Now()
	results, err := p.Plan(ctx, pipeline.PlanRequest{Specs: toPlan, Output: func(env string) io.Writer { return logs[env] }})
	d.observe("plan", start, err)
	if err != nil {
		return err
	}
	planned := time.Now()
	defer func() {
		d.log(ctx).Info("plan phases", "repo", a.Repo, "pr", a.PR, "terraform_s", planned.Sub(start).Seconds(), "judge_s", time.Since(planned).Seconds())
	}()
	approvals, err := c.Approvers(ctx, a.Repo, a.PR)
	if err != nil {
		return err
	}
	prIn := &policy.PR{Number: a.PR, Author: pr.Author, Labels: pr.Labels, Approvals: approvals}
	for _, r := range results {
		i := slices.IndexFunc(sections, func(s report.EnvSection) bool { return s.Env == r.Env })
		sec := &sections[i]
		if r.Err != nil {
			sec.Err = relative(r.Err.Error(), co.head)
			sec.LogTail = tail(logs[r.Env].String(), 40)
			continue
		}
		sec.Plan = r.Plan
		if text, err := os.ReadFile(r.Plan.TextFile); err == nil {
			sec.PlanText = string(text)
		}
		planJSON, err := p.PlanJSON(ctx, r.Plan)
		if err != nil {
			sec.Err = err.Error()
			continue
		}
		spec, _ := pipeline.Select(toPlan, []string{r.Env})
		overrides, err := d.overridesFor(ctx, a.Repo, a.PR, r.Env)
		if err != nil {
			return err
		}
		check, policyErr, err := d.judgeAndSave(ctx, p, a.Repo, a.PR, pr.HeadSHA, r.Plan, planJSON, spec[0], all, prIn, overrides)
		if err != nil {
			return err
		}
		sec.Cost = check.Cost
		if check.CostErr != nil {
			sec.CostErr = check.CostErr.Error()
		}
		sec.Policy = &check.Policy
		if policyErr != nil {
			sec.Policy.Error = relative(policyErr.Error(), co.base)
		}
		if editsRules {
			proposed := pipeline.New(pipeline.Config{Dir: co.head, PolicyDir: filepath.Join(co.head, "policy")})
			preview, err := proposed.Check(ctx, pipeline.CheckRequest{Spec: spec[0], All: all, PlanJSON: planJSON, PR: prIn, Overrides: overrides})
			sec.PolicyPreview = &preview.Policy
			if err != nil {
				sec.PolicyPreview.Error = relative(err.Error(), co.head)
			}
		}
	}
	return nil
}

// judgeAndSave prices a plan and evaluates the rules over it (with the pull
// request's overrides of its environment), then records it as the pull request's current plan
// of its environment at head. policyErr is the rules' evaluation error (the
// plan is then recorded with a verdict that forbids applying it); err is a
// failure to record it.
func (d *Deps) judgeAndSave(ctx context.Context, p *pipeline.Pipeline, repo string, pr int, head string, plan *tf.Plan, planJSON []byte, spec *envspec.Spec, all []*envspec.Spec, prIn *policy.PR, overrides []policy.Override) (check *pipeline.CheckResult, policyErr, err error) {
	check, policyErr = p.Check(ctx, pipeline.CheckRequest{Spec: spec, All: all, PlanJSON: planJSON, PR: prIn, Overrides: overrides})
	summary, _ := json.Marshal(plan.Summary)
	verdict, _ := json.Marshal(check.Policy)
	costJSON, _ := json.Marshal(check.Cost)
	if _, err := d.Store.SavePlan(ctx, store.PlanRecord{
		Repo: repo, PR: pr, Env: plan.Env, HeadSHA: head,
		Dir: filepath.Dir(plan.File), PlanFile: plan.File, FileSHA256: plan.FileSHA256, JSONSHA256: plan.JSONSHA256,
		Summary: summary, Verdict: verdict, Cost: costJSON,
	}); err != nil {
		return nil, nil, err
	}
	return check, policyErr, nil
}

// untrusted says why a pull request is not planned by itself ("" when it
// is): terraform runs code, so only heads in the repository by authors
// with write access are planned unasked; others wait for a maintainer's /plan.
func (d *Deps) untrusted(ctx context.Context, c Client, repo string, pr *github.PR, requester string) (string, error) {
	var why string
	if pr.FromFork(repo) {
		why = "the pull request comes from a fork"
	} else {
		role, err := c.Permission(ctx, repo, pr.Author)
		if err != nil {
			return "", err
		}
		if !config.AllowsRole(role, "write") {
			why = fmt.Sprintf("@%s has no write access to %s", pr.Author, repo)
		}
	}
	if why == "" {
		return "", nil
	}
	if requester != "" {
		role, err := c.Permission(ctx, repo, requester)
		if err != nil {
			return "", err
		}
		if config.AllowsRole(role, "maintain") {
			return "", nil
		}
	}
	return "gitops does not plan this pull request by itself: " + why + ". Terraform runs the code it plans, so a maintainer must read the change first and comment `/plan`.", nil
}

// markStale says on the older head's check runs that their plans were
// superseded (the store marked the plans stale when the new ones were saved).
func (d *Deps) markStale(ctx context.Context, c Client, a PlanArgs, old, head string, specs []*envspec.Spec) {
	for _, s := range specs {
		_, err := c.UpsertCheckRun(ctx, a.Repo, github.CheckRun{
			Name: report.CheckRunName(s.Name), HeadSHA: old, ExternalID: externalID(a.Repo, a.PR, s.Name),
			Status: "completed", Conclusion: "neutral", Title: "stale: superseded by " + short(head),
			Summary: "This plan was made for " + short(old) + "; the pull request has moved on to " + short(head) + ", which is planned anew. A stale plan can never be applied.",
		})
		if err != nil {
			d.log(ctx).Warn("mark check run stale", "err", err)
		}
	}
}

func (d *Deps) planRun(a PlanArgs, head string, s report.EnvSection) github.CheckRun {
	title, summary, text := report.CheckRunOutput(s)
	cr := github.CheckRun{Name: report.CheckRunName(s.Env), HeadSHA: head, ExternalID: externalID(a.Repo, a.PR, s.Env), Status: "completed", Title: title, Summary: summary, Text: text}
	switch {
	case s.Err != "" || s.Plan == nil:
		cr.Conclusion = "failure"
	case s.Policy != nil && !s.Policy.Allowed:
		cr.Conclusion = "failure"
	case s.Plan.Changes:
		cr.Conclusion = "success"
		cr.Actions = []github.CheckRunAction{{Label: "Apply", Description: "Apply this reviewed plan", Identifier: "apply"}}
	default:
		cr.Conclusion = "success"
	}
	return cr
}

func (d *Deps) lockedRun(a PlanArgs, head string, s report.EnvSection) github.CheckRun {
	if s.LockedBy.Running() {
		what := "a deploy"
		if strings.HasPrefix(s.LockedBy.Holder, "seed:") {
			what = "a /seed"
		}
		return github.CheckRun{
			Name: report.CheckRunName(s.Env), HeadSHA: head, ExternalID: externalID(a.Repo, a.PR, s.Env),
			Status: "completed", Conclusion: "failure", Title: fmt.Sprintf("locked by %s of #%d", what, s.LockedBy.PR),
			Summary: fmt.Sprintf("%s is locked by %s of #%d while it runs. Comment `/plan %s` here once it is done.", s.Env, what, s.LockedBy.PR, s.Env),
		}
	}
	return github.CheckRun{
		Name: report.CheckRunName(s.Env), HeadSHA: head, ExternalID: externalID(a.Repo, a.PR, s.Env),
		Status: "completed", Conclusion: "failure", Title: fmt.Sprintf("locked by #%d", s.LockedBy.PR),
		Summary: fmt.Sprintf("%s is locked by pull request #%d (%s) until it is merged, closed or unlocked with `/unlock`. Comment `/plan %s` here once it is free.", s.Env, s.LockedBy.PR, s.LockedBy.URL, s.Env),
	}
}

// externalID names a pull request's check run of an environment.
func externalID(repo string, pr int, env string) string {
	return fmt.Sprintf("%s#%d/%s", repo, pr, env)
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// relative removes the job's checkout directory from messages.
func relative(msg, dir string) string {
	return strings.ReplaceAll(msg, dir+string(filepath.Separator), "")
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
