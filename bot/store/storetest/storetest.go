// Package storetest is the conformance suite of store.Store: every backend
// runs the same cases against a real database of its kind, so that SQLite
// and PostgreSQL cannot drift apart. It is for tests only.
package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/store"
	"github.com/riverqueue/river"
)

// Run runs every case, each against a new database from newURL (a
// store.Open URL of an empty database). Cases run in parallel.
func Run(t *testing.T, newURL func(t *testing.T) string) {
	h := harness{newURL: newURL}
	for _, group := range [][]testCase{deliveryCases, queueCases, lockCases, planCases, runCases, logCases, prCases, overrideCases, openCases} {
		for _, tc := range group {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.run(t, h)
			})
		}
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, h harness)
}

type harness struct {
	newURL func(t *testing.T) string
}

// fresh opens a new, empty store closed at the end of the test.
func (h harness) fresh(t *testing.T) store.Store {
	t.Helper()
	return h.open(t, h.newURL(t), store.Options{})
}

// freshWithClock is fresh with a clock the test moves.
func (h harness) freshWithClock(t *testing.T) (store.Store, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	return h.open(t, h.newURL(t), store.Options{Now: c.Now}), c
}

func (h harness) open(t *testing.T, url string, opts store.Options) store.Store {
	t.Helper()
	s, err := store.Open(ctx(t), url, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// ctx is the test's context, bounded so that a hung database fails the test
// instead of the whole run.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// race runs fn in n goroutines released at once and returns their results.
func race[T any](n int, fn func(i int) T) []T {
	out := make([]T, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			out[i] = fn(i)
		})
	}
	start.Done()
	done.Wait()
	return out
}

// result is a value and an error, so that a call's two results can be
// checked inline: get(s.PlanByID(ctx(t), id)).must(t).
type result[T any] struct {
	v   T
	err error
}

func get[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

// noopArgs is a job that does nothing but say it ran.
type noopArgs struct {
	Token string `json:"token"`
}

func (noopArgs) Kind() string { return "storetest_noop" }

// unencodableArgs cannot be encoded to JSON, so River cannot insert it.
type unencodableArgs struct {
	C chan int `json:"c"`
}

func (unencodableArgs) Kind() string { return "storetest_unencodable" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
	ran chan string
}

func (w *noopWorker) Work(ctx context.Context, job *river.Job[noopArgs]) error {
	select {
	case w.ran <- job.Args.Token:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// jobCount is how many jobs of kind are in any state.
func jobCount(t *testing.T, s store.Store, kind string) int64 {
	t.Helper()
	var n int64
	for _, c := range get(s.JobCounts(ctx(t))).must(t) {
		if c.Kind == kind {
			n += c.Count
		}
	}
	return n
}
