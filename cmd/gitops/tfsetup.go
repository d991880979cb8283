package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/gitops-bot/gitops/bot/envspec"
	"github.com/gitops-bot/gitops/bot/localaws"
	"github.com/gitops-bot/gitops/bot/pipeline"
	"github.com/gitops-bot/gitops/bot/tf"
)

// tfFlags are the flags of every command that runs terraform.
type tfFlags struct {
	local       bool
	workDir     string
	stateBucket string
	lockTable   string
	stateRegion string
	verbose     bool
	mirror      string
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func (f *tfFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.local, "local", false, "start a local AWS emulator (moto) for this run: no AWS account needed, state lives as long as the command")
	f.registerLocal(fs)
	fs.StringVar(&f.stateBucket, "state-bucket", envOr("GITOPS_STATE_BUCKET", "inventory-management-tfstate"), "S3 bucket holding terraform state [$GITOPS_STATE_BUCKET]")
	fs.StringVar(&f.lockTable, "lock-table", envOr("GITOPS_LOCK_TABLE", "inventory-management-tflock"), "DynamoDB table for terraform state locking [$GITOPS_LOCK_TABLE]")
	fs.StringVar(&f.stateRegion, "state-region", envOr("GITOPS_STATE_REGION", "us-east-1"), "region of the state bucket and lock table [$GITOPS_STATE_REGION]")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "stream terraform's own output to stderr")
}

// registerLocal registers the flags that say where terraform runs on this
// machine (also used by commands that need no AWS, such as validate --terraform).
func (f *tfFlags) registerLocal(fs *pflag.FlagSet) {
	fs.StringVar(&f.workDir, "work-dir", envOr("GITOPS_WORK_DIR", ""), "where terraform working directories and plans are kept (default <repo>/.gitops) [$GITOPS_WORK_DIR]")
	fs.StringVar(&f.mirror, "provider-mirror", envOr("GITOPS_PROVIDER_MIRROR", tf.DefaultMirror), "terraform provider filesystem mirror; providers in it are never downloaded [$GITOPS_PROVIDER_MIRROR]")
}

// session is an opened terraform runner, with the emulator it may run against.
type session struct {
	runner   *tf.Runner
	emulator *localaws.Emulator
	workDir  string
}

func (s *session) Close() {
	if s.emulator != nil {
		s.emulator.Close()
	}
}

// open starts the emulator when --local is set and builds the runner.
func (f *tfFlags) open(ctx context.Context, g *globalOptions, progress io.Writer) (*session, error) {
	s := &session{}
	workDir := f.workDir
	if workDir == "" {
		workDir = filepath.Join(g.dir, ".gitops")
	}
	backend := tf.Backend{Bucket: f.stateBucket, Table: f.lockTable, Region: f.stateRegion, Endpoint: os.Getenv("AWS_ENDPOINT_URL")}
	opts := tf.Options{SourceDir: filepath.Join(g.dir, "terraform"), Mirror: f.mirror}
	if f.local {
		// Local runs get their own working directories, so switching between
		// the emulator and a real account never re-initialises either.
		workDir = filepath.Join(workDir, "local")
		fmt.Fprintln(progress, "starting local AWS emulator (moto)…")
		em, err := localaws.Start(ctx, localaws.Options{})
		if err != nil {
			return nil, fmt.Errorf("start local AWS emulator: %w", err)
		}
		s.emulator = em
		if err := em.Bootstrap(ctx, localaws.Backend{Bucket: f.stateBucket, Table: f.lockTable, Region: f.stateRegion}); err != nil {
			s.Close()
			return nil, fmt.Errorf("create state bucket and lock table in the emulator: %w", err)
		}
		backend.Endpoint = em.Endpoint()
		opts.Env = em.Env()
		// The emulator answers at once or not at all; retrying only slows failures down.
		opts.Vars = map[string]string{"aws_max_retries": strconv.Itoa(2)}
		fmt.Fprintf(progress, "local AWS emulator at %s\n", em.Endpoint())
	}
	opts.WorkDir = workDir
	opts.Backend = backend
	r, err := tf.New(opts)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.runner = r
	s.workDir = workDir
	return s, nil
}

// loadSpecs loads every environment (so cross-environment rules apply) and
// returns those named, or all with all=true.
func loadSpecs(g *globalOptions, names []string, all bool) ([]*envspec.Spec, error) {
	specs, err := pipeline.New(pipeline.Config{Dir: g.dir}).Environments()
	if err != nil {
		return nil, err
	}
	if all {
		return specs, nil
	}
	if len(names) == 0 {
		return nil, usageError("name at least one environment, or use --all")
	}
	selected, err := pipeline.Select(specs, names)
	var unknown *pipeline.UnknownEnvError
	if errors.As(err, &unknown) {
		return nil, usageError(err.Error())
	}
	return selected, err
}

// pipeline returns the pipeline of the checkout, planning with the session's runner.
func (s *session) pipeline(g *globalOptions) *pipeline.Pipeline {
	cfg := pipeline.Config{Dir: g.dir, HeadSHA: gitHead(g.dir)}
	if s != nil {
		cfg.Runner = s.runner
	}
	return pipeline.New(cfg)
}

// exitError carries an exit code through cobra to main.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) ExitCode() int { return e.code }

func usageError(msg string) error { return &exitError{code: 2, msg: "gitops: " + msg} }
