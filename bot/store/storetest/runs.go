package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/store"
)

func applyRun(key string) store.Run {
	return store.Run{Kind: store.RunApply, Repo: "acme/infra", PR: 42, Env: "staging", PlanID: 7, JobID: 99, Key: key}
}

var runCases = []testCase{
	{"BeginRun with the same key twice starts one run and returns it to the retry", func(t *testing.T, h harness) {
		s, clk := h.freshWithClock(t)
		first, started, err := s.BeginRun(ctx(t), applyRun("apply:acme/infra#42:staging:plan7"))
		check(t, err)
		if !started || first.ID == 0 || first.Status != store.RunRunning || !first.StartedAt.Equal(clk.Now()) || !first.FinishedAt.IsZero() {
			t.Fatalf("first BeginRun = %+v, %v", first, started)
		}
		clk.Advance(time.Minute)
		retry := applyRun("apply:acme/infra#42:staging:plan7")
		retry.JobID = 100
		again, started, err := s.BeginRun(ctx(t), retry)
		check(t, err)
		if started || again.ID != first.ID || again.JobID != 99 || !again.StartedAt.Equal(first.StartedAt) {
			t.Fatalf("retried BeginRun = %+v, %v; want the first run, not started", again, started)
		}
	}},
	{"of 10 jobs beginning the same run exactly one starts it", func(t *testing.T, h harness) {
		s := h.fresh(t)
		started := race(10, func(int) bool {
			_, ok, err := s.BeginRun(ctx(t), applyRun("seed:acme/infra#42:comment:1"))
			if err != nil {
				t.Error(err)
			}
			return ok
		})
		if n := count(started, true); n != 1 {
			t.Fatalf("%d started, want 1", n)
		}
	}},
	{"a run finishes once", func(t *testing.T, h harness) {
		s, clk := h.freshWithClock(t)
		run, _, err := s.BeginRun(ctx(t), applyRun("k"))
		check(t, err)
		clk.Advance(90 * time.Second)
		check(t, s.FinishRun(ctx(t), run.ID, store.RunSucceeded, []byte(`{"changed":3}`)))
		got := get(s.RunByID(ctx(t), run.ID)).must(t)
		if got.Status != store.RunSucceeded || !got.FinishedAt.Equal(clk.Now()) || string(got.Detail) != `{"changed":3}` {
			t.Fatalf("finished run = %+v", got)
		}
		wantErr(t, s.FinishRun(ctx(t), run.ID, store.RunFailed, nil), store.ErrConflict)
		wantErr(t, s.FinishRun(ctx(t), 9999, store.RunFailed, nil), store.ErrNotFound)
		if err := s.FinishRun(ctx(t), run.ID, store.RunRunning, nil); err == nil {
			t.Fatal("finishing as running accepted")
		}
	}},
	{"Runs filters and lists the newest first", func(t *testing.T, h harness) {
		s := h.fresh(t)
		for _, r := range []store.Run{
			{Kind: store.RunPlan, Repo: "acme/infra", PR: 42, Env: "staging", Key: "1"},
			{Kind: store.RunApply, Repo: "acme/infra", PR: 42, Env: "staging", Key: "2"},
			{Kind: store.RunDeploy, Repo: "acme/infra", Env: "staging", Key: "3"},
			{Kind: store.RunApply, Repo: "acme/other", PR: 42, Env: "staging", Key: "4"},
		} {
			if _, _, err := s.BeginRun(ctx(t), r); err != nil {
				t.Fatal(err)
			}
		}
		keys := func(f store.RunFilter) []string {
			var out []string
			for _, r := range get(s.Runs(ctx(t), f)).must(t) {
				out = append(out, r.Key)
			}
			return out
		}
		for _, tt := range []struct {
			f    store.RunFilter
			want []string
		}{
			{store.RunFilter{}, []string{"4", "3", "2", "1"}},
			{store.RunFilter{Repo: "acme/infra", PR: 42}, []string{"2", "1"}},
			{store.RunFilter{Kind: store.RunApply}, []string{"4", "2"}},
			{store.RunFilter{Status: store.RunRunning, Limit: 2}, []string{"4", "3"}},
			{store.RunFilter{Status: store.RunSucceeded}, nil},
		} {
			if got := keys(tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("Runs(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		}
	}},
}

var logCases = []testCase{
	{"Log returns the tail of the appended chunks", func(t *testing.T, h harness) {
		s := h.fresh(t)
		run, _, err := s.BeginRun(ctx(t), applyRun("k"))
		check(t, err)
		for _, c := range []string{"terraform apply\n", "aws_ecs_service.api: Modifying...\n", "", "Apply complete!\n"} {
			check(t, s.AppendLog(ctx(t), run.ID, []byte(c)))
		}
		all := "terraform apply\naws_ecs_service.api: Modifying...\nApply complete!\n"
		for _, tt := range []struct {
			tail int
			want string
		}{
			{0, all},
			{-1, all},
			{10000, all},
			{16, "Apply complete!\n"},
			{20, "...\nApply complete!\n"},
		} {
			if got := string(get(s.Log(ctx(t), run.ID, tt.tail)).must(t)); got != tt.want {
				t.Errorf("Log(tail %d) = %q, want %q", tt.tail, got, tt.want)
			}
		}
		if got := get(s.Log(ctx(t), run.ID+1, 100)).must(t); len(got) != 0 {
			t.Errorf("log of a run without one = %q", got)
		}
	}},
	{"a log belongs to a run that exists", func(t *testing.T, h harness) {
		s := h.fresh(t)
		if err := s.AppendLog(ctx(t), 12345, []byte("orphan")); err == nil {
			t.Fatal("log of a missing run accepted (foreign keys off?)")
		}
	}},
}
