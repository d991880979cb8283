package store

import "time"

// Delivery is one webhook delivery as GitHub sent it.
type Delivery struct {
	ID      string // X-GitHub-Delivery
	Event   string // X-GitHub-Event
	Action  string
	Repo    string // owner/name
	Number  int    // PR or issue number, 0 if none
	HeadSHA string
	// CommentID is the comment a command came in, 0 if none.
	CommentID int64
	// Key identifies the event regardless of its delivery id (GitHub may
	// send one event under two ids); the caller computes it from event,
	// repository, PR, head SHA, action and comment id. "" disables it.
	Key        string
	ReceivedAt time.Time // default: now
	Payload    []byte
}

// Lock is one environment's lock.
type Lock struct {
	Repo       string
	Env        string
	Holder     string // who holds it, e.g. "pr:42", "deploy:v1.2.0"
	PR         int    // 0 if the holder is not a PR
	URL        string // where a person sees why it is held
	AcquiredAt time.Time
}

// PlanStatus is where a plan is in its life.
type PlanStatus string

const (
	PlanCurrent   PlanStatus = "current"   // the latest plan of its PR and environment: may be applied
	PlanStale     PlanStatus = "stale"     // superseded by a plan of a newer head
	PlanApplying  PlanStatus = "applying"  // an apply has begun
	PlanApplied   PlanStatus = "applied"   // applied successfully
	PlanFailed    PlanStatus = "failed"    // its apply failed
	PlanDiscarded PlanStatus = "discarded" // its PR was closed
)

func (s PlanStatus) valid() bool {
	switch s {
	case PlanCurrent, PlanStale, PlanApplying, PlanApplied, PlanFailed, PlanDiscarded:
		return true
	}
	return false
}

// PlanRecord is a saved plan of one PR, environment and head.
type PlanRecord struct {
	ID      int64
	Repo    string
	PR      int
	Env     string
	HeadSHA string
	// Dir is where the plan's files are; PlanFile is the plan file in it.
	Dir        string
	PlanFile   string
	FileSHA256 string // of the plan file
	JSONSHA256 string // of its JSON rendering
	// Summary, Verdict and Cost are JSON the caller renders.
	Summary   []byte
	Verdict   []byte
	Cost      []byte
	Status    PlanStatus // default: current
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RunKind is what a run does.
type RunKind string

const (
	RunPlan    RunKind = "plan"
	RunApply   RunKind = "apply"
	RunDeploy  RunKind = "deploy"
	RunSeed    RunKind = "seed"
	RunRelease RunKind = "release"
)

// RunStatus is a run's outcome so far.
type RunStatus string

const (
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunFailed    RunStatus = "failed"
)

// Run is one execution of a job's effect: a plan, an apply, a deploy, a seed.
type Run struct {
	ID     int64
	Kind   RunKind
	Repo   string
	PR     int
	Env    string
	PlanID int64 // the plan an apply applies, 0 if none
	JobID  int64 // River's job id
	// Key makes the run idempotent: the same effect requested twice (a
	// retried job, a redelivered comment) has the same key.
	Key        string
	Status     RunStatus
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	Detail     []byte    // JSON the caller renders
}

// RunFilter selects runs; zero fields match everything.
type RunFilter struct {
	Repo   string
	PR     int
	Env    string
	Kind   RunKind
	Status RunStatus
	Limit  int // default 100
}

// PRStatus is a pull request's GitHub state.
type PRStatus string

const (
	PROpen   PRStatus = "open"
	PRClosed PRStatus = "closed"
	PRMerged PRStatus = "merged"
)

// PRState is what the store knows of a pull request.
type PRState struct {
	Repo      string
	PR        int
	HeadSHA   string
	CommentID int64    // the sticky comment, 0 until created
	State     PRStatus // default: open
	UpdatedAt time.Time
}

// JobCount is how many River jobs of one kind are in one state.
type JobCount struct {
	Kind  string
	State string // River's job state: available, running, retryable, completed…
	Count int64
}

// Override is a policy override recorded by /approve-policy.
type Override struct {
	Repo string
	PR   int
	// Env is the environment it applies to; empty: every environment.
	Env       string
	Rule      string
	By        string // the owner's login
	CommentID int64  // the /approve-policy comment
	At        time.Time
}
