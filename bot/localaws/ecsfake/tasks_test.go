package ecsfake_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	logs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/gitops-bot/gitops/bot/localaws/ecsfake"
)

var network = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
	Subnets: []string{"subnet-0private0000000a"}, SecurityGroups: []string{"sg-0ecs000000000000a"},
}}

// migrate runs the seeded migration task with command (nil: the task
// definition's) and optional client token.
func (e *env) migrate(t *testing.T, s *ecsfake.Seeded, command []string, token string) *ecs.RunTaskOutput {
	t.Helper()
	in := &ecs.RunTaskInput{
		Cluster:              aws.String(s.Cluster),
		TaskDefinition:       aws.String(s.Migration.TaskDefinition),
		LaunchType:           ecstypes.LaunchTypeFargate,
		NetworkConfiguration: network,
		StartedBy:            aws.String("gitops"),
	}
	if command != nil {
		in.Overrides = &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: aws.String("migrate"), Command: command}}}
	}
	if token != "" {
		in.ClientToken = aws.String(token)
	}
	out, err := e.ecs.RunTask(t.Context(), in)
	if err != nil {
		t.Fatalf("run task: %v", err)
	}
	return out
}

func (e *env) task(t *testing.T, cluster, arn string) ecstypes.Task {
	t.Helper()
	out, err := e.ecs.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{arn}})
	if err != nil {
		t.Fatalf("describe task %s: %v", arn, err)
	}
	if len(out.Tasks) != 1 {
		t.Fatalf("describe task %s: failures %+v", arn, out.Failures)
	}
	return out.Tasks[0]
}

func TestOneOffTaskLifecycle(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{TaskRunTime: 2 * time.Minute})
	out := e.migrate(t, s, nil, "")
	if len(out.Tasks) != 1 || len(out.Failures) != 0 {
		t.Fatalf("run task: %d tasks, failures %+v", len(out.Tasks), out.Failures)
	}
	arn := aws.ToString(out.Tasks[0].TaskArn)
	began := e.clock.Now()
	for _, st := range []struct {
		at                  time.Duration
		last, desired       string
		stopCode            ecstypes.TaskStopCode
		exitCode            *int32
		startedAt, stopTime bool
	}{
		{0, "PROVISIONING", "RUNNING", "", nil, false, false},
		{start / 3, "PENDING", "RUNNING", "", nil, false, false},
		{start, "RUNNING", "RUNNING", "", nil, true, false},
		{start + 2*time.Minute - time.Second, "RUNNING", "RUNNING", "", nil, true, false},
		{start + 2*time.Minute, "STOPPED", "STOPPED", ecstypes.TaskStopCodeEssentialContainerExited, aws.Int32(0), true, true},
	} {
		e.clock.Advance(began.Add(st.at).Sub(e.clock.Now()))
		task := e.task(t, s.Cluster, arn)
		c := task.Containers[0]
		if aws.ToString(task.LastStatus) != st.last || aws.ToString(task.DesiredStatus) != st.desired || task.StopCode != st.stopCode ||
			(task.StartedAt != nil) != st.startedAt || (task.StoppedAt != nil) != st.stopTime ||
			(c.ExitCode == nil) != (st.exitCode == nil) || (c.ExitCode != nil && *c.ExitCode != *st.exitCode) {
			t.Errorf("at +%v: last/desired %s/%s stopCode %q exitCode %v startedAt %v stoppedAt %v; want %s/%s %q %v",
				st.at, aws.ToString(task.LastStatus), aws.ToString(task.DesiredStatus), task.StopCode, ptrString(c.ExitCode),
				task.StartedAt, task.StoppedAt, st.last, st.desired, st.stopCode, ptrString(st.exitCode))
		}
	}
	task := e.task(t, s.Cluster, arn)
	if aws.ToString(task.StoppedReason) != "Essential container in task exited" || aws.ToString(task.Cpu) != "512" || aws.ToString(task.Memory) != "1024" {
		t.Errorf("stoppedReason %q cpu %q memory %q", aws.ToString(task.StoppedReason), aws.ToString(task.Cpu), aws.ToString(task.Memory))
	}
}

func ptrString(p *int32) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

func TestOneOffTaskOutcomes(t *testing.T) {
	command := []string{"alembic", "upgrade", "head"}
	tests := []struct {
		name       string
		setup      func(e *env, s *ecsfake.Seeded)
		command    []string
		failure    string // RunTask failures[].reason; no task then
		stopCode   ecstypes.TaskStopCode
		exitCode   *int32 // nil: the container has none
		reasonHas  string // stoppedReason contains
		containerR string // container reason contains
	}{
		{
			name:     "a clean exit stops with EssentialContainerExited and exit code 0",
			command:  command,
			stopCode: ecstypes.TaskStopCodeEssentialContainerExited, exitCode: aws.Int32(0), reasonHas: "Essential container in task exited",
		},
		{
			name:     "an outcome keyed by the command sets the exit code",
			setup:    func(e *env, _ *ecsfake.Seeded) { e.f.SetTaskOutcome(command, ecsfake.TaskOutcome{ExitCode: 3}) },
			command:  command,
			stopCode: ecstypes.TaskStopCodeEssentialContainerExited, exitCode: aws.Int32(3), reasonHas: "Essential container in task exited",
		},
		{
			name: "exit codes by container name win over the default",
			setup: func(e *env, _ *ecsfake.Seeded) {
				e.f.SetTaskOutcome(command, ecsfake.TaskOutcome{ExitCode: 0, ExitCodes: map[string]int32{"migrate": 137}})
			},
			command:  command,
			stopCode: ecstypes.TaskStopCodeEssentialContainerExited, exitCode: aws.Int32(137),
		},
		{
			name: "an outcome function decides commands the table does not know",
			setup: func(e *env, _ *ecsfake.Seeded) {
				e.f.SetTaskOutcomeFunc(func(r ecsfake.TaskRun) (ecsfake.TaskOutcome, bool) {
					return ecsfake.TaskOutcome{ExitCode: 2}, r.Family == "staging-inventory-migrate" && r.Command[0] == "python"
				})
			},
			command:  []string{"python", "scripts/setup_default_roles.py"},
			stopCode: ecstypes.TaskStopCodeEssentialContainerExited, exitCode: aws.Int32(2),
		},
		{
			name: "a task that fails to start stops with TaskFailedToStart and no exit code",
			setup: func(e *env, _ *ecsfake.Seeded) {
				e.f.SetTaskOutcome(command, ecsfake.TaskOutcome{FailToStart: true, StartFailureReason: "ResourceInitializationError: unable to pull secrets"})
			},
			command:  command,
			stopCode: ecstypes.TaskStopCodeTaskFailedToStart, reasonHas: "ResourceInitializationError", containerR: "ResourceInitializationError",
		},
		{
			name: "an image that fails to start fails one-off tasks too",
			setup: func(e *env, s *ecsfake.Seeded) {
				e.f.SetImageBehaviour(s.Migration.Repository+":"+s.Version, ecsfake.Behaviour{FailToStart: true})
			},
			command:  command,
			stopCode: ecstypes.TaskStopCodeTaskFailedToStart, reasonHas: "CannotPullContainerError", containerR: "CannotPullContainerError",
		},
		{
			name: "a placement failure answers a failures entry and starts no task",
			setup: func(e *env, _ *ecsfake.Seeded) {
				e.f.SetTaskOutcome(command, ecsfake.TaskOutcome{PlacementFailure: "RESOURCE:MEMORY"})
			},
			command: command,
			failure: "RESOURCE:MEMORY",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, s := seeded(t, ecsfake.Options{})
			if tt.setup != nil {
				tt.setup(e, s)
			}
			out := e.migrate(t, s, tt.command, "")
			if tt.failure != "" {
				if len(out.Tasks) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != tt.failure {
					t.Fatalf("run task: %d tasks, failures %+v; want none and one failure %s", len(out.Tasks), out.Failures, tt.failure)
				}
				return
			}
			if len(out.Tasks) != 1 {
				t.Fatalf("run task: %d tasks, failures %+v", len(out.Tasks), out.Failures)
			}
			e.clock.Advance(time.Hour)
			task := e.task(t, s.Cluster, aws.ToString(out.Tasks[0].TaskArn))
			c := task.Containers[0]
			if aws.ToString(task.LastStatus) != "STOPPED" || task.StopCode != tt.stopCode {
				t.Errorf("last status %s stopCode %q, want STOPPED %q", aws.ToString(task.LastStatus), task.StopCode, tt.stopCode)
			}
			switch {
			case tt.exitCode == nil && c.ExitCode != nil:
				t.Errorf("container exit code %d, want none", *c.ExitCode)
			case tt.exitCode != nil && (c.ExitCode == nil || *c.ExitCode != *tt.exitCode):
				t.Errorf("container exit code %v, want %d", c.ExitCode, *tt.exitCode)
			}
			if !strings.Contains(aws.ToString(task.StoppedReason), tt.reasonHas) {
				t.Errorf("stoppedReason %q, want it to contain %q", aws.ToString(task.StoppedReason), tt.reasonHas)
			}
			if !strings.Contains(aws.ToString(c.Reason), tt.containerR) {
				t.Errorf("container reason %q, want it to contain %q", aws.ToString(c.Reason), tt.containerR)
			}
			if task.Overrides == nil || !slices.Equal(task.Overrides.ContainerOverrides[0].Command, tt.command) {
				t.Errorf("overrides %+v, want command %q", task.Overrides, tt.command)
			}
		})
	}
}

func TestRunTaskClientTokenIsIdempotent(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	first := e.migrate(t, s, []string{"alembic", "upgrade", "head"}, "deploy-42-migrate")
	e.clock.Advance(start)
	again := e.migrate(t, s, []string{"alembic", "upgrade", "head"}, "deploy-42-migrate")
	other := e.migrate(t, s, []string{"alembic", "upgrade", "head"}, "deploy-43-migrate")

	a, b := aws.ToString(first.Tasks[0].TaskArn), aws.ToString(again.Tasks[0].TaskArn)
	if a != b {
		t.Errorf("same client token gave tasks %s and %s, want the same task", a, b)
	}
	if got := aws.ToString(again.Tasks[0].LastStatus); got != "RUNNING" {
		t.Errorf("the repeated RunTask answers the task as it is now: %s, want RUNNING", got)
	}
	if aws.ToString(other.Tasks[0].TaskArn) == a {
		t.Errorf("another client token returned the same task")
	}
	list, err := e.ecs.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String(s.Cluster), Family: aws.String(s.Migration.Family)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.TaskArns) != 2 {
		t.Errorf("migration tasks running = %d, want 2 (one per client token)", len(list.TaskArns))
	}
	var tokens []string
	for _, c := range e.f.CallsTo("RunTask") {
		tokens = append(tokens, c.Params["clientToken"])
	}
	if want := []string{"deploy-42-migrate", "deploy-42-migrate", "deploy-43-migrate"}; !slices.Equal(tokens, want) {
		t.Errorf("RunTask calls' client tokens = %q, want %q", tokens, want)
	}
}

func TestRunTaskClientTokenRules(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	run := func(token, taskDefinition string, command ...string) error {
		in := &ecs.RunTaskInput{
			Cluster:              aws.String(s.Cluster),
			TaskDefinition:       aws.String(taskDefinition),
			LaunchType:           ecstypes.LaunchTypeFargate,
			NetworkConfiguration: network,
			ClientToken:          aws.String(token),
			Overrides:            &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: aws.String("migrate"), Command: command}}},
		}
		_, err := e.ecs.RunTask(t.Context(), in)
		return err
	}
	if err := run("deploy-7-migrate", s.Migration.TaskDefinition, "alembic", "upgrade", "head"); err != nil {
		t.Fatal(err)
	}
	// The family resolves to the same revision: the same parameters.
	if err := run("deploy-7-migrate", s.Migration.Family, "alembic", "upgrade", "head"); err != nil {
		t.Errorf("same token, same parameters (family for its latest revision): %v", err)
	}
	tests := []struct {
		name, token, code string
		command           []string
	}{
		{"the same token with another command is ConflictException", "deploy-7-migrate", "ConflictException", []string{"alembic", "downgrade", "-1"}},
		{"a token of 64 characters is accepted", strings.Repeat("a", 64), "", []string{"true"}},
		{"a token over 64 characters is InvalidParameterException", strings.Repeat("a", 65), "InvalidParameterException", []string{"true"}},
		{"a token with a space is InvalidParameterException", "deploy 7", "InvalidParameterException", []string{"true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.token, s.Migration.TaskDefinition, tt.command...)
			if got := errorCode(err); got != tt.code {
				t.Errorf("err = %v, want code %q", err, tt.code)
			}
		})
	}
}

func TestRunTaskValidation(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	tests := []struct {
		name string
		in   ecs.RunTaskInput
		code string
	}{
		{"an unknown cluster is ClusterNotFoundException", ecs.RunTaskInput{Cluster: aws.String("prod-inventory"), TaskDefinition: aws.String(s.Migration.Family), NetworkConfiguration: network}, "ClusterNotFoundException"},
		{"an unknown task definition is a ClientException", ecs.RunTaskInput{Cluster: aws.String(s.Cluster), TaskDefinition: aws.String("nothing"), NetworkConfiguration: network}, "ClientException"},
		{"awsvpc without a network configuration is InvalidParameterException", ecs.RunTaskInput{Cluster: aws.String(s.Cluster), TaskDefinition: aws.String(s.Migration.Family)}, "InvalidParameterException"},
		{"an override of an unknown container is InvalidParameterException", ecs.RunTaskInput{
			Cluster: aws.String(s.Cluster), TaskDefinition: aws.String(s.Migration.Family), NetworkConfiguration: network,
			Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: aws.String("app"), Command: []string{"true"}}}},
		}, "InvalidParameterException"},
		{"a count over 10 is InvalidParameterException", ecs.RunTaskInput{Cluster: aws.String(s.Cluster), TaskDefinition: aws.String(s.Migration.Family), NetworkConfiguration: network, Count: aws.Int32(11)}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.ecs.RunTask(t.Context(), &tt.in)
			if got := errorCode(err); got != tt.code {
				t.Errorf("err = %v, want code %s", err, tt.code)
			}
		})
	}
}

func TestStopTask(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	arn := aws.ToString(e.migrate(t, s, nil, "").Tasks[0].TaskArn)
	e.clock.Advance(start)
	if _, err := e.ecs.StopTask(t.Context(), &ecs.StopTaskInput{Cluster: aws.String(s.Cluster), Task: aws.String(arn), Reason: aws.String("deploy timed out")}); err != nil {
		t.Fatal(err)
	}
	task := e.task(t, s.Cluster, arn)
	if aws.ToString(task.LastStatus) != "STOPPED" || task.StopCode != ecstypes.TaskStopCodeUserInitiated || aws.ToString(task.StoppedReason) != "deploy timed out" {
		t.Errorf("after StopTask: %s %q %q", aws.ToString(task.LastStatus), task.StopCode, aws.ToString(task.StoppedReason))
	}
}

func TestTaskLogs(t *testing.T) {
	e, s := seeded(t, ecsfake.Options{})
	command := []string{"alembic", "upgrade", "head"}
	lines := []string{"INFO  [alembic] Running upgrade a1 -> b2", "INFO  [alembic] Running upgrade b2 -> c3", "ERROR relation \"stock\" already exists"}
	e.f.SetTaskOutcome(command, ecsfake.TaskOutcome{ExitCode: 1, RunTime: 40 * time.Second, Logs: lines})
	task := e.migrate(t, s, command, "").Tasks[0]
	id := aws.ToString(task.TaskArn)[strings.LastIndex(aws.ToString(task.TaskArn), "/")+1:]
	// The migration logs to api-gateway's group with stream prefix "migrate":
	// <prefix>/<container>/<task id>, as the awslogs driver names streams.
	group, stream := s.Migration.LogGroup, "migrate/migrate/"+id

	read := func() ([]string, error) {
		out, err := e.logs.GetLogEvents(t.Context(), &logs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)})
		if err != nil {
			return nil, err
		}
		var got []string
		for _, ev := range out.Events {
			got = append(got, aws.ToString(ev.Message))
		}
		return got, nil
	}
	if _, err := read(); errorCode(err) != "ResourceNotFoundException" {
		t.Errorf("before the container starts: err = %v, want ResourceNotFoundException (no stream yet)", err)
	}
	began := e.clock.Now()
	for _, st := range []struct {
		at   time.Duration
		want []string
	}{
		{start, nil},
		{start + 10*time.Second, lines[:1]},
		{start + 30*time.Second, lines},
		{time.Hour, lines},
	} {
		e.clock.Advance(began.Add(st.at).Sub(e.clock.Now()))
		got, err := read()
		if err != nil {
			t.Fatalf("at +%v: %v", st.at, err)
		}
		if !slices.Equal(got, st.want) {
			t.Errorf("at +%v: log = %q, want %q", st.at, got, st.want)
		}
	}

	t.Run("tokens page forward and stop at the end", func(t *testing.T) {
		in := &logs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true), Limit: aws.Int32(2)}
		var got []string
		for range 5 {
			out, err := e.logs.GetLogEvents(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range out.Events {
				got = append(got, aws.ToString(ev.Message))
			}
			if aws.ToString(out.NextForwardToken) == aws.ToString(in.NextToken) {
				break
			}
			in.NextToken = out.NextForwardToken
		}
		if !slices.Equal(got, lines) {
			t.Errorf("paged log = %q, want %q", got, lines)
		}
	})
	t.Run("without startFromHead the newest events come back", func(t *testing.T) {
		out, err := e.logs.GetLogEvents(t.Context(), &logs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), Limit: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Events) != 1 || aws.ToString(out.Events[0].Message) != lines[2] {
			t.Errorf("tail = %+v, want the last line", out.Events)
		}
	})
	t.Run("FilterLogEvents finds lines by term across the group's streams", func(t *testing.T) {
		out, err := e.logs.FilterLogEvents(t.Context(), &logs.FilterLogEventsInput{LogGroupName: aws.String(group), LogStreamNamePrefix: aws.String("migrate/"), FilterPattern: aws.String("ERROR")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Events) != 1 || aws.ToString(out.Events[0].LogStreamName) != stream || aws.ToString(out.Events[0].Message) != lines[2] {
			t.Errorf("filtered = %+v, want the ERROR line of %s", out.Events, stream)
		}
	})
	t.Run("an unknown log group is ResourceNotFoundException", func(t *testing.T) {
		_, err := e.logs.GetLogEvents(t.Context(), &logs.GetLogEventsInput{LogGroupName: aws.String("/ecs/nothing"), LogStreamName: aws.String(stream)})
		if errorCode(err) != "ResourceNotFoundException" {
			t.Errorf("err = %v, want ResourceNotFoundException", err)
		}
	})
}
