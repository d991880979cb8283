package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/tf"
)

// PruneArgs forgets what can no longer matter: deliveries old enough that
// GitHub will not redeliver them, and plans that can no longer be applied
// (stale, applied, failed, discarded) with their files. Current plans and
// plans being applied are never pruned.
type PruneArgs struct{}

// Kind names the job in River.
func (PruneArgs) Kind() string { return "prune" }

// How long things are kept. GitHub redelivers for a few days at most; a
// superseded plan is kept a week for whoever wants to read what it said.
const (
	keepDeliveries = 30 * 24 * time.Hour
	keepPlans      = 7 * 24 * time.Hour
	pruneEvery     = 6 * time.Hour
)

// PruneWorker runs PruneArgs.
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	d *Deps
}

// Work prunes.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	return w.d.prune(ctx, time.Now())
}

func (d *Deps) prune(ctx context.Context, now time.Time) error {
	deliveries, err := d.Store.PruneDeliveries(ctx, now.Add(-keepDeliveries))
	if err != nil {
		return err
	}
	files, err := d.Store.PrunePlans(ctx, now.Add(-keepPlans))
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := tf.RemovePlan(f); err != nil {
			return err
		}
	}
	d.log(ctx).Info("pruned", "deliveries", deliveries, "plans", len(files))
	return nil
}

// Periodic are the jobs the App runs on a schedule: pruning, at start and
// every six hours.
func Periodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(pruneEvery), func() (river.JobArgs, *river.InsertOpts) {
			return PruneArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
	}
}
