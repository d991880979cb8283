package ecsfake_test

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	logs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
)

func TestSmokeChecks(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	api := s.Services["api-gateway"]
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(e.f.ALBURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Ecsfake-Image")
	}
	check := func(when string, want map[string]int) {
		t.Helper()
		for path, status := range want {
			if got, image := get(path); got != status {
				t.Errorf("%s: GET %s = %d (image %s), want %d", when, path, got, image, status)
			}
		}
	}
	check("seeded", map[string]int{"/health": 200, "/api/v1/user/health": 200, "/": 200})
	if _, image := get("/api/v1/user/health"); image != api.Image {
		t.Errorf("/api/* served by %s, want api-gateway's %s", image, api.Image)
	}
	if _, image := get("/health"); image != s.Services["ui"].Image {
		t.Errorf("/health served by %s, want ui's %s (the default route)", image, s.Services["ui"].Image)
	}

	e.f.SetImageBehaviour(api.Repository+":v1.2.0", ecsfake.Behaviour{SmokeStatus: map[string]int{"/api/v1/user/health": 500}})
	e.update(t, s.Cluster, "api-gateway", e.release(t, api, "v1.2.0"))
	e.clock.Advance(start)
	check("during the rollout the old tasks serve", map[string]int{"/api/v1/user/health": 200})
	e.clock.Advance(rollout)
	check("after the rollout the bad image answers", map[string]int{"/api/v1/user/health": 500, "/api/v1/inventory": 200, "/health": 200, "/": 200})
}

func TestThrottling(t *testing.T) {
	tests := []struct {
		name string
		op   string
		code string
		call func(e *env, s *ecsfake.Seeded) error
	}{
		{"ECS", "DescribeServices", "ThrottlingException", func(e *env, s *ecsfake.Seeded) error {
			_, err := e.ecs.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(s.Cluster), Services: []string{"ui"}})
			return err
		}},
		{"ECR", "DescribeImages", "ThrottlingException", func(e *env, _ *ecsfake.Seeded) error {
			_, err := e.ecr.DescribeImages(t.Context(), &ecr.DescribeImagesInput{RepositoryName: aws.String("inventory-management/ui")})
			return err
		}},
		{"ELBv2", "DescribeTargetHealth", "Throttling", func(e *env, s *ecsfake.Seeded) error {
			_, err := e.elb.DescribeTargetHealth(t.Context(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(s.Services["ui"].TargetGroupArn)})
			return err
		}},
		{"CloudWatch", "DescribeAlarms", "Throttling", func(e *env, _ *ecsfake.Seeded) error {
			_, err := e.cw.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{})
			return err
		}},
		{"CloudWatch Logs", "DescribeLogStreams", "ThrottlingException", func(e *env, s *ecsfake.Seeded) error {
			_, err := e.logs.DescribeLogStreams(t.Context(), &logs.DescribeLogStreamsInput{LogGroupName: aws.String(s.Services["ui"].LogGroup)})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+": two throttles are retried away by the standard retryer", func(t *testing.T) {
			e, s := seeded(t, ecsfake.Options{})
			e.f.Throttle(tt.op, 2)
			if err := tt.call(e, s); err != nil {
				t.Fatalf("err = %v, want the retryer to get through", err)
			}
			var codes []string
			for _, c := range e.f.CallsTo(tt.op) {
				codes = append(codes, c.Err)
			}
			if len(codes) != 3 || codes[0] != tt.code || codes[1] != tt.code || codes[2] != "" {
				t.Errorf("calls' errors = %q, want %s twice then success", codes, tt.code)
			}
		})
		t.Run(tt.name+": three throttles exhaust the attempts and surface", func(t *testing.T) {
			e, s := seeded(t, ecsfake.Options{})
			e.f.Throttle(tt.op, 3)
			err := tt.call(e, s)
			var max *retry.MaxAttemptsError
			if !errors.As(err, &max) || errorCode(err) != tt.code {
				t.Fatalf("err = %v, want MaxAttemptsError wrapping %s", err, tt.code)
			}
			if !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(errors.Unwrap(max)).Bool() {
				t.Errorf("the SDK does not see %v as a throttle", errors.Unwrap(max))
			}
		})
	}
	t.Run("random throttling follows the seed", func(t *testing.T) {
		count := func(seed uint64) int {
			e, s := seeded(t, ecsfake.Options{Seed: seed})
			e.f.ThrottleRandomly(0.3, "DescribeServices")
			single := ecs.NewFromConfig(e.f.Config(), func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
			n := 0
			for range 40 {
				if _, err := single.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(s.Cluster), Services: []string{"ui"}}); err != nil {
					n++
				}
			}
			if _, err := e.ecr.DescribeImages(t.Context(), &ecr.DescribeImagesInput{RepositoryName: aws.String("inventory-management/ui")}); err != nil {
				t.Errorf("an operation not named is throttled: %v", err)
			}
			return n
		}
		a, b := count(7), count(7)
		if a != b || a == 0 || a == 40 {
			t.Errorf("throttled %d and %d of 40 calls with the same seed, want the same count, neither none nor all", a, b)
		}
	})
}

func TestUnknownOperations(t *testing.T) {
	e, _ := seeded(t, ecsfake.Options{})
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"ECS", func() error {
			_, err := e.ecs.DeleteCluster(t.Context(), &ecs.DeleteClusterInput{Cluster: aws.String("x")})
			return err
		}, "UnknownOperationException"},
		{"ECR", func() error {
			_, err := e.ecr.DeleteRepository(t.Context(), &ecr.DeleteRepositoryInput{RepositoryName: aws.String("x")})
			return err
		}, "UnknownOperationException"},
		{"ELBv2", func() error {
			_, err := e.elb.DescribeLoadBalancers(t.Context(), &elb.DescribeLoadBalancersInput{})
			return err
		}, "InvalidAction"},
		{"CloudWatch", func() error {
			_, err := e.cw.ListMetrics(t.Context(), &cloudwatch.ListMetricsInput{})
			return err
		}, "UnknownOperationException"},
		{"CloudWatch Logs", func() error {
			_, err := e.logs.CreateLogGroup(t.Context(), &logs.CreateLogGroupInput{LogGroupName: aws.String("x")})
			return err
		}, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" answers "+tt.code, func(t *testing.T) {
			if err := tt.call(); errorCode(err) != tt.code {
				t.Errorf("err = %v, want an API error %s", err, tt.code)
			}
		})
	}
	calls := e.f.Calls()
	if len(calls) != len(tests) {
		t.Fatalf("calls = %+v, want %d (unknown operations are not retried)", calls, len(tests))
	}
	for _, c := range calls {
		if c.Err == "" || c.Operation == "" {
			t.Errorf("call %+v not recorded with its operation and error", c)
		}
	}
}

func TestRealClock(t *testing.T) {
	before := time.Now()
	f := ecsfake.Start(ecsfake.Options{})
	t.Cleanup(f.Close)
	arn, err := f.RegisterTaskDefinition(&ecs.RegisterTaskDefinitionInput{})
	if err == nil {
		t.Fatalf("registered %v without a family", arn.TaskDefinitionArn)
	}
	if now := f.Now(); now.Before(before) || now.After(time.Now()) {
		t.Errorf("Now() = %v, want the real time", now)
	}
}

func TestFailNext(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	e.f.FailNext("UpdateService", 1, ecsfake.Err{Code: "AccessDeniedException", Message: "not authorized to perform: ecs:UpdateService"})
	e.f.Throttle("UpdateService", 1)
	in := &ecs.UpdateServiceInput{Cluster: aws.String(s.Cluster), Service: aws.String("ui"), ForceNewDeployment: true}
	if _, err := e.ecs.UpdateService(t.Context(), in); errorCode(err) != "AccessDeniedException" {
		t.Errorf("first update: err = %v, want AccessDeniedException (not retried)", err)
	}
	if _, err := e.ecs.UpdateService(t.Context(), in); err != nil {
		t.Errorf("second update: err = %v, want the throttle retried away", err)
	}
	var codes []string
	for _, c := range e.f.CallsTo("UpdateService") {
		codes = append(codes, c.Err)
	}
	if want := []string{"AccessDeniedException", "ThrottlingException", ""}; !slices.Equal(codes, want) {
		t.Errorf("UpdateService calls' errors = %q, want %q", codes, want)
	}
}
