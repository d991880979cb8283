// Package tf runs terraform for the bot: one working directory per
// environment, the bot's own CLI config (provider mirror or plugin cache),
// plans saved to plan files with their hashes, summaries from `show -json`,
// and applies that only ever apply a saved, verified, non-stale plan.
//
// It is not for deciding what to plan (bot/envspec renders the variables) nor
// for judging plans (bot/cost, bot/policy read the plan JSON it produces).
package tf

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// Backend is where state lives: S3 with DynamoDB locking, key <env>/terraform.tfstate.
type Backend struct {
	Bucket string
	Table  string
	Region string
	// Endpoint, when set, points S3 and DynamoDB at an emulator (path-style S3).
	Endpoint string
}

// Options configure a Runner. Zero values get defaults from New.
type Options struct {
	// TerraformPath is the terraform binary; default: terraform on PATH.
	TerraformPath string
	// SourceDir is the repository's terraform/ directory (stack/ and modules/).
	SourceDir string
	// WorkDir holds the CLI config, the plugin cache and one directory per environment.
	WorkDir string
	Backend Backend
	// Env is added to the process environment of every terraform run
	// (e.g. the emulator's AWS_ENDPOINT_URL and credentials).
	Env []string
	// Vars are extra terraform variables besides the spec (e.g. aws_max_retries).
	Vars map[string]string
	// Mirror is the provider filesystem mirror; default DefaultMirror.
	Mirror string
	// PluginCacheDir caches providers; default <WorkDir>/plugin-cache. Runners
	// of many checkouts (the App's, one per pull request) share one, and
	// their inits take turns on a lock beside it.
	PluginCacheDir string
	// InitCache, when set, lets a new working directory of an environment
	// skip terraform init when another was initialised from the same
	// terraform tree, backend and CLI config (see initcache.go); the App
	// shares one per repository between its pull requests' runners.
	InitCache string
}

// Runner plans and applies terraform/stack per environment. It is safe for
// concurrent use on different environments; runs on the same environment are
// serialised by a lock file in its working directory.
type Runner struct {
	opts      Options
	cliConfig string
}

// New checks the options, writes the bot's terraform CLI config and returns a Runner.
func New(opts Options) (*Runner, error) {
	if opts.TerraformPath == "" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			return nil, fmt.Errorf("terraform not found on PATH (install terraform 1.11: https://developer.hashicorp.com/terraform/install): %w", err)
		}
		opts.TerraformPath = p
	}
	if opts.SourceDir == "" {
		return nil, fmt.Errorf("terraform runner: no source directory")
	}
	if opts.WorkDir == "" {
		return nil, fmt.Errorf("terraform runner: no work directory")
	}
	if opts.Mirror == "" {
		opts.Mirror = DefaultMirror
	}
	var err error
	if opts.WorkDir, err = filepath.Abs(opts.WorkDir); err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	if opts.SourceDir, err = filepath.Abs(opts.SourceDir); err != nil {
		return nil, fmt.Errorf("source dir: %w", err)
	}
	if _, err := os.Stat(filepath.Join(opts.SourceDir, "stack")); err != nil {
		return nil, fmt.Errorf("terraform source %s: no stack/ directory: %w", opts.SourceDir, err)
	}
	if opts.PluginCacheDir == "" {
		opts.PluginCacheDir = filepath.Join(opts.WorkDir, "plugin-cache")
	}
	if opts.PluginCacheDir, err = filepath.Abs(opts.PluginCacheDir); err != nil {
		return nil, fmt.Errorf("plugin cache dir: %w", err)
	}
	cfg := CLIConfig{Mirror: opts.Mirror, PluginCacheDir: opts.PluginCacheDir}
	path, err := cfg.Write(opts.WorkDir)
	if err != nil {
		return nil, err
	}
	return &Runner{opts: opts, cliConfig: path}, nil
}

// environ is the environment of a terraform run: the process environment
// without what terraform-exec manages itself, the bot's CLI config, then
// Options.Env.
func (r *Runner) environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	env = tfexec.CleanEnv(env)
	env["TF_CLI_CONFIG_FILE"] = r.cliConfig
	env["CHECKPOINT_DISABLE"] = "1"
	if r.opts.Backend.Endpoint != "" {
		env["AWS_ENDPOINT_URL"] = r.opts.Backend.Endpoint
	}
	for _, kv := range r.opts.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// terraform returns a terraform-exec handle on dir writing its output to out.
func (r *Runner) terraform(dir string, out io.Writer) (*tfexec.Terraform, error) {
	tf, err := tfexec.NewTerraform(dir, r.opts.TerraformPath)
	if err != nil {
		return nil, fmt.Errorf("terraform in %s: %w", dir, err)
	}
	if err := tf.SetEnv(r.environ()); err != nil {
		return nil, fmt.Errorf("terraform env: %w", err)
	}
	if out != nil {
		tf.SetStdout(out)
		tf.SetStderr(out)
	}
	return tf, nil
}
