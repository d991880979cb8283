// Package config is the configuration of gitops serve: one struct, loaded
// from an optional YAML file, then GITOPS_* environment variables, then
// flags (each overriding the one before), and validated once at start with
// every problem reported together.
//
// It is not for the CLI commands' flags (cmd/gitops) nor for runtime state.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/gitops-bot/gitops/internal/safefile"
)

// Roles are GitHub's repository roles, weakest first.
var Roles = []string{"read", "triage", "write", "maintain", "admin"}

// Commands are the PR commands whose permission is configurable.
var Commands = []string{"plan", "apply", "unlock", "approve-policy", "seed", "deploy"}

// Config is everything gitops serve needs.
type Config struct {
	// GitHubURL is the REST API base (GitHub Enterprise Server, or an emulator).
	GitHubURL string `yaml:"github_url"`
	AppID     int64  `yaml:"app_id"`
	// AppKeyFile and WebhookSecretFile hold the App's private key (PEM) and
	// the webhook secret; files, so that secrets never sit in flags or logs.
	AppKeyFile        string `yaml:"app_key_file"`
	WebhookSecretFile string `yaml:"webhook_secret_file"`
	// Repos is the allow-list of repositories (owner/name) the App acts on.
	Repos []string `yaml:"repos"`
	// DatabaseURL is sqlite://<path> (default <data-dir>/gitops.db) or postgres://….
	DatabaseURL string `yaml:"database_url"`
	// DataDir holds checkouts, terraform working directories and saved plans.
	DataDir string `yaml:"data_dir"`
	// Listen is the HTTP address of /webhook, /healthz, /metrics and the status pages.
	Listen string `yaml:"listen"`
	// PublicURL is where GitHub and people reach this server (links, the
	// App manifest's webhook URL); default http://<listen>.
	PublicURL string `yaml:"public_url"`
	// Permissions is the least repository role per command.
	Permissions map[string]string `yaml:"permissions"`
	// Require are the conditions of /apply (and of the Apply button).
	Require Requirements `yaml:"require"`
	// Workers is how many jobs run at once; plans of one PR's environments
	// run concurrently within a job.
	Workers int `yaml:"workers"`
	// State is where terraform keeps state.
	State State `yaml:"state"`
	// ProviderMirror is terraform's provider filesystem mirror.
	ProviderMirror string `yaml:"provider_mirror"`
	// JobTimeout bounds one job (a plan of every environment, or an apply).
	JobTimeout time.Duration `yaml:"job_timeout"`
	// Releases configure release pull requests and deploys.
	Releases Releases `yaml:"releases"`
}

// Releases configure where release tags come from and where they go.
type Releases struct {
	// AppRepo is the application's repository (owner/name): a tag vX.Y.Z
	// pushed there opens a release pull request in ReleaseRepo. Empty: tags
	// of the repositories in Repos release themselves. It must be in Repos
	// too (deliveries from others are ignored).
	AppRepo string `yaml:"app_repo"`
	// Repo is the repository whose releases/ the pull requests edit;
	// default: the first of Repos that is not AppRepo (or AppRepo itself).
	Repo string `yaml:"repo"`
	// Environment is what a tag releases to; default staging.
	Environment string `yaml:"environment"`
}

// ReleaseRepo is where a tag pushed to appRepo opens its release pull
// request, or "" when tags of appRepo are not releases.
func (c *Config) ReleaseRepo(appRepo string) string {
	r := c.Releases
	switch {
	case r.AppRepo != "" && !strings.EqualFold(appRepo, r.AppRepo):
		return ""
	case r.Repo != "":
		return r.Repo
	case r.AppRepo != "":
		for _, repo := range c.Repos {
			if !strings.EqualFold(repo, r.AppRepo) {
				return repo
			}
		}
	}
	return appRepo
}

// Requirements are the conditions of an apply; all on by default.
type Requirements struct {
	// Approved: approved by someone other than the author.
	Approved bool `yaml:"approved"`
	// Mergeable: GitHub says the PR can be merged (no conflicts, checks as configured).
	Mergeable bool `yaml:"mergeable"`
	// CurrentHead: the plan is for the PR's current head.
	CurrentHead bool `yaml:"current_head"`
	// PolicyPassed: policy passed, or its denies were overridden.
	PolicyPassed bool `yaml:"policy_passed"`
}

// State is the terraform backend.
type State struct {
	Bucket string `yaml:"bucket"`
	Table  string `yaml:"lock_table"`
	Region string `yaml:"region"`
}

// Default is the configuration before any file, variable or flag.
func Default() Config {
	return Config{
		GitHubURL:      "https://api.github.com/",
		DataDir:        "gitops-data",
		Listen:         "127.0.0.1:8080",
		Permissions:    map[string]string{"plan": "write", "apply": "maintain", "unlock": "write", "approve-policy": "maintain", "seed": "write", "deploy": "maintain"},
		Require:        Requirements{Approved: true, Mergeable: true, CurrentHead: true, PolicyPassed: true},
		Workers:        4,
		State:          State{Bucket: "inventory-management-tfstate", Table: "inventory-management-tflock", Region: "us-east-1"},
		ProviderMirror: "/opt/tf-plugins",
		JobTimeout:     30 * time.Minute,
		Releases:       Releases{Environment: "staging"},
	}
}

// LoadFile reads a YAML configuration file over c: strict (unknown keys are
// errors, with line and column).
func (c *Config) LoadFile(path string) error {
	data, err := safefile.ReadFile(path, 1<<20)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	before := c.Permissions
	if err := yaml.UnmarshalWithOptions(data, c, yaml.Strict()); err != nil {
		return fmt.Errorf("config file %s: %s", path, yaml.FormatError(err, false, true))
	}
	// permissions in the file change the commands they name; the others
	// keep their roles.
	if c.Permissions == nil {
		c.Permissions = map[string]string{}
	}
	for cmd, role := range before {
		if _, ok := c.Permissions[cmd]; !ok {
			c.Permissions[cmd] = role
		}
	}
	return nil
}

// LoadEnv reads the GITOPS_* twins of serve's flags (the flag's name in
// upper case, GITOPS_ prefixed; GITOPS_REPOS is a comma-separated list).
func (c *Config) LoadEnv(getenv func(string) string) error {
	var errs []error
	str := func(key string, dst *string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	str("GITOPS_GITHUB_URL", &c.GitHubURL)
	str("GITOPS_APP_KEY_FILE", &c.AppKeyFile)
	str("GITOPS_WEBHOOK_SECRET_FILE", &c.WebhookSecretFile)
	str("GITOPS_DATABASE_URL", &c.DatabaseURL)
	str("GITOPS_DATA_DIR", &c.DataDir)
	str("GITOPS_LISTEN", &c.Listen)
	str("GITOPS_PUBLIC_URL", &c.PublicURL)
	str("GITOPS_STATE_BUCKET", &c.State.Bucket)
	str("GITOPS_LOCK_TABLE", &c.State.Table)
	str("GITOPS_STATE_REGION", &c.State.Region)
	str("GITOPS_PROVIDER_MIRROR", &c.ProviderMirror)
	str("GITOPS_APP_REPO", &c.Releases.AppRepo)
	str("GITOPS_RELEASE_REPO", &c.Releases.Repo)
	str("GITOPS_RELEASE_ENV", &c.Releases.Environment)
	if v := getenv("GITOPS_APP_ID"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("GITOPS_APP_ID=%q: want a number", v))
		}
		c.AppID = id
	}
	if v := getenv("GITOPS_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("GITOPS_WORKERS=%q: want a number", v))
		}
		c.Workers = n
	}
	if v := getenv("GITOPS_REPOS"); v != "" {
		c.Repos = splitList(v)
	}
	return errors.Join(errs...)
}

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
}

// SetPermission parses "command=role" (the --permission flag).
func (c *Config) SetPermission(kv string) error {
	cmd, role, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("permission %q: want command=role, e.g. apply=maintain", kv)
	}
	if c.Permissions == nil {
		c.Permissions = map[string]string{}
	}
	c.Permissions[cmd] = role
	return nil
}

var envNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

var repoRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)

// Validate reports every problem of the configuration together, and fills
// the values derived from others (database URL, public URL).
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if u, err := url.Parse(c.GitHubURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("--github-url %q: want an http(s) URL such as https://api.github.com/ or https://ghe.example.com/api/v3/", c.GitHubURL)
	}
	if c.AppID <= 0 {
		bad("--app-id: not set (the App's id: its settings page shows it; gitops setup creates an App and writes it)")
	}
	for flag, path := range map[string]string{"--app-key-file": c.AppKeyFile, "--webhook-secret-file": c.WebhookSecretFile} {
		if path == "" {
			bad("%s: not set", flag)
		} else if _, err := safefile.Check(path, 1<<20); err != nil {
			bad("%s: %v", flag, err)
		}
	}
	if len(c.Repos) == 0 {
		bad("--repo: name at least one repository (owner/name) the App may act on")
	}
	for _, r := range c.Repos {
		if !repoRE.MatchString(r) {
			bad("--repo %q: want owner/name", r)
		}
	}
	if c.DataDir == "" {
		bad("--data-dir: not set")
	}
	if c.DatabaseURL == "" {
		abs, err := filepath.Abs(filepath.Join(c.DataDir, "gitops.db"))
		if err == nil {
			c.DatabaseURL = "sqlite://" + abs
		}
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite://") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("--database-url: want sqlite:///path/gitops.db or postgres://user@host/db (got a %q URL)", scheme(c.DatabaseURL))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("--listen %q: want host:port, e.g. 127.0.0.1:8080 or :8080", c.Listen)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Listen
	} else if u, err := url.Parse(c.PublicURL); err != nil || u.Host == "" {
		bad("--public-url %q: want an http(s) URL", c.PublicURL)
	}
	for cmd, role := range c.Permissions {
		if !slices.Contains(Commands, cmd) {
			bad("--permission %s=%s: unknown command %q; commands: %s", cmd, role, cmd, strings.Join(Commands, ", "))
		}
		if !slices.Contains(Roles, role) {
			bad("--permission %s=%s: unknown role %q; roles: %s", cmd, role, role, strings.Join(Roles, ", "))
		}
	}
	for flag, r := range map[string]string{"--app-repo": c.Releases.AppRepo, "--release-repo": c.Releases.Repo} {
		if r != "" && !repoRE.MatchString(r) {
			bad("%s %q: want owner/name", flag, r)
		}
		if r != "" && !slices.ContainsFunc(c.Repos, func(x string) bool { return strings.EqualFold(x, r) }) {
			bad("%s %s: also name it with --repo (the App ignores deliveries from repositories not listed)", flag, r)
		}
	}
	if !envNameRE.MatchString(c.Releases.Environment) {
		bad("--release-env %q: want an environment name such as staging", c.Releases.Environment)
	}
	if c.Workers < 1 || c.Workers > 64 {
		bad("--workers %d: want 1 to 64", c.Workers)
	}
	if c.JobTimeout < time.Minute {
		bad("--job-timeout %s: want at least 1m", c.JobTimeout)
	}
	if c.State.Bucket == "" || c.State.Table == "" || c.State.Region == "" {
		bad("state: bucket, lock table and region are all needed")
	}
	return errors.Join(errs...)
}

// scheme is the scheme of a URL, never its credentials.
func scheme(u string) string {
	s, _, ok := strings.Cut(u, "://")
	if !ok {
		return "no scheme"
	}
	return s
}

// AllowsRole reports whether a repository role meets the least role required.
func AllowsRole(have, least string) bool {
	return slices.Index(Roles, have) >= slices.Index(Roles, least) && slices.Contains(Roles, have)
}

// ReadSecret reads a secret file (the App key, the webhook secret),
// trimming a final newline.
func ReadSecret(path string) ([]byte, error) {
	data, err := safefile.ReadFile(path, 1<<20)
	if err != nil {
		return nil, err
	}
	return []byte(strings.TrimRight(string(data), "\r\n")), nil
}
