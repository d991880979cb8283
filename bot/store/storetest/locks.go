package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/store"
)

func prLock(env string, pr int) store.Lock {
	return store.Lock{Repo: "acme/infra", Env: env, Holder: "pr:" + itoa(pr), PR: pr, URL: "https://github.com/acme/infra/pull/" + itoa(pr)}
}

var lockCases = []testCase{
	{"a free lock is acquired, and acquired again by the same holder without change", func(t *testing.T, h harness) {
		s, clk := h.freshWithClock(t)
		first, ok, err := s.TryLock(ctx(t), prLock("staging", 42))
		check(t, err)
		if !ok || first.Holder != "pr:42" || !first.AcquiredAt.Equal(clk.Now()) {
			t.Fatalf("first TryLock = %+v, %v", first, ok)
		}
		clk.Advance(time.Minute)
		again, ok, err := s.TryLock(ctx(t), prLock("staging", 42))
		check(t, err)
		if !ok || again != first {
			t.Fatalf("second TryLock = %+v, %v; want %+v, true", again, ok, first)
		}
	}},
	{"a held lock is refused to another holder, who is told who holds it", func(t *testing.T, h harness) {
		s := h.fresh(t)
		held, _, err := s.TryLock(ctx(t), prLock("staging", 42))
		check(t, err)
		got, ok, err := s.TryLock(ctx(t), prLock("staging", 43))
		check(t, err)
		if ok || got != held {
			t.Fatalf("TryLock by pr:43 = %+v, %v; want %+v, false", got, ok, held)
		}
		// Another environment is another lock.
		if _, ok, _ := s.TryLock(ctx(t), prLock("dev", 43)); !ok {
			t.Fatal("dev refused while only staging is held")
		}
	}},
	{"unlock releases only the holder's lock", func(t *testing.T, h harness) {
		s := h.fresh(t)
		if _, _, err := s.TryLock(ctx(t), prLock("staging", 42)); err != nil {
			t.Fatal(err)
		}
		if released := get(s.Unlock(ctx(t), "acme/infra", "staging", "pr:43")).must(t); released {
			t.Fatal("pr:43 released pr:42's lock")
		}
		if released := get(s.Unlock(ctx(t), "acme/infra", "staging", "pr:42")).must(t); !released {
			t.Fatal("pr:42 could not release its lock")
		}
		if _, ok, _ := s.TryLock(ctx(t), prLock("staging", 43)); !ok {
			t.Fatal("released lock not acquired by pr:43")
		}
	}},
	{"UnlockHolder releases every environment of the holder in that repository only", func(t *testing.T, h harness) {
		s := h.fresh(t)
		for _, l := range []store.Lock{prLock("staging", 42), prLock("dev", 42), prLock("prod", 7),
			{Repo: "acme/other", Env: "dev", Holder: "pr:42"}} {
			if _, _, err := s.TryLock(ctx(t), l); err != nil {
				t.Fatal(err)
			}
		}
		envs := get(s.UnlockHolder(ctx(t), "acme/infra", "pr:42")).must(t)
		if !slices.Equal(envs, []string{"dev", "staging"}) {
			t.Fatalf("released %v, want [dev staging]", envs)
		}
		var left []string
		for _, l := range get(s.Locks(ctx(t), "")).must(t) {
			left = append(left, l.Repo+" "+l.Env+" "+l.Holder)
		}
		if want := []string{"acme/infra prod pr:7", "acme/other dev pr:42"}; !slices.Equal(left, want) {
			t.Fatalf("left %v, want %v", left, want)
		}
	}},
	{"locks survive reopening the store", func(t *testing.T, h harness) {
		url := h.newURL(t)
		s := h.open(t, url, store.Options{})
		held, _, err := s.TryLock(ctx(t), prLock("staging", 42))
		check(t, err)
		check(t, s.Close())
		locks := get(h.open(t, url, store.Options{}).Locks(ctx(t), "acme/infra")).must(t)
		if len(locks) != 1 || locks[0] != held {
			t.Fatalf("after reopen: %+v, want [%+v]", locks, held)
		}
	}},
	{"a lock needs a repository, an environment and a holder", func(t *testing.T, h harness) {
		s := h.fresh(t)
		if _, _, err := s.TryLock(ctx(t), store.Lock{Repo: "acme/infra", Env: "dev"}); err == nil {
			t.Fatal("lock without holder accepted")
		}
	}},
	{"of 10 holders racing for a free lock exactly one gets it", func(t *testing.T, h harness) {
		s := h.fresh(t)
		results := race(10, func(i int) bool {
			_, ok, err := s.TryLock(ctx(t), prLock("staging", 100+i))
			if err != nil {
				t.Error(err)
			}
			return ok
		})
		if n := count(results, true); n != 1 {
			t.Fatalf("%d holders acquired the lock", n)
		}
	}},
}
