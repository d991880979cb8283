package jobs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/store"
)

func TestPruneForgetsOldDeliveriesAndPlansThatCannotBeApplied(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gitops.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Both plans' files sit in the environment's one plans directory.
	dir := t.TempDir()
	plan := func(head string) store.PlanRecord {
		file := filepath.Join(dir, head+".tfplan")
		for _, f := range []string{file, file + ".json", file + ".txt", file + ".meta.json", filepath.Join(dir, head+".tfvars.json")} {
			if err := os.WriteFile(f, []byte(head), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		rec, err := st.SavePlan(ctx, store.PlanRecord{Repo: "acme/infra", PR: 1, Env: "dev", HeadSHA: head, Dir: dir, PlanFile: file, Summary: []byte("{}"), Verdict: []byte("{}"), Cost: []byte("{}")})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	if _, err := st.RecordDelivery(ctx, store.Delivery{ID: "old", Event: "push"}); err != nil {
		t.Fatal(err)
	}
	plan("aaaa")
	current := plan("bbbb") // the second makes the first stale
	now = t0.Add(20 * 24 * time.Hour)
	if _, err := st.RecordDelivery(ctx, store.Delivery{ID: "recent", Event: "push"}); err != nil {
		t.Fatal(err)
	}

	d := &Deps{Store: st}
	if err := d.prune(ctx, t0.Add(31*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Delivery(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a 31-day-old delivery is kept: %v", err)
	}
	if _, err := st.Delivery(ctx, "recent"); err != nil {
		t.Errorf("an 11-day-old delivery is gone: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "aaaa.*")); len(left) != 0 {
		t.Errorf("a stale plan's files are kept: %v", left)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "bbbb.*")); len(left) != 5 {
		t.Errorf("the current plan's files are %v, want all 5 kept: it may still be applied", left)
	}
	if rec, err := st.CurrentPlan(ctx, "acme/infra", 1, "dev"); err != nil || rec.ID != current.ID {
		t.Errorf("current plan after pruning: %+v, %v", rec, err)
	}
}
