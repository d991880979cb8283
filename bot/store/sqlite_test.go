package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

type orphanArgs struct{ Token string }

func (orphanArgs) Kind() string { return "store_orphan" }

type orphanWorker struct {
	river.WorkerDefaults[orphanArgs]
	ran chan *river.Job[orphanArgs]
}

func (w *orphanWorker) Work(ctx context.Context, job *river.Job[orphanArgs]) error {
	select {
	case w.ran <- job:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestAJobLeftRunningByADeadProcessRunsAgainAtStart: a job the database
// says is running while no process works the queue (its process was
// killed) is run again as soon as workers start, not an hour later.
func TestAJobLeftRunningByADeadProcessRunsAgainAtStart(t *testing.T) {
	ctx := t.Context()
	url := "sqlite://" + filepath.Join(t.TempDir(), "gitops.db")
	first, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Enqueue(ctx, orphanArgs{Token: "plan"}); err != nil {
		t.Fatal(err)
	}
	// What a SIGKILL mid-job leaves: the row as River's fetch left it.
	db := first.(*sqliteStore).db
	if _, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
		attempted_at = datetime('now', '-1 minute'), attempted_by = json_array('dead-host')`); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	worker := &orphanWorker{ran: make(chan *river.Job[orphanArgs])}
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)
	w, err := second.StartWorkers(ctx, WorkerConfig{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.StopAndCancel(context.WithoutCancel(ctx)) }()
	var job *river.Job[orphanArgs]
	select {
	case job = <-worker.ran:
	case <-time.After(time.Minute): // River's own rescue would take an hour
		t.Fatal("the orphaned job did not run again within a minute of the workers starting")
	}
	if job.Args.Token != "plan" || job.Attempt != 2 {
		t.Fatalf("ran %q at attempt %d, want the orphaned job at attempt 2", job.Args.Token, job.Attempt)
	}
	if len(job.Errors) != 1 || !strings.Contains(job.Errors[0].Error, "orphaned") {
		t.Fatalf("errors %+v, want one saying the job was orphaned", job.Errors)
	}
}

func TestASecondProcessCannotWorkTheSameSQLiteQueue(t *testing.T) {
	ctx := t.Context()
	url := "sqlite://" + filepath.Join(t.TempDir(), "gitops.db")
	workers := river.NewWorkers()
	river.AddWorker(workers, &orphanWorker{ran: make(chan *river.Job[orphanArgs])})
	var started []Workers
	for i := range 2 {
		s, err := Open(ctx, url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		w, err := s.StartWorkers(ctx, WorkerConfig{Workers: workers})
		if i == 0 {
			if err != nil {
				t.Fatal(err)
			}
			started = append(started, w)
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "use PostgreSQL for several") {
			t.Fatalf("second process started workers: %v", err)
		}
	}
	for _, w := range started {
		_ = w.StopAndCancel(context.WithoutCancel(ctx))
	}
}
