package storetest

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/store"
)

func itoa(i int) string { return strconv.Itoa(i) }

func count[T comparable](vs []T, v T) int {
	n := 0
	for _, x := range vs {
		if x == v {
			n++
		}
	}
	return n
}

func plan(pr int, env, head string) store.PlanRecord {
	return store.PlanRecord{
		Repo: "acme/infra", PR: pr, Env: env, HeadSHA: head,
		Dir: "/plans/acme/infra/" + itoa(pr) + "/" + env, PlanFile: "/plans/acme/infra/" + itoa(pr) + "/" + env + "/" + head + ".tfplan",
		FileSHA256: "f-" + head, JSONSHA256: "j-" + head,
		Summary: []byte(`{"add":1}`), Verdict: []byte(`{"deny":[]}`), Cost: []byte(`{"after":12.5}`),
	}
}

func statuses(t *testing.T, s store.Store, pr int) map[string]store.PlanStatus {
	t.Helper()
	out := map[string]store.PlanStatus{}
	for _, p := range get(s.Plans(ctx(t), "acme/infra", pr)).must(t) {
		out[p.Env+"@"+p.HeadSHA] = p.Status
	}
	return out
}

var planCases = []testCase{
	{"a saved plan reads back as current", func(t *testing.T, h harness) {
		s, clk := h.freshWithClock(t)
		saved := get(s.SavePlan(ctx(t), plan(42, "staging", "aaa"))).must(t)
		if saved.ID == 0 || saved.Status != store.PlanCurrent || !saved.CreatedAt.Equal(clk.Now()) {
			t.Fatalf("saved %+v", saved)
		}
		got := get(s.CurrentPlan(ctx(t), "acme/infra", 42, "staging")).must(t)
		want := plan(42, "staging", "aaa")
		if got.ID != saved.ID || got.Dir != want.Dir || got.FileSHA256 != want.FileSHA256 ||
			!bytes.Equal(got.Cost, want.Cost) || !bytes.Equal(got.Summary, want.Summary) || !bytes.Equal(got.Verdict, want.Verdict) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		if byID := get(s.PlanByID(ctx(t), saved.ID)).must(t); byID.HeadSHA != "aaa" {
			t.Fatalf("PlanByID = %+v", byID)
		}
	}},
	{"a plan of a new head makes the old current plan stale", func(t *testing.T, h harness) {
		s := h.fresh(t)
		get(s.SavePlan(ctx(t), plan(42, "staging", "aaa"))).must(t)
		get(s.SavePlan(ctx(t), plan(42, "dev", "aaa"))).must(t)
		get(s.SavePlan(ctx(t), plan(43, "staging", "ccc"))).must(t)
		get(s.SavePlan(ctx(t), plan(42, "staging", "bbb"))).must(t)
		got := statuses(t, s, 42)
		want := map[string]store.PlanStatus{"staging@aaa": store.PlanStale, "staging@bbb": store.PlanCurrent, "dev@aaa": store.PlanCurrent}
		if len(got) != len(want) {
			t.Fatalf("statuses %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("statuses %v, want %v", got, want)
			}
		}
		if cur := get(s.CurrentPlan(ctx(t), "acme/infra", 43, "staging")).must(t); cur.HeadSHA != "ccc" {
			t.Fatalf("another PR's plan was touched: %+v", cur)
		}
	}},
	{"re-saving a head replaces its plan in place", func(t *testing.T, h harness) {
		s, clk := h.freshWithClock(t)
		first := get(s.SavePlan(ctx(t), plan(42, "staging", "aaa"))).must(t)
		clk.Advance(time.Minute)
		p := plan(42, "staging", "aaa")
		p.FileSHA256 = "f-replanned"
		again := get(s.SavePlan(ctx(t), p)).must(t)
		if again.ID != first.ID || !again.CreatedAt.Equal(first.CreatedAt) || !again.UpdatedAt.Equal(clk.Now()) || again.FileSHA256 != "f-replanned" {
			t.Fatalf("first %+v, again %+v", first, again)
		}
		if n := len(get(s.Plans(ctx(t), "acme/infra", 42)).must(t)); n != 1 {
			t.Fatalf("%d plans, want 1", n)
		}
	}},
	{"of 10 jobs racing to begin an apply exactly one moves the plan from current to applying", func(t *testing.T, h harness) {
		s := h.fresh(t)
		p := get(s.SavePlan(ctx(t), plan(42, "staging", "aaa"))).must(t)
		won := race(10, func(int) bool {
			ok, err := s.SetPlanStatus(ctx(t), p.ID, []store.PlanStatus{store.PlanCurrent}, store.PlanApplying)
			if err != nil {
				t.Error(err)
			}
			return ok
		})
		if n := count(won, true); n != 1 {
			t.Fatalf("%d jobs began the apply, want 1", n)
		}
		if got := get(s.PlanByID(ctx(t), p.ID)).must(t); got.Status != store.PlanApplying {
			t.Fatalf("status %s", got.Status)
		}
	}},
	{"a plan being applied is not replaced by a re-plan of its head", func(t *testing.T, h harness) {
		s := h.fresh(t)
		p := get(s.SavePlan(ctx(t), plan(42, "staging", "aaa"))).must(t)
		get(s.SetPlanStatus(ctx(t), p.ID, []store.PlanStatus{store.PlanCurrent}, store.PlanApplying)).must(t)
		_, err := s.SavePlan(ctx(t), plan(42, "staging", "aaa"))
		wantErr(t, err, store.ErrConflict)
		if got := get(s.PlanByID(ctx(t), p.ID)).must(t); got.Status != store.PlanApplying {
			t.Fatalf("status %s, want applying", got.Status)
		}
	}},
	{"concurrent plans of different heads leave exactly one current plan", func(t *testing.T, h harness) {
		s := h.fresh(t)
		race(8, func(i int) error {
			_, err := s.SavePlan(ctx(t), plan(42, "staging", "head"+itoa(i)))
			if err != nil {
				t.Error(err)
			}
			return err
		})
		got := statuses(t, s, 42)
		if n := count(mapValues(got), store.PlanCurrent); n != 1 || len(got) != 8 {
			t.Fatalf("statuses %v: %d current, want 1 of 8", got, n)
		}
	}},
	{"setting the status of a missing plan is ErrNotFound, a status it is not in is no", func(t *testing.T, h harness) {
		s := h.fresh(t)
		_, err := s.SetPlanStatus(ctx(t), 999, []store.PlanStatus{store.PlanCurrent}, store.PlanApplying)
		wantErr(t, err, store.ErrNotFound)
		p := get(s.SavePlan(ctx(t), plan(42, "staging", "aaa"))).must(t)
		if ok := get(s.SetPlanStatus(ctx(t), p.ID, []store.PlanStatus{store.PlanApplying}, store.PlanApplied)).must(t); ok {
			t.Fatal("current plan moved from applying")
		}
		_, err = s.CurrentPlan(ctx(t), "acme/infra", 42, "dev")
		wantErr(t, err, store.ErrNotFound)
	}},
	{"DiscardPR discards a closed PR's plans and returns their directories, except a plan being applied", func(t *testing.T, h harness) {
		s := h.fresh(t)
		get(s.SavePlan(ctx(t), plan(42, "staging", "aaa"))).must(t)
		get(s.SavePlan(ctx(t), plan(42, "staging", "bbb"))).must(t)
		applying := get(s.SavePlan(ctx(t), plan(42, "dev", "bbb"))).must(t)
		get(s.SetPlanStatus(ctx(t), applying.ID, []store.PlanStatus{store.PlanCurrent}, store.PlanApplying)).must(t)
		other := get(s.SavePlan(ctx(t), plan(43, "staging", "ccc"))).must(t)

		dirs := get(s.DiscardPR(ctx(t), "acme/infra", 42)).must(t)
		// Both staging plans sit in one directory: named once.
		if want := []string{plan(42, "staging", "aaa").Dir}; !slices.Equal(dirs, want) {
			t.Fatalf("dirs %v, want %v", dirs, want)
		}
		got := statuses(t, s, 42)
		if got["staging@aaa"] != store.PlanDiscarded || got["staging@bbb"] != store.PlanDiscarded || got["dev@bbb"] != store.PlanApplying {
			t.Fatalf("statuses %v", got)
		}
		if p := get(s.PlanByID(ctx(t), other.ID)).must(t); p.Status != store.PlanCurrent {
			t.Fatalf("another PR's plan is %s", p.Status)
		}
	}},
	{"pruning never deletes a plan that may still be applied", func(t *testing.T, h harness) {
		s, clk := h.freshWithClock(t)
		get(s.SavePlan(ctx(t), plan(42, "staging", "aaa"))).must(t) // becomes stale
		get(s.SavePlan(ctx(t), plan(42, "staging", "bbb"))).must(t) // current
		applying := get(s.SavePlan(ctx(t), plan(42, "dev", "bbb"))).must(t)
		get(s.SetPlanStatus(ctx(t), applying.ID, []store.PlanStatus{store.PlanCurrent}, store.PlanApplying)).must(t)
		discarded := get(s.SavePlan(ctx(t), plan(7, "dev", "ddd"))).must(t)
		get(s.DiscardPR(ctx(t), "acme/infra", 7)).must(t)
		clk.Advance(30 * 24 * time.Hour)

		files := get(s.PrunePlans(ctx(t), clk.Now())).must(t)
		if want := []string{plan(42, "staging", "aaa").PlanFile, discarded.PlanFile}; !slices.Equal(files, sorted(want)) {
			t.Fatalf("pruned %v, want %v", files, want)
		}
		got := statuses(t, s, 42)
		if len(got) != 2 || got["staging@bbb"] != store.PlanCurrent || got["dev@bbb"] != store.PlanApplying {
			t.Fatalf("left %v", got)
		}
	}},
	{"a plan with an unknown status is refused", func(t *testing.T, h harness) {
		s := h.fresh(t)
		p := plan(42, "staging", "aaa")
		p.Status = "approved"
		if _, err := s.SavePlan(ctx(t), p); err == nil {
			t.Fatal("unknown status accepted")
		}
	}},
}

func mapValues[K comparable, V any](m map[K]V) []V {
	var out []V
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
