package ecsfake_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

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

func (e *env) service(t *testing.T, cluster, name string) ecstypes.Service {
	t.Helper()
	out, err := e.ecs.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil {
		t.Fatalf("describe service %s: %v", name, err)
	}
	if len(out.Services) != 1 {
		t.Fatalf("describe service %s: failures %+v", name, out.Failures)
	}
	return out.Services[0]
}

// release registers the next revision of s's task definition with the image
// tagged tag (pushed to the fake's ECR first), as a release engine does, and
// returns its ARN.
func (e *env) release(t *testing.T, s ecsfake.SeededService, tag string) string {
	t.Helper()
	e.f.AddImage(s.Repository, tag, "")
	live, err := e.ecs.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(s.Family)})
	if err != nil {
		t.Fatalf("describe %s: %v", s.Family, err)
	}
	td := live.TaskDefinition
	containers := td.ContainerDefinitions
	containers[0].Image = aws.String(e.f.Registry() + "/" + s.Repository + ":" + tag)
	out, err := e.ecs.RegisterTaskDefinition(t.Context(), &ecs.RegisterTaskDefinitionInput{
		Family:                  td.Family,
		ContainerDefinitions:    containers,
		Cpu:                     td.Cpu,
		Memory:                  td.Memory,
		NetworkMode:             td.NetworkMode,
		RequiresCompatibilities: td.RequiresCompatibilities,
		ExecutionRoleArn:        td.ExecutionRoleArn,
		TaskRoleArn:             td.TaskRoleArn,
		RuntimePlatform:         td.RuntimePlatform,
	})
	if err != nil {
		t.Fatalf("register %s with %s: %v", s.Family, tag, err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

func (e *env) update(t *testing.T, cluster, name, taskDefinition string) ecstypes.Service {
	t.Helper()
	out, err := e.ecs.UpdateService(t.Context(), &ecs.UpdateServiceInput{
		Cluster:        aws.String(cluster),
		Service:        aws.String(name),
		TaskDefinition: aws.String(taskDefinition),
	})
	if err != nil {
		t.Fatalf("update %s to %s: %v", name, taskDefinition, err)
	}
	return *out.Service
}

// deployments summarises a service's deployments array, PRIMARY first:
// "PRIMARY <family:rev> <rolloutState> running/desired failed=N".
func deployments(s ecstypes.Service) []string {
	var out []string
	for _, d := range s.Deployments {
		td := aws.ToString(d.TaskDefinition)
		td = td[strings.LastIndex(td, "/")+1:]
		out = append(out, fmt.Sprintf("%s %s %s %d/%d failed=%d", aws.ToString(d.Status), td, d.RolloutState, d.RunningCount, d.DesiredCount, d.FailedTasks))
	}
	return out
}

func shortTD(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func hasEvent(s ecstypes.Service, substr string) bool {
	for _, ev := range s.Events {
		if strings.Contains(aws.ToString(ev.Message), substr) {
			return true
		}
	}
	return false
}

func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}
