package ecsfake

import (
	"sync"
	"time"
)

// Clock is the fake's source of time. Every state transition (a rollout
// completing, a task stopping, a log line being written) is computed from it
// when state is observed, so a test that advances a ManualClock sees the
// transition on its next call without sleeping.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// ManualClock is a Clock that moves only when told to. The zero value starts
// at 2026-01-01T00:00:00Z; it is safe for concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// manualEpoch is where a zero ManualClock starts: fixed, so that test output
// (ARNs aside) is the same on every run.
var manualEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// NewManualClock returns a clock reading start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		c.now = manualEpoch
	}
	return c.now
}

// Advance moves the clock forward by d (backward when d is negative; the fake
// never undoes a transition it has already observed).
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		c.now = manualEpoch
	}
	c.now = c.now.Add(d)
}
