package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/gitops-bot/gitops/bot/release"
)

// SeedRequest runs seed steps of a release in an environment.
type SeedRequest struct {
	Target  *Target
	Release release.Release
	// Steps names the steps to run; empty runs them all. They run in the
	// order of the release file whatever the order here.
	Steps []string
	// Token identifies this seed (e.g. the /seed comment's id) and is the
	// same for every attempt of it: each step's RunTask client token is
	// derived from it, so that a step never runs twice for one token.
	Token string
	// Progress receives the events, one at a time, in order; nil drops them.
	Progress func(Event)
}

// Seed runs the seed steps as one-off tasks, one after the other: each in
// the task definition its service runs now, with the step's command, waited
// for and checked like a migration (see runTask). A failing step stops the
// rest; the result carries its log tail.
//
// The result is nil only when the request is invalid (an unknown step name
// is reported with the known ones); otherwise err is a *StepError exactly
// when a step failed.
//
// ECS: DescribeServices, DescribeTaskDefinition, then RunTask and
// DescribeTasks per step. Logs: GetLogEvents.
func (e *Engine) Seed(ctx context.Context, req SeedRequest) (*SeedResult, error) {
	steps, err := seedSteps(req)
	if err != nil {
		return nil, err
	}
	op := "seed " + req.Release.Environment
	t := req.Target
	em := &emitter{fn: req.Progress, now: e.now}
	res := &SeedResult{Env: req.Release.Environment}
	for _, s := range steps {
		service := seedService(req.Release, s)
		st := t.Services[service]
		sr := SeedStepResult{Name: s.Name, Service: service, Status: StatusFailed}
		em.emit(Event{Step: StepSeed, Seed: s.Name, Service: service, Status: StatusStarted, Message: strings.Join(s.Command, " ")})
		td, err := e.liveTaskDefinition(ctx, t, st.Service)
		if err == nil {
			timeout := s.Timeout
			if timeout <= 0 {
				timeout = release.DefaultSeedTimeout
			}
			sr.Task, err = e.runTask(ctx, t, oneOff{
				step: StepSeed, seed: s.Name, service: service, td: td,
				container: st.Container, command: s.Command,
				token:   clientToken("seed", req.Release.Environment, req.Token, s.Name),
				timeout: timeout, deadline: e.now().Add(timeout),
			}, em)
		}
		if err != nil {
			res.Steps = append(res.Steps, sr)
			f := failure(StepSeed, service, err)
			f.Seed = s.Name
			if sr.Task != nil {
				f.LogTail = sr.Task.LogTail
			}
			res.Failure = f
			em.emit(Event{Step: StepSeed, Seed: s.Name, Service: service, Status: StatusFailed, Message: f.Reason})
			return res, &StepError{Op: op, Failure: f}
		}
		sr.Status = StatusSucceeded
		res.Steps = append(res.Steps, sr)
		em.emit(Event{Step: StepSeed, Seed: s.Name, Service: service, Status: StatusSucceeded, TaskDefinition: sr.Task.TaskDefinition, Task: sr.Task.TaskARN, Message: "exited 0"})
	}
	res.Succeeded = true
	return res, nil
}

// seedSteps checks req and picks its steps, in file order.
func seedSteps(req SeedRequest) ([]release.SeedStep, error) {
	op := "seed " + req.Release.Environment
	var errs []error
	if err := req.Target.Validate(); err != nil {
		errs = append(errs, err)
	}
	if req.Token == "" {
		errs = append(errs, errors.New("no token"))
	}
	if len(req.Release.Seed) == 0 {
		errs = append(errs, fmt.Errorf("release %s has no seed steps", req.Release.Version))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	known := make([]string, len(req.Release.Seed))
	for i, s := range req.Release.Seed {
		known[i] = s.Name
	}
	var unknown []string
	for _, n := range req.Steps {
		if !slices.Contains(known, n) && !slices.Contains(unknown, n) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%s: unknown seed step(s) %s; the release has %s", op, strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	var steps []release.SeedStep
	for _, s := range req.Release.Seed {
		if len(req.Steps) == 0 || slices.Contains(req.Steps, s.Name) {
			steps = append(steps, s)
		}
	}
	for _, s := range steps {
		service := seedService(req.Release, s)
		if service == "" {
			errs = append(errs, fmt.Errorf("step %s names no service and the release has no migrations service", s.Name))
		} else if _, ok := req.Target.Services[service]; !ok {
			errs = append(errs, fmt.Errorf("step %s runs in service %s, which is not in the target", s.Name, service))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return steps, nil
}

// seedService is the service whose task definition a seed step runs in:
// its own, else the migrations service.
func seedService(r release.Release, s release.SeedStep) string {
	if s.Service != "" {
		return s.Service
	}
	if r.Migrations != nil {
		return r.Migrations.Service
	}
	return ""
}

// liveTaskDefinition describes the task definition a service runs now.
//
// ECS: DescribeServices, DescribeTaskDefinition
func (e *Engine) liveTaskDefinition(ctx context.Context, t *Target, service string) (*ecstypes.TaskDefinition, error) {
	s, err := e.describeService(ctx, t, service)
	if err != nil {
		return nil, err
	}
	out, err := e.cfg.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: s.TaskDefinition})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", shortTD(aws.ToString(s.TaskDefinition)), err)
	}
	if out.TaskDefinition == nil {
		return nil, fmt.Errorf("describe task definition %s: no task definition in the answer", shortTD(aws.ToString(s.TaskDefinition)))
	}
	return out.TaskDefinition, nil
}
