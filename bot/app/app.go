// Package app assembles gitops serve: the store (and River's queue in it),
// the GitHub App client, the jobs' workers and the HTTP server, started
// together and stopped together. cmd/gitops serve and gitops demo call Run.
//
// It is not for the work itself (bot/jobs) or its configuration (bot/config).
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/config"
	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/jobs"
	"github.com/gitops-bot/gitops/bot/metrics"
	"github.com/gitops-bot/gitops/bot/server"
	"github.com/gitops-bot/gitops/bot/store"
	"github.com/gitops-bot/gitops/bot/tf"
)

// Options are what serve takes besides its configuration.
type Options struct {
	Logger *slog.Logger
	// TF are terraform options (backend endpoint, extra environment such
	// as an emulator's, variables); the config's state and mirror fill the rest.
	TF tf.Options
	// Ready is called with the address the server listens on.
	Ready func(addr string)
	// Version is shown in comments.
	Version string
	// AWS gives the AWS configuration of a region, for the release engine
	// (ECR, ECS, ELBv2, CloudWatch Logs and alarms); default: the standard
	// chain (environment, shared files, instance role), which honours
	// AWS_ENDPOINT_URL.
	AWS func(ctx context.Context, region string) (aws.Config, error)
	// Engine, when set, adjusts the release engine's configuration
	// (tests and demos: shorter polling intervals, another clock).
	Engine func(*deploy.Config)
	// Outputs gives an environment's stack outputs, where deploys and
	// seeds find it; default: terraform output on a checkout of the default
	// branch.
	Outputs func(ctx context.Context, env string) (map[string]json.RawMessage, error)
	// JobDone, when set, is told each job that ends: its kind, and whether
	// it completed (false: it failed and may be retried, or it was snoozed
	// to run again later). Tests and the demo wait on it instead of polling.
	JobDone func(kind string, completed bool)
}

// Run serves until ctx ends, then stops the server and lets running jobs
// finish (a job cut off is retried by River after a restart).
func Run(ctx context.Context, cfg config.Config, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key, err := config.ReadSecret(cfg.AppKeyFile)
	if err != nil {
		return fmt.Errorf("app key: %w", err)
	}
	secret, err := config.ReadSecret(cfg.WebhookSecretFile)
	if err != nil {
		return fmt.Errorf("webhook secret: %w", err)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	m := metrics.New(func(ctx context.Context) ([]metrics.JobCount, error) {
		rows, err := st.JobCounts(ctx)
		out := make([]metrics.JobCount, len(rows))
		for i, r := range rows {
			out[i] = metrics.JobCount{Kind: r.Kind, State: r.State, Count: r.Count}
		}
		return out, err
	})
	gh, err := github.New(github.Config{
		URL: cfg.GitHubURL, AppID: cfg.AppID, PrivateKey: key,
		Observer: github.Observer{
			RateLimit: func(res string, n int) { m.RateLimit.WithLabelValues(res).Set(float64(n)) },
			Retry:     func(reason string) { m.Retries.WithLabelValues(reason).Inc() },
		},
	})
	if err != nil {
		return err
	}
	tfo := opts.TF
	tfo.Backend.Bucket, tfo.Backend.Table, tfo.Backend.Region = cfg.State.Bucket, cfg.State.Table, cfg.State.Region
	if tfo.Mirror == "" {
		tfo.Mirror = cfg.ProviderMirror
	}
	awsFor := opts.AWS
	if awsFor == nil {
		awsFor = func(ctx context.Context, region string) (aws.Config, error) {
			return awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
		}
	}
	deps := &jobs.Deps{Store: st, GitHub: jobs.AppGitHub{App: gh}, Config: cfg, TF: tfo, Logger: log, Version: opts.Version, Metrics: m,
		Engine: func(ctx context.Context, region string) (jobs.Engine, error) {
			c, err := awsFor(ctx, region)
			if err != nil {
				return nil, fmt.Errorf("AWS configuration for %s: %w", region, err)
			}
			return newEngine(c, opts.Engine)
		},
		Outputs: opts.Outputs,
	}
	workers := river.NewWorkers()
	jobs.Register(workers, deps)
	w, err := st.StartWorkers(ctx, store.WorkerConfig{
		Workers:      workers,
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		PeriodicJobs: jobs.Periodic(),
		JobTimeout:   cfg.JobTimeout,
		// A job still running a minute past its timeout belonged to a
		// process that died (a crash, SIGKILL): it is run again. Its effects
		// are idempotent, so a run that did finish something repeats nothing.
		RescueStuckJobsAfter: cfg.JobTimeout + time.Minute,
		// A webhook's job starts within a fifth of a second (River's default
		// poll is a second; SQLite has no notifications to wake workers).
		FetchPollInterval: 200 * time.Millisecond,
		Logger:            log,
	})
	if err != nil {
		return err
	}
	if opts.JobDone != nil {
		events, cancel := w.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobSnoozed)
		defer cancel()
		go func() {
			for ev := range events {
				opts.JobDone(ev.Job.Kind, ev.Kind == river.EventKindJobCompleted)
			}
		}()
	}
	srv := &http.Server{
		Handler:           server.New(server.Config{Store: st, WebhookSecret: secret, Repos: cfg.Repos, Jobs: jobs.ForEvent, Metrics: m, Logger: log}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = w.Stop(context.Background())
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "github", cfg.GitHubURL, "repos", cfg.Repos)
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stop, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	shutdownErr := srv.Shutdown(stop)
	stopErr := w.Stop(stop)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, shutdownErr, stopErr)
}

// newEngine is the release engine on the AWS configuration c, with every
// client it needs.
func newEngine(c aws.Config, configure func(*deploy.Config)) (*deploy.Engine, error) {
	cfg := deploy.Config{
		ECS:        ecs.NewFromConfig(c),
		ECR:        ecr.NewFromConfig(c),
		ELB:        elb.NewFromConfig(c),
		Logs:       cloudwatchlogs.NewFromConfig(c),
		CloudWatch: cloudwatch.NewFromConfig(c),
		HTTP:       &http.Client{Timeout: time.Minute},
	}
	if configure != nil {
		configure(&cfg)
	}
	return deploy.New(cfg)
}
