package ecsfake

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

type cluster struct {
	name, arn string
	createdAt time.Time
}

// service is an ECS service with the ECS deployment controller (rolling
// update). Its deployments are newest first: deployments[0] is PRIMARY.
type service struct {
	cluster       *cluster
	name, arn     string
	createdAt     time.Time
	desired       int32
	launchType    ecstypes.LaunchType
	capacity      []ecstypes.CapacityProviderStrategyItem
	network       *ecstypes.NetworkConfiguration
	conf          ecstypes.DeploymentConfiguration
	loadBalancers []ecstypes.LoadBalancer
	grace         *int32
	tags          []ecstypes.Tag

	deployments []*deployment
	events      []ecstypes.ServiceEvent // newest first, at most maxEvents
	// stable is the last deployment that completed: what the circuit
	// breaker rolls back to.
	stable    *taskDef
	stableRev *serviceRevision
	sds       []*serviceDeployment // oldest first
	revisions []*serviceRevision
}

// deployment is one entry of a service's deployments array (ecs-svc/…).
type deployment struct {
	svc       *service
	id        string
	td        *taskDef
	desired   int32
	failed    int32
	createdAt time.Time
	updatedAt time.Time
	rollout   ecstypes.DeploymentRolloutState
	reason    string
	// fails: the task definition's image fails to start, decided at launch.
	fails      bool
	failReason string
	attempts   int
	rollback   bool // launched by the circuit breaker to roll back
	sd         *serviceDeployment
	rev        *serviceRevision
	tasks      []*task
}

// serviceDeployment is one entry of the service-deployments API: an
// UpdateService (or CreateService) and its outcome, rollback included.
type serviceDeployment struct {
	arn        string
	svc        *service
	target     *serviceRevision
	sources    []*serviceRevision
	status     ecstypes.ServiceDeploymentStatus
	reason     string
	createdAt  time.Time
	updatedAt  time.Time
	finishedAt time.Time
	stoppedAt  time.Time
	conf       ecstypes.DeploymentConfiguration
	failures   int32
	threshold  int32
	triggered  bool
	rollback   *ecstypes.Rollback
}

// serviceRevision is the service's configuration one deployment rolls out.
type serviceRevision struct {
	arn       string
	svc       *service
	td        *taskDef
	createdAt time.Time
}

const maxEvents = 100

// CircuitBreaker is a service's deployment circuit breaker; the zero value is
// off, as for a service created without one.
type CircuitBreaker struct {
	Enable, Rollback bool
}

// ServiceSpec seeds a service with AddService.
type ServiceSpec struct {
	Cluster string // cluster name; created when missing
	Name    string
	// TaskDefinition is a registered family, family:revision or ARN.
	TaskDefinition string
	DesiredCount   int32
	CircuitBreaker CircuitBreaker
	// LoadBalancers attach the service's tasks to target groups (see
	// AddTargetGroup): its running tasks are their targets.
	LoadBalancers []ecstypes.LoadBalancer
	// NetworkConfiguration defaults to one private subnet and security group.
	NetworkConfiguration *ecstypes.NetworkConfiguration
}

// CreateCluster creates a cluster (idempotent) and returns its ARN.
func (f *Fake) CreateCluster(name string) string {
	now := f.lock()
	defer f.mu.Unlock()
	return f.createCluster(name, now).arn
}

func (f *Fake) createCluster(name string, now time.Time) *cluster {
	if c, ok := f.clusters[name]; ok {
		return c
	}
	c := &cluster{name: name, arn: f.arn("ecs", "cluster/"+name), createdAt: now}
	f.clusters[name] = c
	return c
}

// AddService seeds a service that is already steady: one COMPLETED
// deployment on its task definition with DesiredCount tasks running. It
// returns the service ARN.
func (f *Fake) AddService(spec ServiceSpec) (string, error) {
	now := f.lock()
	defer f.mu.Unlock()
	c := f.createCluster(spec.Cluster, now)
	network := spec.NetworkConfiguration
	if network == nil {
		network = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets:        []string{"subnet-0private0000000a"},
			SecurityGroups: []string{"sg-0ecs000000000000a"},
			AssignPublicIp: ecstypes.AssignPublicIpDisabled,
		}}
	}
	s, err := f.createService(c, &ecs.CreateServiceInput{
		ServiceName:          aws.String(spec.Name),
		TaskDefinition:       aws.String(spec.TaskDefinition),
		DesiredCount:         aws.Int32(spec.DesiredCount),
		LaunchType:           ecstypes.LaunchTypeFargate,
		LoadBalancers:        spec.LoadBalancers,
		NetworkConfiguration: network,
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: spec.CircuitBreaker.Enable, Rollback: spec.CircuitBreaker.Rollback},
		},
	}, now, true)
	if err != nil {
		return "", fmt.Errorf("add service %s: %w", spec.Name, err)
	}
	return s.arn, nil
}

func (f *Fake) findCluster(ref *string) (*cluster, error) {
	name := aws.ToString(ref)
	if name == "" {
		name = "default"
	}
	if _, after, ok := strings.Cut(name, ":cluster/"); ok {
		name = after
	}
	c, ok := f.clusters[name]
	if !ok {
		return nil, errf("ClusterNotFoundException", "Cluster not found.")
	}
	return c, nil
}

func (f *Fake) findService(c *cluster, ref string) *service {
	for _, s := range f.services {
		if s.cluster == c && (s.name == ref || s.arn == ref) {
			return s
		}
	}
	return nil
}

func (f *Fake) serviceArg(cl *string, svc string) (*service, error) {
	c, err := f.findCluster(cl)
	if err != nil {
		return nil, err
	}
	s := f.findService(c, svc)
	if s == nil {
		return nil, errf("ServiceNotFoundException", "Service not found.")
	}
	return s, nil
}

// createService creates a service; steady seeds it with its first
// deployment already completed. f.mu held.
func (f *Fake) createService(c *cluster, in *ecs.CreateServiceInput, now time.Time, steady bool) (*service, error) {
	name := aws.ToString(in.ServiceName)
	if name == "" {
		return nil, errf("InvalidParameterException", "serviceName can not be blank.")
	}
	if f.findService(c, name) != nil {
		return nil, errf("InvalidParameterException", "Creation of service was not idempotent.")
	}
	if in.TaskDefinition == nil {
		return nil, errf("InvalidParameterException", "TaskDefinition must be specified.")
	}
	td := f.findTaskDef(*in.TaskDefinition)
	if td == nil {
		return nil, errf("ClientException", "TaskDefinition not found.")
	}
	desired := aws.ToInt32(in.DesiredCount)
	if desired < 0 {
		return nil, errf("InvalidParameterException", "Desired count cannot be negative.")
	}
	for _, lb := range in.LoadBalancers {
		if f.findTargetGroup(aws.ToString(lb.TargetGroupArn)) == nil {
			return nil, errf("InvalidParameterException", "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.")
		}
	}
	s := &service{
		cluster:       c,
		name:          name,
		arn:           f.arn("ecs", "service/"+c.name+"/"+name),
		createdAt:     now,
		desired:       desired,
		launchType:    in.LaunchType,
		capacity:      in.CapacityProviderStrategy,
		network:       in.NetworkConfiguration,
		loadBalancers: in.LoadBalancers,
		grace:         in.HealthCheckGracePeriodSeconds,
		tags:          in.Tags,
		conf: ecstypes.DeploymentConfiguration{
			MaximumPercent:           aws.Int32(200),
			MinimumHealthyPercent:    aws.Int32(100),
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{},
		},
	}
	if s.launchType == "" && len(s.capacity) == 0 {
		s.launchType = ecstypes.LaunchTypeEc2
	}
	mergeDeploymentConfiguration(&s.conf, in.DeploymentConfiguration)
	f.services = append(f.services, s)
	d := f.startDeployment(s, td, now)
	if steady {
		for _, t := range d.tasks {
			t.runningAt = now
		}
		f.completeDeployment(s, d, now)
	}
	return s, nil
}

func mergeDeploymentConfiguration(dst, src *ecstypes.DeploymentConfiguration) {
	if src == nil {
		return
	}
	if src.DeploymentCircuitBreaker != nil {
		cb := *src.DeploymentCircuitBreaker
		dst.DeploymentCircuitBreaker = &cb
	}
	if src.MaximumPercent != nil {
		dst.MaximumPercent = src.MaximumPercent
	}
	if src.MinimumHealthyPercent != nil {
		dst.MinimumHealthyPercent = src.MinimumHealthyPercent
	}
	if src.Alarms != nil {
		dst.Alarms = src.Alarms
	}
}

func (s *service) breaker() ecstypes.DeploymentCircuitBreaker {
	if s.conf.DeploymentCircuitBreaker == nil {
		return ecstypes.DeploymentCircuitBreaker{}
	}
	return *s.conf.DeploymentCircuitBreaker
}

func (s *service) event(f *Fake, at time.Time, format string, args ...any) {
	id := f.newID()
	e := ecstypes.ServiceEvent{
		Id:        aws.String(id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]),
		CreatedAt: aws.Time(at),
		Message:   aws.String(fmt.Sprintf(format, args...)),
	}
	// Newest first; events of one transition keep their order.
	i := 0
	for i < len(s.events) && s.events[i].CreatedAt.After(at) {
		i++
	}
	s.events = slices.Insert(s.events, i, e)
	if len(s.events) > maxEvents {
		s.events = s.events[:maxEvents]
	}
}

// threshold is the number of failed tasks that trips the circuit breaker.
func (f *Fake) threshold(desired int32) int32 {
	if f.opts.CircuitBreakerThreshold > 0 {
		return f.opts.CircuitBreakerThreshold
	}
	return min(max((desired+1)/2, 3), 200)
}

// startDeployment makes a new PRIMARY deployment of td, with its service
// revision and service deployment. f.mu held.
func (f *Fake) startDeployment(s *service, td *taskDef, now time.Time) *deployment {
	rev := &serviceRevision{
		arn:       f.arn("ecs", fmt.Sprintf("service-revision/%s/%s/%d", s.cluster.name, s.name, f.rng.Uint64()%1e19)),
		svc:       s,
		td:        td,
		createdAt: now,
	}
	s.revisions = append(s.revisions, rev)
	sd := &serviceDeployment{
		arn:       f.arn("ecs", fmt.Sprintf("service-deployment/%s/%s/%s", s.cluster.name, s.name, f.newID()[:22])),
		svc:       s,
		target:    rev,
		status:    ecstypes.ServiceDeploymentStatusInProgress,
		createdAt: now,
		updatedAt: now,
		conf:      s.conf,
		threshold: f.threshold(s.desired),
	}
	for _, d := range s.deployments {
		if !slices.Contains(sd.sources, d.rev) && d.runningCount(now) > 0 {
			sd.sources = append(sd.sources, d.rev)
		}
		if d.sd.status == ecstypes.ServiceDeploymentStatusInProgress || d.sd.status == ecstypes.ServiceDeploymentStatusPending {
			d.sd.status = ecstypes.ServiceDeploymentStatusStopped
			d.sd.reason = "Service deployment stopped because a new service deployment started."
			d.sd.stoppedAt, d.sd.finishedAt, d.sd.updatedAt = now, now, now
		}
	}
	s.sds = append(s.sds, sd)
	return f.launchDeployment(s, td, rev, sd, now, false)
}

// launchDeployment puts a deployment of td in front of the service's
// deployments and launches its first tasks. f.mu held.
func (f *Fake) launchDeployment(s *service, td *taskDef, rev *serviceRevision, sd *serviceDeployment, now time.Time, rollback bool) *deployment {
	d := &deployment{
		svc:       s,
		id:        fmt.Sprintf("ecs-svc/%019d", f.rng.Uint64()%1e19),
		td:        td,
		desired:   s.desired,
		createdAt: now,
		updatedAt: now,
		rollout:   ecstypes.DeploymentRolloutStateInProgress,
		rollback:  rollback,
		sd:        sd,
		rev:       rev,
	}
	d.reason = "ECS deployment " + d.id + " in progress."
	for _, c := range td.def.ContainerDefinitions {
		if b := f.behaviourOf(aws.ToString(c.Image)); b.FailToStart {
			d.fails = true
			d.failReason = startFailureReason(b.StartFailureReason, aws.ToString(c.Image))
			break
		}
	}
	s.deployments = slices.Insert(s.deployments, 0, d)
	f.launchTasks(s, d, d.desired, now)
	return d
}

// launchTasks starts n tasks of d at now: they reach RUNNING after
// TaskStartDuration (capped by the rollout duration), or stop failing to
// start. f.mu held.
func (f *Fake) launchTasks(s *service, d *deployment, n int32, now time.Time) {
	if n <= 0 {
		return
	}
	var ids []string
	for range n {
		t := f.newTask(s.cluster, d.td, now)
		t.dep = d
		t.startedBy = d.id
		t.group = "service:" + s.name
		t.launchType = s.launchType
		t.network = s.network
		if d.fails {
			t.stopAt = now.Add(f.opts.TaskStartDuration)
			t.stopCode = ecstypes.TaskStopCodeTaskFailedToStart
			t.stopped = d.failReason
			t.containerReason = d.failReason
		} else {
			t.runningAt = now.Add(min(f.opts.TaskStartDuration, f.opts.RolloutDuration))
		}
		d.tasks = append(d.tasks, t)
		ids = append(ids, "(task "+t.id+")")
	}
	s.event(f, now, "(service %s) has started %d tasks: %s.", s.name, n, strings.Join(ids, " "))
}

func (d *deployment) runningCount(now time.Time) int32 {
	var n int32
	for _, t := range d.tasks {
		if t.running(now) {
			n++
		}
	}
	return n
}

func (d *deployment) pendingCount(now time.Time) int32 {
	var n int32
	for _, t := range d.tasks {
		if t.pending(now) {
			n++
		}
	}
	return n
}

// settleService applies the service's transitions due by now, in time
// order. Only the PRIMARY deployment moves; the others wait for it.
// f.mu held.
func (f *Fake) settleService(s *service, now time.Time) {
	// Bounded: a failing deployment with the breaker off makes one attempt
	// per TaskStartDuration forever; a test that jumps days ahead should
	// not hang here.
	for range 10000 {
		d := s.deployments[0]
		if d.rollout != ecstypes.DeploymentRolloutStateInProgress {
			return
		}
		if d.fails {
			at := d.createdAt.Add(time.Duration(d.attempts+1) * f.opts.TaskStartDuration)
			if at.After(now) {
				return
			}
			f.failAttempt(s, d, at)
			continue
		}
		at := d.createdAt.Add(f.opts.RolloutDuration)
		if at.After(now) {
			return
		}
		f.completeDeployment(s, d, at)
	}
}

// failAttempt: the tasks of d's latest launch attempt failed to start at
// `at`. The circuit breaker may trip; otherwise ECS tries again. f.mu held.
func (f *Fake) failAttempt(s *service, d *deployment, at time.Time) {
	d.attempts++
	d.failed += d.desired
	d.updatedAt = at
	d.sd.failures = d.failed
	d.sd.updatedAt = at
	s.event(f, at, "(service %s) (deployment %s) %d tasks failed to start: %s", s.name, d.id, d.desired, d.failReason)
	cb := s.breaker()
	if cb.Enable && d.failed >= d.sd.threshold {
		d.rollout = ecstypes.DeploymentRolloutStateFailed
		d.reason = "ECS deployment circuit breaker: tasks failed to start."
		d.sd.triggered = true
		s.event(f, at, "(service %s) (deployment %s) deployment failed: tasks failed to start.", s.name, d.id)
		switch {
		case d.rollback:
			d.sd.status = ecstypes.ServiceDeploymentStatusRollbackFailed
			d.sd.reason = "Service deployment rollback failed: tasks failed to start."
			d.sd.finishedAt = at
		case cb.Rollback && s.stable != nil:
			d.sd.status = ecstypes.ServiceDeploymentStatusRollbackInProgress
			d.sd.reason = "Service deployment rolling back because the circuit breaker threshold was exceeded."
			d.sd.rollback = &ecstypes.Rollback{
				Reason:             aws.String("Service deployment rolled back because the circuit breaker threshold was exceeded."),
				StartedAt:          aws.Time(at),
				ServiceRevisionArn: aws.String(s.stableRev.arn),
			}
			r := f.launchDeployment(s, s.stable, s.stableRev, d.sd, at, true)
			s.event(f, at, "(service %s) rolling back to deployment %s.", s.name, r.id)
		default:
			d.sd.status = ecstypes.ServiceDeploymentStatusStopped
			d.sd.reason = "Service deployment stopped because the circuit breaker threshold was exceeded."
			d.sd.stoppedAt, d.sd.finishedAt = at, at
		}
		return
	}
	// ECS repeats this while the service keeps failing; every tenth attempt
	// keeps it within the last 100 events.
	if d.attempts%10 == 2 {
		s.event(f, at, "(service %s) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.", s.name)
	}
	f.launchTasks(s, d, d.desired, at)
}

// completeDeployment: d reached its desired count of healthy tasks at `at`;
// the other deployments are drained. f.mu held.
func (f *Fake) completeDeployment(s *service, d *deployment, at time.Time) {
	d.rollout = ecstypes.DeploymentRolloutStateCompleted
	d.reason = "ECS deployment " + d.id + " completed."
	d.updatedAt = at
	var stopped []string
	for _, old := range s.deployments[1:] {
		for _, t := range old.tasks {
			if t.stopAt.IsZero() || t.stopAt.After(at) {
				if t.running(at) {
					stopped = append(stopped, "(task "+t.id+")")
				}
				t.stop(at, ecstypes.TaskStopCodeServiceSchedulerInitiated, "Scaling activity initiated by (deployment "+d.id+")", 0)
			}
		}
	}
	s.deployments = s.deployments[:1]
	s.stable, s.stableRev = d.td, d.rev
	if len(stopped) > 0 {
		s.event(f, at, "(service %s) has stopped %d running tasks: %s.", s.name, len(stopped), strings.Join(stopped, " "))
	}
	s.event(f, at, "(service %s) (deployment %s) deployment completed.", s.name, d.id)
	s.event(f, at, "(service %s) has reached a steady state.", s.name)
	if d.rollback {
		d.sd.status = ecstypes.ServiceDeploymentStatusRollbackSuccessful
		d.sd.reason = "Service deployment rolled back successfully."
	} else {
		d.sd.status = ecstypes.ServiceDeploymentStatusSuccessful
		d.sd.reason = ""
	}
	d.sd.finishedAt, d.sd.updatedAt = at, at
}

// scale changes the desired count of a service at now. f.mu held.
func (f *Fake) scale(s *service, desired int32, now time.Time) {
	s.desired = desired
	d := s.deployments[0]
	d.desired = desired
	if d.rollout != ecstypes.DeploymentRolloutStateCompleted {
		return
	}
	var live []*task
	for _, t := range d.tasks {
		if t.stopAt.IsZero() || t.stopAt.After(now) {
			live = append(live, t)
		}
	}
	if n := desired - int32(len(live)); n > 0 {
		f.launchTasks(s, d, n, now)
	} else if n < 0 {
		for _, t := range live[desired:] {
			t.stop(now, ecstypes.TaskStopCodeServiceSchedulerInitiated, "Service "+s.name+" scaled in", 0)
		}
		s.event(f, now, "(service %s) has stopped %d running tasks.", s.name, -n)
	}
}

func (f *Fake) serviceView(s *service, now time.Time) ecstypes.Service {
	v := ecstypes.Service{
		ServiceArn:                    aws.String(s.arn),
		ServiceName:                   aws.String(s.name),
		ClusterArn:                    aws.String(s.cluster.arn),
		Status:                        aws.String("ACTIVE"),
		DesiredCount:                  s.desired,
		LaunchType:                    s.launchType,
		CapacityProviderStrategy:      s.capacity,
		TaskDefinition:                aws.String(s.deployments[0].td.arn()),
		LoadBalancers:                 s.loadBalancers,
		NetworkConfiguration:          s.network,
		DeploymentConfiguration:       ptr(s.conf),
		DeploymentController:          &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeEcs},
		HealthCheckGracePeriodSeconds: s.grace,
		CreatedAt:                     aws.Time(s.createdAt),
		CreatedBy:                     aws.String("arn:aws:iam::" + f.opts.AccountID + ":role/ecsfake"),
		SchedulingStrategy:            ecstypes.SchedulingStrategyReplica,
		PlatformVersion:               aws.String("LATEST"),
		PlatformFamily:                aws.String("Linux"),
		Events:                        slices.Clone(s.events),
		Tags:                          s.tags,
	}
	if v.Events == nil {
		v.Events = []ecstypes.ServiceEvent{}
	}
	if !f.opts.NoServiceDeployments && len(s.sds) > 0 {
		v.CurrentServiceDeployment = aws.String(s.sds[len(s.sds)-1].arn)
	}
	for i, d := range s.deployments {
		status := "ACTIVE"
		if i == 0 {
			status = "PRIMARY"
		}
		running, pending := d.runningCount(now), d.pendingCount(now)
		v.RunningCount += running
		v.PendingCount += pending
		v.Deployments = append(v.Deployments, ecstypes.Deployment{
			Id:                       aws.String(d.id),
			Status:                   aws.String(status),
			TaskDefinition:           aws.String(d.td.arn()),
			DesiredCount:             d.desired,
			RunningCount:             running,
			PendingCount:             pending,
			FailedTasks:              d.failed,
			CreatedAt:                aws.Time(d.createdAt),
			UpdatedAt:                aws.Time(d.updatedAt),
			LaunchType:               s.launchType,
			CapacityProviderStrategy: s.capacity,
			NetworkConfiguration:     s.network,
			PlatformVersion:          aws.String("1.4.0"),
			PlatformFamily:           aws.String("Linux"),
			RolloutState:             d.rollout,
			RolloutStateReason:       aws.String(d.reason),
		})
	}
	return v
}

func opCreateCluster(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.CreateClusterInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	name := aws.ToString(in.ClusterName)
	if name == "" {
		name = "default"
	}
	r.param("cluster", name)
	c := f.createCluster(name, now)
	return &ecs.CreateClusterOutput{Cluster: &ecstypes.Cluster{
		ClusterArn:  aws.String(c.arn),
		ClusterName: aws.String(c.name),
		Status:      aws.String("ACTIVE"),
	}}, nil
}

func opCreateService(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.CreateServiceInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("cluster", aws.ToString(in.Cluster))
	r.param("service", aws.ToString(in.ServiceName))
	r.param("taskDefinition", aws.ToString(in.TaskDefinition))
	c, err := f.findCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	s, err := f.createService(c, &in, now, false)
	if err != nil {
		return nil, err
	}
	return &ecs.CreateServiceOutput{Service: ptr(f.serviceView(s, now))}, nil
}

func opDescribeServices(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.DescribeServicesInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("cluster", aws.ToString(in.Cluster))
	r.param("services", strings.Join(in.Services, " "))
	c, err := f.findCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Services) == 0 || len(in.Services) > 10 {
		return nil, errf("InvalidParameterException", "services must contain between 1 and 10 items.")
	}
	out := &ecs.DescribeServicesOutput{Services: []ecstypes.Service{}, Failures: []ecstypes.Failure{}}
	for _, ref := range in.Services {
		s := f.findService(c, ref)
		if s == nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = f.arn("ecs", "service/"+c.name+"/"+ref)
			}
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.Services = append(out.Services, f.serviceView(s, now))
	}
	return out, nil
}

func opUpdateService(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.UpdateServiceInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("cluster", aws.ToString(in.Cluster))
	r.param("service", aws.ToString(in.Service))
	r.param("taskDefinition", aws.ToString(in.TaskDefinition))
	if in.ForceNewDeployment {
		r.param("forceNewDeployment", "true")
	}
	if in.DesiredCount != nil {
		r.param("desiredCount", fmt.Sprint(*in.DesiredCount))
	}
	s, err := f.serviceArg(in.Cluster, aws.ToString(in.Service))
	if err != nil {
		return nil, err
	}
	var td *taskDef
	if in.TaskDefinition != nil {
		if td = f.findTaskDef(*in.TaskDefinition); td == nil {
			return nil, errf("ClientException", "TaskDefinition not found.")
		}
		if td.def.Status != ecstypes.TaskDefinitionStatusActive {
			return nil, errf("ClientException", "TaskDefinition is inactive")
		}
	}
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return nil, errf("InvalidParameterException", "Desired count cannot be negative.")
	}
	mergeDeploymentConfiguration(&s.conf, in.DeploymentConfiguration)
	if in.NetworkConfiguration != nil {
		s.network = in.NetworkConfiguration
	}
	if in.LoadBalancers != nil {
		s.loadBalancers = in.LoadBalancers
	}
	if in.HealthCheckGracePeriodSeconds != nil {
		s.grace = in.HealthCheckGracePeriodSeconds
	}
	if in.DesiredCount != nil {
		f.scale(s, *in.DesiredCount, now)
	}
	primary := s.deployments[0]
	if (td != nil && td != primary.td) || in.ForceNewDeployment {
		if td == nil {
			td = primary.td
		}
		f.startDeployment(s, td, now)
	}
	return &ecs.UpdateServiceOutput{Service: ptr(f.serviceView(s, now))}, nil
}
