package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// oneOff is a one-off task to run and wait for: a migration or a seed step.
type oneOff struct {
	step    Step
	seed    string // the seed step's name
	service string // the service whose image or task definition it runs
	td      *ecstypes.TaskDefinition
	// container runs command (an override of the task definition's).
	container string
	command   []string
	token     string
	timeout   time.Duration
	deadline  time.Time
}

// clientToken is the RunTask client token of one one-off task of a deploy
// or seed: the same for every attempt of it, so that ECS starts the task at
// most once in 24 hours whatever retries. ECS takes at most 64 ASCII
// characters 33–126; the id (a deployment id, a comment id) may be longer
// or hold anything, so it is hashed.
func clientToken(kind, env, id, name string) string {
	sum := sha256.Sum256([]byte(env + "\x00" + id + "\x00" + name))
	return "gitops-" + kind + "-" + hex.EncodeToString(sum[:16])
}

// taskFailure is a one-off task that did not succeed; its result says the
// rest.
type taskFailure struct {
	reason string
	cause  error
}

func (f *taskFailure) Error() string { return f.reason }
func (f *taskFailure) Unwrap() error { return f.cause }

// runTask starts o and waits until it stops, then checks it: a task
// succeeded only when it stopped because its essential container exited
// (stopCode EssentialContainerExited), every container has an exit code and
// every exit code is 0. A task still running at the deadline is left
// running (stopping a migration half-way is worse) and is a failure. The
// result carries the end of the container's log (awslogs) in every case.
//
// ECS: RunTask (FARGATE, awsvpc, the command as a container override, the
// client token), DescribeTasks until STOPPED. Logs: GetLogEvents.
func (e *Engine) runTask(ctx context.Context, t *Target, o oneOff, em *emitter) (*TaskResult, error) {
	res := &TaskResult{TaskDefinition: aws.ToString(o.td.TaskDefinitionArn), Container: o.container, Command: slices.Clone(o.command)}
	assign := ecstypes.AssignPublicIpDisabled
	if t.AssignPublicIP {
		assign = ecstypes.AssignPublicIpEnabled
	}
	out, err := e.cfg.ECS.RunTask(ctx, &ecs.RunTaskInput{
		Cluster:        aws.String(t.Cluster),
		TaskDefinition: o.td.TaskDefinitionArn,
		Count:          aws.Int32(1),
		LaunchType:     ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets:        t.Subnets,
			SecurityGroups: t.SecurityGroups,
			AssignPublicIp: assign,
		}},
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{
			Name:    aws.String(o.container),
			Command: o.command,
		}}},
		ClientToken: aws.String(o.token),
		StartedBy:   aws.String(e.cfg.StartedBy),
	})
	if err != nil {
		return res, &taskFailure{reason: fmt.Sprintf("run task %s: %v", res.TaskDefinition, err), cause: err}
	}
	if len(out.Failures) > 0 || len(out.Tasks) != 1 {
		return res, &taskFailure{reason: "ECS started no task: " + failures(out.Failures)}
	}
	task := out.Tasks[0]
	res.TaskARN = aws.ToString(task.TaskArn)
	em.emit(Event{Step: o.step, Seed: o.seed, Service: o.service, Status: StatusProgress, TaskDefinition: res.TaskDefinition, Task: res.TaskARN,
		Message: fmt.Sprintf("task %s started: %s", taskID(res.TaskARN), strings.Join(o.command, " "))})

	status := aws.ToString(task.LastStatus)
	err = e.poll(ctx, o.deadline, e.cfg.Poll.Task, func(ctx context.Context) (bool, error) {
		out, err := e.cfg.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(t.Cluster), Tasks: []string{res.TaskARN}})
		if err != nil {
			return false, fmt.Errorf("describe task %s: %w", taskID(res.TaskARN), err)
		}
		if len(out.Tasks) != 1 {
			return false, fmt.Errorf("describe task %s: %s", taskID(res.TaskARN), failures(out.Failures))
		}
		task = out.Tasks[0]
		if s := aws.ToString(task.LastStatus); s != status {
			status = s
			em.emit(Event{Step: o.step, Seed: o.seed, Service: o.service, Status: StatusProgress, TaskDefinition: res.TaskDefinition, Task: res.TaskARN,
				Message: fmt.Sprintf("task %s %s", taskID(res.TaskARN), s)})
		}
		return status == "STOPPED", nil
	})
	res.LogGroup, res.LogStream, res.LogTail = e.logTail(ctx, o.td, o.container, res.TaskARN)
	switch {
	case errors.Is(err, errTimedOut):
		return res, &taskFailure{reason: fmt.Sprintf("task %s still %s after %s; it was left running", taskID(res.TaskARN), status, o.timeout)}
	case err != nil:
		return res, &taskFailure{reason: err.Error(), cause: err}
	}

	res.StopCode = string(task.StopCode)
	res.StoppedReason = aws.ToString(task.StoppedReason)
	var problems []string
	if task.StopCode != ecstypes.TaskStopCodeEssentialContainerExited {
		problems = append(problems, fmt.Sprintf("stopped with %s: %s", orNone(res.StopCode), res.StoppedReason))
	}
	for _, c := range task.Containers {
		x := ContainerExit{Name: aws.ToString(c.Name), ExitCode: c.ExitCode, Reason: aws.ToString(c.Reason)}
		res.Containers = append(res.Containers, x)
		switch {
		case c.ExitCode == nil && x.Reason != "":
			problems = append(problems, fmt.Sprintf("container %s has no exit code (%s)", x.Name, x.Reason))
		case c.ExitCode == nil:
			problems = append(problems, fmt.Sprintf("container %s has no exit code", x.Name))
		case *c.ExitCode != 0:
			problems = append(problems, fmt.Sprintf("container %s exited %d", x.Name, *c.ExitCode))
		}
	}
	if len(task.Containers) == 0 {
		problems = append(problems, "the task has no containers")
	}
	if len(problems) > 0 {
		return res, &taskFailure{reason: fmt.Sprintf("task %s: %s", taskID(res.TaskARN), strings.Join(problems, "; "))}
	}
	return res, nil
}

// logTail reads the last lines container of a task wrote with the awslogs
// driver, whose stream is <prefix>/<container>/<task id>. A task that never
// started has no stream: no lines then.
//
// Logs: GetLogEvents (the newest events)
func (e *Engine) logTail(ctx context.Context, td *ecstypes.TaskDefinition, container, taskARN string) (group, stream string, lines []string) {
	group, prefix, ok := awslogsOf(td, container)
	if !ok || e.cfg.Logs == nil || taskARN == "" {
		return group, "", nil
	}
	stream = container + "/" + taskID(taskARN)
	if prefix != "" {
		stream = prefix + "/" + stream
	}
	out, err := e.cfg.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(stream),
		Limit:         aws.Int32(int32(e.cfg.LogTailLines)),
		StartFromHead: aws.Bool(false),
	})
	if err != nil {
		return group, stream, nil
	}
	for _, ev := range out.Events {
		lines = append(lines, strings.TrimRight(aws.ToString(ev.Message), "\n"))
	}
	return group, stream, lines
}

// taskID is the last part of a task ARN.
func taskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func failures(fs []ecstypes.Failure) string {
	if len(fs) == 0 {
		return "no failure given"
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = aws.ToString(f.Reason)
		if d := aws.ToString(f.Detail); d != "" {
			parts[i] += " (" + d + ")"
		}
		if a := aws.ToString(f.Arn); a != "" {
			parts[i] += " " + a
		}
	}
	return strings.Join(parts, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "no stop code"
	}
	return s
}
