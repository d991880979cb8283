package deploy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
	"github.com/gitops-bot/gitops/bot/release"
)

func TestRollFailureRollsEveryChangedServiceBack(t *testing.T) {
	tests := []struct {
		name    string
		opts    ecsfake.Options
		setup   func(t *testing.T, e *env, next *release.Release)
		service string   // the failing service
		reason  []string // the failure's reason contains each
		events  string   // one of the service's events in the failure contains it
	}{
		{
			name: "an image failing to start is caught although the circuit breaker leaves the service stable on the old revision",
			setup: func(t *testing.T, e *env, _ *release.Release) {
				e.f.SetImageBehaviour("inventory-management/inventory:v1.2.0", ecsfake.Behaviour{FailToStart: true})
			},
			service: "inventory",
			reason:  []string{"service deployment of inventory", "ROLLBACK_IN_PROGRESS", "circuit breaker"},
			events:  "tasks failed to start",
		},
		{
			name: "without the service-deployments API the circuit-breaker rollback is caught from the PRIMARY deployment",
			opts: ecsfake.Options{NoServiceDeployments: true},
			setup: func(t *testing.T, e *env, _ *release.Release) {
				e.f.SetImageBehaviour("inventory-management/inventory:v1.2.0", ecsfake.Behaviour{FailToStart: true})
			},
			service: "inventory",
			reason:  []string{"service inventory runs staging-inventory-inventory:1, not staging-inventory-inventory:2", "rolled back"},
			events:  "rolling back to deployment",
		},
		{
			name: "a deployment stuck IN_PROGRESS past the rollout timeout fails",
			setup: func(t *testing.T, e *env, next *release.Release) {
				// The circuit breaker off: tasks failing to start are tried forever.
				if _, err := e.ecs.UpdateService(t.Context(), &ecs.UpdateServiceInput{
					Cluster: aws.String(e.seeded.Cluster), Service: aws.String("location"),
					DeploymentConfiguration: &ecstypes.DeploymentConfiguration{DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{}},
				}); err != nil {
					t.Fatal(err)
				}
				e.f.SetImageBehaviour("inventory-management/location:v1.2.0", ecsfake.Behaviour{FailToStart: true})
				next.Timeouts.Rollout = 5 * time.Minute
			},
			service: "location",
			reason:  []string{"deployment of location to staging-inventory-location:2 did not finish within 5m0s", "service deployment IN_PROGRESS"},
			events:  "tasks failed to start: CannotPullContainerError",
		},
		{
			name: "without the service-deployments API a stuck deployment times out on its rollout state",
			opts: ecsfake.Options{NoServiceDeployments: true},
			setup: func(t *testing.T, e *env, next *release.Release) {
				if _, err := e.ecs.UpdateService(t.Context(), &ecs.UpdateServiceInput{
					Cluster: aws.String(e.seeded.Cluster), Service: aws.String("location"),
					DeploymentConfiguration: &ecstypes.DeploymentConfiguration{DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{}},
				}); err != nil {
					t.Fatal(err)
				}
				e.f.SetImageBehaviour("inventory-management/location:v1.2.0", ecsfake.Behaviour{FailToStart: true})
				next.Timeouts.Rollout = 5 * time.Minute
			},
			service: "location",
			reason:  []string{"did not finish within 5m0s: PRIMARY deployment IN_PROGRESS, 0/2 tasks running"},
			events:  "tasks failed to start",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			current, next := e.releases()
			tt.setup(t, e, &next)
			res, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-9"))
			f := stepError(t, err).Failure
			if f.Step != deploy.StepRoll || f.Service != tt.service {
				t.Fatalf("failure %s, want the roll of %s", f, tt.service)
			}
			for _, want := range tt.reason {
				if !strings.Contains(f.Reason, want) {
					t.Errorf("reason %q, want it to contain %q", f.Reason, want)
				}
			}
			if !slices.ContainsFunc(f.Events, func(ev string) bool { return strings.Contains(ev, tt.events) }) {
				t.Errorf("failure events %q, want one containing %q", f.Events, tt.events)
			}

			rb := res.Rollback
			if rb == nil || !rb.Verified {
				t.Fatalf("rollback %+v, want one verified", rb)
			}
			var back []string
			for _, s := range rb.Services {
				back = append(back, s.Service)
				if s.To != e.seeded.Services[s.Service].TaskDefinition || s.Status != deploy.StatusSucceeded {
					t.Errorf("%s rolled back to %s (%s: %s), want its recorded %s", s.Service, short(s.To), s.Status, s.Detail, short(e.seeded.Services[s.Service].TaskDefinition))
				}
			}
			if want := slices.Sorted(slices.Values(ecsfake.ServiceNames())); !slices.Equal(back, want) {
				t.Errorf("rolled back %q, want every service the roll touched: %q", back, want)
			}
			for _, name := range ecsfake.ServiceNames() {
				s := e.service(t, name)
				p := s.Deployments[0]
				if aws.ToString(s.TaskDefinition) != e.seeded.Services[name].TaskDefinition || p.RolloutState != ecstypes.DeploymentRolloutStateCompleted || s.RunningCount != s.DesiredCount {
					t.Errorf("%s after the rollback: %s %s %d/%d", name, short(aws.ToString(s.TaskDefinition)), p.RolloutState, s.RunningCount, s.DesiredCount)
				}
			}
			if got := e.stepStatuses(); !slices.Equal(got[len(got)-4:], []string{"roll started", "roll failed", "rollback started", "rollback succeeded"}) {
				t.Errorf("last steps %q", got)
			}
			if n := len(e.f.CallsTo("DeregisterTaskDefinition")); n != 0 {
				t.Errorf("DeregisterTaskDefinition calls = %d", n)
			}
		})
	}
}

func TestFallbackVerificationWithoutServiceDeployments(t *testing.T) {
	e := newEnv(t, ecsfake.Options{NoServiceDeployments: true})
	current, next := e.releases()
	res, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-5"))
	if err != nil || !res.Succeeded {
		t.Fatalf("deploy: %v", err)
	}
	for _, s := range res.Services {
		if s.Status != deploy.StatusSucceeded || !strings.HasPrefix(s.Detail, "PRIMARY deployment on "+short(s.To)+" COMPLETED, 2/2 tasks running") {
			t.Errorf("%s: %s %q", s.Service, s.Status, s.Detail)
		}
	}
	if n := len(e.f.CallsTo("DescribeServiceDeployments")); n != 0 {
		t.Errorf("DescribeServiceDeployments calls = %d after ListServiceDeployments answered it is unknown", n)
	}
	for _, c := range e.f.CallsTo("ListServiceDeployments") {
		if c.Err != "UnknownOperationException" {
			t.Errorf("ListServiceDeployments answered %q", c.Err)
		}
	}
	e.onRevision(t, res.Revisions)
}

func TestServiceDeploymentsVerifyTheRoll(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	current, next := e.releases()
	res, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-6"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Services {
		if !strings.HasPrefix(s.Detail, "service deployment SUCCESSFUL; PRIMARY deployment on "+short(s.To)) {
			t.Errorf("%s verified by %q, want the service deployment", s.Service, s.Detail)
		}
	}
	// UpdateService names the service deployment it started: no listing.
	if n := len(e.f.CallsTo("ListServiceDeployments")); n != 0 {
		t.Errorf("ListServiceDeployments calls = %d, want 0", n)
	}
}

func TestTotalTimeoutEndsTheRollAndRollsBack(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	current, next := e.releases()
	// The migration takes 1m30s and a rollout 3m: 4m in total is not enough.
	next.Timeouts.Total = 4 * time.Minute
	res, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-30"))
	f := stepError(t, err).Failure
	if f.Step != deploy.StepRoll || !strings.Contains(f.Reason, "did not finish within") {
		t.Fatalf("failure %s, want the roll timed out", f)
	}
	if res.Rollback == nil || !res.Rollback.Verified {
		t.Fatalf("rollback %+v, want it verified although the deploy's time ran out", res.Rollback)
	}
	e.onRevision(t, e.seededRevisions())
}

func TestRetriedDeployRollsBackToTheFirstAttemptsPoints(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	current, next := e.releases()
	// A first attempt rolled every service and died before its checks.
	first, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-31"))
	if err != nil {
		t.Fatal(err)
	}
	// The retry finds the services on the new revisions; a smoke check fails.
	e.f.SetImageBehaviour("inventory-management/ui:v1.2.0", ecsfake.Behaviour{SmokeStatus: map[string]int{"/": 502}})
	req := e.request(&current, next, "gh-deployment-31")
	req.RollbackTo = first.RollbackPoints
	res, err := e.engine.Deploy(t.Context(), req)
	if f := stepError(t, err).Failure; f.Step != deploy.StepSmoke {
		t.Fatalf("failure %s, want the smoke step", f)
	}
	if res.Rollback == nil || !res.Rollback.Verified {
		t.Fatalf("rollback %+v", res.Rollback)
	}
	e.onRevision(t, e.seededRevisions())
	for name, p := range res.RollbackPoints {
		if p != e.seeded.Services[name].TaskDefinition {
			t.Errorf("%s: rollback point %s, want the first attempt's %s", name, short(p), short(e.seeded.Services[name].TaskDefinition))
		}
	}
}
