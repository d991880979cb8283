package ecsfake_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake/ecsconformance"
)

// The fake meets the API-shape contract moto meets (see ecsconformance's
// own test for the moto run).
func TestConformance(t *testing.T) {
	ecsconformance.Run(t, func(t *testing.T) ecsconformance.Backend {
		f := ecsfake.Start(ecsfake.Options{Clock: &ecsfake.ManualClock{}})
		t.Cleanup(f.Close)
		cfg := f.Config()
		return ecsconformance.Backend{
			ECS:            ecs.NewFromConfig(cfg),
			ECR:            ecr.NewFromConfig(cfg),
			Subnets:        []string{"subnet-0conformance00000"},
			SecurityGroups: []string{"sg-0conformance000000"},
		}
	})
}
