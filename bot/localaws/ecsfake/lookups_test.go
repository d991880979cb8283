package ecsfake_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
)

func TestDescribeImages(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	repo := s.Services["api-gateway"].Repository
	v12 := e.f.AddImage(repo, "v1.2.0", "sha256:"+strings.Repeat("ab", 32))
	tests := []struct {
		name    string
		repo    string
		ids     []ecrtypes.ImageIdentifier
		digests []string
		code    string
	}{
		{"a tag resolves to its digest", repo, []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1.2.0")}}, []string{v12}, ""},
		{"a digest resolves to its image", repo, []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(v12)}}, []string{v12}, ""},
		{"several tags resolve in order", repo, []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1.1.0")}, {ImageTag: aws.String("v1.2.0")}}, []string{s.Services["api-gateway"].Digest, v12}, ""},
		{"no image ids list the repository", repo, nil, []string{s.Services["api-gateway"].Digest, v12}, ""},
		{"a missing tag is ImageNotFoundException", repo, []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1.3.0")}}, nil, "ImageNotFoundException"},
		{"one missing tag among found ones fails the call", repo, []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1.2.0")}, {ImageTag: aws.String("v9")}}, nil, "ImageNotFoundException"},
		{"a missing repository is RepositoryNotFoundException", "inventory-management/billing", []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1.2.0")}}, nil, "RepositoryNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.ecr.DescribeImages(t.Context(), &ecr.DescribeImagesInput{RepositoryName: aws.String(tt.repo), ImageIds: tt.ids})
			if tt.code != "" {
				if got := errorCode(err); got != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
				var nf *ecrtypes.ImageNotFoundException
				var rnf *ecrtypes.RepositoryNotFoundException
				if !errors.As(err, &nf) && !errors.As(err, &rnf) {
					t.Errorf("err %T is not the modelled exception", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range out.ImageDetails {
				got = append(got, aws.ToString(d.ImageDigest))
				if aws.ToString(d.RepositoryName) != tt.repo || d.ImagePushedAt == nil || len(d.ImageTags) == 0 {
					t.Errorf("image detail %+v lacks repository, push time or tags", d)
				}
			}
			if !slices.Equal(got, tt.digests) {
				t.Errorf("digests = %q, want %q", got, tt.digests)
			}
		})
	}
}

func (e *env) health(t *testing.T, tg string) []string {
	t.Helper()
	out, err := e.elb.DescribeTargetHealth(t.Context(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
	if err != nil {
		t.Fatalf("describe target health: %v", err)
	}
	var got []string
	for _, d := range out.TargetHealthDescriptions {
		s := string(d.TargetHealth.State)
		if d.TargetHealth.Reason != "" {
			s += " " + string(d.TargetHealth.Reason)
		}
		got = append(got, s)
	}
	slices.Sort(got)
	return got
}

func TestTargetHealth(t *testing.T) {
	tests := []struct {
		name      string
		behaviour ecsfake.Behaviour
		during    []string // after TaskStartDuration
		after     []string // after the rollout
	}{
		{
			name:   "new tasks register while the old ones serve, then only the new ones are healthy",
			during: []string{"healthy", "healthy", "initial Elb.RegistrationInProgress", "initial Elb.RegistrationInProgress"},
			after:  []string{"healthy", "healthy"},
		},
		{
			name:      "an unhealthy image's targets fail their health checks once rolled out",
			behaviour: ecsfake.Behaviour{Unhealthy: true},
			during:    []string{"healthy", "healthy", "initial Elb.RegistrationInProgress", "initial Elb.RegistrationInProgress"},
			after:     []string{"unhealthy Target.FailedHealthChecks", "unhealthy Target.FailedHealthChecks"},
		},
		{
			name:      "tasks that never start never register; after the rollback the old image is healthy again",
			behaviour: ecsfake.Behaviour{FailToStart: true},
			during:    []string{"healthy", "healthy"},
			after:     []string{"healthy", "healthy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, s := seeded(t, ecsfake.Options{})
			api := s.Services["api-gateway"]
			if got := e.health(t, api.TargetGroupArn); !slices.Equal(got, []string{"healthy", "healthy"}) {
				t.Fatalf("seeded targets = %q, want two healthy", got)
			}
			e.f.SetImageBehaviour(api.Repository+":v1.2.0", tt.behaviour)
			e.update(t, s.Cluster, "api-gateway", e.release(t, api, "v1.2.0"))
			e.clock.Advance(start)
			if got := e.health(t, api.TargetGroupArn); !slices.Equal(got, tt.during) {
				t.Errorf("during the rollout: targets %q, want %q", got, tt.during)
			}
			e.clock.Advance(time.Hour)
			if got := e.health(t, api.TargetGroupArn); !slices.Equal(got, tt.after) {
				t.Errorf("after the rollout: targets %q, want %q", got, tt.after)
			}
		})
	}
	t.Run("an unknown target group is TargetGroupNotFoundException", func(t *testing.T) {
		e, _ := seeded(t, ecsfake.Options{})
		_, err := e.elb.DescribeTargetHealth(t.Context(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nothing/0123456789abcdef")})
		var nf *elbtypes.TargetGroupNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("err = %v, want TargetGroupNotFoundException", err)
		}
	})
	t.Run("asking for given targets answers those, unregistered ones unused", func(t *testing.T) {
		e, s := seeded(t, ecsfake.Options{})
		all, err := e.elb.DescribeTargetHealth(t.Context(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(s.Services["ui"].TargetGroupArn)})
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.elb.DescribeTargetHealth(t.Context(), &elb.DescribeTargetHealthInput{
			TargetGroupArn: aws.String(s.Services["ui"].TargetGroupArn),
			Targets:        []elbtypes.TargetDescription{*all.TargetHealthDescriptions[0].Target, {Id: aws.String("10.9.9.9"), Port: aws.Int32(80)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.TargetHealthDescriptions) != 2 || out.TargetHealthDescriptions[0].TargetHealth.State != elbtypes.TargetHealthStateEnumHealthy ||
			out.TargetHealthDescriptions[1].TargetHealth.State != elbtypes.TargetHealthStateEnumUnused {
			t.Errorf("targets = %+v, want the registered one healthy and 10.9.9.9 unused", out.TargetHealthDescriptions)
		}
	})
}

func TestDescribeAlarms(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	e.f.SetAlarm("staging-api-5xx", cwtypes.StateValueOk)
	e.f.SetAlarm("staging-ui-5xx", cwtypes.StateValueAlarm)
	e.f.SetAlarm("dev-api-5xx", cwtypes.StateValueAlarm)
	tests := []struct {
		name string
		in   cloudwatch.DescribeAlarmsInput
		want []string
	}{
		{"by names", cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"staging-api-5xx", "staging-ui-5xx", "gone"}}, []string{"staging-api-5xx OK", "staging-ui-5xx ALARM"}},
		{"by prefix", cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("staging-")}, []string{"staging-api-5xx OK", "staging-ui-5xx ALARM"}},
		{"by prefix and state", cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("staging-"), StateValue: cwtypes.StateValueAlarm}, []string{"staging-ui-5xx ALARM"}},
		{"composite alarms only: none", cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.cw.DescribeAlarms(t.Context(), &tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range out.MetricAlarms {
				got = append(got, aws.ToString(a.AlarmName)+" "+string(a.StateValue))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("alarms = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("a state change moves the state timestamp to the fake's clock", func(t *testing.T) {
		e.clock.Advance(5 * time.Minute)
		e.f.SetAlarm("staging-api-5xx", cwtypes.StateValueAlarm)
		out, err := e.cw.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"staging-api-5xx"}})
		if err != nil {
			t.Fatal(err)
		}
		a := out.MetricAlarms[0]
		if a.StateValue != cwtypes.StateValueAlarm || !aws.ToTime(a.StateUpdatedTimestamp).Equal(e.clock.Now()) {
			t.Errorf("alarm %s at %v, want ALARM at %v", a.StateValue, aws.ToTime(a.StateUpdatedTimestamp), e.clock.Now())
		}
	})
	t.Run("names and prefix together are InvalidParameterCombination", func(t *testing.T) {
		_, err := e.cw.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")})
		var ipc *cwtypes.InvalidParameterCombinationException
		if !errors.As(err, &ipc) || errorCode(err) != "InvalidParameterCombination" {
			t.Errorf("err = %v (%T), want InvalidParameterCombinationException with code InvalidParameterCombination", err, err)
		}
	})
}

func TestTaskDefinitions(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	api := s.Services["api-gateway"]
	second := e.release(t, api, "v1.2.0")
	third := e.release(t, api, "v1.3.0")

	list := func(in *ecs.ListTaskDefinitionsInput) []string {
		t.Helper()
		out, err := e.ecs.ListTaskDefinitions(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, arn := range out.TaskDefinitionArns {
			got = append(got, shortTD(arn))
		}
		return got
	}
	fam := api.Family
	if got, want := list(&ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(fam)}), []string{fam + ":1", fam + ":2", fam + ":3"}; !slices.Equal(got, want) {
		t.Errorf("list ascending = %q, want %q", got, want)
	}
	if got, want := list(&ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(fam), Sort: ecstypes.SortOrderDesc, MaxResults: aws.Int32(1)}), []string{fam + ":3"}; !slices.Equal(got, want) {
		t.Errorf("newest = %q, want %q", got, want)
	}

	if _, err := e.ecs.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(third)}); err != nil {
		t.Fatal(err)
	}
	out, err := e.ecs.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(fam)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.TaskDefinition.TaskDefinitionArn); got != second {
		t.Errorf("latest ACTIVE after deregistering :3 = %s, want %s", got, second)
	}
	if got, want := list(&ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(fam), Status: ecstypes.TaskDefinitionStatusInactive}), []string{fam + ":3"}; !slices.Equal(got, want) {
		t.Errorf("inactive = %q, want %q", got, want)
	}
	// The call log is how a test asserts that the engine never
	// deregisters a revision it may roll back to.
	if calls := e.f.CallsTo("DeregisterTaskDefinition"); len(calls) != 1 || calls[0].Params["taskDefinition"] != third {
		t.Errorf("DeregisterTaskDefinition calls = %+v, want one for %s", calls, third)
	}
	_, err = e.ecs.RegisterTaskDefinition(t.Context(), &ecs.RegisterTaskDefinitionInput{Family: aws.String("no spaces allowed"), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("a"), Image: aws.String("b")}}})
	if errorCode(err) != "ClientException" {
		t.Errorf("bad family: err = %v, want ClientException", err)
	}
}
