package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// Store is the App's persistence. Every method is safe for concurrent use by
// many goroutines, and by several processes sharing one PostgreSQL database.
// Records are returned by value; a record that does not exist is ErrNotFound.
type Store interface {
	// RecordDelivery stores a webhook delivery and enqueues its jobs in one
	// transaction, unless a delivery with the same ID, or the same non-empty
	// Key, is already stored: then dup is true and nothing is enqueued. When
	// enqueueing fails, the delivery is not stored either.
	RecordDelivery(ctx context.Context, d Delivery, jobs ...river.JobArgs) (dup bool, err error)
	// Delivery returns a stored delivery, payload included.
	Delivery(ctx context.Context, id string) (Delivery, error)
	// PruneDeliveries deletes deliveries received before t (their ids are
	// then forgotten for deduplication) and returns how many it deleted.
	PruneDeliveries(ctx context.Context, before time.Time) (int, error)

	// Enqueue inserts jobs outside a delivery, all or none.
	Enqueue(ctx context.Context, jobs ...river.JobArgs) error
	// StartWorkers starts a River client that works the queue until stopped.
	StartWorkers(ctx context.Context, cfg WorkerConfig) (Workers, error)
	// JobCounts counts River's jobs by kind and state.
	JobCounts(ctx context.Context) ([]JobCount, error)

	// TryLock takes the lock of l.Repo and l.Env for l.Holder. It is acquired
	// when free or already held by the same holder (the stored lock is then
	// returned unchanged); otherwise acquired is false and holder is the lock
	// as it is held.
	TryLock(ctx context.Context, l Lock) (holder Lock, acquired bool, err error)
	// Unlock releases the lock of repo and env if holder holds it.
	Unlock(ctx context.Context, repo, env, holder string) (released bool, err error)
	// UnlockHolder releases every lock holder holds in repo and returns their
	// environments, sorted.
	UnlockHolder(ctx context.Context, repo, holder string) (envs []string, err error)
	// Locks lists the locks of repo, or of every repository when repo is "",
	// sorted by repository and environment.
	Locks(ctx context.Context, repo string) ([]Lock, error)

	// SavePlan stores p, replacing the plan of the same repository, PR,
	// environment and head SHA (ID and CreatedAt are kept). A plan saved as
	// current (the default) makes every other current plan of that PR and
	// environment stale in the same transaction. A plan being applied is
	// never replaced: that is ErrConflict.
	SavePlan(ctx context.Context, p PlanRecord) (PlanRecord, error)
	// CurrentPlan returns the current plan of a PR's environment.
	CurrentPlan(ctx context.Context, repo string, pr int, env string) (PlanRecord, error)
	// Plans lists a PR's plans, oldest first.
	Plans(ctx context.Context, repo string, pr int) ([]PlanRecord, error)
	// PlanByID returns one plan.
	PlanByID(ctx context.Context, id int64) (PlanRecord, error)
	// SetPlanStatus moves plan id to status to if its status is one of from:
	// a compare-and-set, so that of several jobs racing to begin an apply
	// (current → applying) exactly one gets ok.
	SetPlanStatus(ctx context.Context, id int64, from []PlanStatus, to PlanStatus) (ok bool, err error)
	// DiscardPR marks the current and stale plans of a closed PR discarded
	// and returns the directories of all its plans except those being
	// applied, for the caller to delete.
	DiscardPR(ctx context.Context, repo string, pr int) (dirs []string, err error)
	// PrunePlans deletes plans that can no longer be applied (stale, applied,
	// failed, discarded) last updated before t and returns their plan files
	// (not directories: a directory holds an environment's other plans
	// too). Current and applying plans are never pruned.
	PrunePlans(ctx context.Context, before time.Time) (planFiles []string, err error)

	// BeginRun records r as running, unless a run with the same Key exists:
	// then that run is returned with started false, so a retried job never
	// starts the same apply, deploy or seed twice.
	BeginRun(ctx context.Context, r Run) (run Run, started bool, err error)
	// FinishRun records the outcome of a running run; a run already finished
	// is ErrConflict.
	FinishRun(ctx context.Context, id int64, status RunStatus, detail []byte) error
	// RunByID returns one run.
	RunByID(ctx context.Context, id int64) (Run, error)
	// Runs lists runs matching f, newest first.
	Runs(ctx context.Context, f RunFilter) ([]Run, error)

	// AddOverride records that o.By lifts the deny of o.Rule for one pull
	// request (in o.Env, or in every environment when empty). The caller
	// checked that o.By owns the rule; recording the same rule again keeps
	// the first.
	AddOverride(ctx context.Context, o Override) error
	// Overrides lists a pull request's overrides, oldest first.
	Overrides(ctx context.Context, repo string, pr int) ([]Override, error)

	// PRState returns what the store knows of a pull request.
	PRState(ctx context.Context, repo string, pr int) (PRState, error)
	// SetPRState records a PR's head and state. The sticky comment is not
	// changed by it (see ClaimComment).
	SetPRState(ctx context.Context, s PRState) error
	// ClaimComment decides who creates a PR's sticky comment; see CommentClaim.
	ClaimComment(ctx context.Context, repo string, pr int, claimant string, lease time.Duration) (CommentClaim, error)
	// SetComment records the sticky comment claimant created. It is
	// ErrConflict when claimant no longer holds the claim (its lease ran out
	// and another claimant took it, or a comment was recorded meanwhile): the
	// comment just created is then a duplicate to delete.
	SetComment(ctx context.Context, repo string, pr int, claimant string, commentID int64) error
	// ForgetComment clears the sticky comment if it is still commentID (say,
	// someone deleted it on GitHub) so that the next claim creates a new one.
	ForgetComment(ctx context.Context, repo string, pr int, commentID int64) error

	// AppendLog appends chunk to the log of run runID.
	AppendLog(ctx context.Context, runID int64, chunk []byte) error
	// Log returns the last tailBytes bytes of a run's log, all of it when
	// tailBytes <= 0.
	Log(ctx context.Context, runID int64, tailBytes int) ([]byte, error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close closes the database. Stop workers first.
	Close() error
}

var (
	// ErrNotFound is returned for a record that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a record is not in the state the call
	// needs, because another job changed it.
	ErrConflict = errors.New("conflict")
)

// Options tune Open. The zero value works.
type Options struct {
	// Logger receives River's and the migrations' logs; default: discarded.
	Logger *slog.Logger
	// MaxConns caps PostgreSQL's connection pool (default 10, or the URL's
	// pool_max_conns). SQLite always uses one connection: SQLite allows one
	// writer at a time, and River's driver documents a pool of one as the
	// way to avoid SQLITE_BUSY.
	MaxConns int32
	// Now is the store's clock for the times it records; default time.Now.
	Now func() time.Time
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (o Options) clock() func() time.Time {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	// Both backends keep microseconds; rounding here makes a returned record
	// equal to the same record read back.
	return func() time.Time { return now().UTC().Truncate(time.Microsecond) }
}
