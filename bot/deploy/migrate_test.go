package deploy_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
)

func TestMigrationFailureRollsNothing(t *testing.T) {
	logLines := []string{
		"INFO  [alembic.runtime.migration] Running upgrade 3f2a -> 9c1d, add stock reservations",
		`sqlalchemy.exc.ProgrammingError: relation "stock_reservations" already exists`,
	}
	tests := []struct {
		name    string
		outcome ecsfake.TaskOutcome
		timeout time.Duration // the release's migration timeout; 0: the default
		reason  []string      // the failure's reason contains each
		logTail []string
	}{
		{
			name:    "a migration exiting 1 fails the deploy with its log tail",
			outcome: ecsfake.TaskOutcome{ExitCode: 1, Logs: logLines},
			reason:  []string{"container migrate exited 1"},
			logTail: logLines,
		},
		{
			name:    "a migration that fails to start has no exit code: a failure, not a success",
			outcome: ecsfake.TaskOutcome{FailToStart: true, StartFailureReason: "ResourceInitializationError: unable to pull secrets"},
			reason:  []string{"stopped with TaskFailedToStart", "container migrate has no exit code (ResourceInitializationError"},
		},
		{
			name:    "RunTask answering failures and no task fails the deploy with ECS's reason",
			outcome: ecsfake.TaskOutcome{PlacementFailure: "RESOURCE:MEMORY"},
			reason:  []string{"ECS started no task: RESOURCE:MEMORY"},
		},
		{
			name: "a migration still running at the migration timeout fails and is left running",
			// Lines come every 100s from the start at +30s: one by the timeout.
			outcome: ecsfake.TaskOutcome{RunTime: 5 * time.Minute, Logs: []string{"waiting for lock", "still waiting"}},
			timeout: 3 * time.Minute,
			reason:  []string{"still RUNNING after 3m0s; it was left running"},
			logTail: []string{"waiting for lock"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, ecsfake.Options{})
			e.f.SetTaskOutcome(migrateCommand, tt.outcome)
			current, next := e.releases()
			if tt.timeout > 0 {
				next.Timeouts.Migration = tt.timeout
			}
			res, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-7"))
			se := stepError(t, err)
			f := res.Failure
			if se.Failure != f || f.Step != deploy.StepMigrate || res.Succeeded {
				t.Fatalf("failure %+v, want the migrate step", f)
			}
			for _, want := range tt.reason {
				if !strings.Contains(f.Reason, want) {
					t.Errorf("reason %q, want it to contain %q", f.Reason, want)
				}
			}
			if !slices.Equal(f.LogTail, tt.logTail) {
				t.Errorf("log tail %q, want %q", f.LogTail, tt.logTail)
			}
			if !strings.HasPrefix(err.Error(), "deploy staging v1.2.0: migrate: ") {
				t.Errorf("error %q does not say what failed where", err)
			}
			if n := len(e.f.CallsTo("UpdateService")); n != 0 || res.Rollback != nil {
				t.Errorf("UpdateService calls = %d, rollback %+v: nothing should have rolled", n, res.Rollback)
			}
			e.onRevision(t, e.seededRevisions())
			if got := e.stepStatuses(); !slices.Equal(got[len(got)-2:], []string{"migrate started", "migrate failed"}) {
				t.Errorf("last steps %q, want the migrate step failed last", got)
			}
		})
	}
}

func TestRetriedDeployDoesNotRunTheMigrationTwice(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	current, next := e.releases()

	// The first attempt dies right after its migration succeeded (a
	// restart of the bot: its context ends).
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req := e.request(&current, next, "gh-deployment-42")
	req.Progress = func(ev deploy.Event) {
		e.record(ev)
		if ev.Step == deploy.StepMigrate && ev.Status == deploy.StatusSucceeded {
			cancel()
		}
	}
	first, err := e.engine.Deploy(ctx, req)
	if se := stepError(t, err); se.Failure.Step != deploy.StepRoll || !strings.Contains(se.Failure.Reason, "cancelled") {
		t.Fatalf("first attempt: %v, want the roll cancelled", err)
	}
	if first.Migration == nil || first.Migration.TaskARN == "" {
		t.Fatalf("first attempt ran no migration: %+v", first.Migration)
	}
	registered := len(e.f.CallsTo("RegisterTaskDefinition"))

	second, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-42"))
	if err != nil || !second.Succeeded {
		t.Fatalf("second attempt: %v", err)
	}
	if second.Migration.TaskARN != first.Migration.TaskARN {
		t.Errorf("second attempt's migration task %s, want the first attempt's %s", short(second.Migration.TaskARN), short(first.Migration.TaskARN))
	}
	runs := e.f.CallsTo("RunTask")
	if len(runs) != 2 || runs[0].Params["clientToken"] != runs[1].Params["clientToken"] || runs[0].Err != "" || runs[1].Err != "" {
		t.Errorf("RunTask calls %+v, want two answered with the same client token", runs)
	}
	list, err := e.ecs.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String(e.seeded.Cluster), Family: aws.String(e.seeded.Migration.Family), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.TaskArns) != 1 {
		t.Errorf("migration tasks = %d, want 1", len(list.TaskArns))
	}
	if n := len(e.f.CallsTo("RegisterTaskDefinition")); n != registered {
		t.Errorf("the second attempt registered %d more revisions, want none (the first attempt's are the latest and run the images)", n-registered)
	}
	for name, rev := range second.Revisions {
		if first.Revisions[name] != rev {
			t.Errorf("%s: second attempt rolled %s, first registered %s", name, short(rev), short(first.Revisions[name]))
		}
	}

	t.Run("another deployment id runs the migration again", func(t *testing.T) {
		third, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-43"))
		if err != nil {
			t.Fatal(err)
		}
		if third.Migration.TaskARN == first.Migration.TaskARN {
			t.Error("a new deployment id reused the migration task")
		}
	})
}
