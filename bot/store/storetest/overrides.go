package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/store"
)

var overrideCases = []testCase{
	{"overrides are listed per pull request, oldest first, and a repeated approval keeps the first", func(t *testing.T, h harness) {
		s, clk := h.freshWithClock(t)
		first := store.Override{Repo: "acme/infra", PR: 42, Env: "staging", Rule: "protected_destroy", By: "bob", CommentID: 7}
		check(t, s.AddOverride(ctx(t), first))
		clk.Advance(time.Minute)
		everywhere := store.Override{Repo: "acme/infra", PR: 42, Rule: "budget", By: "bob", CommentID: 8}
		check(t, s.AddOverride(ctx(t), everywhere))
		clk.Advance(time.Minute)
		check(t, s.AddOverride(ctx(t), store.Override{Repo: "acme/infra", PR: 42, Env: "staging", Rule: "protected_destroy", By: "dave", CommentID: 9}))
		check(t, s.AddOverride(ctx(t), store.Override{Repo: "acme/infra", PR: 43, Rule: "budget", By: "bob"}))
		got := get(s.Overrides(ctx(t), "acme/infra", 42)).must(t)
		first.At, everywhere.At = clk.Now().Add(-2*time.Minute), clk.Now().Add(-time.Minute)
		if want := []store.Override{first, everywhere}; !reflect.DeepEqual(got, want) {
			t.Fatalf("overrides of #42:\n got %+v\nwant %+v", got, want)
		}
		if got := get(s.Overrides(ctx(t), "acme/infra", 44)).must(t); len(got) != 0 {
			t.Fatalf("overrides of a PR without any: %+v", got)
		}
	}},
	{"an override without its rule or owner is refused", func(t *testing.T, h harness) {
		s := h.fresh(t)
		for _, o := range []store.Override{
			{Repo: "acme/infra", PR: 42, By: "bob"},
			{Repo: "acme/infra", PR: 42, Rule: "budget"},
			{Repo: "acme/infra", Rule: "budget", By: "bob"},
		} {
			if err := s.AddOverride(ctx(t), o); err == nil {
				t.Errorf("%+v accepted", o)
			}
		}
	}},
}
