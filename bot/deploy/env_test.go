package deploy_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	logs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
	"github.com/gitops-bot/gitops/bot/release"
)

// The fake's default timings (ecsfake.Options).
const (
	rollout   = 3 * time.Minute
	taskStart = 30 * time.Second
)

var migrateCommand = []string{"alembic", "upgrade", "head"}

// env is the inventory-management application of staging seeded in a
// started ecsfake at v1.1.0, with v1.2.0's images pushed, and an engine
// talking to it through the real SDK clients. The engine's clock is the
// fake's manual clock and its Sleep advances it (see simClock): minutes
// pass in milliseconds.
type env struct {
	f      *ecsfake.Fake
	clock  *ecsfake.ManualClock
	seeded *ecsfake.Seeded
	ecs    *ecs.Client
	engine *deploy.Engine
	target *deploy.Target
	// digests of v1.2.0's images by service.
	next map[string]string

	mu     sync.Mutex
	events []deploy.Event
	// onEvent, when set, sees every event as it is reported.
	onEvent func(deploy.Event)
}

func newEnv(t *testing.T, opts ecsfake.Options, configure ...func(*deploy.Config)) *env {
	t.Helper()
	clock := &ecsfake.ManualClock{}
	opts.Clock = clock
	f := ecsfake.Start(opts)
	t.Cleanup(f.Close)
	s, err := f.Seed(ecsfake.Inventory{})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	cfg := f.Config()
	e := &env{f: f, clock: clock, seeded: s, ecs: ecs.NewFromConfig(cfg), next: map[string]string{}}
	for _, name := range ecsfake.ServiceNames() {
		e.next[name] = f.AddImage(s.Services[name].Repository, "v1.2.0", "")
	}
	c := deploy.Config{
		ECS:         e.ecs,
		ECR:         ecr.NewFromConfig(cfg),
		ELB:         elb.NewFromConfig(cfg),
		Logs:        logs.NewFromConfig(cfg),
		CloudWatch:  cloudwatch.NewFromConfig(cfg),
		Now:         clock.Now,
		Sleep:       startSimClock(t, clock, f).Sleep,
		Concurrency: 6,
	}
	for _, fn := range configure {
		fn(&c)
	}
	if e.engine, err = deploy.New(c); err != nil {
		t.Fatal(err)
	}
	e.target, err = deploy.TargetFromOutputs("staging", e.outputs())
	if err != nil {
		t.Fatalf("target: %v", err)
	}
	return e
}

// simClock moves the fake clock as time passes for goroutines that poll:
// a Sleep blocks until the clock reaches its wake time, and the clock moves
// to the earliest wake time only once every poller is asleep, taken to be
// when the fake has answered no call for a moment of real time. So the
// services of a roll share the time they sleep, and one that the scheduler
// starts late does not find the others' minutes gone.
type simClock struct {
	clock    *ecsfake.ManualClock
	f        *ecsfake.Fake
	mu       sync.Mutex
	sleepers map[*sleeper]bool
}

type sleeper struct {
	wake time.Time
	done chan struct{}
}

// quiet is how long the fake must have answered no call before the clock moves.
const quiet = time.Millisecond

func startSimClock(t *testing.T, clock *ecsfake.ManualClock, f *ecsfake.Fake) *simClock {
	c := &simClock{clock: clock, f: f, sleepers: map[*sleeper]bool{}}
	stop, stopped := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); <-stopped })
	go func() {
		defer close(stopped)
		calls := -1
		tick := time.NewTicker(quiet)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if n := len(f.Calls()); n != calls {
				calls = n
				continue
			}
			c.wakeEarliest()
		}
	}()
	return c
}

// wakeEarliest moves the clock to the earliest wake time and wakes whoever
// sleeps until then.
func (c *simClock) wakeEarliest() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var earliest time.Time
	for s := range c.sleepers {
		if earliest.IsZero() || s.wake.Before(earliest) {
			earliest = s.wake
		}
	}
	if earliest.IsZero() {
		return
	}
	if d := earliest.Sub(c.clock.Now()); d > 0 {
		c.clock.Advance(d)
	}
	now := c.clock.Now()
	for s := range c.sleepers {
		if !s.wake.After(now) {
			close(s.done)
			delete(c.sleepers, s)
		}
	}
}

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s := &sleeper{wake: c.clock.Now().Add(d), done: make(chan struct{})}
	c.mu.Lock()
	c.sleepers[s] = true
	c.mu.Unlock()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.sleepers, s)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// outputs are the terraform stack's outputs (terraform/stack/outputs.tf)
// for the seeded environment, as `terraform output -json` gives their values.
func (e *env) outputs() map[string]json.RawMessage {
	families, repos := map[string]string{}, map[string]string{}
	services := map[string]map[string]any{}
	for name, s := range e.seeded.Services {
		families[name] = s.Family
		repos[name] = e.f.Registry() + "/" + s.Repository
		services[name] = map[string]any{"public": s.TargetGroupArn != "", "cpu": 256}
	}
	out := map[string]json.RawMessage{}
	for k, v := range map[string]any{
		"cluster_name":             e.seeded.Cluster,
		"ecs_cluster_name":         e.seeded.Cluster,
		"task_definition_families": families,
		"migration_task_family":    e.seeded.Migration.Family,
		"private_subnet_ids":       []string{"subnet-0private0000000a", "subnet-0private0000000b"},
		"ecs_security_group_id":    "sg-0ecs000000000000a",
		"ecr_repository_urls":      repos,
		"alb_dns_name":             strings.TrimPrefix(e.f.ALBURL(), "http://"),
		"spec":                     map[string]any{"name": "staging", "region": "us-east-1", "services": services},
	} {
		b, _ := json.Marshal(v)
		out[k] = b
	}
	return out
}

// releases are staging's current release (v1.1.0, as seeded) and the next
// (v1.2.0), both pinned, with the migration, the default smoke checks and
// the seed steps of releases/staging.yaml.
func (e *env) releases() (current, next release.Release) {
	cur := map[string]release.Image{}
	nxt := map[string]release.Image{}
	for name, s := range e.seeded.Services {
		cur[name] = release.Image{Repository: s.Repository, Tag: "v1.1.0", Digest: s.Digest}
		nxt[name] = release.Image{Repository: s.Repository, Tag: "v1.2.0", Digest: e.next[name]}
	}
	base := release.Release{
		Environment: "staging",
		Migrations:  &release.Migrations{Service: "api-gateway", Command: migrateCommand, Downgrade: []string{"alembic", "downgrade", "-1"}},
		Smoke:       release.DefaultSmoke(),
		Timeouts:    release.DefaultTimeouts(),
		Seed: []release.SeedStep{
			{Name: "roles", Command: []string{"python", "scripts/setup_default_roles.py"}},
			{Name: "inventory", Command: []string{"python", "scripts/reseed_complete_inventory.py"}},
			{Name: "movements", Command: []string{"python", "scripts/generate_movements.py"}},
		},
	}
	current, next = base, base
	current.Version, current.Images = "v1.1.0", cur
	next.Version, next.Previous, next.Images = "v1.2.0", "v1.1.0", nxt
	current.Migrations = ptr(*base.Migrations)
	next.Migrations = ptr(*base.Migrations)
	return current, next
}

func ptr[T any](v T) *T { return &v }

// request is a deploy of next after current with id, recording events.
func (e *env) request(current *release.Release, next release.Release, id string) deploy.DeployRequest {
	return deploy.DeployRequest{Target: e.target, Current: current, Next: next, DeploymentID: id, Progress: e.record}
}

func (e *env) record(ev deploy.Event) {
	e.mu.Lock()
	e.events = append(e.events, ev)
	e.mu.Unlock()
	if e.onEvent != nil {
		e.onEvent(ev)
	}
}

func (e *env) recorded() []deploy.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.events)
}

// stepStatuses lists the whole-step events ("step status") in order.
func (e *env) stepStatuses() []string {
	var out []string
	for _, ev := range e.recorded() {
		if ev.Service == "" && ev.Seed == "" && ev.Status != deploy.StatusProgress {
			out = append(out, string(ev.Step)+" "+string(ev.Status))
		}
	}
	return out
}

// imageRef is how a task definition names v1.2.0's (or v1.1.0's) image of
// a service: pinned by digest.
func (e *env) imageRef(service, digest string) string {
	return e.f.Registry() + "/" + e.seeded.Services[service].Repository + "@" + digest
}

func (e *env) service(t *testing.T, name string) ecstypes.Service {
	t.Helper()
	out, err := e.ecs.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(e.seeded.Cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe service %s: %v %+v", name, err, out)
	}
	return out.Services[0]
}

func (e *env) taskDefinition(t *testing.T, ref string) *ecstypes.TaskDefinition {
	t.Helper()
	out, err := e.ecs.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if err != nil {
		t.Fatalf("describe task definition %s: %v", ref, err)
	}
	return out.TaskDefinition
}

// onRevision checks that every service runs want[service] and is steady
// on it.
func (e *env) onRevision(t *testing.T, want map[string]string) {
	t.Helper()
	for _, name := range ecsfake.ServiceNames() {
		td, ok := want[name]
		if !ok {
			continue
		}
		s := e.service(t, name)
		if got := aws.ToString(s.TaskDefinition); got != td {
			t.Errorf("service %s runs %s, want %s", name, short(got), short(td))
		}
	}
}

// seededRevisions are the task definitions the services were seeded with.
func (e *env) seededRevisions() map[string]string {
	out := map[string]string{}
	for name, s := range e.seeded.Services {
		out[name] = s.TaskDefinition
	}
	return out
}

func short(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// stepError is err as the *deploy.StepError of a failed deploy or seed.
func stepError(t *testing.T, err error) *deploy.StepError {
	t.Helper()
	var se *deploy.StepError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want a *deploy.StepError", err, err)
	}
	return se
}
