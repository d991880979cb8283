package ecsfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// task is one ECS task, one-off or a service's. Its life is planned when it
// is created (createdAt → pendingAt → runningAt → stopAt) and read off the
// clock: lastStatus is whichever step the clock has passed.
type task struct {
	id, arn   string
	cluster   *cluster
	td        *taskDef
	createdAt time.Time
	pendingAt time.Time
	runningAt time.Time // zero: never runs (fails to start)
	stopAt    time.Time // zero: runs until stopped
	stopCode  ecstypes.TaskStopCode
	stopped   string // stoppedReason
	// exitCodes by container name; nil when the containers never ran.
	exitCodes       map[string]int32
	containerReason string
	overrides       *ecstypes.TaskOverride
	startedBy       string
	group           string
	launchType      ecstypes.LaunchType
	network         *ecstypes.NetworkConfiguration
	tags            []ecstypes.Tag
	ip              string

	// logs not yet written to the task's stream, in time order.
	logs          []logLine
	logGroup      string
	logStream     string
	streamCreated bool

	dep *deployment // the service deployment that launched it, if any
}

type logLine struct {
	at  time.Time
	msg string
}

func (t *task) status(now time.Time) (last, desired string) {
	switch {
	case !t.stopAt.IsZero() && !now.Before(t.stopAt):
		return "STOPPED", "STOPPED"
	case !t.runningAt.IsZero() && !now.Before(t.runningAt):
		return "RUNNING", "RUNNING"
	case !now.Before(t.pendingAt):
		return "PENDING", "RUNNING"
	}
	return "PROVISIONING", "RUNNING"
}

func (t *task) running(now time.Time) bool {
	last, _ := t.status(now)
	return last == "RUNNING"
}

func (t *task) pending(now time.Time) bool {
	last, _ := t.status(now)
	return last == "PROVISIONING" || last == "PENDING"
}

// stop plans the task's stop at `at` unless it stops earlier anyway.
func (t *task) stop(at time.Time, code ecstypes.TaskStopCode, reason string, exitCode int32) {
	if !t.stopAt.IsZero() && !t.stopAt.After(at) {
		return
	}
	t.stopAt = at
	t.stopCode = code
	t.stopped = reason
	if !t.runningAt.IsZero() && !at.Before(t.runningAt) {
		t.exitCodes = map[string]int32{}
		for _, c := range t.td.def.ContainerDefinitions {
			t.exitCodes[aws.ToString(c.Name)] = exitCode
		}
	} else {
		t.runningAt = time.Time{}
		t.exitCodes = nil
	}
	// Lines after the stop are never written.
	t.logs = slices.DeleteFunc(t.logs, func(l logLine) bool { return l.at.After(at) })
}

// newTask creates a task of td in c starting at now. f.mu held.
func (f *Fake) newTask(c *cluster, td *taskDef, now time.Time) *task {
	id := f.newID()
	t := &task{
		id:         id,
		arn:        f.arn("ecs", "task/"+c.name+"/"+id),
		cluster:    c,
		td:         td,
		createdAt:  now,
		pendingAt:  now.Add(f.opts.TaskStartDuration / 3),
		launchType: ecstypes.LaunchTypeFargate,
		ip:         fmt.Sprintf("10.0.%d.%d", 1+f.rng.IntN(254), 1+f.rng.IntN(254)),
	}
	f.tasks = append(f.tasks, t)
	return t
}

// settleTask writes the log lines whose time has come; the awslogs driver
// creates the task's stream when the container starts. f.mu held.
func (f *Fake) settleTask(t *task, now time.Time) {
	if t.logGroup == "" || t.runningAt.IsZero() || now.Before(t.runningAt) {
		return
	}
	if !t.streamCreated {
		f.logStream(t.logGroup, t.logStream, t.runningAt)
		t.streamCreated = true
	}
	n := 0
	for n < len(t.logs) && !t.logs[n].at.After(now) {
		n++
	}
	if n == 0 {
		return
	}
	st := f.logStream(t.logGroup, t.logStream, t.createdAt)
	for _, l := range t.logs[:n] {
		st.events = append(st.events, logEvent{at: l.at, msg: l.msg, ingested: l.at})
	}
	t.logs = t.logs[n:]
}

// awslogs returns the log group and stream of container c of task id, as the
// awslogs driver names them: <stream-prefix>/<container>/<task id>.
func awslogs(c ecstypes.ContainerDefinition, id string) (group, stream string, ok bool) {
	lc := c.LogConfiguration
	if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
		return "", "", false
	}
	group = lc.Options["awslogs-group"]
	if group == "" {
		return "", "", false
	}
	stream = aws.ToString(c.Name) + "/" + id
	if p := lc.Options["awslogs-stream-prefix"]; p != "" {
		stream = p + "/" + stream
	}
	return group, stream, true
}

func (f *Fake) taskView(t *task, now time.Time) ecstypes.Task {
	last, desired := t.status(now)
	v := ecstypes.Task{
		TaskArn:           aws.String(t.arn),
		ClusterArn:        aws.String(t.cluster.arn),
		TaskDefinitionArn: aws.String(t.td.arn()),
		LastStatus:        aws.String(last),
		DesiredStatus:     aws.String(desired),
		CreatedAt:         aws.Time(t.createdAt),
		Cpu:               t.td.def.Cpu,
		Memory:            t.td.def.Memory,
		LaunchType:        t.launchType,
		Overrides:         t.overrides,
		Group:             aws.String(t.group),
		AvailabilityZone:  aws.String(f.opts.Region + "a"),
		PlatformVersion:   aws.String("1.4.0"),
		PlatformFamily:    aws.String("Linux"),
		HealthStatus:      ecstypes.HealthStatusUnknown,
		Tags:              t.tags,
		Version:           1,
		Connectivity:      ecstypes.ConnectivityConnected,
		ConnectivityAt:    aws.Time(t.createdAt),
	}
	if v.Overrides == nil {
		v.Overrides = &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{}}
	}
	if t.startedBy != "" {
		v.StartedBy = aws.String(t.startedBy)
	}
	if t.launchType == "" {
		v.LaunchType = ""
	}
	if !t.runningAt.IsZero() && !now.Before(t.runningAt) {
		v.PullStartedAt = aws.Time(t.pendingAt)
		v.PullStoppedAt = aws.Time(t.runningAt)
		v.StartedAt = aws.Time(t.runningAt)
	}
	stopped := last == "STOPPED"
	if stopped {
		v.StopCode = t.stopCode
		v.StoppedReason = aws.String(t.stopped)
		v.StoppingAt = aws.Time(t.stopAt)
		v.StoppedAt = aws.Time(t.stopAt)
		v.ExecutionStoppedAt = aws.Time(t.stopAt)
		v.Version = 3
	} else if last == "RUNNING" {
		v.Version = 2
	}
	v.Attachments = []ecstypes.Attachment{{
		Id:     aws.String(t.id[:8] + "-eni"),
		Type:   aws.String("ElasticNetworkInterface"),
		Status: aws.String(map[bool]string{true: "DELETED", false: "ATTACHED"}[stopped]),
		Details: []ecstypes.KeyValuePair{
			{Name: aws.String("privateIPv4Address"), Value: aws.String(t.ip)},
		},
	}}
	for _, c := range t.td.def.ContainerDefinitions {
		name := aws.ToString(c.Name)
		cv := ecstypes.Container{
			ContainerArn: aws.String(f.arn("ecs", "container/"+t.cluster.name+"/"+t.id+"/"+name)),
			TaskArn:      aws.String(t.arn),
			Name:         aws.String(name),
			Image:        c.Image,
			LastStatus:   aws.String(last),
			HealthStatus: ecstypes.HealthStatusUnknown,
			NetworkInterfaces: []ecstypes.NetworkInterface{{
				AttachmentId:       aws.String(t.id[:8] + "-eni"),
				PrivateIpv4Address: aws.String(t.ip),
			}},
		}
		if last == "PROVISIONING" {
			cv.LastStatus = aws.String("PENDING")
		}
		if c.Cpu != 0 {
			cv.Cpu = aws.String(fmt.Sprint(c.Cpu))
		}
		if c.Memory != nil {
			cv.Memory = aws.String(fmt.Sprint(*c.Memory))
		}
		if stopped {
			if code, ok := t.exitCodes[name]; ok {
				cv.ExitCode = aws.Int32(code)
			} else if t.containerReason != "" {
				cv.Reason = aws.String(t.containerReason)
			}
		}
		v.Containers = append(v.Containers, cv)
	}
	return v
}

func (f *Fake) findTask(c *cluster, ref string) *task {
	for _, t := range f.tasks {
		if t.cluster == c && (t.arn == ref || t.id == ref) {
			return t
		}
	}
	return nil
}

// runResult is what a RunTask call produced, kept per client token with
// the request's parameters: ECS answers a retry with the same token and the
// same parameters with the original tasks, and one with other parameters
// with ConflictException.
type runResult struct {
	tasks    []*task
	failures []ecstypes.Failure
	params   string
}

// maxClientToken is the longest RunTask client token ECS accepts: up to 64
// ASCII characters in the range 33–126 (ECS API reference, "Ensuring
// idempotency"). moto 5.2.1 ignores the token altogether.
const maxClientToken = 64

func validClientToken(tok string) bool {
	if len(tok) > maxClientToken {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < 33 || tok[i] > 126 {
			return false
		}
	}
	return true
}

// runParams is the fingerprint of a RunTask request's parameters that a
// retry with the same client token must repeat (the region and zone aside).
func runParams(in *ecs.RunTaskInput, td *taskDef, c *cluster) string {
	in2 := *in
	in2.ClientToken = nil
	in2.Cluster = aws.String(c.arn)
	in2.TaskDefinition = aws.String(td.arn())
	b, _ := json.Marshal(&in2)
	return string(b)
}

func opRunTask(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.RunTaskInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("cluster", aws.ToString(in.Cluster))
	r.param("taskDefinition", aws.ToString(in.TaskDefinition))
	r.param("clientToken", aws.ToString(in.ClientToken))
	r.param("startedBy", aws.ToString(in.StartedBy))
	if in.Overrides != nil {
		for _, o := range in.Overrides.ContainerOverrides {
			if o.Command != nil {
				r.param("command", joinCommand(o.Command))
				break
			}
		}
	}
	c, err := f.findCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.TaskDefinition == nil || *in.TaskDefinition == "" {
		return nil, errf("ClientException", "TaskDefinition cannot be empty.")
	}
	td := f.findTaskDef(*in.TaskDefinition)
	if td == nil {
		return nil, errf("ClientException", "TaskDefinition not found.")
	}
	if td.def.Status != ecstypes.TaskDefinitionStatusActive {
		return nil, errf("ClientException", "TaskDefinition is inactive")
	}
	count := int32(1)
	if in.Count != nil {
		count = *in.Count
	}
	if count < 1 || count > 10 {
		return nil, errf("InvalidParameterException", "Count must be between 1 and 10.")
	}
	if td.def.NetworkMode == ecstypes.NetworkModeAwsvpc && (in.NetworkConfiguration == nil || in.NetworkConfiguration.AwsvpcConfiguration == nil) {
		return nil, errf("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
	}
	if in.Overrides != nil {
		for _, o := range in.Overrides.ContainerOverrides {
			if !slices.ContainsFunc(td.def.ContainerDefinitions, func(c ecstypes.ContainerDefinition) bool {
				return aws.ToString(c.Name) == aws.ToString(o.Name)
			}) {
				return nil, errf("InvalidParameterException", "Override for container named %s is not a container in the TaskDefinition.", aws.ToString(o.Name))
			}
		}
	}

	tokenKey, params := "", runParams(&in, td, c)
	if tok := aws.ToString(in.ClientToken); tok != "" {
		if !validClientToken(tok) {
			return nil, errf("InvalidParameterException", "clientToken must be at most %d ASCII characters in the range 33-126.", maxClientToken)
		}
		tokenKey = c.arn + "\x00" + tok
		if prev, ok := f.tokens[tokenKey]; ok {
			if prev.params != params {
				return nil, errf("ConflictException", "The request could not be processed because of conflict in the current state of the resource: client token %s was used with other parameters.", tok)
			}
			out := &ecs.RunTaskOutput{Failures: prev.failures}
			for _, t := range prev.tasks {
				out.Tasks = append(out.Tasks, f.taskView(t, now))
			}
			return out, nil
		}
	}

	first := td.def.ContainerDefinitions[0]
	command := first.Command
	if in.Overrides != nil {
		for _, o := range in.Overrides.ContainerOverrides {
			if aws.ToString(o.Name) == aws.ToString(first.Name) && o.Command != nil {
				command = o.Command
			}
		}
	}
	run := TaskRun{
		Cluster:        c.arn,
		TaskDefinition: td.arn(),
		Family:         aws.ToString(td.def.Family),
		Container:      aws.ToString(first.Name),
		Image:          aws.ToString(first.Image),
		Command:        slices.Clone(command),
		StartedBy:      aws.ToString(in.StartedBy),
		ClientToken:    aws.ToString(in.ClientToken),
	}
	res := &runResult{params: params}
	for range count {
		o := f.outcomeOf(run)
		if o.PlacementFailure != "" {
			res.failures = append(res.failures, ecstypes.Failure{Arn: aws.String(c.arn), Reason: aws.String(o.PlacementFailure)})
			continue
		}
		t := f.newTask(c, td, now)
		t.overrides = in.Overrides
		t.startedBy = aws.ToString(in.StartedBy)
		t.group = aws.ToString(in.Group)
		if t.group == "" {
			t.group = "family:" + aws.ToString(td.def.Family)
		}
		if in.LaunchType != "" {
			t.launchType = in.LaunchType
		}
		t.network = in.NetworkConfiguration
		t.tags = in.Tags
		f.planOneOff(t, o)
		res.tasks = append(res.tasks, t)
	}
	if tokenKey != "" {
		f.tokens[tokenKey] = res
	}
	out := &ecs.RunTaskOutput{Failures: res.failures}
	for _, t := range res.tasks {
		out.Tasks = append(out.Tasks, f.taskView(t, now))
	}
	if out.Failures == nil {
		out.Failures = []ecstypes.Failure{}
	}
	return out, nil
}

// planOneOff plans a one-off task's life from its outcome. f.mu held.
func (f *Fake) planOneOff(t *task, o TaskOutcome) {
	start := t.createdAt.Add(f.opts.TaskStartDuration)
	first := t.td.def.ContainerDefinitions[0]
	if o.FailToStart {
		reason := startFailureReason(o.StartFailureReason, aws.ToString(first.Image))
		t.stopAt = start
		t.stopCode = ecstypes.TaskStopCodeTaskFailedToStart
		t.stopped = reason
		t.containerReason = reason
		return
	}
	run := o.RunTime
	if run <= 0 {
		run = f.opts.TaskRunTime
	}
	t.runningAt = start
	t.stopAt = start.Add(run)
	t.stopCode = ecstypes.TaskStopCodeEssentialContainerExited
	t.stopped = "Essential container in task exited"
	t.exitCodes = map[string]int32{}
	for _, c := range t.td.def.ContainerDefinitions {
		name := aws.ToString(c.Name)
		code, ok := o.ExitCodes[name]
		if !ok {
			code = o.ExitCode
		}
		t.exitCodes[name] = code
	}
	if group, stream, ok := awslogs(first, t.id); ok {
		t.logGroup, t.logStream = group, stream
		step := run / time.Duration(len(o.Logs)+1)
		for i, line := range o.Logs {
			t.logs = append(t.logs, logLine{at: start.Add(step * time.Duration(i+1)), msg: line})
		}
	}
}

func opDescribeTasks(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.DescribeTasksInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("cluster", aws.ToString(in.Cluster))
	r.param("tasks", strings.Join(in.Tasks, " "))
	c, err := f.findCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Tasks) == 0 {
		return nil, errf("InvalidParameterException", "Tasks cannot be empty.")
	}
	if len(in.Tasks) > 100 {
		return nil, errf("InvalidParameterException", "Tasks can have at most 100 items.")
	}
	out := &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{}, Failures: []ecstypes.Failure{}}
	for _, ref := range in.Tasks {
		t := f.findTask(c, ref)
		if t == nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = f.arn("ecs", "task/"+c.name+"/"+ref)
			}
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.Tasks = append(out.Tasks, f.taskView(t, now))
	}
	return out, nil
}

func opListTasks(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.ListTasksInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("cluster", aws.ToString(in.Cluster))
	r.param("serviceName", aws.ToString(in.ServiceName))
	r.param("family", aws.ToString(in.Family))
	r.param("startedBy", aws.ToString(in.StartedBy))
	c, err := f.findCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	want := in.DesiredStatus
	if want == "" {
		want = ecstypes.DesiredStatusRunning
	}
	var svc *service
	if in.ServiceName != nil {
		if svc = f.findService(c, *in.ServiceName); svc == nil {
			return nil, errf("ServiceNotFoundException", "Service not found.")
		}
	}
	var arns []string
	for _, t := range f.tasks {
		if t.cluster != c {
			continue
		}
		if _, desired := t.status(now); desired != string(want) {
			continue
		}
		if svc != nil && (t.dep == nil || t.dep.svc != svc) {
			continue
		}
		if in.Family != nil && aws.ToString(t.td.def.Family) != *in.Family {
			continue
		}
		if in.StartedBy != nil && t.startedBy != *in.StartedBy {
			continue
		}
		arns = append(arns, t.arn)
	}
	page, next, err := paginate(arns, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &ecs.ListTasksOutput{TaskArns: page, NextToken: next}, nil
}

func opStopTask(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.StopTaskInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("cluster", aws.ToString(in.Cluster))
	r.param("task", aws.ToString(in.Task))
	c, err := f.findCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	t := f.findTask(c, aws.ToString(in.Task))
	if t == nil {
		return nil, errf("InvalidParameterException", "The referenced task was not found.")
	}
	reason := aws.ToString(in.Reason)
	if reason == "" {
		reason = "Task stopped by user"
	}
	t.stop(now, ecstypes.TaskStopCodeUserInitiated, reason, 143)
	return &ecs.StopTaskOutput{Task: ptr(f.taskView(t, now))}, nil
}

func ptr[T any](v T) *T { return &v }
