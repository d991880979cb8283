package ecsfake_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
)

const (
	rollout = 3 * time.Minute  // Options.RolloutDuration default
	start   = 30 * time.Second // Options.TaskStartDuration default
)

func TestSeedIsSteady(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	for _, name := range ecsfake.ServiceNames() {
		svc := e.service(t, s.Cluster, name)
		want := []string{"PRIMARY " + shortTD(s.Services[name].TaskDefinition) + " COMPLETED 2/2 failed=0"}
		if got := deployments(svc); !slices.Equal(got, want) {
			t.Errorf("%s deployments = %q, want %q", name, got, want)
		}
		if svc.RunningCount != 2 || svc.DesiredCount != 2 || aws.ToString(svc.TaskDefinition) != s.Services[name].TaskDefinition {
			t.Errorf("%s running/desired/taskDefinition = %d/%d/%s", name, svc.RunningCount, svc.DesiredCount, aws.ToString(svc.TaskDefinition))
		}
		cb := svc.DeploymentConfiguration.DeploymentCircuitBreaker
		if cb == nil || !cb.Enable || !cb.Rollback {
			t.Errorf("%s circuit breaker = %+v, want enabled with rollback", name, cb)
		}
	}
	if got := len(e.f.Calls()); got != 6 {
		t.Errorf("calls after seeding and describing = %d, want only the 6 DescribeServices (seeding is no API call)", got)
	}
}

func TestRollout(t *testing.T) {
	type step struct {
		after       time.Duration // since UpdateService
		deployments []string      // with NEW and OLD standing for the task definitions
		serviceTD   string        // NEW or OLD
		running     int32
	}
	tests := []struct {
		name      string
		behaviour *ecsfake.Behaviour
		breaker   *ecstypes.DeploymentCircuitBreaker // nil: as seeded (on, rollback)
		steps     []step
		events    []string
	}{
		{
			name: "a healthy image completes RolloutDuration after UpdateService and the old deployment goes",
			steps: []step{
				{0, []string{"PRIMARY NEW IN_PROGRESS 0/2 failed=0", "ACTIVE OLD COMPLETED 2/2 failed=0"}, "NEW", 2},
				{start, []string{"PRIMARY NEW IN_PROGRESS 2/2 failed=0", "ACTIVE OLD COMPLETED 2/2 failed=0"}, "NEW", 4},
				{rollout - time.Second, []string{"PRIMARY NEW IN_PROGRESS 2/2 failed=0", "ACTIVE OLD COMPLETED 2/2 failed=0"}, "NEW", 4},
				{rollout, []string{"PRIMARY NEW COMPLETED 2/2 failed=0"}, "NEW", 2},
			},
			events: []string{"deployment completed", "has reached a steady state", "has stopped 2 running tasks"},
		},
		{
			name:      "tasks failing to start trip the circuit breaker, which rolls back to the old task definition and completes",
			behaviour: &ecsfake.Behaviour{FailToStart: true},
			steps: []step{
				{start, []string{"PRIMARY NEW IN_PROGRESS 0/2 failed=2", "ACTIVE OLD COMPLETED 2/2 failed=0"}, "NEW", 2},
				// Threshold 3 (ECS: half of 2, at least 3): the second attempt trips it.
				{2 * start, []string{"PRIMARY OLD IN_PROGRESS 0/2 failed=0", "ACTIVE NEW FAILED 0/2 failed=4", "ACTIVE OLD COMPLETED 2/2 failed=0"}, "OLD", 2},
				{2*start + rollout, []string{"PRIMARY OLD COMPLETED 2/2 failed=0"}, "OLD", 2},
			},
			events: []string{"deployment failed: tasks failed to start", "rolling back to deployment", "has reached a steady state"},
		},
		{
			name:      "with the circuit breaker off a failing deployment stays IN_PROGRESS while tasks keep failing",
			behaviour: &ecsfake.Behaviour{FailToStart: true, StartFailureReason: "CannotPullContainerError: manifest unknown"},
			breaker:   &ecstypes.DeploymentCircuitBreaker{},
			steps: []step{
				{10 * start, []string{"PRIMARY NEW IN_PROGRESS 0/2 failed=20", "ACTIVE OLD COMPLETED 2/2 failed=0"}, "NEW", 2},
				{time.Hour, []string{"PRIMARY NEW IN_PROGRESS 0/2 failed=240", "ACTIVE OLD COMPLETED 2/2 failed=0"}, "NEW", 2},
			},
			events: []string{"tasks failed to start: CannotPullContainerError: manifest unknown", "unable to consistently start tasks successfully"},
		},
		{
			name:      "with the circuit breaker on and rollback off the deployment is FAILED and stays PRIMARY",
			behaviour: &ecsfake.Behaviour{FailToStart: true},
			breaker:   &ecstypes.DeploymentCircuitBreaker{Enable: true},
			steps: []step{
				{time.Hour, []string{"PRIMARY NEW FAILED 0/2 failed=4", "ACTIVE OLD COMPLETED 2/2 failed=0"}, "NEW", 2},
			},
			events: []string{"deployment failed: tasks failed to start"},
		},
		{
			name:      "an image unhealthy behind the load balancer still completes its rollout",
			behaviour: &ecsfake.Behaviour{Unhealthy: true},
			steps: []step{
				{rollout, []string{"PRIMARY NEW COMPLETED 2/2 failed=0"}, "NEW", 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, s := seeded(t, ecsfake.Options{})
			api := s.Services["api-gateway"]
			if tt.breaker != nil {
				if _, err := e.ecs.UpdateService(t.Context(), &ecs.UpdateServiceInput{
					Cluster: aws.String(s.Cluster), Service: aws.String("api-gateway"),
					DeploymentConfiguration: &ecstypes.DeploymentConfiguration{DeploymentCircuitBreaker: tt.breaker},
				}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.behaviour != nil {
				e.f.SetImageBehaviour(api.Repository+":v1.2.0", *tt.behaviour)
			}
			next := e.release(t, api, "v1.2.0")
			names := map[string]string{"NEW": shortTD(next), "OLD": shortTD(api.TaskDefinition)}
			updated := e.update(t, s.Cluster, "api-gateway", next)
			if got := aws.ToString(updated.TaskDefinition); got != next {
				t.Errorf("UpdateService answered taskDefinition %s, want %s", got, next)
			}
			began := e.clock.Now()
			var svc ecstypes.Service
			for _, st := range tt.steps {
				e.clock.Advance(began.Add(st.after).Sub(e.clock.Now()))
				svc = e.service(t, s.Cluster, "api-gateway")
				var want []string
				for _, d := range st.deployments {
					for k, v := range names {
						d = strings.ReplaceAll(d, k, v)
					}
					want = append(want, d)
				}
				if got := deployments(svc); !slices.Equal(got, want) {
					t.Errorf("after %v: deployments\n got %q\nwant %q", st.after, got, want)
				}
				if got := shortTD(aws.ToString(svc.TaskDefinition)); got != names[st.serviceTD] {
					t.Errorf("after %v: service taskDefinition %s, want %s", st.after, got, names[st.serviceTD])
				}
				if svc.RunningCount != st.running {
					t.Errorf("after %v: runningCount %d, want %d", st.after, svc.RunningCount, st.running)
				}
			}
			for _, ev := range tt.events {
				if !hasEvent(svc, ev) {
					t.Errorf("no event mentions %q; newest events: %q", ev, eventMessages(svc)[:min(6, len(svc.Events))])
				}
			}
		})
	}
}

func eventMessages(s ecstypes.Service) []string {
	var out []string
	for _, ev := range s.Events {
		out = append(out, aws.ToString(ev.Message))
	}
	return out
}

// The trap of DESIGN.md §5: after a circuit-breaker rollback the services
// look stable (steady state, running = desired, one COMPLETED deployment);
// only the PRIMARY deployment's task definition and the service deployment
// tell that the release failed.
func TestRollbackLooksStableButServiceDeploymentSaysRolledBack(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	api := s.Services["api-gateway"]
	e.f.SetImageBehaviour(api.Repository+":v1.2.0", ecsfake.Behaviour{FailToStart: true})
	next := e.release(t, api, "v1.2.0")
	e.update(t, s.Cluster, "api-gateway", next)
	e.clock.Advance(time.Hour)

	waiter := ecs.NewServicesStableWaiter(e.ecs)
	if err := waiter.Wait(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(s.Cluster), Services: []string{"api-gateway"}}, time.Second); err != nil {
		t.Fatalf("services-stable waiter: %v, want it satisfied (that is the trap)", err)
	}
	svc := e.service(t, s.Cluster, "api-gateway")
	if got := aws.ToString(svc.Deployments[0].TaskDefinition); got != api.TaskDefinition {
		t.Errorf("PRIMARY deployment on %s, want the rolled-back-to %s", got, api.TaskDefinition)
	}

	list, err := e.ecs.ListServiceDeployments(t.Context(), &ecs.ListServiceDeploymentsInput{Cluster: aws.String(s.Cluster), Service: aws.String("api-gateway")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.ServiceDeployments) != 2 {
		t.Fatalf("service deployments = %+v, want the seeded one and the release", list.ServiceDeployments)
	}
	newest := list.ServiceDeployments[0]
	if newest.Status != ecstypes.ServiceDeploymentStatusRollbackSuccessful || aws.ToString(svc.CurrentServiceDeployment) != aws.ToString(newest.ServiceDeploymentArn) {
		t.Errorf("newest service deployment %s is %s, service's current is %s; want ROLLBACK_SUCCESSFUL and current",
			aws.ToString(newest.ServiceDeploymentArn), newest.Status, aws.ToString(svc.CurrentServiceDeployment))
	}
	desc, err := e.ecs.DescribeServiceDeployments(t.Context(), &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(newest.ServiceDeploymentArn)}})
	if err != nil {
		t.Fatal(err)
	}
	sd := desc.ServiceDeployments[0]
	if cb := sd.DeploymentCircuitBreaker; cb == nil || cb.Status != ecstypes.ServiceDeploymentRollbackMonitorsStatusTriggered || cb.FailureCount != 4 || cb.Threshold != 3 {
		t.Errorf("circuit breaker = %+v, want TRIGGERED with 4 failures over threshold 3", sd.DeploymentCircuitBreaker)
	}
	if sd.Rollback == nil || sd.Rollback.ServiceRevisionArn == nil {
		t.Fatalf("rollback = %+v, want the revision rolled back to", sd.Rollback)
	}
	revs, err := e.ecs.DescribeServiceRevisions(t.Context(), &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: []string{
		aws.ToString(sd.TargetServiceRevision.Arn), aws.ToString(sd.Rollback.ServiceRevisionArn),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(revs.ServiceRevisions) != 2 || aws.ToString(revs.ServiceRevisions[0].TaskDefinition) != next || aws.ToString(revs.ServiceRevisions[1].TaskDefinition) != api.TaskDefinition {
		t.Errorf("target and rollback revisions = %+v, want %s then %s", revs.ServiceRevisions, next, api.TaskDefinition)
	}

	// The failed tasks are there to read the reason from.
	stopped, err := e.ecs.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String(s.Cluster), ServiceName: aws.String("api-gateway"), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := e.ecs.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(s.Cluster), Tasks: stopped.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, task := range tasks.Tasks {
		if task.StopCode == ecstypes.TaskStopCodeTaskFailedToStart && aws.ToString(task.TaskDefinitionArn) == next {
			failed++
		}
	}
	if failed != 4 {
		t.Errorf("%d stopped tasks of %s failed to start, want 4", failed, next)
	}
}

func TestUpdateServiceKnobs(t *testing.T) {
	t.Run("forceNewDeployment rolls out the same task definition again", func(t *testing.T) {
		e, s := seeded(t, ecsfake.Options{})
		out, err := e.ecs.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String(s.Cluster), Service: aws.String("user"), ForceNewDeployment: true})
		if err != nil {
			t.Fatal(err)
		}
		td := shortTD(s.Services["user"].TaskDefinition)
		want := []string{"PRIMARY " + td + " IN_PROGRESS 0/2 failed=0", "ACTIVE " + td + " COMPLETED 2/2 failed=0"}
		if got := deployments(*out.Service); !slices.Equal(got, want) {
			t.Errorf("deployments = %q, want %q", got, want)
		}
	})
	t.Run("desiredCount scales the PRIMARY deployment without a new one", func(t *testing.T) {
		e, s := seeded(t, ecsfake.Options{})
		if _, err := e.ecs.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String(s.Cluster), Service: aws.String("user"), DesiredCount: aws.Int32(3)}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(start)
		td := shortTD(s.Services["user"].TaskDefinition)
		svc := e.service(t, s.Cluster, "user")
		if got, want := deployments(svc), []string{"PRIMARY " + td + " COMPLETED 3/3 failed=0"}; !slices.Equal(got, want) || svc.RunningCount != 3 {
			t.Errorf("deployments = %q running %d, want %q running 3", got, svc.RunningCount, want)
		}
	})
	t.Run("an unknown or inactive task definition is a ClientException", func(t *testing.T) {
		e, s := seeded(t, ecsfake.Options{})
		for _, td := range []string{"nothing:1", s.Services["user"].Family + ":7"} {
			_, err := e.ecs.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String(s.Cluster), Service: aws.String("user"), TaskDefinition: aws.String(td)})
			var ce *ecstypes.ClientException
			if !errors.As(err, &ce) {
				t.Errorf("update to %s: err = %v, want ClientException", td, err)
			}
		}
	})
	t.Run("an unknown service or cluster is ServiceNotFound or ClusterNotFound", func(t *testing.T) {
		e, s := seeded(t, ecsfake.Options{})
		_, err := e.ecs.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String(s.Cluster), Service: aws.String("billing"), ForceNewDeployment: true})
		var snf *ecstypes.ServiceNotFoundException
		if !errors.As(err, &snf) {
			t.Errorf("unknown service: err = %v, want ServiceNotFoundException", err)
		}
		_, err = e.ecs.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod-inventory"), Service: aws.String("user"), ForceNewDeployment: true})
		var cnf *ecstypes.ClusterNotFoundException
		if !errors.As(err, &cnf) {
			t.Errorf("unknown cluster: err = %v, want ClusterNotFoundException", err)
		}
	})
}

func TestServiceDeploymentsCanBeTurnedOff(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{NoServiceDeployments: true})
	api := s.Services["api-gateway"]
	e.update(t, s.Cluster, "api-gateway", e.release(t, api, "v1.2.0"))
	for name, call := range map[string]func() error{
		"ListServiceDeployments": func() error {
			_, err := e.ecs.ListServiceDeployments(t.Context(), &ecs.ListServiceDeploymentsInput{Cluster: aws.String(s.Cluster), Service: aws.String("api-gateway")})
			return err
		},
		"DescribeServiceDeployments": func() error {
			_, err := e.ecs.DescribeServiceDeployments(t.Context(), &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{"arn:aws:ecs:us-east-1:123456789012:service-deployment/x/y/z"}})
			return err
		},
	} {
		err := call()
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "UnknownOperationException" {
			t.Errorf("%s: err = %v, want an API error UnknownOperationException", name, err)
		}
	}
	svc := e.service(t, s.Cluster, "api-gateway")
	if svc.CurrentServiceDeployment != nil {
		t.Errorf("currentServiceDeployment = %s, want none from an endpoint without the API", aws.ToString(svc.CurrentServiceDeployment))
	}
	if len(svc.Deployments) != 2 {
		t.Errorf("deployments array = %q, want the fallback to still show both deployments", deployments(svc))
	}
}

// The engine updates services concurrently; every update lands.
func TestConcurrentUpdates(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	next := map[string]string{}
	for _, name := range ecsfake.ServiceNames() {
		next[name] = e.release(t, s.Services[name], "v1.2.0")
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(next))
	for name, td := range next {
		wg.Go(func() {
			_, err := e.ecs.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String(s.Cluster), Service: aws.String(name), TaskDefinition: aws.String(td)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	e.clock.Advance(rollout)
	for name, td := range next {
		svc := e.service(t, s.Cluster, name)
		want := []string{"PRIMARY " + shortTD(td) + " COMPLETED 2/2 failed=0"}
		if got := deployments(svc); !slices.Equal(got, want) {
			t.Errorf("%s deployments = %q, want %q", name, got, want)
		}
	}
	if got := len(e.f.CallsTo("UpdateService")); got != 6 {
		t.Errorf("UpdateService calls recorded = %d, want 6", got)
	}
}
