package storetest

import (
	"testing"

	"github.com/gitops-bot/gitops/bot/store"
)

var openCases = []testCase{
	{"opening a migrated database again changes nothing", func(t *testing.T, h harness) {
		url := h.newURL(t)
		s := h.open(t, url, store.Options{})
		get(s.RecordDelivery(ctx(t), delivery("d-1", "k"), noopArgs{})).must(t)
		check(t, s.Close())
		for range 2 {
			again := h.open(t, url, store.Options{})
			if dup := get(again.RecordDelivery(ctx(t), delivery("d-1", "k"))).must(t); !dup {
				t.Fatal("delivery lost by reopening")
			}
			if n := jobCount(t, again, noopArgs{}.Kind()); n != 1 {
				t.Fatalf("%d jobs after reopening, want 1", n)
			}
			check(t, again.Close())
		}
	}},
	{"two processes opening a new database at once both succeed", func(t *testing.T, h harness) {
		url := h.newURL(t)
		errs := race(2, func(int) error {
			s, err := store.Open(ctx(t), url, store.Options{})
			if err == nil {
				t.Cleanup(func() { _ = s.Close() })
				_, err = s.RecordDelivery(ctx(t), delivery("d-1", ""), noopArgs{})
			}
			return err
		})
		for _, err := range errs {
			check(t, err)
		}
	}},
	{"a ping answers", func(t *testing.T, h harness) {
		check(t, h.fresh(t).Ping(ctx(t)))
	}},
}
