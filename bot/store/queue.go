package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// WorkerConfig is the part of River's configuration the jobs choose.
type WorkerConfig struct {
	Workers *river.Workers // required
	// Queues and how many jobs each works at once; default: River's default
	// queue with 4 workers.
	Queues       map[string]river.QueueConfig
	PeriodicJobs []*river.PeriodicJob
	MaxAttempts  int                     // default: River's (25)
	RetryPolicy  river.ClientRetryPolicy // default: River's exponential backoff
	ErrorHandler river.ErrorHandler
	JobTimeout   time.Duration // default: River's (1 minute); -1 for none
	// RescueStuckJobsAfter is how long a job may stay running before it is
	// taken as orphaned (its process died) and run again; default River's
	// (an hour, or JobTimeout plus an hour).
	RescueStuckJobsAfter time.Duration
	// FetchPollInterval is how often workers look for new jobs when nothing
	// tells them (SQLite has no notifications); default River's (1 s).
	FetchPollInterval time.Duration
	// SoftStopTimeout is how long Stop lets running jobs finish before it
	// cancels them; default: no limit.
	SoftStopTimeout time.Duration
	Logger          *slog.Logger // default: the store's logger
}

// Workers is a running River client. *river.Client of either driver is one,
// so the jobs never see the driver's transaction type.
type Workers interface {
	// Stop stops fetching jobs and waits for running ones to finish.
	Stop(ctx context.Context) error
	// StopAndCancel also cancels the running jobs' contexts.
	StopAndCancel(ctx context.Context) error
	// Subscribe delivers events of the given kinds (say, river.EventKindJobCompleted).
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// queue is River on one driver. It holds the generic transaction type TTx
// (*sql.Tx for SQLite, pgx.Tx for PostgreSQL) so that nothing outside the
// backend does: the rest of the store enqueues through a jobInserter.
type queue[TTx any] struct {
	driver   riverdriver.Driver[TTx]
	inserter *river.Client[TTx] // insert-only: no queues, no workers
	logger   *slog.Logger
}

func newQueue[TTx any](driver riverdriver.Driver[TTx], logger *slog.Logger) (*queue[TTx], error) {
	inserter, err := river.NewClient(driver, &river.Config{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return &queue[TTx]{driver: driver, inserter: inserter, logger: logger}, nil
}

// migrate applies River's migrations; the caller serialises concurrent
// opens (River's migrator does not).
func (q *queue[TTx]) migrateRiver(ctx context.Context) error {
	m, err := rivermigrate.New(q.driver, &rivermigrate.Config{Logger: q.logger})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

func insertParams(jobs []river.JobArgs) []river.InsertManyParams {
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		params[i] = river.InsertManyParams{Args: j}
	}
	return params
}

// insertTx enqueues jobs in tx.
func (q *queue[TTx]) insertTx(ctx context.Context, tx TTx, jobs []river.JobArgs) error {
	if len(jobs) == 0 {
		return nil
	}
	if _, err := q.inserter.InsertManyTx(ctx, tx, insertParams(jobs)); err != nil {
		return fmt.Errorf("enqueue %s: %w", kinds(jobs), err)
	}
	return nil
}

func (q *queue[TTx]) Enqueue(ctx context.Context, jobs ...river.JobArgs) error {
	if len(jobs) == 0 {
		return nil
	}
	if _, err := q.inserter.InsertMany(ctx, insertParams(jobs)); err != nil {
		return fmt.Errorf("enqueue %s: %w", kinds(jobs), err)
	}
	return nil
}

func (q *queue[TTx]) StartWorkers(ctx context.Context, cfg WorkerConfig) (Workers, error) {
	if cfg.Workers == nil {
		return nil, errors.New("start workers: WorkerConfig.Workers is required")
	}
	queues := cfg.Queues
	if len(queues) == 0 {
		queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = q.logger
	}
	client, err := river.NewClient(q.driver, &river.Config{
		Workers:              cfg.Workers,
		Queues:               queues,
		PeriodicJobs:         cfg.PeriodicJobs,
		MaxAttempts:          cfg.MaxAttempts,
		RetryPolicy:          cfg.RetryPolicy,
		ErrorHandler:         cfg.ErrorHandler,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueStuckJobsAfter,
		SoftStopTimeout:      cfg.SoftStopTimeout,
		FetchPollInterval:    cfg.FetchPollInterval,
		Logger:               logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start workers: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("start workers: %w", err)
	}
	return client, nil
}

func kinds(jobs []river.JobArgs) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.Kind()
	}
	return out
}

func (s *sqlStore) JobCounts(ctx context.Context) ([]JobCount, error) {
	r, err := s.db.query(ctx, `SELECT kind, CAST(state AS TEXT), count(*) FROM river_job GROUP BY kind, state ORDER BY kind, 2`)
	if err == nil {
		var counts []JobCount
		if counts, err = collect(r, func(r rows) (JobCount, error) {
			var c JobCount
			err := r.Scan(&c.Kind, &c.State, &c.Count)
			return c, err
		}); err == nil {
			return counts, nil
		}
	}
	return nil, fmt.Errorf("count jobs: %w", err)
}

// rescueOrphans makes every job recorded as running available again (or
// discards it when it has no attempt left). Only a caller that knows no
// other process is working the queue may call it: then a running job is one
// whose process died (a crash, SIGKILL) and waiting for River's rescuer
// (an hour by default) would leave its pull request unanswered.
func (q *queue[TTx]) rescueOrphans(ctx context.Context, now time.Time) (int, error) {
	exec := q.driver.GetExecutor()
	stuck, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{StuckHorizon: now.Add(time.Second), Max: 10000})
	if err != nil {
		return 0, fmt.Errorf("rescue orphaned jobs: %w", err)
	}
	if len(stuck) == 0 {
		return 0, nil
	}
	p := &riverdriver.JobRescueManyParams{StuckHorizon: now.Add(time.Second)}
	for _, j := range stuck {
		msg, err := json.Marshal(rivertype.AttemptError{
			At: now, Attempt: max(j.Attempt, 0),
			Error: "orphaned: the process running this job stopped before it finished; run again at start",
		})
		if err != nil {
			return 0, fmt.Errorf("rescue orphaned job %d: %w", j.ID, err)
		}
		state, finalized := rivertype.JobStateAvailable, (*time.Time)(nil)
		if j.Attempt >= j.MaxAttempts {
			state, finalized = rivertype.JobStateDiscarded, &now
		}
		p.ID = append(p.ID, j.ID)
		p.Error = append(p.Error, msg)
		p.FinalizedAt = append(p.FinalizedAt, finalized)
		p.ScheduledAt = append(p.ScheduledAt, now)
		p.State = append(p.State, string(state))
	}
	if _, err := exec.JobRescueMany(ctx, p); err != nil {
		return 0, fmt.Errorf("rescue orphaned jobs: %w", err)
	}
	return len(stuck), nil
}
