package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/spf13/pflag"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/release"
)

// releaseFlags are the flags of the commands that act on a release
// (deploy, rollback, seed).
type releaseFlags struct {
	tf          tfFlags
	outputs     string
	concurrency int
	poll        time.Duration
}

func (f *releaseFlags) register(fs *pflag.FlagSet) {
	f.tf.register(fs)
	fs.StringVar(&f.outputs, "outputs", "", "read the stack's outputs from this file (terraform output -json) instead of running terraform output")
	fs.IntVar(&f.concurrency, "concurrency", deploy.DefaultConcurrency, "services rolled at once")
	fs.DurationVar(&f.poll, "poll", 0, "poll ECS, the load balancer and the alarms this often (default: per step, 6s to 30s)")
}

// engine builds the release engine and env's target: the stack's outputs
// (--outputs, or terraform output through the runner) and the AWS SDK's
// default configuration in the target's region (AWS_PROFILE, AWS_ENDPOINT_URL…).
func (f *releaseFlags) engine(ctx context.Context, g *globalOptions, env string, progress io.Writer) (*deploy.Engine, *deploy.Target, error) {
	if f.tf.local {
		return nil, nil, usageError("--local: moto runs no ECS tasks, so nothing can be deployed to it; point AWS_ENDPOINT_URL at an emulator that does")
	}
	raw, err := f.stackOutputs(ctx, g, env, progress)
	if err != nil {
		return nil, nil, err
	}
	target, err := deploy.TargetFromOutputs(env, raw)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(target.Region))
	if err != nil {
		return nil, nil, fmt.Errorf("AWS configuration: %w", err)
	}
	eng, err := deploy.New(deploy.Config{
		ECS:         ecs.NewFromConfig(cfg),
		ECR:         ecr.NewFromConfig(cfg),
		ELB:         elb.NewFromConfig(cfg),
		Logs:        cloudwatchlogs.NewFromConfig(cfg),
		CloudWatch:  cloudwatch.NewFromConfig(cfg),
		Concurrency: f.concurrency,
		Poll:        deploy.Intervals{Task: f.poll, Rollout: f.poll, Health: f.poll, Smoke: f.poll, Bake: f.poll},
	})
	if err != nil {
		return nil, nil, err
	}
	return eng, target, nil
}

// stackOutputs are env's stack outputs: from --outputs, or terraform output.
func (f *releaseFlags) stackOutputs(ctx context.Context, g *globalOptions, env string, progress io.Writer) (map[string]json.RawMessage, error) {
	if f.outputs != "" {
		data, err := os.ReadFile(f.outputs)
		if err != nil {
			return nil, err
		}
		return deploy.ParseOutputs(data)
	}
	s, err := f.tf.open(ctx, g, progress)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	fmt.Fprintf(progress, "%s: reading the stack's outputs…\n", env)
	return s.runner.Outputs(ctx, env)
}

// loadRelease reads releases/<env>.yaml of the checkout.
func loadRelease(g *globalOptions, env string) (*release.Release, error) {
	return release.Load(filepath.Join(g.dir, "releases", env+".yaml"))
}

// validateRelease checks r against the target's services.
func validateRelease(r *release.Release, t *deploy.Target) error {
	return r.Validate(slices.Sorted(maps.Keys(t.Services)))
}

// printEvents writes each event as one line.
func printEvents(w io.Writer) func(deploy.Event) {
	return func(ev deploy.Event) {
		fmt.Fprintf(w, "%s %s\n", ev.Time.Local().Format("15:04:05"), ev)
	}
}

// writeFailure writes what failed, its evidence and what was rolled back.
func writeFailure(w io.Writer, f *deploy.Failure, rb *deploy.RollbackResult) {
	fmt.Fprintf(w, "failed at %s\n", f)
	if f.Check != nil {
		fmt.Fprintf(w, "  check: %s\n", f.Check)
	}
	for _, ev := range f.Events {
		fmt.Fprintf(w, "  event: %s\n", ev)
	}
	if len(f.LogTail) > 0 {
		fmt.Fprintf(w, "  log (last %d lines):\n%s", len(f.LogTail), tail(strings.Join(f.LogTail, "\n"), len(f.LogTail)))
	}
	if rb == nil {
		return
	}
	verdict := "verified"
	if !rb.Verified {
		verdict = "NOT verified"
	}
	fmt.Fprintf(w, "rolled back %d service(s), %s:\n", len(rb.Services), verdict)
	for _, s := range rb.Services {
		fmt.Fprintf(w, "  %s → %s: %s %s\n", s.Service, s.To, s.Status, s.Detail)
	}
}
