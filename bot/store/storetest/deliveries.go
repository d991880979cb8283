package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/store"
)

func delivery(id, key string) store.Delivery {
	return store.Delivery{
		ID: id, Event: "pull_request", Action: "synchronize", Repo: "acme/infra", Number: 42,
		HeadSHA: "0123456789abcdef", Key: key, Payload: []byte(`{"number":42}`),
	}
}

var deliveryCases = []testCase{
	{"the same delivery id three times is one delivery whose jobs are enqueued once", func(t *testing.T, h harness) {
		s := h.fresh(t)
		for i, wantDup := range []bool{false, true, true} {
			dup, err := s.RecordDelivery(ctx(t), delivery("d-1", ""), noopArgs{Token: "a"}, noopArgs{Token: "b"})
			check(t, err)
			if dup != wantDup {
				t.Fatalf("delivery %d: dup = %v, want %v", i+1, dup, wantDup)
			}
		}
		if n := jobCount(t, s, noopArgs{}.Kind()); n != 2 {
			t.Fatalf("%d jobs enqueued, want 2", n)
		}
	}},
	{"two delivery ids with the same key are one delivery", func(t *testing.T, h harness) {
		s := h.fresh(t)
		if dup := get(s.RecordDelivery(ctx(t), delivery("d-1", "pr:acme/infra#42@0123:synchronize"), noopArgs{})).must(t); dup {
			t.Fatal("first delivery reported as a duplicate")
		}
		if dup := get(s.RecordDelivery(ctx(t), delivery("d-2", "pr:acme/infra#42@0123:synchronize"), noopArgs{})).must(t); !dup {
			t.Fatal("same key under another delivery id not reported as a duplicate")
		}
		_, err := s.Delivery(ctx(t), "d-2")
		wantErr(t, err, store.ErrNotFound)
		if n := jobCount(t, s, noopArgs{}.Kind()); n != 1 {
			t.Fatalf("%d jobs enqueued, want 1", n)
		}
	}},
	{"deliveries without a key are deduplicated by id only", func(t *testing.T, h harness) {
		s := h.fresh(t)
		for _, id := range []string{"d-1", "d-2"} {
			if dup := get(s.RecordDelivery(ctx(t), delivery(id, ""))).must(t); dup {
				t.Fatalf("%s reported as a duplicate", id)
			}
		}
	}},
	{"a failed job insert rolls the delivery back with it", func(t *testing.T, h harness) {
		s := h.fresh(t)
		_, err := s.RecordDelivery(ctx(t), delivery("d-1", "k"), noopArgs{}, unencodableArgs{})
		if err == nil {
			t.Fatal("recording a delivery with a job River cannot insert succeeded")
		}
		_, err = s.Delivery(ctx(t), "d-1")
		wantErr(t, err, store.ErrNotFound)
		if n := jobCount(t, s, noopArgs{}.Kind()); n != 0 {
			t.Fatalf("%d jobs left by the failed transaction", n)
		}
		// Not remembered either: GitHub's redelivery is processed.
		if dup := get(s.RecordDelivery(ctx(t), delivery("d-1", "k"), noopArgs{})).must(t); dup {
			t.Fatal("redelivery after a failed insert reported as a duplicate")
		}
	}},
	{"concurrent deliveries: each is stored or refused on its own, duplicates once", func(t *testing.T, h harness) {
		s := h.fresh(t)
		// 48 senders at once: the first 16 have a job River cannot insert
		// (refused, nothing stored); the other 32 come in pairs under one key
		// (one stored, one duplicate). A backend that shares commits between
		// callers must keep each caller's outcome its own.
		const n, bad = 48, 16
		dups := make([]bool, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := delivery(fmt.Sprintf("c-%d", i), fmt.Sprintf("key-%d", i/2))
				jobs := []river.JobArgs{noopArgs{Token: d.ID}}
				if i < bad {
					d.Key = d.ID
					jobs = append(jobs, unencodableArgs{})
				}
				dups[i], errs[i] = s.RecordDelivery(ctx(t), d, jobs...)
			}()
		}
		wg.Wait()
		stored := map[int]bool{} // pair → stored by one of its two
		for i := range n {
			_, err := s.Delivery(ctx(t), fmt.Sprintf("c-%d", i))
			switch {
			case i < bad:
				if errs[i] == nil {
					t.Errorf("c-%d: a job River cannot insert was accepted", i)
				}
				wantErr(t, err, store.ErrNotFound)
			case errs[i] != nil:
				t.Errorf("c-%d: %v", i, errs[i])
			case dups[i]:
				wantErr(t, err, store.ErrNotFound)
			default:
				check(t, err)
				if stored[i/2] {
					t.Errorf("key-%d stored twice", i/2)
				}
				stored[i/2] = true
			}
		}
		if len(stored) != (n-bad)/2 {
			t.Errorf("%d pairs stored, want %d", len(stored), (n-bad)/2)
		}
		if got := jobCount(t, s, noopArgs{}.Kind()); got != int64((n-bad)/2) {
			t.Fatalf("%d jobs enqueued, want %d (one per stored delivery)", got, (n-bad)/2)
		}
	}},
	{"a delivery reads back as recorded", func(t *testing.T, h harness) {
		s := h.fresh(t)
		d := delivery("d-1", "key")
		d.CommentID = 1234567890123
		d.ReceivedAt = time.Date(2026, 2, 3, 4, 5, 6, 789000, time.UTC)
		get(s.RecordDelivery(ctx(t), d)).must(t)
		got := get(s.Delivery(ctx(t), "d-1")).must(t)
		if !reflect.DeepEqual(got, d) {
			t.Fatalf("got %+v, want %+v", got, d)
		}
	}},
	{"pruning forgets deliveries received before the cut-off", func(t *testing.T, h harness) {
		s, clk := h.freshWithClock(t)
		get(s.RecordDelivery(ctx(t), delivery("old", ""))).must(t)
		clk.Advance(48 * time.Hour)
		get(s.RecordDelivery(ctx(t), delivery("new", ""))).must(t)
		if n := get(s.PruneDeliveries(ctx(t), clk.Now().Add(-24*time.Hour))).must(t); n != 1 {
			t.Fatalf("pruned %d, want 1", n)
		}
		_, err := s.Delivery(ctx(t), "old")
		wantErr(t, err, store.ErrNotFound)
		get(s.Delivery(ctx(t), "new")).must(t)
	}},
}
