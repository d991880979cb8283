package deploy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
	"github.com/gitops-bot/gitops/bot/release"
)

const alarm = "staging-inventory-alb-5xx"

func TestCheckFailureRollsBack(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(e *env, next *release.Release)
		step   deploy.Step
		reason []string
		check  func(t *testing.T, res *deploy.DeployResult)
	}{
		{
			name: "unhealthy targets fail the deploy after the health timeout",
			setup: func(e *env, next *release.Release) {
				e.f.SetImageBehaviour("inventory-management/ui:v1.2.0", ecsfake.Behaviour{Unhealthy: true})
				next.Timeouts.Health = time.Minute
			},
			step:   deploy.StepHealth,
			reason: []string{"targets not healthy within 1m0s", "staging-ui-80 (ui): 0 healthy", "unhealthy (Target.FailedHealthChecks)"},
			check: func(t *testing.T, res *deploy.DeployResult) {
				for _, h := range res.Health {
					if h.Service == "ui" && (h.Healthy != 0 || len(h.NotHealthy) != 2) {
						t.Errorf("ui health %+v, want 2 targets not healthy", h)
					}
				}
			},
		},
		{
			name: "a smoke check answering 500 fails the deploy, naming the path",
			setup: func(e *env, next *release.Release) {
				e.f.SetImageBehaviour("inventory-management/api-gateway:v1.2.0", ecsfake.Behaviour{SmokeStatus: map[string]int{"/api/v1/user/health": 500}})
			},
			step:   deploy.StepSmoke,
			reason: []string{"GET /api/v1/user/health answered 500, want 200 (still failing after 2m0s)"},
			check: func(t *testing.T, res *deploy.DeployResult) {
				c := res.Failure.Check
				if c == nil || c.Path != "/api/v1/user/health" || c.Got != 500 || c.Want != 200 || c.Passed {
					t.Errorf("failing check %+v", c)
				}
				var passed []string
				for _, s := range res.Smoke {
					if s.Passed {
						passed = append(passed, s.Path)
					}
				}
				if !slices.Equal(passed, []string{"/health", "/"}) {
					t.Errorf("passed checks %q, want the two others", passed)
				}
			},
		},
		{
			name: "an alarm going to ALARM during the bake fails the deploy",
			setup: func(e *env, next *release.Release) {
				next.Bake = 5 * time.Minute
				e.target.Alarms = []string{alarm, "staging-inventory-db-cpu"}
				e.f.SetAlarm(alarm, cwtypes.StateValueOk)
				e.f.SetAlarm("staging-inventory-db-cpu", cwtypes.StateValueOk)
				e.f.SetAlarm("prod-inventory-alb-5xx", cwtypes.StateValueAlarm) // not watched
				e.onEvent = func(ev deploy.Event) {
					if ev.Step == deploy.StepBake && ev.Status == deploy.StatusProgress {
						e.f.SetAlarm(alarm, cwtypes.StateValueAlarm)
					}
				}
			},
			step:   deploy.StepBake,
			reason: []string{"alarm in ALARM during the bake: " + alarm + ": Threshold Crossed"},
			check: func(t *testing.T, res *deploy.DeployResult) {
				if len(res.Alarms) != 1 || res.Alarms[0].Name != alarm || res.Alarms[0].State != "ALARM" {
					t.Errorf("alarms %+v, want %s in ALARM", res.Alarms, alarm)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, ecsfake.Options{})
			current, next := e.releases()
			tt.setup(e, &next)
			res, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-12"))
			f := stepError(t, err).Failure
			if f.Step != tt.step {
				t.Fatalf("failure %s, want the %s step", f, tt.step)
			}
			for _, want := range tt.reason {
				if !strings.Contains(f.Reason, want) {
					t.Errorf("reason %q, want it to contain %q", f.Reason, want)
				}
			}
			tt.check(t, res)
			if res.Rollback == nil || !res.Rollback.Verified || len(res.Rollback.Services) != 6 {
				t.Fatalf("rollback %+v, want all six services set back and verified", res.Rollback)
			}
			e.onRevision(t, e.seededRevisions())
		})
	}
}

func TestBakeWatchesAlarmsForItsTime(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	current, next := e.releases()
	next.Bake = 5 * time.Minute
	e.target.AlarmPrefix = "staging-"
	e.f.SetAlarm(alarm, cwtypes.StateValueOk)
	e.f.SetAlarm("prod-inventory-alb-5xx", cwtypes.StateValueAlarm) // another environment's
	var began time.Time
	e.onEvent = func(ev deploy.Event) {
		if ev.Step == deploy.StepBake && ev.Status == deploy.StatusStarted {
			began = ev.Time
		}
	}
	res, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-13"))
	if err != nil || !res.Succeeded {
		t.Fatalf("deploy: %v", err)
	}
	if baked := res.Finished.Sub(began); baked < 5*time.Minute {
		t.Errorf("baked %s, want 5m", baked)
	}
	calls := e.f.CallsTo("DescribeAlarms")
	if len(calls) < 10 {
		t.Errorf("DescribeAlarms calls = %d, want one every 30s for 5m", len(calls))
	}
	if p := calls[0].Params; p["alarmNamePrefix"] != "staging-" || p["stateValue"] != "ALARM" {
		t.Errorf("DescribeAlarms asked %v", p)
	}
}
