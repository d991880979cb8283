// Package server is the App's HTTP side: /webhook verifies a delivery,
// stores it and enqueues its jobs in one transaction, then answers 202;
// /healthz checks the database; /metrics is Prometheus'; / is a status page
// (locks, recent runs, the queue). Work happens in jobs, never in a handler.
//
// It is not for doing the work (bot/jobs) nor for storing it (bot/store).
package server

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/metrics"
	"github.com/gitops-bot/gitops/bot/store"
)

// Config is what the server needs.
type Config struct {
	Store         store.Store
	WebhookSecret []byte
	// Repos is the allow-list (owner/name); deliveries for others are ignored.
	Repos []string
	// Jobs maps a verified event to the jobs it starts (jobs.ForEvent).
	Jobs    func(*github.Event) []river.JobArgs
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Setup serves /setup (the App manifest flow); nil: not offered.
	Setup http.Handler
}

// Server is the App's HTTP handler.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the server's handler.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New(nil)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /webhook", s.webhook)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Metrics.Registry, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /{$}", s.status)
	if cfg.Setup != nil {
		s.mux.Handle("/setup", cfg.Setup)
		s.mux.Handle("/setup/", cfg.Setup)
	}
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// webhook answers 401 for a bad signature (nothing stored), 413 for a body
// over 25 MB, 400 for a delivery that cannot be read, and 202 once the
// delivery is stored with its jobs, or ignored.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	kind := r.Header.Get("X-GitHub-Event")
	count := func(outcome string) { s.cfg.Metrics.Deliveries.WithLabelValues(metricEvent(kind), outcome).Inc() }
	e, err := github.ParseWebhook(r, s.cfg.WebhookSecret)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, github.ErrSignature):
		count("bad_signature")
		s.cfg.Logger.Warn("webhook refused: bad signature", "event", kind, "delivery", r.Header.Get("X-GitHub-Delivery"))
		http.Error(w, "signature does not match", http.StatusUnauthorized)
		return
	case errors.As(err, &tooLarge) || (err != nil && strings.Contains(err.Error(), "body over")):
		count("too_large")
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		count("invalid")
		s.cfg.Logger.Warn("webhook refused", "event", kind, "err", err)
		http.Error(w, "cannot read the delivery", http.StatusBadRequest)
		return
	}
	log := s.cfg.Logger.With("delivery", e.DeliveryID, "event", e.Kind, "action", e.Action, "repo", e.Repo, "pr", e.Number)
	if e.Repo != "" && !slices.Contains(s.cfg.Repos, e.Repo) {
		count("ignored")
		log.Info("ignored: repository not in the allow-list")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	jobs := s.cfg.Jobs(e)
	if len(jobs) == 0 {
		count("ignored")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	dup, err := s.cfg.Store.RecordDelivery(r.Context(), store.Delivery{
		ID: e.DeliveryID, Event: e.Kind, Action: e.Action, Repo: e.Repo, Number: e.Number,
		HeadSHA: e.HeadSHA, CommentID: e.CommentID, Key: e.Key(), Payload: e.Payload,
	}, jobs...)
	if err != nil {
		count("error")
		log.Error("store delivery", "err", err)
		// GitHub redelivers on 5xx only by hand; the error is counted and logged.
		http.Error(w, "cannot store the delivery", http.StatusServiceUnavailable)
		return
	}
	if dup {
		count("duplicate")
		log.Info("duplicate delivery")
	} else {
		count("queued")
		log.Info("queued", "jobs", len(jobs))
	}
	w.WriteHeader(http.StatusAccepted)
}

func metricEvent(kind string) string {
	if github.Routed(kind) {
		return kind
	}
	return "other" // bounded label values
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		http.Error(w, "database: unavailable", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>gitops</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head>
<body><h1>gitops</h1>
<h2>Locks</h2>
<table><tr><th>Repository</th><th>Environment</th><th>Held by</th><th>Since</th></tr>
{{range .Locks}}<tr><td>{{.Repo}}</td><td>{{.Env}}</td><td>{{if .URL}}<a href="{{.URL}}">{{.Holder}}</a>{{else}}{{.Holder}}{{end}}</td><td>{{.AcquiredAt.Format "2006-01-02 15:04 MST"}}</td></tr>
{{else}}<tr><td colspan="4">none</td></tr>{{end}}</table>
<h2>Recent runs</h2>
<table><tr><th>Kind</th><th>Repository</th><th>PR</th><th>Environment</th><th>Status</th><th>Started</th><th>Finished</th></tr>
{{range .Runs}}<tr><td>{{.Kind}}</td><td>{{.Repo}}</td><td>{{.PR}}</td><td>{{.Env}}</td><td>{{.Status}}</td><td>{{.StartedAt.Format "2006-01-02 15:04:05 MST"}}</td><td>{{if not .FinishedAt.IsZero}}{{.FinishedAt.Format "15:04:05"}}{{end}}</td></tr>
{{else}}<tr><td colspan="7">none</td></tr>{{end}}</table>
<h2>Queue</h2>
<table><tr><th>Job</th><th>State</th><th>Count</th></tr>
{{range .Jobs}}<tr><td>{{.Kind}}</td><td>{{.State}}</td><td>{{.Count}}</td></tr>
{{else}}<tr><td colspan="3">empty</td></tr>{{end}}</table>
</body></html>
`))

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	locks, err1 := s.cfg.Store.Locks(ctx, "")
	runs, err2 := s.cfg.Store.Runs(ctx, store.RunFilter{Limit: 50})
	jobs, err3 := s.cfg.Store.JobCounts(ctx)
	if err := errors.Join(err1, err2, err3); err != nil {
		s.cfg.Logger.Error("status page", "err", err)
		http.Error(w, "database: unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = statusPage.Execute(w, map[string]any{"Locks": locks, "Runs": runs, "Jobs": jobs})
}
