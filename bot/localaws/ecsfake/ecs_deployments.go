package ecsfake

import (
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// The service-deployments API (ListServiceDeployments,
// DescribeServiceDeployments, DescribeServiceRevisions): one service
// deployment per UpdateService that starts a deployment. A circuit-breaker
// rollback does not start a new one: the failed service deployment goes
// ROLLBACK_IN_PROGRESS → ROLLBACK_SUCCESSFUL, as on ECS.

func (f *Fake) revisionSummary(rev *serviceRevision, requested int32, now time.Time) *ecstypes.ServiceRevisionSummary {
	sum := &ecstypes.ServiceRevisionSummary{Arn: aws.String(rev.arn), RequestedTaskCount: requested}
	for _, d := range rev.svc.deployments {
		if d.rev == rev {
			sum.RunningTaskCount += d.runningCount(now)
			sum.PendingTaskCount += d.pendingCount(now)
		}
	}
	return sum
}

func (f *Fake) serviceDeploymentView(sd *serviceDeployment, now time.Time) ecstypes.ServiceDeployment {
	v := ecstypes.ServiceDeployment{
		ServiceDeploymentArn:    aws.String(sd.arn),
		ServiceArn:              aws.String(sd.svc.arn),
		ClusterArn:              aws.String(sd.svc.cluster.arn),
		CreatedAt:               aws.Time(sd.createdAt),
		StartedAt:               aws.Time(sd.createdAt),
		UpdatedAt:               aws.Time(sd.updatedAt),
		Status:                  sd.status,
		TargetServiceRevision:   f.revisionSummary(sd.target, sd.svc.desired, now),
		DeploymentConfiguration: ptr(sd.conf),
		Rollback:                sd.rollback,
	}
	if sd.reason != "" {
		v.StatusReason = aws.String(sd.reason)
	}
	if !sd.finishedAt.IsZero() {
		v.FinishedAt = aws.Time(sd.finishedAt)
	}
	if !sd.stoppedAt.IsZero() {
		v.StoppedAt = aws.Time(sd.stoppedAt)
	}
	for _, src := range sd.sources {
		v.SourceServiceRevisions = append(v.SourceServiceRevisions, *f.revisionSummary(src, 0, now))
	}
	cb := &ecstypes.ServiceDeploymentCircuitBreaker{
		Status:       ecstypes.ServiceDeploymentRollbackMonitorsStatusDisabled,
		FailureCount: sd.failures,
		Threshold:    sd.threshold,
	}
	if sd.conf.DeploymentCircuitBreaker != nil && sd.conf.DeploymentCircuitBreaker.Enable {
		cb.Status = ecstypes.ServiceDeploymentRollbackMonitorsStatusMonitoring
		if sd.triggered {
			cb.Status = ecstypes.ServiceDeploymentRollbackMonitorsStatusTriggered
		} else if !sd.finishedAt.IsZero() {
			cb.Status = ecstypes.ServiceDeploymentRollbackMonitorsStatusMonitoringComplete
		}
	}
	v.DeploymentCircuitBreaker = cb
	return v
}

// listServiceDeploymentsInput is ListServiceDeploymentsInput as it travels:
// createdAt bounds are epoch seconds, which encoding/json cannot put in a
// time.Time.
type listServiceDeploymentsInput struct {
	Service   string
	Cluster   *string
	Status    []ecstypes.ServiceDeploymentStatus
	CreatedAt *struct {
		After, Before *float64
	}
	MaxResults *int32
	NextToken  *string
}

func opListServiceDeployments(f *Fake, r *request, _ time.Time) (smithy.Serializable, error) {
	var in listServiceDeploymentsInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("cluster", aws.ToString(in.Cluster))
	r.param("service", in.Service)
	if in.Service == "" {
		return nil, errf("InvalidParameterException", "service can not be blank.")
	}
	s, err := f.serviceArg(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	var briefs []ecstypes.ServiceDeploymentBrief
	for _, sd := range slices.Backward(s.sds) {
		if len(in.Status) > 0 && !slices.Contains(in.Status, sd.status) {
			continue
		}
		if ca := in.CreatedAt; ca != nil {
			at := float64(sd.createdAt.UnixMilli()) / 1000
			if (ca.After != nil && at < *ca.After) || (ca.Before != nil && at > *ca.Before) {
				continue
			}
		}
		b := ecstypes.ServiceDeploymentBrief{
			ServiceDeploymentArn:     aws.String(sd.arn),
			ServiceArn:               aws.String(s.arn),
			ClusterArn:               aws.String(s.cluster.arn),
			CreatedAt:                aws.Time(sd.createdAt),
			StartedAt:                aws.Time(sd.createdAt),
			Status:                   sd.status,
			TargetServiceRevisionArn: aws.String(sd.target.arn),
		}
		if sd.reason != "" {
			b.StatusReason = aws.String(sd.reason)
		}
		if !sd.finishedAt.IsZero() {
			b.FinishedAt = aws.Time(sd.finishedAt)
		}
		briefs = append(briefs, b)
	}
	page, next, err := paginate(briefs, in.NextToken, in.MaxResults, 20)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []ecstypes.ServiceDeploymentBrief{}
	}
	return &ecs.ListServiceDeploymentsOutput{ServiceDeployments: page, NextToken: next}, nil
}

func opDescribeServiceDeployments(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecs.DescribeServiceDeploymentsInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("serviceDeploymentArns", strings.Join(in.ServiceDeploymentArns, " "))
	if len(in.ServiceDeploymentArns) == 0 || len(in.ServiceDeploymentArns) > 20 {
		return nil, errf("InvalidParameterException", "serviceDeploymentArns must contain between 1 and 20 items.")
	}
	out := &ecs.DescribeServiceDeploymentsOutput{ServiceDeployments: []ecstypes.ServiceDeployment{}, Failures: []ecstypes.Failure{}}
	for _, arn := range in.ServiceDeploymentArns {
		sd := f.findServiceDeployment(arn)
		if sd == nil {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.ServiceDeployments = append(out.ServiceDeployments, f.serviceDeploymentView(sd, now))
	}
	return out, nil
}

func (f *Fake) findServiceDeployment(arn string) *serviceDeployment {
	for _, s := range f.services {
		for _, sd := range s.sds {
			if sd.arn == arn {
				return sd
			}
		}
	}
	return nil
}

func opDescribeServiceRevisions(f *Fake, r *request, _ time.Time) (smithy.Serializable, error) {
	var in ecs.DescribeServiceRevisionsInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("serviceRevisionArns", strings.Join(in.ServiceRevisionArns, " "))
	if len(in.ServiceRevisionArns) == 0 || len(in.ServiceRevisionArns) > 20 {
		return nil, errf("InvalidParameterException", "serviceRevisionArns must contain between 1 and 20 items.")
	}
	out := &ecs.DescribeServiceRevisionsOutput{ServiceRevisions: []ecstypes.ServiceRevision{}, Failures: []ecstypes.Failure{}}
	for _, arn := range in.ServiceRevisionArns {
		rev := f.findRevision(arn)
		if rev == nil {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		v := ecstypes.ServiceRevision{
			ServiceRevisionArn:       aws.String(rev.arn),
			ServiceArn:               aws.String(rev.svc.arn),
			ClusterArn:               aws.String(rev.svc.cluster.arn),
			TaskDefinition:           aws.String(rev.td.arn()),
			CreatedAt:                aws.Time(rev.createdAt),
			LaunchType:               rev.svc.launchType,
			CapacityProviderStrategy: rev.svc.capacity,
			LoadBalancers:            rev.svc.loadBalancers,
			NetworkConfiguration:     rev.svc.network,
			PlatformVersion:          aws.String("1.4.0"),
			PlatformFamily:           aws.String("Linux"),
		}
		for _, c := range rev.td.def.ContainerDefinitions {
			ci := ecstypes.ContainerImage{ContainerName: c.Name, Image: c.Image}
			if d := f.digestOf(aws.ToString(c.Image)); d != "" {
				ci.ImageDigest = aws.String(d)
			}
			v.ContainerImages = append(v.ContainerImages, ci)
		}
		out.ServiceRevisions = append(out.ServiceRevisions, v)
	}
	return out, nil
}

func (f *Fake) findRevision(arn string) *serviceRevision {
	for _, s := range f.services {
		for _, rev := range s.revisions {
			if rev.arn == arn {
				return rev
			}
		}
	}
	return nil
}
