package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/tf"
)

// progressEvery is the least time between two progress updates of a check
// run: GitHub's rate limits are per installation, and a person reads no
// faster. The last resource's completion is always shown.
const progressEvery = 5 * time.Second

// progressLines is how much of terraform's output the check run shows.
const progressLines = 30

// checkRunProgress streams an apply into its check run: "applying… n/N
// resources" with the end of terraform's output (redacted), at most every
// progressEvery. A failed update is logged and skipped: progress is a
// courtesy, the final result is what counts.
func (d *Deps) checkRunProgress(ctx context.Context, c Client, repo string, cr github.CheckRun, total int) io.Writer {
	var (
		lines []string
		last  time.Time
		shown int
	)
	return &tf.ApplyProgress{OnLine: func(done int, line string) {
		lines = append(lines, line)
		if len(lines) > progressLines {
			lines = lines[len(lines)-progressLines:]
		}
		if done == shown || (done < total && time.Since(last) < progressEvery) {
			return
		}
		shown, last = done, time.Now()
		up := cr
		up.Status = "in_progress"
		up.Title = fmt.Sprintf("applying… %d/%d resources", done, total)
		up.Text = "```\n" + report.Redact(strings.Join(lines, "\n")) + "\n```"
		if _, err := c.UpsertCheckRun(ctx, repo, up); err != nil {
			d.log(ctx).Warn("apply progress in the check run", "err", err)
		}
	}}
}

// eventStream takes a deploy's or a seed's events as the engine reports
// them. Each goes at once to the job's log and to the run's log (a rollback
// point also as a journal line, before any service is touched); the
// comment is rendered again whenever a step starts or ends, by a goroutine
// of the stream's own, so that the engine never waits on GitHub.
type eventStream struct {
	d     *Deps
	ctx   context.Context
	log   *slog.Logger
	runID int64

	mu     sync.Mutex
	events []deploy.Event
	kick   chan struct{}
	done   chan struct{}
}

// startStream starts a stream that calls show with the events so far;
// stop it with stop.
func (d *Deps) startStream(ctx context.Context, log *slog.Logger, runID int64, show func(context.Context, []deploy.Event)) *eventStream {
	s := &eventStream{d: d, ctx: ctx, log: log, runID: runID, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for range s.kick {
			show(ctx, s.snapshot())
		}
	}()
	return s
}

func (s *eventStream) snapshot() []deploy.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// event is the engine's Progress function.
func (s *eventStream) event(ev deploy.Event) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	s.log.Info("progress", "event", ev.String())
	line := report.Redact(ev.Time.UTC().Format("15:04:05 ")+ev.String()) + "\n"
	if ev.Step == deploy.StepRecord && ev.Service != "" && ev.Status == deploy.StatusSucceeded && ev.TaskDefinition != "" {
		line += journalRollbackPoint + ev.Service + " " + ev.TaskDefinition + "\n"
	}
	if err := s.d.Store.AppendLog(s.ctx, s.runID, []byte(line)); err != nil {
		s.log.Warn("run log", "err", err)
	}
	if ev.Status == deploy.StatusProgress || ev.Service != "" && ev.Seed == "" && ev.Step != deploy.StepRoll && ev.Step != deploy.StepRollback {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default: // an update is already due; it will show this event too
	}
}

// stop waits for the last update and returns every event.
func (s *eventStream) stop() []deploy.Event {
	close(s.kick)
	<-s.done
	return s.snapshot()
}
