package ecsfake

import (
	"maps"
	"strings"
	"time"
)

// Behaviour is how tasks running an image behave. The zero value is a
// healthy image: tasks start, targets turn healthy, every smoke check
// answers 200.
type Behaviour struct {
	// FailToStart makes every task of the image stop before RUNNING with
	// stopCode TaskFailedToStart and no container exit code. A service
	// deployment onto the image fails its launch attempts; with the circuit
	// breaker on, it is marked FAILED once the failure threshold is reached
	// (and rolled back when rollback is on); with it off, it stays
	// IN_PROGRESS while tasks keep failing.
	FailToStart bool
	// StartFailureReason is the stopped reason of such tasks; default
	// "CannotPullContainerError: … not found".
	StartFailureReason string

	// Unhealthy makes the image's targets fail their load balancer health
	// checks (state unhealthy, reason Target.FailedHealthChecks). The
	// rollout itself still completes, so that it is the caller's target
	// health check that has to notice.
	Unhealthy bool

	// SmokeStatus maps a request path on the load balancer to the status the
	// image answers (e.g. {"/api/v1/user/health": 500}); other paths get 200.
	SmokeStatus map[string]int
}

// SetImageBehaviour sets how tasks of image behave from now on (running
// tasks included, for health and smoke checks). image is matched against the
// images of task definitions as written, and also without the registry host,
// by "repository:tag" for an image pinned by digest to an image the fake's
// ECR knows under that tag, and by the digest alone. So
// "inventory-management/api-gateway:v1.2.0" also covers
// "<registry>/inventory-management/api-gateway@sha256:…" once that digest
// is tagged v1.2.0.
func (f *Fake) SetImageBehaviour(image string, b Behaviour) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b.SmokeStatus = maps.Clone(b.SmokeStatus)
	f.behaviours[image] = b
}

// behaviourOf returns the behaviour of image. f.mu held.
func (f *Fake) behaviourOf(image string) Behaviour {
	for _, key := range f.imageKeys(image) {
		if b, ok := f.behaviours[key]; ok {
			return b
		}
	}
	return Behaviour{}
}

// imageKeys lists the names image is known by, most specific first.
func (f *Fake) imageKeys(image string) []string {
	keys := []string{image}
	name := image
	// Strip a registry host: the first path element when it has a dot or a port.
	if host, rest, ok := strings.Cut(name, "/"); ok && (strings.ContainsAny(host, ".:") || host == "localhost") {
		name = rest
		keys = append(keys, name)
	}
	repo, digest, pinned := strings.Cut(name, "@")
	if pinned {
		if r, ok := f.repos[stripTag(repo)]; ok {
			if img := r.byDigest(digest); img != nil {
				for _, tag := range img.tags {
					keys = append(keys, stripTag(repo)+":"+tag)
				}
			}
		}
		keys = append(keys, stripTag(repo), digest)
	}
	return keys
}

// stripTag removes a ":tag" from a repository reference (not a port).
func stripTag(ref string) string {
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		return ref[:colon]
	}
	return ref
}

// TaskOutcome is what a one-off task (RunTask) does.
type TaskOutcome struct {
	// ExitCode is the exit code of every container not in ExitCodes.
	ExitCode int32
	// ExitCodes are exit codes by container name.
	ExitCodes map[string]int32
	// RunTime is how long the task stays RUNNING; 0 means Options.TaskRunTime.
	RunTime time.Duration
	// Logs are the lines the task's first container writes to its awslogs
	// stream, spread evenly over the run time (each appears once the clock
	// has passed it).
	Logs []string
	// FailToStart stops the task before RUNNING with stopCode
	// TaskFailedToStart, containers without an exit code, and
	// StartFailureReason (or a CannotPullContainerError) as the reason.
	FailToStart        bool
	StartFailureReason string
	// PlacementFailure makes RunTask start no task and answer a failures
	// entry with this reason instead (e.g. "RESOURCE:MEMORY").
	PlacementFailure string
}

// TaskRun is what SetTaskOutcomeFunc's function is asked about.
type TaskRun struct {
	Cluster        string // cluster ARN
	TaskDefinition string // task definition ARN
	Family         string
	Container      string   // the first container's name
	Image          string   // the first container's image
	Command        []string // the first container's command, after overrides
	StartedBy      string
	ClientToken    string
}

// SetTaskOutcome sets the outcome of one-off tasks whose first container runs
// command (the override, else the task definition's), e.g.
// SetTaskOutcome([]string{"alembic", "upgrade", "head"}, TaskOutcome{ExitCode: 1}).
// It wins over SetTaskOutcomeFunc.
func (f *Fake) SetTaskOutcome(command []string, o TaskOutcome) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o.ExitCodes = maps.Clone(o.ExitCodes)
	f.outcomes[joinCommand(command)] = o
}

// SetTaskOutcomeFunc sets a function deciding the outcome of one-off tasks no
// SetTaskOutcome entry matches; it returns false to leave the default (every
// container exits 0 after Options.TaskRunTime, or fails to start when its
// image's Behaviour says so). It is called with the fake's lock held: it must
// not call the fake.
func (f *Fake) SetTaskOutcomeFunc(fn func(TaskRun) (TaskOutcome, bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outcomeFunc = fn
}

// outcomeOf decides what a one-off task does. f.mu held.
func (f *Fake) outcomeOf(run TaskRun) TaskOutcome {
	if o, ok := f.outcomes[joinCommand(run.Command)]; ok {
		return o
	}
	if f.outcomeFunc != nil {
		if o, ok := f.outcomeFunc(run); ok {
			return o
		}
	}
	b := f.behaviourOf(run.Image)
	return TaskOutcome{FailToStart: b.FailToStart, StartFailureReason: b.StartFailureReason}
}

func startFailureReason(reason, image string) string {
	if reason != "" {
		return reason
	}
	return "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref " + image + ": not found"
}
