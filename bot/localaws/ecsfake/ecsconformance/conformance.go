// Package ecsconformance is the API-shape contract that the behavioural ECS
// fake (bot/localaws/ecsfake) and moto (bot/localaws) must both meet: what a
// release engine reads back from ECS and ECR after the calls it makes.
//
// It checks shapes and bookkeeping (revisions, the service's task definition,
// overrides, digests, error codes), not scheduling or timing: moto does not
// schedule tasks, and those behaviours are the fake's own tests. It is for
// test code only.
package ecsconformance

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// Backend is one implementation under test, fresh for each case.
type Backend struct {
	ECS *ecs.Client
	ECR *ecr.Client
	// Subnets and SecurityGroups make the awsvpc network configuration of
	// CreateService and RunTask. moto checks that they exist, and fails with
	// a 500 when securityGroups is absent (ECS would use the VPC's default).
	Subnets, SecurityGroups []string
}

func (b Backend) network() *ecstypes.NetworkConfiguration {
	return &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
		Subnets:        b.Subnets,
		SecurityGroups: b.SecurityGroups,
	}}
}

// Run runs every case against backends made by newBackend, which is called
// once per case and may fail or skip t.
func Run(t *testing.T, newBackend func(t *testing.T) Backend) {
	cases := []struct {
		name string
		run  func(t *testing.T, b Backend, p string)
	}{
		{"RegisterTaskDefinition numbers revisions per family and returns the container definitions", registerRevisions},
		{"DescribeTaskDefinition by family returns the latest revision, by family:revision or ARN that one", describeLatest},
		{"DescribeTaskDefinition of an unknown family is a ClientException", describeUnknown},
		{"UpdateService moves the service to the new task definition", updateService},
		{"DescribeServices reports an unknown service as a MISSING failure", describeMissingService},
		{"RunTask with a command override returns a task whose overrides carry the command", runTaskOverride},
		{"DescribeImages returns the pushed digest for a tag and ImageNotFoundException for a missing tag", describeImages},
		{"DescribeImages in an unknown repository is RepositoryNotFoundException", describeUnknownRepository},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newBackend(t), prefix(i))
		})
	}
}

// prefix makes the names of one case unique, so that a backend may keep
// state between cases (resetting moto costs seconds once EC2 is loaded).
func prefix(i int) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("c%d%x", i, b)
}

func taskDefinition(family, image string, command ...string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(family),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:      aws.String("app"),
			Image:     aws.String(image),
			Essential: aws.Bool(true),
			Command:   command,
			// moto's RunTask sums container memory and fails with a 500
			// without it; on Fargate the task-level memory would do.
			Memory: aws.Int32(512),
			PortMappings: []ecstypes.PortMapping{{
				ContainerPort: aws.Int32(8000),
				HostPort:      aws.Int32(8000),
				Protocol:      ecstypes.TransportProtocolTcp,
			}},
			Environment: []ecstypes.KeyValuePair{{Name: aws.String("SERVICE_NAME"), Value: aws.String(family)}},
			LogConfiguration: &ecstypes.LogConfiguration{
				LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{
					"awslogs-group":         "/ecs/" + family,
					"awslogs-region":        "us-east-1",
					"awslogs-stream-prefix": "app",
				},
			},
		}},
	}
}

func register(t *testing.T, b Backend, in *ecs.RegisterTaskDefinitionInput) ecstypes.TaskDefinition {
	t.Helper()
	out, err := b.ECS.RegisterTaskDefinition(t.Context(), in)
	if err != nil {
		t.Fatalf("register %s: %v", aws.ToString(in.Family), err)
	}
	return *out.TaskDefinition
}

func registerRevisions(t *testing.T, b Backend, p string) {
	var got []string
	for _, in := range []*ecs.RegisterTaskDefinitionInput{
		taskDefinition(p+"-api", "repo/api:v1"),
		taskDefinition(p+"-api", "repo/api:v2"),
		taskDefinition(p+"-ui", "repo/ui:v1"),
		taskDefinition(p+"-api", "repo/api:v3", "serve", "--port", "8000"),
	} {
		td := register(t, b, in)
		got = append(got, fmt.Sprintf("%s:%d", aws.ToString(td.Family), td.Revision))
		if !strings.HasSuffix(aws.ToString(td.TaskDefinitionArn), fmt.Sprintf(":task-definition/%s:%d", aws.ToString(td.Family), td.Revision)) {
			t.Errorf("taskDefinitionArn %s does not end in :task-definition/%s:%d", aws.ToString(td.TaskDefinitionArn), aws.ToString(td.Family), td.Revision)
		}
		if td.Status != ecstypes.TaskDefinitionStatusActive {
			t.Errorf("%s status = %q, want ACTIVE", aws.ToString(td.TaskDefinitionArn), td.Status)
		}
		if aws.ToString(td.Cpu) != "256" || aws.ToString(td.Memory) != "512" || td.NetworkMode != ecstypes.NetworkModeAwsvpc {
			t.Errorf("%s cpu/memory/networkMode = %s/%s/%s, want 256/512/awsvpc", aws.ToString(td.TaskDefinitionArn), aws.ToString(td.Cpu), aws.ToString(td.Memory), td.NetworkMode)
		}
		if msg := sameContainers(in.ContainerDefinitions, td.ContainerDefinitions); msg != "" {
			t.Errorf("%s: %s", aws.ToString(td.TaskDefinitionArn), msg)
		}
	}
	want := []string{p + "-api:1", p + "-api:2", p + "-ui:1", p + "-api:3"}
	if !slices.Equal(got, want) {
		t.Errorf("revisions = %v, want %v", got, want)
	}
}

// sameContainers compares what a release engine copies from a live task
// definition into the next revision.
func sameContainers(sent, got []ecstypes.ContainerDefinition) string {
	if len(sent) != len(got) {
		return fmt.Sprintf("%d container definitions returned, %d sent", len(got), len(sent))
	}
	for i := range sent {
		s, g := sent[i], got[i]
		switch {
		case aws.ToString(s.Name) != aws.ToString(g.Name):
			return fmt.Sprintf("container %d name %q, sent %q", i, aws.ToString(g.Name), aws.ToString(s.Name))
		case aws.ToString(s.Image) != aws.ToString(g.Image):
			return fmt.Sprintf("container %s image %q, sent %q", aws.ToString(s.Name), aws.ToString(g.Image), aws.ToString(s.Image))
		case !slices.Equal(s.Command, g.Command):
			return fmt.Sprintf("container %s command %q, sent %q", aws.ToString(s.Name), g.Command, s.Command)
		case aws.ToBool(s.Essential) != aws.ToBool(g.Essential):
			return fmt.Sprintf("container %s essential %v, sent %v", aws.ToString(s.Name), aws.ToBool(g.Essential), aws.ToBool(s.Essential))
		case len(g.PortMappings) != len(s.PortMappings) || (len(s.PortMappings) > 0 && aws.ToInt32(g.PortMappings[0].ContainerPort) != aws.ToInt32(s.PortMappings[0].ContainerPort)):
			return fmt.Sprintf("container %s port mappings %+v, sent %+v", aws.ToString(s.Name), g.PortMappings, s.PortMappings)
		case len(g.Environment) != len(s.Environment):
			return fmt.Sprintf("container %s environment %+v, sent %+v", aws.ToString(s.Name), g.Environment, s.Environment)
		case g.LogConfiguration == nil || g.LogConfiguration.LogDriver != s.LogConfiguration.LogDriver ||
			g.LogConfiguration.Options["awslogs-group"] != s.LogConfiguration.Options["awslogs-group"] ||
			g.LogConfiguration.Options["awslogs-stream-prefix"] != s.LogConfiguration.Options["awslogs-stream-prefix"]:
			return fmt.Sprintf("container %s log configuration %+v, sent %+v", aws.ToString(s.Name), g.LogConfiguration, s.LogConfiguration)
		}
	}
	return ""
}

func describeLatest(t *testing.T, b Backend, p string) {
	first := register(t, b, taskDefinition(p+"-latest", "repo/app:v1"))
	register(t, b, taskDefinition(p+"-other", "repo/other:v1"))
	second := register(t, b, taskDefinition(p+"-latest", "repo/app:v2"))
	for _, c := range []struct {
		ref       string
		wantRev   int32
		wantImage string
	}{
		{p + "-latest", 2, "repo/app:v2"},
		{p + "-latest:1", 1, "repo/app:v1"},
		{aws.ToString(first.TaskDefinitionArn), 1, "repo/app:v1"},
		{aws.ToString(second.TaskDefinitionArn), 2, "repo/app:v2"},
	} {
		out, err := b.ECS.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(c.ref)})
		if err != nil {
			t.Errorf("describe %s: %v", c.ref, err)
			continue
		}
		td := out.TaskDefinition
		if td.Revision != c.wantRev || aws.ToString(td.ContainerDefinitions[0].Image) != c.wantImage {
			t.Errorf("describe %s = revision %d image %s, want %d %s", c.ref, td.Revision, aws.ToString(td.ContainerDefinitions[0].Image), c.wantRev, c.wantImage)
		}
	}
}

func describeUnknown(t *testing.T, b Backend, p string) {
	_, err := b.ECS.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(p + "-nothing")})
	var ce *ecstypes.ClientException
	if !errors.As(err, &ce) {
		t.Fatalf("describe unknown family: err = %v, want a ClientException", err)
	}
}

// service creates cluster and a service on td in it.
func service(t *testing.T, b Backend, cluster, name string, td ecstypes.TaskDefinition) ecstypes.Service {
	t.Helper()
	if _, err := b.ECS.CreateCluster(t.Context(), &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatalf("create cluster: %v", err)
	}
	out, err := b.ECS.CreateService(t.Context(), &ecs.CreateServiceInput{
		Cluster:              aws.String(cluster),
		ServiceName:          aws.String(name),
		TaskDefinition:       td.TaskDefinitionArn,
		DesiredCount:         aws.Int32(2),
		LaunchType:           ecstypes.LaunchTypeFargate,
		NetworkConfiguration: b.network(),
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		},
	})
	if err != nil {
		t.Fatalf("create service %s: %v", name, err)
	}
	return *out.Service
}

func updateService(t *testing.T, b Backend, p string) {
	cluster := p + "-cluster"
	v1 := register(t, b, taskDefinition(p+"-svc", "repo/svc:v1"))
	created := service(t, b, cluster, "svc", v1)
	if aws.ToString(created.TaskDefinition) != aws.ToString(v1.TaskDefinitionArn) {
		t.Errorf("created service taskDefinition = %s, want %s", aws.ToString(created.TaskDefinition), aws.ToString(v1.TaskDefinitionArn))
	}
	v2 := register(t, b, taskDefinition(p+"-svc", "repo/svc:v2"))
	out, err := b.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{
		Cluster:        aws.String(cluster),
		Service:        aws.String("svc"),
		TaskDefinition: v2.TaskDefinitionArn,
	})
	if err != nil {
		t.Fatalf("update service: %v", err)
	}
	want := aws.ToString(v2.TaskDefinitionArn)
	if got := aws.ToString(out.Service.TaskDefinition); got != want {
		t.Errorf("UpdateService answered taskDefinition %s, want %s", got, want)
	}
	desc, err := b.ECS.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"svc"}})
	if err != nil {
		t.Fatalf("describe services: %v", err)
	}
	if len(desc.Services) != 1 {
		t.Fatalf("describe services returned %d services, failures %+v", len(desc.Services), desc.Failures)
	}
	s := desc.Services[0]
	if got := aws.ToString(s.TaskDefinition); got != want {
		t.Errorf("service taskDefinition = %s, want %s", got, want)
	}
	if s.DesiredCount != 2 || aws.ToString(s.ServiceName) != "svc" || !strings.HasSuffix(aws.ToString(s.ServiceArn), "/svc") {
		t.Errorf("service name/arn/desired = %s/%s/%d, want svc/…/svc/2", aws.ToString(s.ServiceName), aws.ToString(s.ServiceArn), s.DesiredCount)
	}
	// Not compared: the PRIMARY deployment's task definition. moto 5.2.1
	// leaves its deployments as CreateService made them; the fake's own
	// tests cover deployments.
}

func describeMissingService(t *testing.T, b Backend, p string) {
	cluster := p + "-cluster"
	service(t, b, cluster, "present", register(t, b, taskDefinition(p+"-present", "repo/p:v1")))
	out, err := b.ECS.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"present", "absent"}})
	if err != nil {
		t.Fatalf("describe services: %v", err)
	}
	if len(out.Services) != 1 || aws.ToString(out.Services[0].ServiceName) != "present" {
		t.Errorf("services = %d, want only present", len(out.Services))
	}
	if len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" || !strings.HasSuffix(aws.ToString(out.Failures[0].Arn), "/absent") {
		t.Errorf("failures = %+v, want one MISSING for …/absent", out.Failures)
	}
}

func runTaskOverride(t *testing.T, b Backend, p string) {
	cluster := p + "-cluster"
	td := register(t, b, taskDefinition(p+"-migrate", "repo/api:v1", "serve"))
	if _, err := b.ECS.CreateCluster(t.Context(), &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatalf("create cluster: %v", err)
	}
	command := []string{"alembic", "upgrade", "head"}
	out, err := b.ECS.RunTask(t.Context(), &ecs.RunTaskInput{
		Cluster:              aws.String(cluster),
		TaskDefinition:       td.TaskDefinitionArn,
		LaunchType:           ecstypes.LaunchTypeFargate,
		NetworkConfiguration: b.network(),
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{
			Name:    aws.String("app"),
			Command: command,
		}}},
		StartedBy: aws.String("conformance"),
	})
	if err != nil {
		t.Fatalf("run task: %v", err)
	}
	if len(out.Tasks) != 1 || len(out.Failures) != 0 {
		t.Fatalf("run task: %d tasks, failures %+v; want 1 task", len(out.Tasks), out.Failures)
	}
	check := func(how string, task ecstypes.Task) {
		t.Helper()
		if got := aws.ToString(task.TaskDefinitionArn); got != aws.ToString(td.TaskDefinitionArn) {
			t.Errorf("%s: taskDefinitionArn = %s, want %s", how, got, aws.ToString(td.TaskDefinitionArn))
		}
		if !strings.Contains(aws.ToString(task.TaskArn), ":task/") {
			t.Errorf("%s: taskArn = %s, want an ECS task ARN", how, aws.ToString(task.TaskArn))
		}
		if task.Overrides == nil || len(task.Overrides.ContainerOverrides) != 1 ||
			aws.ToString(task.Overrides.ContainerOverrides[0].Name) != "app" ||
			!slices.Equal(task.Overrides.ContainerOverrides[0].Command, command) {
			t.Errorf("%s: overrides = %+v, want app's command %q", how, task.Overrides, command)
		}
		if len(task.Containers) != 1 || aws.ToString(task.Containers[0].Name) != "app" {
			t.Errorf("%s: containers = %+v, want app", how, task.Containers)
		}
	}
	check("RunTask", out.Tasks[0])
	desc, err := b.ECS.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{aws.ToString(out.Tasks[0].TaskArn)}})
	if err != nil {
		t.Fatalf("describe tasks: %v", err)
	}
	if len(desc.Tasks) != 1 {
		t.Fatalf("describe tasks: %d tasks, failures %+v", len(desc.Tasks), desc.Failures)
	}
	check("DescribeTasks", desc.Tasks[0])
}

func pushImage(t *testing.T, b Backend, repo, tag, config string) string {
	t.Helper()
	// Distinct config and layer digests: moto derives the image digest from
	// the layers, ECR from the whole manifest.
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`+
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:%064x"},`+
		`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1,"digest":"sha256:%064x"}]}`, len(config), len(config)+1000)
	out, err := b.ECR.PutImage(t.Context(), &ecr.PutImageInput{
		RepositoryName: aws.String(repo),
		ImageTag:       aws.String(tag),
		ImageManifest:  aws.String(manifest),
	})
	if err != nil {
		t.Fatalf("put image %s:%s: %v", repo, tag, err)
	}
	return aws.ToString(out.Image.ImageId.ImageDigest)
}

func describeImages(t *testing.T, b Backend, p string) {
	repo := p + "/api-gateway"
	if _, err := b.ECR.CreateRepository(t.Context(), &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)}); err != nil {
		t.Fatalf("create repository: %v", err)
	}
	v1 := pushImage(t, b, repo, "v1.1.0", "a")
	v2 := pushImage(t, b, repo, "v1.2.0", "bb")
	if !strings.HasPrefix(v1, "sha256:") || v1 == v2 {
		t.Fatalf("pushed digests %q and %q, want two distinct sha256 digests", v1, v2)
	}
	for _, c := range []struct {
		tag, digest string
	}{{"v1.1.0", v1}, {"v1.2.0", v2}} {
		out, err := b.ECR.DescribeImages(t.Context(), &ecr.DescribeImagesInput{
			RepositoryName: aws.String(repo),
			ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String(c.tag)}},
		})
		if err != nil {
			t.Errorf("describe %s: %v", c.tag, err)
			continue
		}
		if len(out.ImageDetails) != 1 || aws.ToString(out.ImageDetails[0].ImageDigest) != c.digest ||
			!slices.Contains(out.ImageDetails[0].ImageTags, c.tag) || aws.ToString(out.ImageDetails[0].RepositoryName) != repo {
			t.Errorf("describe %s = %+v, want one image %s tagged %s", c.tag, out.ImageDetails, c.digest, c.tag)
		}
	}
	_, err := b.ECR.DescribeImages(t.Context(), &ecr.DescribeImagesInput{
		RepositoryName: aws.String(repo),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v9.9.9")}},
	})
	var nf *ecrtypes.ImageNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("describe missing tag: err = %v, want ImageNotFoundException", err)
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() != "ImageNotFoundException" {
		t.Errorf("missing tag error code = %s, want ImageNotFoundException", api.ErrorCode())
	}
}

func describeUnknownRepository(t *testing.T, b Backend, p string) {
	_, err := b.ECR.DescribeImages(t.Context(), &ecr.DescribeImagesInput{
		RepositoryName: aws.String(p + "/nothing"),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1.0.0")}},
	})
	var nf *ecrtypes.RepositoryNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("describe images in unknown repository: err = %v, want RepositoryNotFoundException", err)
	}
}
