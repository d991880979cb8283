package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/release"
)

// t0 is when the deploys of these tests start.
var t0 = time.Date(2026, 1, 15, 14, 2, 0, 0, time.UTC)

const tdPrefix = "arn:aws:ecs:us-east-1:123456789012:task-definition/"

// events builds a deploy's events, each a second after the one before.
type events struct {
	at  time.Time
	evs []deploy.Event
}

func (e *events) add(ev deploy.Event) *events {
	if e.at.IsZero() {
		e.at = t0
	}
	ev.Time = e.at
	e.at = e.at.Add(time.Second)
	e.evs = append(e.evs, ev)
	return e
}

func (e *events) step(step deploy.Step, status deploy.Status, msg string) *events {
	return e.add(deploy.Event{Step: step, Status: status, Message: msg})
}

func (e *events) service(step deploy.Step, svc string, status deploy.Status, td, msg string) *events {
	return e.add(deploy.Event{Step: step, Service: svc, Status: status, TaskDefinition: td, Message: msg})
}

var rollServices = []string{"api-gateway", "ui", "user"}

// upToMigration is a deploy of three services up to a migration that
// started.
func upToMigration() *events {
	e := &events{}
	e.step(deploy.StepImages, deploy.StatusStarted, "looking up 3 image(s) in ECR").
		step(deploy.StepImages, deploy.StatusSucceeded, "every image is in ECR").
		step(deploy.StepRecord, deploy.StatusStarted, "recording the task definitions the services run")
	for _, s := range rollServices {
		e.service(deploy.StepRecord, s, deploy.StatusSucceeded, tdPrefix+"staging-inventory-"+s+":1", "rollback point staging-inventory-"+s+":1")
	}
	e.step(deploy.StepRecord, deploy.StatusSucceeded, "3 service(s) change").
		step(deploy.StepRegister, deploy.StatusStarted, "registering 3 revision(s)")
	for _, s := range rollServices {
		e.service(deploy.StepRegister, s, deploy.StatusSucceeded, tdPrefix+"staging-inventory-"+s+":2", "registered staging-inventory-"+s+":2")
	}
	e.step(deploy.StepRegister, deploy.StatusSucceeded, "revisions ready").
		add(deploy.Event{Step: deploy.StepMigrate, Status: deploy.StatusStarted, Message: "migrate in api-gateway's image: alembic upgrade head"}).
		add(deploy.Event{Step: deploy.StepMigrate, Status: deploy.StatusProgress, Task: "arn:aws:ecs:us-east-1:123456789012:task/staging-inventory/0f3c", Message: "task 0f3c started: alembic upgrade head"})
	return e
}

// rolling is a deploy whose migration passed and whose services roll, ui
// done, the others under way.
func rolling() *events {
	e := upToMigration()
	e.add(deploy.Event{Step: deploy.StepMigrate, Status: deploy.StatusSucceeded, Message: "exited 0"}).
		step(deploy.StepRoll, deploy.StatusStarted, "rolling 3 service(s), 3 at a time")
	for _, s := range rollServices {
		e.service(deploy.StepRoll, s, deploy.StatusStarted, tdPrefix+"staging-inventory-"+s+":2", "updating "+s+" to staging-inventory-"+s+":2")
	}
	e.service(deploy.StepRoll, "ui", deploy.StatusProgress, tdPrefix+"staging-inventory-ui:2", "service deployment IN_PROGRESS").
		service(deploy.StepRoll, "ui", deploy.StatusSucceeded, tdPrefix+"staging-inventory-ui:2", "PRIMARY on staging-inventory-ui:2, rollout COMPLETED, 2/2 running")
	return e
}

func succeeded() *events {
	e := rolling()
	for _, s := range []string{"api-gateway", "user"} {
		e.service(deploy.StepRoll, s, deploy.StatusSucceeded, tdPrefix+"staging-inventory-"+s+":2", "PRIMARY on staging-inventory-"+s+":2, rollout COMPLETED, 2/2 running")
	}
	e.step(deploy.StepRoll, deploy.StatusSucceeded, "3 service(s) on their new revisions").
		step(deploy.StepHealth, deploy.StatusStarted, "waiting for the targets of 2 target group(s)").
		step(deploy.StepHealth, deploy.StatusSucceeded, "every target healthy").
		step(deploy.StepSmoke, deploy.StatusStarted, "3 check(s) through http://staging-alb-123.us-east-1.elb.amazonaws.com").
		step(deploy.StepSmoke, deploy.StatusSucceeded, "every check passed").
		step(deploy.StepBake, deploy.StatusSkipped, "the release has no bake")
	return e
}

func deployPlan(t *testing.T) *release.Plan {
	t.Helper()
	cur, next := releases(t, "v1.2.0")
	for name, img := range next.Images {
		if name != "api-gateway" && name != "ui" && name != "user" {
			next.Images[name] = cur.Images[name]
		} else {
			next.Images[name] = img
		}
	}
	p, err := release.NewPlan(cur, next)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDeployMarkdown(t *testing.T) {
	plan := deployPlan(t)
	base := Deploy{Env: "staging", Plan: plan, MergeSHA: "9fceb02d0ae598e95dc970b74767f19372d61af8", DeploymentID: 17, Version: "v0.9.0", UpdatedAt: t0.Add(time.Minute)}
	with := func(f func(*Deploy)) Deploy {
		d := base
		f(&d)
		return d
	}
	migrationFailed := upToMigration().
		add(deploy.Event{Step: deploy.StepMigrate, Status: deploy.StatusProgress, Message: "task 0f3c STOPPED"}).
		step(deploy.StepMigrate, deploy.StatusFailed, "task 0f3c: container migrate exited 1")
	rolledBack := rolling()
	rolledBack.service(deploy.StepRoll, "api-gateway", deploy.StatusFailed, tdPrefix+"staging-inventory-api-gateway:2", "the circuit breaker rolled the deployment back: 3 tasks failed to start").
		service(deploy.StepRoll, "user", deploy.StatusSucceeded, tdPrefix+"staging-inventory-user:2", "PRIMARY on staging-inventory-user:2, rollout COMPLETED, 2/2 running").
		step(deploy.StepRoll, deploy.StatusFailed, "api-gateway: the circuit breaker rolled the deployment back: 3 tasks failed to start").
		step(deploy.StepRollback, deploy.StatusStarted, "setting 3 service(s) back to their rollback points")
	for _, s := range rollServices {
		rolledBack.service(deploy.StepRollback, s, deploy.StatusSucceeded, tdPrefix+"staging-inventory-"+s+":1", "PRIMARY on staging-inventory-"+s+":1")
	}
	rolledBack.step(deploy.StepRollback, deploy.StatusSucceeded, "3 service(s) back on their rollback points")

	tests := []struct {
		name string
		d    Deploy
	}{
		{"deploy_frozen", with(func(d *Deploy) {
			d.State, d.DeploymentID = RunFrozen, 0
			d.FrozenUntil = time.Date(2026, 1, 19, 7, 0, 0, 0, time.UTC)
			d.Freeze = release.Freeze{Start: "0 17 * * FRI", Duration: 63 * time.Hour, TimeZone: "Europe/Berlin"}
		})},
		{"deploy_locked", with(func(d *Deploy) {
			d.State, d.DeploymentID = RunLocked, 0
			d.LockedBy = &Holder{Holder: "pr:12", PR: 12, URL: "https://github.com/acme/infra/pull/12"}
		})},
		{"deploy_running", with(func(d *Deploy) {
			d.State, d.Events, d.OverrideBy = RunRunning, rolling().evs, "bob"
		})},
		{"deploy_succeeded", with(func(d *Deploy) {
			d.State, d.Events, d.EnvURL = RunSucceeded, succeeded().evs, "http://staging-alb-123.us-east-1.elb.amazonaws.com"
			d.Result = &deploy.DeployResult{Succeeded: true, Started: t0, Finished: t0.Add(83 * time.Second)}
		})},
		{"deploy_migration_failed", with(func(d *Deploy) {
			d.State, d.Events = RunFailed, migrationFailed.evs
			d.Result = &deploy.DeployResult{Failure: &deploy.Failure{Step: deploy.StepMigrate, Reason: "task 0f3c: container migrate exited 1",
				LogTail: []string{"INFO  [alembic.runtime.migration] Running upgrade 3f2a -> 4b1c, add stock reservations", "sqlalchemy.exc.ProgrammingError: column \"reserved\" of relation \"stock\" already exists", "password=hunter2"}}}
		})},
		{"deploy_rolled_back", with(func(d *Deploy) {
			d.State, d.Events = RunFailed, rolledBack.evs
			var back []deploy.ServiceResult
			for _, s := range rollServices {
				back = append(back, deploy.ServiceResult{Service: s, From: tdPrefix + "staging-inventory-" + s + ":2", To: tdPrefix + "staging-inventory-" + s + ":1", Status: deploy.StatusSucceeded, Detail: "PRIMARY on staging-inventory-" + s + ":1"})
			}
			d.Result = &deploy.DeployResult{
				Failure: &deploy.Failure{Step: deploy.StepRoll, Service: "api-gateway", Reason: "the circuit breaker rolled the deployment back: 3 tasks failed to start",
					Events: []string{"(service api-gateway) deployment ecs-svc/123 deployment failed: tasks failed to start."}},
				Rollback: &deploy.RollbackResult{Verified: true, Services: back},
			}
		})},
		{"deploy_not_run", with(func(d *Deploy) {
			d.State, d.DeploymentID = RunNotRun, 0
			d.Err = "target staging from stack outputs: output migration_task_family is missing"
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DeployMarkdown(tt.d)
			checkMarkdown(t, got, MaxCommentLength)
			if !strings.HasPrefix(got, DeployCommentMarker("staging")+"\n") {
				t.Errorf("the marker is not the first line")
			}
			if strings.Contains(got, "hunter2") {
				t.Errorf("a secret in the log tail is shown")
			}
			golden(t, tt.name+".golden.md", []byte(got))
		})
	}
}

func TestSeedMarkdown(t *testing.T) {
	steps := []string{"roles", "inventory", "movements"}
	run := func(upTo int, fail bool) *events {
		e := &events{}
		for i, s := range steps[:upTo] {
			task := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/staging-inventory/%04x", i+1)
			e.add(deploy.Event{Step: deploy.StepSeed, Seed: s, Service: "api-gateway", Status: deploy.StatusStarted, Message: "python scripts/" + s + ".py"})
			e.add(deploy.Event{Step: deploy.StepSeed, Seed: s, Service: "api-gateway", Status: deploy.StatusProgress, Task: task, Message: "task started"})
			switch {
			case fail && i == upTo-1:
				e.add(deploy.Event{Step: deploy.StepSeed, Seed: s, Service: "api-gateway", Status: deploy.StatusFailed, Message: "task 0002: container api-gateway exited 1"})
			case i < upTo-1 || !fail:
				e.add(deploy.Event{Step: deploy.StepSeed, Seed: s, Service: "api-gateway", Status: deploy.StatusSucceeded, Task: task, Message: "exited 0"})
			}
		}
		return e
	}
	base := Seed{CommentID: 42, Env: "staging", Release: "v1.2.0", Requester: "alice", Command: "/seed staging", Steps: steps, Version: "v0.9.0", UpdatedAt: t0.Add(time.Minute)}
	with := func(f func(*Seed)) Seed {
		s := base
		f(&s)
		return s
	}
	tests := []struct {
		name string
		s    Seed
	}{
		{"seed_locked", with(func(s *Seed) {
			s.State, s.LockedBy = RunLocked, &Holder{Holder: "deploy:9fceb02", PR: 7, URL: "https://github.com/acme/infra/pull/7"}
		})},
		{"seed_running", with(func(s *Seed) { s.State, s.Events = RunRunning, run(2, false).evs[:4] })},
		{"seed_succeeded", with(func(s *Seed) {
			s.State, s.Events, s.Result = RunSucceeded, run(3, false).evs, &deploy.SeedResult{Succeeded: true}
		})},
		{"seed_failed", with(func(s *Seed) {
			s.State, s.Events = RunFailed, run(2, true).evs
			s.Result = &deploy.SeedResult{Failure: &deploy.Failure{Step: deploy.StepSeed, Seed: "inventory", Service: "api-gateway", Reason: "task 0002: container api-gateway exited 1",
				LogTail: []string{"Seeding 1200 items…", "psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint \"items_sku_key\""}}}
		})},
		{"seed_not_run", with(func(s *Seed) {
			s.State, s.Steps, s.Err = RunNotRun, nil, "seed staging: unknown seed step(s) stock; the release has roles, inventory, movements"
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SeedMarkdown(tt.s)
			checkMarkdown(t, got, MaxCommentLength)
			if !strings.HasPrefix(got, SeedCommentMarker(42)+"\n") {
				t.Errorf("the marker is not the first line")
			}
			golden(t, tt.name+".golden.md", []byte(got))
		})
	}
}

func TestStepRows(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name   string
		events []deploy.Event
		want   []StepRow
	}{
		{"no events, no rows", nil, nil},
		{"a progress event changes the message, not the status", []deploy.Event{
			{Step: deploy.StepMigrate, Status: deploy.StatusStarted, Message: "migrate", Time: at(0)},
			{Step: deploy.StepMigrate, Status: deploy.StatusProgress, Message: "task 1 RUNNING", Task: "arn:task/1", Time: at(5)},
		}, []StepRow{{Step: deploy.StepMigrate, Status: deploy.StatusStarted, Message: "task 1 RUNNING", Task: "arn:task/1", Started: at(0)}}},
		{"a step ends with its last terminal event", []deploy.Event{
			{Step: deploy.StepImages, Status: deploy.StatusStarted, Time: at(0)},
			{Step: deploy.StepImages, Status: deploy.StatusSucceeded, Message: "every image is in ECR", Time: at(2)},
			{Step: deploy.StepBake, Status: deploy.StatusSkipped, Message: "no bake", Time: at(3)},
		}, []StepRow{
			{Step: deploy.StepImages, Status: deploy.StatusSucceeded, Message: "every image is in ECR", Started: at(0), Ended: at(2)},
			{Step: deploy.StepBake, Status: deploy.StatusSkipped, Message: "no bake", Started: at(3), Ended: at(3)},
		}},
		{"services of a roll keep their own status; those of record do not show", []deploy.Event{
			{Step: deploy.StepRecord, Service: "ui", Status: deploy.StatusSucceeded, Message: "rollback point", Time: at(0)},
			{Step: deploy.StepRoll, Status: deploy.StatusStarted, Time: at(1)},
			{Step: deploy.StepRoll, Service: "ui", Status: deploy.StatusStarted, TaskDefinition: "td:2", Time: at(1)},
			{Step: deploy.StepRoll, Service: "user", Status: deploy.StatusStarted, TaskDefinition: "td:3", Time: at(1)},
			{Step: deploy.StepRoll, Service: "ui", Status: deploy.StatusProgress, Message: "IN_PROGRESS", Time: at(2)},
			{Step: deploy.StepRoll, Service: "user", Status: deploy.StatusFailed, Message: "circuit breaker", Time: at(3)},
			{Step: deploy.StepRoll, Status: deploy.StatusFailed, Message: "user: circuit breaker", Time: at(3)},
		}, []StepRow{
			{Step: deploy.StepRecord, Started: at(0)},
			{Step: deploy.StepRoll, Status: deploy.StatusFailed, Message: "user: circuit breaker", Started: at(1), Ended: at(3), Services: []ServiceRow{
				{Service: "ui", Status: deploy.StatusStarted, Message: "IN_PROGRESS", TaskDefinition: "td:2"},
				{Service: "user", Status: deploy.StatusFailed, Message: "circuit breaker", TaskDefinition: "td:3"},
			}},
		}},
		{"each seed step is a row of its own", []deploy.Event{
			{Step: deploy.StepSeed, Seed: "roles", Service: "api-gateway", Status: deploy.StatusStarted, Time: at(0)},
			{Step: deploy.StepSeed, Seed: "roles", Service: "api-gateway", Status: deploy.StatusSucceeded, Message: "exited 0", Time: at(4)},
			{Step: deploy.StepSeed, Seed: "inventory", Service: "api-gateway", Status: deploy.StatusStarted, Message: "python x.py", Time: at(4)},
		}, []StepRow{
			{Step: deploy.StepSeed, Seed: "roles", Status: deploy.StatusSucceeded, Message: "exited 0", Started: at(0), Ended: at(4)},
			{Step: deploy.StepSeed, Seed: "inventory", Status: deploy.StatusStarted, Message: "python x.py", Started: at(4)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StepRows(tt.events)
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("StepRows:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestHolder(t *testing.T) {
	for _, tt := range []struct {
		h    Holder
		want string
	}{
		{Holder{Holder: "pr:12", PR: 12, URL: "https://github.com/acme/infra/pull/12"}, "[#12](https://github.com/acme/infra/pull/12) (its plans)"},
		{Holder{Holder: "deploy:9fceb02", PR: 7}, "the deploy of #7"},
		{Holder{Holder: "seed:42", PR: 3}, "a `/seed` on #3"},
		{Holder{Holder: "seed:42"}, "a `/seed`"},
		{Holder{Holder: "cli"}, "`cli`"},
	} {
		if got := tt.h.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.h, got, tt.want)
		}
	}
}

func TestMarkersCannotBeBroken(t *testing.T) {
	if got := DeployCommentMarker("staging --> <b>"); got != "<!-- gitops:deploy staging--b -->" {
		t.Errorf("DeployCommentMarker = %q", got)
	}
}

func TestAPlanLockedByADeploySaysItEndsWithTheDeploy(t *testing.T) {
	s := EnvSection{Env: "staging", LockedBy: &LockHolder{PR: 7, URL: "https://github.com/acme/infra/pull/7", Holder: "deploy:9fceb02"}}
	got := PRCommentMarkdown(PRComment{Repo: "acme/infra", PR: 9, HeadSHA: "9fceb02d0ae598e95dc970b74767f19372d61af8", Sections: []EnvSection{s}})
	checkMarkdown(t, got, MaxCommentLength)
	if want := "> 🔒 **Locked** — the deploy of [#7](https://github.com/acme/infra/pull/7) holds the lock of staging while it runs."; !strings.Contains(got, want) {
		t.Errorf("the comment lacks %q:\n%s", want, got)
	}
	if strings.Contains(got, "/unlock staging") {
		t.Errorf("the comment offers /unlock, which cannot release a deploy's lock:\n%s", got)
	}
}
