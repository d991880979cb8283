package deploy

import (
	"fmt"
	"sync"
	"time"
)

// Step is a step of a deploy or a seed, in the order a deploy takes them.
type Step string

const (
	StepImages   Step = "images"   // every image of the release exists in ECR, pinned by digest
	StepRecord   Step = "record"   // the task definitions the services run: the rollback points
	StepRegister Step = "register" // new revisions, only the image replaced
	StepMigrate  Step = "migrate"  // the migration (or a rollback's downgrade) as a one-off task
	StepRoll     Step = "roll"     // services updated concurrently, each deployment verified
	StepHealth   Step = "health"   // load balancer targets of the public services healthy
	StepSmoke    Step = "smoke"    // the release's smoke checks through the load balancer
	StepBake     Step = "bake"     // alarms watched for the release's bake time
	StepRollback Step = "rollback" // changed services set back to their rollback points
	StepSeed     Step = "seed"     // one seed step as a one-off task
)

// Status is where a step (or one service's or seed step's part of it) is.
type Status string

const (
	StatusStarted   Status = "started"
	StatusProgress  Status = "progress" // still going: the message says how far
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped" // the message says why
)

// Event is one progress report. Events of one Deploy or Seed are delivered
// one at a time, in the order they happened.
type Event struct {
	Step Step
	// Service is the service concerned, "" for the whole step.
	Service string
	// Seed is the seed step's name (StepSeed only).
	Seed   string
	Status Status
	// Message says what happened, for people. It never holds a task
	// definition's environment values.
	Message string
	// TaskDefinition is the task definition concerned, when there is one: a
	// rollback point (StepRecord), a new revision (StepRegister), the one a
	// service rolls to (StepRoll, StepRollback) or a one-off task runs.
	TaskDefinition string
	// Task is the ARN of a one-off task (StepMigrate, StepSeed).
	Task string
	Time time.Time
}

func (ev Event) String() string {
	s := string(ev.Step)
	if ev.Seed != "" {
		s += " " + ev.Seed
	}
	if ev.Service != "" {
		s += " " + ev.Service
	}
	s += ": " + string(ev.Status)
	if ev.Message != "" {
		s += ": " + ev.Message
	}
	return s
}

// emitter delivers events to a Progress function one at a time; the
// services of a roll report concurrently.
type emitter struct {
	mu  sync.Mutex
	fn  func(Event)
	now func() time.Time
}

func (em *emitter) emit(ev Event) {
	if em == nil || em.fn == nil {
		return
	}
	em.mu.Lock()
	defer em.mu.Unlock()
	ev.Time = em.now()
	em.fn(ev)
}

func (em *emitter) step(step Step, status Status, format string, args ...any) {
	em.emit(Event{Step: step, Status: status, Message: fmt.Sprintf(format, args...)})
}

func (em *emitter) service(step Step, service string, status Status, td string, format string, args ...any) {
	em.emit(Event{Step: step, Service: service, Status: status, TaskDefinition: td, Message: fmt.Sprintf(format, args...)})
}
