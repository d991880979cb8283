package deploy_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/gitops-bot/gitops/bot/deploy"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
	"github.com/gitops-bot/gitops/bot/release"
)

// secretValue is an environment value of a task definition: it must never
// reach an event, an error or a result.
const secretValue = "pa55-do-not-print-8f3a"

// terraformRevision registers a newer revision of service's family as a
// terraform apply would (cpu and memory raised, an environment variable
// added), without rolling the service onto it, and returns it.
func (e *env) terraformRevision(t *testing.T, service, cpu, memory string) *ecstypes.TaskDefinition {
	t.Helper()
	live := e.taskDefinition(t, e.seeded.Services[service].Family)
	containers := slices.Clone(live.ContainerDefinitions)
	containers[0].Environment = append(slices.Clone(containers[0].Environment), ecstypes.KeyValuePair{Name: aws.String("DB_PASSWORD_PLAIN"), Value: aws.String(secretValue)})
	td, err := e.f.RegisterTaskDefinition(&ecs.RegisterTaskDefinitionInput{
		Family:                  live.Family,
		ContainerDefinitions:    containers,
		Cpu:                     aws.String(cpu),
		Memory:                  aws.String(memory),
		NetworkMode:             live.NetworkMode,
		RequiresCompatibilities: live.RequiresCompatibilities,
		ExecutionRoleArn:        live.ExecutionRoleArn,
		TaskRoleArn:             live.TaskRoleArn,
		RuntimePlatform:         live.RuntimePlatform,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &td
}

func TestDeployHappyPath(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	tf := e.terraformRevision(t, "api-gateway", "1024", "2048")
	current, next := e.releases()

	res, err := e.engine.Deploy(t.Context(), e.request(&current, next, "gh-deployment-1001"))
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, strings.Join(eventLines(e.recorded()), "\n"))
	}
	if !res.Succeeded || res.Failure != nil || res.Rollback != nil {
		t.Fatalf("result: succeeded %v, failure %+v, rollback %+v", res.Succeeded, res.Failure, res.Rollback)
	}

	t.Run("every service runs a new revision with the image pinned by digest", func(t *testing.T) {
		for _, name := range ecsfake.ServiceNames() {
			rev := res.Revisions[name]
			if rev == "" || rev == e.seeded.Services[name].TaskDefinition {
				t.Errorf("%s: revision %q, want a new one", name, rev)
				continue
			}
			td := e.taskDefinition(t, rev)
			if got, want := aws.ToString(td.ContainerDefinitions[0].Image), e.imageRef(name, e.next[name]); got != want {
				t.Errorf("%s: image %s, want %s", name, got, want)
			}
			if res.Images[name] != e.imageRef(name, e.next[name]) {
				t.Errorf("%s: result image %s", name, res.Images[name])
			}
			if res.RollbackPoints[name] != e.seeded.Services[name].TaskDefinition {
				t.Errorf("%s: rollback point %s, want the seeded %s", name, res.RollbackPoints[name], e.seeded.Services[name].TaskDefinition)
			}
			s := e.service(t, name)
			if aws.ToString(s.TaskDefinition) != rev || s.RunningCount != s.DesiredCount || len(s.Deployments) != 1 {
				t.Errorf("%s: runs %s with %d/%d tasks and %d deployments, want %s steady", name, short(aws.ToString(s.TaskDefinition)), s.RunningCount, s.DesiredCount, len(s.Deployments), short(rev))
			}
		}
	})

	t.Run("the new revision is built from the latest revision of the family, not the live one", func(t *testing.T) {
		td := e.taskDefinition(t, res.Revisions["api-gateway"])
		if aws.ToString(td.Cpu) != "1024" || aws.ToString(td.Memory) != "2048" || td.Revision != tf.Revision+1 {
			t.Errorf("api-gateway revision %d: cpu %s memory %s, want %d with terraform's 1024/2048", td.Revision, aws.ToString(td.Cpu), aws.ToString(td.Memory), tf.Revision+1)
		}
		env := td.ContainerDefinitions[0].Environment
		if !slices.ContainsFunc(env, func(kv ecstypes.KeyValuePair) bool { return aws.ToString(kv.Value) == secretValue }) {
			t.Errorf("the environment terraform added is not kept: %d variables", len(env))
		}
		user := e.taskDefinition(t, res.Revisions["user"])
		if aws.ToString(user.Cpu) != "256" || aws.ToString(user.Memory) != "512" {
			t.Errorf("user: cpu %s memory %s, want the seeded 256/512", aws.ToString(user.Cpu), aws.ToString(user.Memory))
		}
	})

	t.Run("the migration ran once, with the new image, the command as an override and a client token", func(t *testing.T) {
		runs := e.f.CallsTo("RunTask")
		if len(runs) != 1 {
			t.Fatalf("RunTask calls = %d, want 1", len(runs))
		}
		c := runs[0].Params
		if c["command"] != strings.Join(migrateCommand, " ") {
			t.Errorf("command %q", c["command"])
		}
		tok := c["clientToken"]
		if !strings.HasPrefix(tok, "gitops-migrate-") || len(tok) > 64 {
			t.Errorf("client token %q, want gitops-migrate-… of at most 64 characters", tok)
		}
		td := e.taskDefinition(t, c["taskDefinition"])
		if aws.ToString(td.Family) != e.seeded.Migration.Family || aws.ToString(td.ContainerDefinitions[0].Image) != e.imageRef("api-gateway", e.next["api-gateway"]) {
			t.Errorf("migration ran %s with %s, want the migration family with api-gateway's new image", short(c["taskDefinition"]), aws.ToString(td.ContainerDefinitions[0].Image))
		}
		m := res.Migration
		if m == nil || m.StopCode != "EssentialContainerExited" || len(m.Containers) != 1 || aws.ToInt32(m.Containers[0].ExitCode) != 0 || m.Containers[0].ExitCode == nil {
			t.Errorf("migration result %+v", m)
		}
		if m != nil && (m.LogGroup != e.seeded.Migration.LogGroup || m.LogStream != "migrate/migrate/"+short(m.TaskARN)) {
			t.Errorf("migration log %s %s", m.LogGroup, m.LogStream)
		}
		// The migration finished before the first service was updated.
		if ups := e.f.CallsTo("UpdateService"); len(ups) == 0 || ups[0].At.Before(runs[0].At.Add(taskStart+time.Minute)) {
			t.Errorf("services updated before the migration stopped")
		}
	})

	t.Run("the six services rolled concurrently", func(t *testing.T) {
		if n := len(e.f.CallsTo("UpdateService")); n != 6 {
			t.Fatalf("UpdateService calls = %d, want 6", n)
		}
		// Every service was being updated before the first one finished.
		started, finished := 0, false
		for _, ev := range e.recorded() {
			if ev.Step != deploy.StepRoll || ev.Service == "" {
				continue
			}
			switch {
			case ev.Status == deploy.StatusStarted && !finished:
				started++
			case ev.Status == deploy.StatusSucceeded:
				finished = true
			}
		}
		if started != 6 {
			t.Errorf("services updating when the first one finished = %d, want 6", started)
		}
	})

	t.Run("target health and smoke checks were made", func(t *testing.T) {
		if got := len(res.Health); got != 2 {
			t.Errorf("target groups checked = %d, want api-gateway's and ui's", got)
		}
		for _, h := range res.Health {
			if h.Healthy != 2 || len(h.NotHealthy) != 0 {
				t.Errorf("%s: %+v", h.Service, h)
			}
		}
		var paths []string
		for _, s := range res.Smoke {
			if !s.Passed || s.Got != 200 {
				t.Errorf("smoke %+v", s)
			}
			paths = append(paths, s.Path)
		}
		if want := []string{"/health", "/api/v1/user/health", "/"}; !slices.Equal(paths, want) {
			t.Errorf("smoke paths %q, want %q", paths, want)
		}
	})

	t.Run("no task definition was deregistered", func(t *testing.T) {
		if n := len(e.f.CallsTo("DeregisterTaskDefinition")); n != 0 {
			t.Errorf("DeregisterTaskDefinition calls = %d", n)
		}
	})

	t.Run("the steps were reported in order", func(t *testing.T) {
		want := []string{
			"images started", "images succeeded", "record started", "record succeeded", "register started", "register succeeded",
			"migrate started", "migrate succeeded", "roll started", "roll succeeded", "health started", "health succeeded",
			"smoke started", "smoke succeeded", "bake skipped",
		}
		if got := e.stepStatuses(); !slices.Equal(got, want) {
			t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		evs := e.recorded()
		for i := 1; i < len(evs); i++ {
			if evs[i].Time.Before(evs[i-1].Time) {
				t.Errorf("event %d (%s) is older than the one before (%s)", i, evs[i], evs[i-1])
			}
		}
		var rolled []string
		for _, ev := range evs {
			if ev.Step == deploy.StepRoll && ev.Status == deploy.StatusSucceeded && ev.Service != "" {
				rolled = append(rolled, ev.Service)
			}
		}
		if slices.Sort(rolled); !slices.Equal(rolled, slices.Sorted(slices.Values(ecsfake.ServiceNames()))) {
			t.Errorf("services reported rolled: %q", rolled)
		}
	})

	t.Run("no environment value reaches an event or the result", func(t *testing.T) {
		b, _ := json.Marshal(res)
		if strings.Contains(string(b), secretValue) || strings.Contains(strings.Join(eventLines(e.recorded()), "\n"), secretValue) {
			t.Error("an environment value of a task definition was reported")
		}
	})
}

func TestDeployAbsorbsThrottling(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	// Twice in a row: the SDK's standard retryer makes 3 attempts.
	e.f.Throttle("DescribeServices", 2)
	e.f.Throttle("RegisterTaskDefinition", 2)
	e.f.Throttle("DescribeTasks", 1)
	current, next := e.releases()
	res, err := e.engine.Deploy(t.Context(), e.request(&current, next, "throttled"))
	if err != nil || !res.Succeeded {
		t.Fatalf("deploy: %v", err)
	}
	throttled := 0
	for _, c := range e.f.CallsTo("DescribeServices") {
		if c.Err == "ThrottlingException" {
			throttled++
		}
	}
	if throttled != 2 {
		t.Errorf("throttled DescribeServices calls = %d, want 2 (retried by the SDK)", throttled)
	}
}

func TestDeployRefusesAnInvalidRequestBeforeAnyCall(t *testing.T) {
	e := newEnv(t, ecsfake.Options{})
	current, next := e.releases()
	unknown := next
	unknown.Images = map[string]release.Image{"billing": {Repository: "inventory-management/billing", Tag: "v1.2.0"}}
	noURL := *e.target
	noURL.BaseURL = ""
	otherEnv := next
	otherEnv.Environment = "prod"
	tests := []struct {
		name string
		req  deploy.DeployRequest
		want string
	}{
		{"a request without a deployment id", deploy.DeployRequest{Target: e.target, Current: &current, Next: next}, "no deployment id"},
		{"a service the target does not have", deploy.DeployRequest{Target: e.target, Current: &current, Next: unknown, DeploymentID: "x"}, "service billing of the release is not in the target"},
		{"smoke checks without a load balancer URL", deploy.DeployRequest{Target: &noURL, Current: &current, Next: next, DeploymentID: "x"}, "no load balancer URL"},
		{"a release of another environment", deploy.DeployRequest{Target: e.target, Current: nil, Next: otherEnv, DeploymentID: "x"}, `the release is of environment "prod", the target "staging"`},
		{"no target", deploy.DeployRequest{Current: &current, Next: next, DeploymentID: "x"}, "target: none given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.engine.Deploy(t.Context(), tt.req)
			if res != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("result %v, err %v; want no result and an error containing %q", res != nil, err, tt.want)
			}
		})
	}
	if n := len(e.f.Calls()); n != 0 {
		t.Errorf("%d AWS calls made for invalid requests", n)
	}
}

func eventLines(evs []deploy.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Time.Format("15:04:05") + " " + ev.String() + " " + ev.TaskDefinition + " " + ev.Task
	}
	return out
}
