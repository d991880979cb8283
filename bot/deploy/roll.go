package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/sourcegraph/conc/pool"
)

// move is one service set to a task definition.
type move struct {
	name    string // the release's service name
	service string // the ECS service
	from    string // the task definition it ran (the rollback point)
	to      string
	image   string
}

// rollFailure is a service whose deployment did not end on its task
// definition.
type rollFailure struct {
	reason string
	events []string // the service's newest events
	cause  error
}

func (f *rollFailure) Error() string { return f.reason }
func (f *rollFailure) Unwrap() error { return f.cause }

// roll sets every service of moves to its task definition, at most
// Concurrency at once, and verifies each: a service's deployment must end
// within timeout of its UpdateService, and by end at the latest. With stopOnFailure (a roll
// forward) the first failure stops the others, and a service not yet updated
// is not touched; without it (a rollback) every service is set back
// whatever the others do. touched reports, by index, the services an
// UpdateService was sent for, answered or not: those a rollback must set
// back.
func (e *Engine) roll(ctx context.Context, t *Target, step Step, moves []move, stopOnFailure bool, timeout time.Duration, end time.Time, em *emitter) (results []ServiceResult, touched []bool, failed *rollFailure, failedAt int) {
	results = make([]ServiceResult, len(moves))
	touched = make([]bool, len(moves))
	fails := make([]*rollFailure, len(moves))
	p := pool.New().WithContext(ctx).WithMaxGoroutines(e.cfg.Concurrency)
	if stopOnFailure {
		p = p.WithCancelOnError()
	}
	for i, m := range moves {
		results[i] = ServiceResult{Service: m.name, From: m.from, To: m.to, Image: m.image, Status: StatusSkipped, Detail: "not started: another service failed first"}
		p.Go(func(ctx context.Context) error {
			if ctx.Err() != nil {
				return nil
			}
			em.service(step, m.name, StatusStarted, m.to, "updating %s to %s", m.service, shortTD(m.to))
			touched[i] = true
			deadline, limit := e.now().Add(timeout), timeout
			if end.Before(deadline) {
				deadline, limit = end, end.Sub(e.now())
			}
			detail, err := e.update(ctx, t, m, limit, deadline, em, step)
			if err != nil && ctx.Err() != nil && !errors.Is(err, errTimedOut) {
				results[i].Status, results[i].Detail = StatusSkipped, "stopped: another service failed"
				em.service(step, m.name, StatusSkipped, m.to, "stopped: another service failed")
				return nil
			}
			if err != nil {
				var rf *rollFailure
				if !errors.As(err, &rf) {
					rf = &rollFailure{reason: err.Error(), cause: err}
				}
				fails[i] = rf
				results[i].Status, results[i].Detail = StatusFailed, rf.reason
				em.service(step, m.name, StatusFailed, m.to, "%s", rf.reason)
				return rf
			}
			results[i].Status, results[i].Detail = StatusSucceeded, detail
			em.service(step, m.name, StatusSucceeded, m.to, "%s", detail)
			return nil
		})
	}
	_ = p.Wait() // the failures are in fails
	for i, f := range fails {
		if f != nil {
			return results, touched, f, i
		}
	}
	return results, touched, nil, -1
}

// update sets one service to m.to and waits until the deployment ended on
// it. It returns how that was verified.
//
// ECS: UpdateService (only the task definition)
func (e *Engine) update(ctx context.Context, t *Target, m move, timeout time.Duration, deadline time.Time, em *emitter, step Step) (string, error) {
	out, err := e.cfg.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:        aws.String(t.Cluster),
		Service:        aws.String(m.service),
		TaskDefinition: aws.String(m.to),
	})
	if err != nil {
		return "", fmt.Errorf("update service %s to %s: %w", m.service, shortTD(m.to), err)
	}
	sd := ""
	if out.Service != nil {
		sd = aws.ToString(out.Service.CurrentServiceDeployment)
	}
	return e.verify(ctx, t, m, sd, timeout, deadline, em, step)
}

// verify waits until service m.service has finished deploying m.to. With
// the service-deployments API that is the service deployment reaching
// SUCCESSFUL (or ROLLBACK_SUCCESSFUL, for a rollback onto m.to); without it,
// the PRIMARY deployment on m.to with rolloutState COMPLETED and as many
// tasks running as desired. Either way the service itself must run m.to at
// the end: after a circuit-breaker rollback a service looks stable, on the
// old task definition, and that is a failure here, noticed as soon as the
// rollback starts.
//
// ECS: ListServiceDeployments (when UpdateService named no current service
// deployment), DescribeServiceDeployments, DescribeServices
func (e *Engine) verify(ctx context.Context, t *Target, m move, sdARN string, timeout time.Duration, deadline time.Time, em *emitter, step Step) (string, error) {
	useSD := !e.noServiceDeployments.Load()
	if useSD && sdARN == "" {
		out, err := e.cfg.ECS.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(t.Cluster), Service: aws.String(m.service), MaxResults: aws.Int32(1)})
		switch {
		case unavailable(err):
			e.noServiceDeployments.Store(true)
			useSD = false
		case err != nil:
			return "", fmt.Errorf("list service deployments of %s: %w", m.service, err)
		case len(out.ServiceDeployments) == 0:
			useSD = false
		default:
			sdARN = aws.ToString(out.ServiceDeployments[0].ServiceDeploymentArn)
		}
	}
	var (
		last   string // where the deployment is, for a timeout
		svc    ecstypes.Service
		detail string
	)
	fail := func(format string, args ...any) error {
		return &rollFailure{reason: fmt.Sprintf(format, args...), events: newestEvents(svc, 5)}
	}
	// settled checks the service itself: it runs m.to, PRIMARY and
	// COMPLETED, with every task running.
	settled := func(ctx context.Context) (bool, error) {
		s, err := e.describeService(ctx, t, m.service)
		if err != nil {
			return false, err
		}
		svc = s
		primary, ok := primaryDeployment(s)
		if !ok {
			return false, fail("service %s has no PRIMARY deployment", m.service)
		}
		td := aws.ToString(primary.TaskDefinition)
		if td != m.to {
			return false, fail("service %s runs %s, not %s: the deployment was rolled back (%s)", m.service, shortTD(td), shortTD(m.to), aws.ToString(primary.RolloutStateReason))
		}
		last = fmt.Sprintf("PRIMARY deployment %s, %d/%d tasks running, %d failed", orDash(string(primary.RolloutState)), primary.RunningCount, primary.DesiredCount, primary.FailedTasks)
		switch primary.RolloutState {
		case ecstypes.DeploymentRolloutStateFailed:
			return false, fail("deployment of %s to %s failed: %s", m.service, shortTD(m.to), aws.ToString(primary.RolloutStateReason))
		case ecstypes.DeploymentRolloutStateCompleted:
		case "":
			// A deployment without a rollout state (not the ECS
			// deployment controller's): done when it is the only one.
			if len(s.Deployments) != 1 {
				return false, nil
			}
		default:
			return false, nil
		}
		if primary.RunningCount != primary.DesiredCount || s.RunningCount != s.DesiredCount {
			return false, nil
		}
		if detail == "" {
			detail = fmt.Sprintf("PRIMARY deployment on %s COMPLETED, %d/%d tasks running", shortTD(m.to), s.RunningCount, s.DesiredCount)
		}
		return true, nil
	}
	status := ""
	err := e.poll(ctx, deadline, e.cfg.Poll.Rollout, func(ctx context.Context) (bool, error) {
		if !useSD {
			return settled(ctx)
		}
		out, err := e.cfg.ECS.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{sdARN}})
		if unavailable(err) {
			e.noServiceDeployments.Store(true)
			useSD = false
			return settled(ctx)
		}
		if err != nil {
			return false, fmt.Errorf("describe service deployment of %s: %w", m.service, err)
		}
		if len(out.ServiceDeployments) != 1 {
			return false, fmt.Errorf("describe service deployment %s: %s", sdARN, failures(out.Failures))
		}
		d := out.ServiceDeployments[0]
		if s := string(d.Status); s != status {
			status = s
			em.service(step, m.name, StatusProgress, m.to, "service deployment %s", s)
		}
		last = "service deployment " + string(d.Status)
		reason := aws.ToString(d.StatusReason)
		switch d.Status {
		case ecstypes.ServiceDeploymentStatusSuccessful, ecstypes.ServiceDeploymentStatusRollbackSuccessful:
			detail = fmt.Sprintf("service deployment %s; PRIMARY deployment on %s", d.Status, shortTD(m.to))
			return settled(ctx)
		case ecstypes.ServiceDeploymentStatusRollbackRequested, ecstypes.ServiceDeploymentStatusRollbackInProgress:
			// Rolling back onto m.to (a rollback of ours the breaker had
			// started already) is progress; away from it, a failure.
			s, err := e.describeService(ctx, t, m.service)
			if err != nil {
				return false, err
			}
			svc = s
			if p, ok := primaryDeployment(s); ok && aws.ToString(p.TaskDefinition) == m.to {
				return false, nil
			}
			return false, fail("service deployment of %s to %s is %s: %s", m.service, shortTD(m.to), d.Status, orDash(reason))
		case ecstypes.ServiceDeploymentStatusStopped, ecstypes.ServiceDeploymentStatusRollbackFailed:
			if s, err := e.describeService(ctx, t, m.service); err == nil {
				svc = s
			}
			return false, fail("service deployment of %s to %s is %s: %s", m.service, shortTD(m.to), d.Status, orDash(reason))
		}
		return false, nil
	})
	if errors.Is(err, errTimedOut) {
		if svc.ServiceArn == nil {
			if s, err := e.describeService(ctx, t, m.service); err == nil {
				svc = s
			}
		}
		return "", &rollFailure{reason: fmt.Sprintf("deployment of %s to %s did not finish within %s: %s", m.service, shortTD(m.to), timeout, orDash(last)), events: newestEvents(svc, 5), cause: err}
	}
	if err != nil {
		return "", err
	}
	return detail, nil
}

// describeService describes one service.
//
// ECS: DescribeServices
func (e *Engine) describeService(ctx context.Context, t *Target, service string) (ecstypes.Service, error) {
	out, err := e.cfg.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(t.Cluster), Services: []string{service}})
	if err != nil {
		return ecstypes.Service{}, fmt.Errorf("describe service %s: %w", service, err)
	}
	if len(out.Services) != 1 {
		return ecstypes.Service{}, fmt.Errorf("describe service %s: %s", service, failures(out.Failures))
	}
	return out.Services[0], nil
}

func primaryDeployment(s ecstypes.Service) (ecstypes.Deployment, bool) {
	for _, d := range s.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return d, true
		}
	}
	return ecstypes.Deployment{}, false
}

func newestEvents(s ecstypes.Service, n int) []string {
	var out []string
	for _, ev := range s.Events {
		if len(out) == n {
			break
		}
		out = append(out, aws.ToString(ev.Message))
	}
	return out
}

// unavailable says whether err is an endpoint answering that it does not
// serve the operation (the service-deployments API is from 2024).
func unavailable(err error) bool {
	switch apiErrorCode(err) {
	case "UnknownOperationException", "InvalidAction", "NotImplemented":
		return true
	}
	return false
}

// shortTD is family:revision of a task definition ARN.
func shortTD(arn string) string {
	if i := strings.LastIndex(arn, "task-definition/"); i >= 0 {
		return arn[i+len("task-definition/"):]
	}
	return arn
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
