package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/store"
	"github.com/riverqueue/river"
)

// startWorkers starts a worker for noopArgs and returns the channel its jobs
// report their tokens on.
func startWorkers(t *testing.T, s store.Store) <-chan string {
	t.Helper()
	ran := make(chan string, 16)
	workers := river.NewWorkers()
	river.AddWorker(workers, &noopWorker{ran: ran})
	w := get(s.StartWorkers(ctx(t), store.WorkerConfig{Workers: workers})).must(t)
	t.Cleanup(func() {
		// t.Context() is already cancelled when cleanups run.
		stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := w.StopAndCancel(stopCtx); err != nil {
			t.Errorf("stop workers: %v", err)
		}
	})
	return ran
}

func waitFor(t *testing.T, ran <-chan string, token string) {
	t.Helper()
	c := ctx(t)
	for {
		select {
		case got := <-ran:
			if got == token {
				return
			}
		case <-c.Done():
			t.Fatalf("job %q was not worked: %v", token, c.Err())
		}
	}
}

var queueCases = []testCase{
	{"a worker started through StartWorkers runs an enqueued job", func(t *testing.T, h harness) {
		s := h.fresh(t)
		ran := startWorkers(t, s)
		check(t, s.Enqueue(ctx(t), noopArgs{Token: "enqueued"}))
		waitFor(t, ran, "enqueued")
	}},
	{"a job recorded with its delivery is worked", func(t *testing.T, h harness) {
		s := h.fresh(t)
		ran := startWorkers(t, s)
		get(s.RecordDelivery(ctx(t), delivery("d-1", ""), noopArgs{Token: "from-delivery"})).must(t)
		waitFor(t, ran, "from-delivery")
	}},
	{"enqueueing is all or nothing", func(t *testing.T, h harness) {
		s := h.fresh(t)
		if err := s.Enqueue(ctx(t), noopArgs{}, unencodableArgs{}); err == nil {
			t.Fatal("enqueueing a job River cannot insert succeeded")
		}
		if n := jobCount(t, s, noopArgs{}.Kind()); n != 0 {
			t.Fatalf("%d jobs enqueued, want 0", n)
		}
	}},
	{"StartWorkers without workers is an error", func(t *testing.T, h harness) {
		s := h.fresh(t)
		if _, err := s.StartWorkers(ctx(t), store.WorkerConfig{}); err == nil {
			t.Fatal("no error")
		}
	}},
}
