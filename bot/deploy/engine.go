package deploy

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// ECS is the part of the ECS API the engine calls; *ecs.Client satisfies it.
// ListServiceDeployments and DescribeServiceDeployments (2024) may answer
// UnknownOperationException on an older endpoint or emulator: the engine then
// verifies rollouts from the service's deployments array instead.
type ECS interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, opts ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	RunTask(ctx context.Context, in *ecs.RunTaskInput, opts ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, opts ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, opts ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
}

// ECR looks images up; *ecr.Client satisfies it.
type ECR interface {
	DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, opts ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// TargetHealth reads load balancer target health; *elasticloadbalancingv2.Client satisfies it.
type TargetHealth interface {
	DescribeTargetHealth(ctx context.Context, in *elb.DescribeTargetHealthInput, opts ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
}

// Logs reads a one-off task's log stream; *cloudwatchlogs.Client satisfies it.
type Logs interface {
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// Alarms reads alarm states during the bake; *cloudwatch.Client satisfies it.
type Alarms interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// Intervals are how often the engine polls while it waits.
type Intervals struct {
	Task    time.Duration // a one-off task until STOPPED; default 6s
	Rollout time.Duration // a service deployment until it ends; default 15s
	Health  time.Duration // target health until every target is healthy; default 10s
	Smoke   time.Duration // failing smoke checks, again; default 5s
	Bake    time.Duration // alarms during the bake; default 30s
}

// Config configures an Engine. ECS is required; ECR, ELB, Logs, CloudWatch
// and HTTP are needed by the steps that use them (Resolve and the image
// check, target health, log tails, the bake, smoke checks). Zero values of
// the rest take the defaults.
type Config struct {
	ECS        ECS
	ECR        ECR
	ELB        TargetHealth
	Logs       Logs
	CloudWatch Alarms
	// HTTP makes the smoke checks; default http.DefaultClient. Each check's
	// own timeout bounds its request.
	HTTP *http.Client

	// Now is the clock every step timeout is measured on; default time.Now.
	Now func() time.Time
	// Sleep waits between polls; default a timer that returns early with
	// ctx's error. A test's Sleep advances a fake clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// Poll are the polling intervals.
	Poll Intervals
	// Concurrency bounds how many services roll (and roll back) at once;
	// default 4.
	Concurrency int
	// LogTailLines is how many of the last log lines of a one-off task a
	// result carries; default 50.
	LogTailLines int
	// StartedBy marks the one-off tasks the engine starts; default "gitops".
	StartedBy string
}

// Default values of Config.
const (
	DefaultConcurrency  = 4
	DefaultLogTailLines = 50
	DefaultStartedBy    = "gitops"
)

// DefaultIntervals are the polling intervals of a zero Config.Poll.
func DefaultIntervals() Intervals {
	return Intervals{Task: 6 * time.Second, Rollout: 15 * time.Second, Health: 10 * time.Second, Smoke: 5 * time.Second, Bake: 30 * time.Second}
}

// Engine deploys releases. It is safe for concurrent use by several
// deploys (to different environments: the caller holds the environment's
// lock).
type Engine struct {
	cfg Config
	// noServiceDeployments is set once the service-deployments API answered
	// that it does not exist, so that later verifications skip it.
	noServiceDeployments atomic.Bool
}

// New returns an engine, or an error when cfg has no ECS client.
func New(cfg Config) (*Engine, error) {
	if cfg.ECS == nil {
		return nil, errors.New("deploy: Config.ECS is required")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	def := DefaultIntervals()
	for _, p := range []struct{ v, d *time.Duration }{
		{&cfg.Poll.Task, &def.Task}, {&cfg.Poll.Rollout, &def.Rollout}, {&cfg.Poll.Health, &def.Health},
		{&cfg.Poll.Smoke, &def.Smoke}, {&cfg.Poll.Bake, &def.Bake},
	} {
		if *p.v <= 0 {
			*p.v = *p.d
		}
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.LogTailLines <= 0 {
		cfg.LogTailLines = DefaultLogTailLines
	}
	if cfg.StartedBy == "" {
		cfg.StartedBy = DefaultStartedBy
	}
	return &Engine{cfg: cfg}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (e *Engine) now() time.Time { return e.cfg.Now() }

// errTimedOut is what poll returns when the deadline passed first.
var errTimedOut = errors.New("timed out")

// poll calls check until it reports done or an error, sleeping interval
// between calls, until deadline on the engine's clock. It returns
// errTimedOut only after a check made at or after the deadline failed, so
// that a late wake-up (a slow call, a busy machine) never turns into a
// timeout without a last look; and ctx's error when ctx ends.
func (e *Engine) poll(ctx context.Context, deadline time.Time, interval time.Duration, check func(ctx context.Context) (done bool, err error)) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		at := e.now()
		done, err := check(ctx)
		if err != nil || done {
			return err
		}
		if !at.Before(deadline) {
			return errTimedOut
		}
		if left := deadline.Sub(e.now()); left > 0 {
			if err := e.cfg.Sleep(ctx, min(interval, left)); err != nil {
				return err
			}
		}
	}
}
