package storetest

import (
	"reflect"
	"testing"
	"time"

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
