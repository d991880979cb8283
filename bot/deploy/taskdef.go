package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// DroppedTaskDefinitionFields are the fields of a described task definition
// that registerInput does not copy: those RegisterTaskDefinition does not
// take because ECS sets them on every revision (the ARN, revision, status,
// compatibilities, required attributes, registration and deregistration
// times), and InferenceAccelerators, which both sides still carry but the
// SDK marks "no longer available" (Elastic Inference was retired in 2024:
// copying one would make the registration fail). Every other field is
// copied as it is.
//
// Tags are not part of the task definition: DescribeTaskDefinition returns
// them beside it when asked (include TAGS). They are copied too, but those
// with the reserved "aws:" prefix, which RegisterTaskDefinition refuses.
var DroppedTaskDefinitionFields = []string{
	"TaskDefinitionArn", "Revision", "Status", "Compatibilities", "RequiresAttributes",
	"RegisteredAt", "RegisteredBy", "DeregisteredAt", "DeleteRequestedAt",
	"InferenceAccelerators",
}

// registerInput is the input that registers a copy of td with container's
// image set to image: every field RegisterTaskDefinition takes is copied,
// and only the image differs. td is not modified.
func registerInput(td *ecstypes.TaskDefinition, tags []ecstypes.Tag, container, image string) (*ecs.RegisterTaskDefinitionInput, error) {
	containers := slices.Clone(td.ContainerDefinitions)
	i := slices.IndexFunc(containers, func(c ecstypes.ContainerDefinition) bool { return aws.ToString(c.Name) == container })
	if i < 0 {
		names := make([]string, len(containers))
		for j, c := range containers {
			names[j] = aws.ToString(c.Name)
		}
		return nil, fmt.Errorf("task definition %s has no container %q (it has %s)", aws.ToString(td.TaskDefinitionArn), container, strings.Join(names, ", "))
	}
	containers[i].Image = aws.String(image)
	var keep []ecstypes.Tag
	for _, t := range tags {
		if !strings.HasPrefix(aws.ToString(t.Key), "aws:") {
			keep = append(keep, t)
		}
	}
	return &ecs.RegisterTaskDefinitionInput{
		Family:                        td.Family,
		ContainerDefinitions:          containers,
		Cpu:                           td.Cpu,
		Memory:                        td.Memory,
		EnableFaultInjection:          td.EnableFaultInjection,
		EphemeralStorage:              td.EphemeralStorage,
		ExecutionRoleArn:              td.ExecutionRoleArn,
		TaskRoleArn:                   td.TaskRoleArn,
		IpcMode:                       td.IpcMode,
		PidMode:                       td.PidMode,
		NetworkMode:                   td.NetworkMode,
		PlacementConstraints:          td.PlacementConstraints,
		ProxyConfiguration:            td.ProxyConfiguration,
		RequiresCompatibilities:       td.RequiresCompatibilities,
		RuntimePlatform:               td.RuntimePlatform,
		TrustedExecutionConfiguration: td.TrustedExecutionConfiguration,
		Volumes:                       td.Volumes,
		Tags:                          keep,
	}, nil
}

// revision is a task definition the engine registered or found.
type revision struct {
	def    *ecstypes.TaskDefinition
	base   string // the ARN of the revision it was copied from
	reused bool   // the family's latest revision already had the image
}

func (r revision) arn() string { return aws.ToString(r.def.TaskDefinitionArn) }

// register makes a revision of family whose container runs image, built
// from the family's latest ACTIVE revision, so that what terraform changed
// there (cpu, memory, ports, environment) is kept. When that revision
// already runs image it is reused: a retried deploy registers nothing new,
// and its one-off tasks repeat the same RunTask parameters.
//
// ECS: DescribeTaskDefinition (the family, with its tags), RegisterTaskDefinition
func (e *Engine) register(ctx context.Context, family, container, image string) (revision, error) {
	out, err := e.cfg.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(family),
		Include:        []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if err != nil {
		return revision{}, fmt.Errorf("describe task definition %s: %w", family, err)
	}
	latest := out.TaskDefinition
	if latest == nil {
		return revision{}, fmt.Errorf("describe task definition %s: no task definition in the answer", family)
	}
	for _, c := range latest.ContainerDefinitions {
		if aws.ToString(c.Name) == container && aws.ToString(c.Image) == image {
			return revision{def: latest, base: aws.ToString(latest.TaskDefinitionArn), reused: true}, nil
		}
	}
	in, err := registerInput(latest, out.Tags, container, image)
	if err != nil {
		return revision{}, err
	}
	reg, err := e.cfg.ECS.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return revision{}, fmt.Errorf("register a revision of %s from %s: %w", family, aws.ToString(latest.TaskDefinitionArn), err)
	}
	if reg.TaskDefinition == nil {
		return revision{}, fmt.Errorf("register a revision of %s: no task definition in the answer", family)
	}
	return revision{def: reg.TaskDefinition, base: aws.ToString(latest.TaskDefinitionArn)}, nil
}

// awslogsOf is where container of td logs with the awslogs driver: its
// group and stream prefix; ok is false for another driver.
func awslogsOf(td *ecstypes.TaskDefinition, container string) (group, prefix string, ok bool) {
	if td == nil {
		return "", "", false
	}
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) != container {
			continue
		}
		lc := c.LogConfiguration
		if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs || lc.Options["awslogs-group"] == "" {
			return "", "", false
		}
		return lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"], true
	}
	return "", "", false
}
