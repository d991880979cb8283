package ecsfake

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

type taskDef struct {
	def  ecstypes.TaskDefinition
	tags []ecstypes.Tag
}

func (td *taskDef) arn() string { return aws.ToString(td.def.TaskDefinitionArn) }

var familyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// RegisterTaskDefinition registers a revision as the API does, without
// recording a call: use it to seed task definitions.
func (f *Fake) RegisterTaskDefinition(in *ecs.RegisterTaskDefinitionInput) (ecstypes.TaskDefinition, error) {
	now := f.lock()
	defer f.mu.Unlock()
	td, err := f.registerTaskDefinition(in, now)
	if err != nil {
		return ecstypes.TaskDefinition{}, fmt.Errorf("register task definition %s: %w", aws.ToString(in.Family), err)
	}
	return td.def, nil
}

func (f *Fake) registerTaskDefinition(in *ecs.RegisterTaskDefinitionInput, now time.Time) (*taskDef, error) {
	family := aws.ToString(in.Family)
	if !familyPattern.MatchString(family) {
		return nil, errf("ClientException", "Family contains invalid characters or is empty: %q. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.", family)
	}
	if len(in.ContainerDefinitions) == 0 {
		return nil, errf("ClientException", "Container list cannot be empty.")
	}
	for _, c := range in.ContainerDefinitions {
		if aws.ToString(c.Name) == "" {
			return nil, errf("ClientException", "Container.name should not be null or empty.")
		}
		if aws.ToString(c.Image) == "" {
			return nil, errf("ClientException", "Container.image should not be null or empty.")
		}
	}
	fargate := slices.Contains(in.RequiresCompatibilities, ecstypes.CompatibilityFargate)
	if fargate && (in.Cpu == nil || in.Memory == nil) {
		return nil, errf("ClientException", "Fargate requires task definition to have cpu and memory set.")
	}
	if fargate && in.NetworkMode != "" && in.NetworkMode != ecstypes.NetworkModeAwsvpc {
		return nil, errf("ClientException", "Fargate only supports network mode 'awsvpc'.")
	}
	revision := int32(len(f.families[family]) + 1)
	compat := []ecstypes.Compatibility{ecstypes.CompatibilityEc2}
	if fargate {
		compat = append(compat, ecstypes.CompatibilityFargate)
	}
	containers := slices.Clone(in.ContainerDefinitions)
	for i := range containers {
		if containers[i].Essential == nil {
			containers[i].Essential = aws.Bool(true)
		}
	}
	td := &taskDef{
		def: ecstypes.TaskDefinition{
			TaskDefinitionArn:       aws.String(f.arn("ecs", "task-definition/"+family+":"+strconv.Itoa(int(revision)))),
			Family:                  aws.String(family),
			Revision:                revision,
			Status:                  ecstypes.TaskDefinitionStatusActive,
			ContainerDefinitions:    containers,
			Cpu:                     in.Cpu,
			Memory:                  in.Memory,
			NetworkMode:             in.NetworkMode,
			ExecutionRoleArn:        in.ExecutionRoleArn,
			TaskRoleArn:             in.TaskRoleArn,
			RequiresCompatibilities: in.RequiresCompatibilities,
			Compatibilities:         compat,
			RuntimePlatform:         in.RuntimePlatform,
			Volumes:                 in.Volumes,
			PlacementConstraints:    in.PlacementConstraints,
			EphemeralStorage:        in.EphemeralStorage,
			PidMode:                 in.PidMode,
			IpcMode:                 in.IpcMode,
			ProxyConfiguration:      in.ProxyConfiguration,
			EnableFaultInjection:    in.EnableFaultInjection,
			RegisteredAt:            aws.Time(now),
			RegisteredBy:            aws.String("arn:aws:iam::" + f.opts.AccountID + ":user/ecsfake"),
		},
		tags: in.Tags,
	}
	if td.def.NetworkMode == "" && fargate {
		td.def.NetworkMode = ecstypes.NetworkModeAwsvpc
	}
	f.families[family] = append(f.families[family], td)
	return td, nil
}

// findTaskDef resolves family, family:revision or a task definition ARN;
// a bare family means its latest ACTIVE revision.
func (f *Fake) findTaskDef(ref string) *taskDef {
	name := ref
	if strings.HasPrefix(ref, "arn:") {
		_, after, ok := strings.Cut(ref, ":task-definition/")
		if !ok {
			return nil
		}
		name = after
	}
	family, rev, hasRev := strings.Cut(name, ":")
	revs := f.families[family]
	if !hasRev {
		for i := len(revs) - 1; i >= 0; i-- {
			if revs[i].def.Status == ecstypes.TaskDefinitionStatusActive {
				return revs[i]
			}
		}
		return nil
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 || n > len(revs) {
		return nil
	}
	return revs[n-1]
}

func opRegisterTaskDefinition(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.RegisterTaskDefinitionInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("family", aws.ToString(in.Family))
	var images []string
	for _, c := range in.ContainerDefinitions {
		images = append(images, aws.ToString(c.Image))
	}
	r.param("images", strings.Join(images, " "))
	td, err := f.registerTaskDefinition(&in, now)
	if err != nil {
		return nil, err
	}
	r.param("taskDefinition", td.arn())
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &td.def, Tags: td.tags}, nil
}

func opDescribeTaskDefinition(f *Fake, r *request, _ time.Time) (smithy.Serializable, error) {
	var in ecs.DescribeTaskDefinitionInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	ref := aws.ToString(in.TaskDefinition)
	r.param("taskDefinition", ref)
	if ref == "" {
		return nil, errf("ClientException", "TaskDefinition cannot be empty.")
	}
	td := f.findTaskDef(ref)
	if td == nil {
		return nil, errf("ClientException", "Unable to describe task definition.")
	}
	out := &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &td.def}
	if slices.Contains(in.Include, ecstypes.TaskDefinitionFieldTags) {
		out.Tags = td.tags
	}
	return out, nil
}

func opListTaskDefinitions(f *Fake, r *request, _ time.Time) (smithy.Serializable, error) {
	var in ecs.ListTaskDefinitionsInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("familyPrefix", aws.ToString(in.FamilyPrefix))
	status := in.Status
	if status == "" {
		status = ecstypes.TaskDefinitionStatusActive
	}
	families := make([]string, 0, len(f.families))
	for fam := range f.families {
		// ECS matches familyPrefix against the whole family name.
		if in.FamilyPrefix == nil || fam == *in.FamilyPrefix {
			families = append(families, fam)
		}
	}
	slices.Sort(families)
	var arns []string
	for _, fam := range families {
		for _, td := range f.families[fam] {
			if td.def.Status == status {
				arns = append(arns, td.arn())
			}
		}
	}
	if in.Sort == ecstypes.SortOrderDesc {
		slices.Reverse(arns)
	}
	page, next, err := paginate(arns, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: page, NextToken: next}, nil
}

func opDeregisterTaskDefinition(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.DeregisterTaskDefinitionInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	ref := aws.ToString(in.TaskDefinition)
	r.param("taskDefinition", ref)
	name := ref
	if _, after, ok := strings.Cut(ref, ":task-definition/"); ok {
		name = after
	}
	if !strings.Contains(name, ":") {
		return nil, errf("ClientException", "Invalid revision number. Number: %s", name)
	}
	td := f.findTaskDef(ref)
	if td == nil {
		return nil, errf("ClientException", "The specified task definition does not exist.")
	}
	if td.def.Status == ecstypes.TaskDefinitionStatusActive {
		td.def.Status = ecstypes.TaskDefinitionStatusInactive
		td.def.DeregisteredAt = aws.Time(now)
	}
	return &ecs.DeregisterTaskDefinitionOutput{TaskDefinition: &td.def}, nil
}

// paginate pages items with a numeric next token, as the list operations do.
func paginate[T any](items []T, token *string, max *int32, def int) ([]T, *string, error) {
	start := 0
	if t := aws.ToString(token); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > len(items) {
			return nil, nil, errf("InvalidParameterException", "Invalid nextToken %q.", t)
		}
		start = n
	}
	limit := def
	if max != nil && *max > 0 {
		limit = int(*max)
	}
	end := min(start+limit, len(items))
	var next *string
	if end < len(items) {
		next = aws.String(strconv.Itoa(end))
	}
	return items[start:end], next, nil
}
