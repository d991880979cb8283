package ecsfake_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	logs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
)

// env is a started fake with a manual clock and the real SDK clients.
type env struct {
	f     *ecsfake.Fake
	clock *ecsfake.ManualClock
	ecs   *ecs.Client
	ecr   *ecr.Client
	elb   *elb.Client
	logs  *logs.Client
	cw    *cloudwatch.Client
}

func newEnv(t *testing.T, opts ecsfake.Options) *env {
	t.Helper()
	clock := &ecsfake.ManualClock{}
	if opts.Clock == nil {
		opts.Clock = clock
	}
	f := ecsfake.Start(opts)
	t.Cleanup(f.Close)
	cfg := f.Config()
	return &env{
		f:     f,
		clock: clock,
		ecs:   ecs.NewFromConfig(cfg),
		ecr:   ecr.NewFromConfig(cfg),
		elb:   elb.NewFromConfig(cfg),
		logs:  logs.NewFromConfig(cfg),
		cw:    cloudwatch.NewFromConfig(cfg),
	}
}

// seeded is an env with the inventory-management application seeded.
func seeded(t *testing.T, opts ecsfake.Options) (*env, *ecsfake.Seeded) {
	t.Helper()
	e := newEnv(t, opts)
	s, err := e.f.Seed(ecsfake.Inventory{})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return e, s
}
