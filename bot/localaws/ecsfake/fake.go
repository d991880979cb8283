package ecsfake

import (
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Options configure a Fake. The zero value works: real time, us-east-1,
// account 123456789012, a three-minute rollout.
type Options struct {
	// Clock drives every transition; nil means real time. Tests pass a
	// *ManualClock and Advance it.
	Clock Clock
	// Region and AccountID go into ARNs and repository URIs.
	Region    string // default "us-east-1"
	AccountID string // default "123456789012"

	// RolloutDuration is how long a deployment of a healthy image takes from
	// UpdateService to rolloutState COMPLETED. Default 3m.
	RolloutDuration time.Duration
	// TaskStartDuration is how long a task takes from RunTask (or a
	// deployment's launch) to RUNNING, or to STOPPED when it fails to start;
	// it is also the interval between a failing deployment's launch
	// attempts. Default 30s.
	TaskStartDuration time.Duration
	// TaskRunTime is how long a one-off task runs when its TaskOutcome does
	// not say. Default 1m.
	TaskRunTime time.Duration
	// CircuitBreakerThreshold overrides the number of failed tasks that trips
	// a deployment circuit breaker. 0 uses ECS's rule: half the desired
	// count, at least 3 and at most 200.
	CircuitBreakerThreshold int32

	// NoServiceDeployments makes ListServiceDeployments,
	// DescribeServiceDeployments and DescribeServiceRevisions (the 2024–2025
	// service-deployments API) answer UnknownOperationException, as an
	// endpoint or emulator that predates them does, so that callers exercise
	// their fallback to the service's deployments array.
	NoServiceDeployments bool

	// Seed seeds the generator of ids and of random throttling; the same seed
	// gives the same ids for the same calls.
	Seed uint64
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	if o.RolloutDuration <= 0 {
		o.RolloutDuration = 3 * time.Minute
	}
	if o.TaskStartDuration <= 0 {
		o.TaskStartDuration = 30 * time.Second
	}
	if o.TaskRunTime <= 0 {
		o.TaskRunTime = time.Minute
	}
	return o
}

// Fake is one fake AWS account and region. Create it with New (a handler to
// mount yourself) or Start (served on 127.0.0.1). All methods are safe for
// concurrent use.
type Fake struct {
	opts Options

	mu  sync.Mutex
	rng *rand.Rand

	calls        []Call
	injected     map[string][]*Err // per operation, next first; nil: throttling
	throttleRate float64
	throttleOps  []string

	clusters     map[string]*cluster
	families     map[string][]*taskDef
	services     []*service
	tasks        []*task
	tokens       map[string]*runResult // cluster ARN + "\x00" + clientToken
	repos        map[string]*repository
	targetGroups []*targetGroup
	logGroups    map[string]*logGroup
	alarms       map[string]*alarm
	behaviours   map[string]Behaviour
	outcomes     map[string]TaskOutcome
	outcomeFunc  func(TaskRun) (TaskOutcome, bool)

	ops      map[string]handler
	api, alb *httptest.Server
}

// New returns a fake with no resources and no servers: serve Handler (the
// AWS APIs) and ALBHandler (the load balancer) yourself, or use Start.
func New(opts Options) *Fake {
	opts = opts.withDefaults()
	return &Fake{
		opts:       opts,
		ops:        operations(),
		rng:        rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		injected:   map[string][]*Err{},
		clusters:   map[string]*cluster{},
		families:   map[string][]*taskDef{},
		tokens:     map[string]*runResult{},
		repos:      map[string]*repository{},
		logGroups:  map[string]*logGroup{},
		alarms:     map[string]*alarm{},
		behaviours: map[string]Behaviour{},
		outcomes:   map[string]TaskOutcome{},
	}
}

// Start returns a fake serving the AWS APIs and the load balancer on
// 127.0.0.1. Close stops both servers.
func Start(opts Options) *Fake {
	f := New(opts)
	f.api = httptest.NewServer(f.Handler())
	f.alb = httptest.NewServer(f.ALBHandler())
	return f
}

// Close stops the servers Start started.
func (f *Fake) Close() {
	if f.api != nil {
		f.api.Close()
	}
	if f.alb != nil {
		f.alb.Close()
	}
}

// URL is the base URL of the AWS APIs (every service on one endpoint), "" when
// the fake was made with New.
func (f *Fake) URL() string {
	if f.api == nil {
		return ""
	}
	return f.api.URL
}

// ALBURL is the base URL of the load balancer that answers smoke checks, ""
// when the fake was made with New.
func (f *Fake) ALBURL() string {
	if f.alb == nil {
		return ""
	}
	return f.alb.URL
}

// Region is the fake's region.
func (f *Fake) Region() string { return f.opts.Region }

// Config is an SDK configuration for the fake: its URL, its region and static
// credentials, so that nothing reads the environment. Its retryer is the SDK's
// standard one (3 attempts, the default retryable and throttling error codes)
// without backoff delay or client-side retry quota, so that tests injecting
// throttling neither sleep nor run out of retry tokens.
func (f *Fake) Config() aws.Config {
	return aws.Config{
		Region:       f.opts.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(f.URL()),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = noBackoff{}
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// Now is the fake's current time.
func (f *Fake) Now() time.Time { return f.opts.Clock.Now() }

// Call is one request the fake answered.
type Call struct {
	Service   string // ecs, ecr, elasticloadbalancing, logs, monitoring
	Operation string // e.g. RunTask
	// Params are the request's key parameters: cluster, service,
	// taskDefinition, clientToken, command (space-joined), family,
	// repositoryName, imageIds, … as the operation has them.
	Params map[string]string
	At     time.Time
	// Err is the error code returned ("" on success), e.g. ThrottlingException.
	Err string
}

// Calls returns every call answered so far, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// CallsTo returns the calls of one operation (e.g. "RunTask"), oldest first.
func (f *Fake) CallsTo(operation string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if c.Operation == operation {
			out = append(out, c)
		}
	}
	return out
}

// Throttle makes the next n calls of operation (e.g. "UpdateService") fail
// with the service's throttling error (ThrottlingException; Throttling for
// ELBv2 and CloudWatch), which the SDK's standard retryer retries.
func (f *Fake) Throttle(operation string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.injected[operation] = append(f.injected[operation], nil)
	}
}

// FailNext makes the next n calls of operation fail with err, e.g.
// Err{Code: "AccessDeniedException", Message: "…"} or a 500
// ServerException. Injected failures (and throttles) are answered in the
// order they were set.
func (f *Fake) FailNext(operation string, n int, err Err) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		e := err
		f.injected[operation] = append(f.injected[operation], &e)
	}
}

// ThrottleRandomly makes each call of the given operations (every operation
// when none is given) fail with a throttling error with probability rate,
// drawn from the generator seeded by Options.Seed. Rate 0 turns it off.
func (f *Fake) ThrottleRandomly(rate float64, operations ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttleRate = rate
	f.throttleOps = slices.Clone(operations)
}

// injectedError returns the failure to answer this call of the request's
// operation with, if any. f.mu held.
func (f *Fake) injectedError(r *request) error {
	if q := f.injected[r.op]; len(q) > 0 {
		f.injected[r.op] = q[1:]
		if q[0] == nil {
			return throttling(r)
		}
		return q[0]
	}
	if f.throttleRate > 0 && (len(f.throttleOps) == 0 || slices.Contains(f.throttleOps, r.op)) && f.rng.Float64() < f.throttleRate {
		return throttling(r)
	}
	return nil
}

// newID returns 32 lowercase hex digits, like an ECS task id. f.mu held.
func (f *Fake) newID() string {
	return fmt.Sprintf("%016x%016x", f.rng.Uint64(), f.rng.Uint64())
}

func (f *Fake) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, f.opts.Region, f.opts.AccountID, resource)
}

// lock takes the state lock and brings every simulated process up to the
// clock's current time; the returned time is "now" for the caller.
func (f *Fake) lock() time.Time {
	f.mu.Lock()
	now := f.opts.Clock.Now()
	f.settle(now)
	return now
}

// settle applies every transition due at or before now. f.mu held.
func (f *Fake) settle(now time.Time) {
	for _, s := range f.services {
		f.settleService(s, now)
	}
	for _, t := range f.tasks {
		f.settleTask(t, now)
	}
}

// Err is an AWS error the fake answers with, shaped for the client's
// protocol: Code is the error code the SDK surfaces (ClientException,
// ImageNotFoundException, …).
type Err struct {
	Code    string
	Message string
	Status  int // HTTP status; 0 means 400
	// QueryCode is the awsQuery error code of an awsQueryCompatible
	// service (CloudWatch) when it differs from the shape name in Code.
	QueryCode string
}

func (e *Err) Error() string { return e.Code + ": " + e.Message }

func errf(code, format string, args ...any) *Err {
	return &Err{Code: code, Message: fmt.Sprintf(format, args...)}
}

func joinCommand(cmd []string) string { return strings.Join(cmd, " ") }
