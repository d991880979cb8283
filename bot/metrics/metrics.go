// Package metrics holds the App's Prometheus metrics in a registry of its
// own (no global state), for the server to expose and the jobs and the
// GitHub client to record into.
package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the App's metrics.
type Metrics struct {
	Registry *prometheus.Registry
	// Deliveries counts webhook deliveries by event and outcome
	// (queued, duplicate, ignored, bad_signature, invalid, error).
	Deliveries *prometheus.CounterVec
	// Durations observes plan and apply durations by kind and outcome.
	Durations *prometheus.HistogramVec
	// RateLimit is GitHub's rate limit left, by resource.
	RateLimit *prometheus.GaugeVec
	// Retries counts GitHub calls retried, by reason.
	Retries *prometheus.CounterVec
}

// JobCount is one row of the job gauge.
type JobCount struct {
	Kind, State string
	Count       int64
}

// New registers the metrics; jobs are counted at each scrape by jobs().
func New(jobs func(context.Context) ([]JobCount, error)) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry:   r,
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gitops_webhook_deliveries_total", Help: "Webhook deliveries by event and outcome."}, []string{"event", "outcome"}),
		Durations:  prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gitops_run_duration_seconds", Help: "Plan and apply durations.", Buckets: []float64{5, 10, 20, 40, 60, 120, 300, 600, 1200}}, []string{"kind", "outcome"}),
		RateLimit:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gitops_github_rate_limit_remaining", Help: "GitHub API requests left in the current window, by resource."}, []string{"resource"}),
		Retries:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gitops_github_retries_total", Help: "GitHub calls retried, by reason."}, []string{"reason"}),
	}
	r.MustRegister(m.Deliveries, m.Durations, m.RateLimit, m.Retries, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if jobs != nil {
		r.MustRegister(&jobCollector{count: jobs, desc: prometheus.NewDesc("gitops_jobs", "Jobs by kind and state.", []string{"kind", "state"}, nil)})
	}
	return m
}

type jobCollector struct {
	count func(context.Context) ([]JobCount, error)
	desc  *prometheus.Desc
}

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	rows, err := c.count(context.Background())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(r.Count), r.Kind, r.State)
	}
}
