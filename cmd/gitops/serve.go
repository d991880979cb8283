package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/app"
	"github.com/gitops-bot/gitops/bot/config"
)

func newServeCmd(_ *globalOptions) *cobra.Command {
	cfg := config.Default()
	var file string
	var repos, permissions []string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the GitHub App: webhooks in, plans, cost, policy and applies out",
		Long: `serve runs the GitHub App. Pull requests that change environments/*.yaml or
terraform/ get a plan per environment, its cost and policy verdict in one comment
and a check run per environment; /apply and merges apply the reviewed plan.

Configuration comes from --config FILE (YAML, the keys of the flags with
underscores), then GITOPS_* environment variables (each flag's name in upper
case), then flags; every problem is reported at start, all at once.`,
		Example: `  gitops serve --app-id 12345 --app-key-file app.pem --webhook-secret-file secret \
      --repo acme/infra --data-dir /var/lib/gitops
  gitops serve --config /etc/gitops.yaml --database-url postgres://gitops@db/gitops
  gitops serve --github-url https://ghe.example.com/api/v3/ --config gitops.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			loaded := config.Default()
			if file != "" {
				if err := loaded.LoadFile(file); err != nil {
					return &exitError{code: 2, msg: "gitops: " + err.Error()}
				}
			}
			if err := loaded.LoadEnv(os.Getenv); err != nil {
				return &exitError{code: 2, msg: "gitops: " + err.Error()}
			}
			// Flags set on the command line win.
			fl := cmd.Flags()
			set := func(name string, apply func()) {
				if fl.Changed(name) {
					apply()
				}
			}
			set("github-url", func() { loaded.GitHubURL = cfg.GitHubURL })
			set("app-id", func() { loaded.AppID = cfg.AppID })
			set("app-key-file", func() { loaded.AppKeyFile = cfg.AppKeyFile })
			set("webhook-secret-file", func() { loaded.WebhookSecretFile = cfg.WebhookSecretFile })
			set("repo", func() { loaded.Repos = repos })
			set("database-url", func() { loaded.DatabaseURL = cfg.DatabaseURL })
			set("data-dir", func() { loaded.DataDir = cfg.DataDir })
			set("listen", func() { loaded.Listen = cfg.Listen })
			set("public-url", func() { loaded.PublicURL = cfg.PublicURL })
			set("workers", func() { loaded.Workers = cfg.Workers })
			set("job-timeout", func() { loaded.JobTimeout = cfg.JobTimeout })
			set("provider-mirror", func() { loaded.ProviderMirror = cfg.ProviderMirror })
			set("state-bucket", func() { loaded.State.Bucket = cfg.State.Bucket })
			set("lock-table", func() { loaded.State.Table = cfg.State.Table })
			set("state-region", func() { loaded.State.Region = cfg.State.Region })
			set("app-repo", func() { loaded.Releases.AppRepo = cfg.Releases.AppRepo })
			set("release-repo", func() { loaded.Releases.Repo = cfg.Releases.Repo })
			set("release-env", func() { loaded.Releases.Environment = cfg.Releases.Environment })
			set("require-approval", func() { loaded.Require.Approved = cfg.Require.Approved })
			set("require-mergeable", func() { loaded.Require.Mergeable = cfg.Require.Mergeable })
			set("require-current-head", func() { loaded.Require.CurrentHead = cfg.Require.CurrentHead })
			set("require-policy", func() { loaded.Require.PolicyPassed = cfg.Require.PolicyPassed })
			for _, p := range permissions {
				if err := loaded.SetPermission(p); err != nil {
					return &exitError{code: 2, msg: "gitops: " + err.Error()}
				}
			}
			if err := loaded.Validate(); err != nil {
				return &exitError{code: 2, msg: "gitops: the configuration has problems:\n" + err.Error()}
			}
			log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil))
			return app.Run(cmd.Context(), loaded, app.Options{Logger: log})
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "config", "", "YAML configuration file [$GITOPS_CONFIG is not read: give the file here]")
	f.StringVar(&cfg.GitHubURL, "github-url", cfg.GitHubURL, "GitHub REST API base: public GitHub, GitHub Enterprise Server (https://HOST/api/v3/) or an emulator [$GITOPS_GITHUB_URL]")
	f.Int64Var(&cfg.AppID, "app-id", 0, "the GitHub App's id [$GITOPS_APP_ID]")
	f.StringVar(&cfg.AppKeyFile, "app-key-file", "", "the App's private key (PEM file) [$GITOPS_APP_KEY_FILE]")
	f.StringVar(&cfg.WebhookSecretFile, "webhook-secret-file", "", "file holding the webhook secret [$GITOPS_WEBHOOK_SECRET_FILE]")
	f.StringArrayVar(&repos, "repo", nil, "repository (owner/name) the App may act on; repeatable [$GITOPS_REPOS, comma-separated]")
	f.StringVar(&cfg.DatabaseURL, "database-url", "", "sqlite:///path/gitops.db (default <data-dir>/gitops.db) or postgres://… for several replicas [$GITOPS_DATABASE_URL]")
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "checkouts, terraform working directories and plans [$GITOPS_DATA_DIR]")
	f.StringVar(&cfg.Listen, "listen", cfg.Listen, "HTTP address of /webhook, /healthz, /metrics and the status page [$GITOPS_LISTEN]")
	f.StringVar(&cfg.PublicURL, "public-url", "", "where GitHub and people reach this server (default http://<listen>) [$GITOPS_PUBLIC_URL]")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "jobs run at once [$GITOPS_WORKERS]")
	f.DurationVar(&cfg.JobTimeout, "job-timeout", cfg.JobTimeout, "longest a job (plans of a PR, or an apply) may run")
	f.StringVar(&cfg.ProviderMirror, "provider-mirror", cfg.ProviderMirror, "terraform provider filesystem mirror [$GITOPS_PROVIDER_MIRROR]")
	f.StringVar(&cfg.State.Bucket, "state-bucket", cfg.State.Bucket, "S3 bucket of terraform state [$GITOPS_STATE_BUCKET]")
	f.StringVar(&cfg.State.Table, "lock-table", cfg.State.Table, "DynamoDB table for state locking [$GITOPS_LOCK_TABLE]")
	f.StringVar(&cfg.State.Region, "state-region", cfg.State.Region, "region of the bucket and table [$GITOPS_STATE_REGION]")
	f.StringVar(&cfg.Releases.AppRepo, "app-repo", "", "the application's repository: its tags vX.Y.Z open release pull requests (default: each repository's own tags) [$GITOPS_APP_REPO]")
	f.StringVar(&cfg.Releases.Repo, "release-repo", "", "where release pull requests edit releases/ (default: the first --repo that is not --app-repo) [$GITOPS_RELEASE_REPO]")
	f.StringVar(&cfg.Releases.Environment, "release-env", cfg.Releases.Environment, "the environment a tag releases to [$GITOPS_RELEASE_ENV]")
	f.StringArrayVar(&permissions, "permission", nil, "least role for a command, e.g. apply=admin (repeatable; default plan/unlock=write, apply/approve-policy=maintain)")
	f.BoolVar(&cfg.Require.Approved, "require-approval", true, "/apply needs an approval by someone other than the author")
	f.BoolVar(&cfg.Require.Mergeable, "require-mergeable", true, "/apply needs the pull request to be mergeable")
	f.BoolVar(&cfg.Require.CurrentHead, "require-current-head", true, "/apply needs the plan to be for the current head")
	f.BoolVar(&cfg.Require.PolicyPassed, "require-policy", true, "/apply needs policy to pass (or its denies overridden)")
	return cmd
}
