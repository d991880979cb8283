package ecsfake

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

type targetGroup struct {
	name, arn    string
	port         int32
	pathPatterns []string
}

// TargetGroupSpec seeds a target group behind the fake load balancer.
type TargetGroupSpec struct {
	Name string
	Port int32
	// PathPatterns are the listener rule's path patterns (ALB syntax: * and
	// ? wildcards) that route to this group; none makes it the default
	// action. Rules are tried in the order groups were added.
	PathPatterns []string
}

// AddTargetGroup seeds a target group and returns its ARN. Services attach
// to it through their LoadBalancers; their running tasks are its targets.
func (f *Fake) AddTargetGroup(spec TargetGroupSpec) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	tg := &targetGroup{
		name:         spec.Name,
		arn:          f.arn("elasticloadbalancing", "targetgroup/"+spec.Name+"/"+f.newID()[:16]),
		port:         spec.Port,
		pathPatterns: spec.PathPatterns,
	}
	f.targetGroups = append(f.targetGroups, tg)
	return tg.arn
}

func (f *Fake) findTargetGroup(arn string) *targetGroup {
	for _, tg := range f.targetGroups {
		if tg.arn == arn {
			return tg
		}
	}
	return nil
}

// target is one registered target of a target group: a running task of a
// service attached to it.
type target struct {
	task    *task
	port    int32
	image   string
	service *service
	state   elbtypes.TargetHealthStateEnum
	reason  elbtypes.TargetHealthReasonEnum
	desc    string
}

// targets lists tg's targets at now, newest deployment first. f.mu held.
func (f *Fake) targets(tg *targetGroup, now time.Time) []target {
	var out []target
	for _, s := range f.services {
		for _, lb := range s.loadBalancers {
			if aws.ToString(lb.TargetGroupArn) != tg.arn {
				continue
			}
			for _, d := range s.deployments {
				for _, t := range d.tasks {
					if !t.running(now) {
						continue
					}
					tgt := target{task: t, port: aws.ToInt32(lb.ContainerPort), service: s, image: containerImage(t.td, aws.ToString(lb.ContainerName))}
					switch {
					case d.rollout != ecstypes.DeploymentRolloutStateCompleted:
						tgt.state, tgt.reason, tgt.desc = elbtypes.TargetHealthStateEnumInitial, elbtypes.TargetHealthReasonEnumRegistrationInProgress, "Target registration is in progress"
					case f.behaviourOf(tgt.image).Unhealthy:
						tgt.state, tgt.reason, tgt.desc = elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthReasonEnumFailedHealthChecks, "Health checks failed"
					default:
						tgt.state = elbtypes.TargetHealthStateEnumHealthy
					}
					out = append(out, tgt)
				}
			}
		}
	}
	return out
}

func containerImage(td *taskDef, container string) string {
	for _, c := range td.def.ContainerDefinitions {
		if aws.ToString(c.Name) == container {
			return aws.ToString(c.Image)
		}
	}
	if len(td.def.ContainerDefinitions) > 0 {
		return aws.ToString(td.def.ContainerDefinitions[0].Image)
	}
	return ""
}

func opDescribeTargetHealth(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	arn := r.form.Get("TargetGroupArn")
	r.param("targetGroupArn", arn)
	if arn == "" {
		return nil, errf("ValidationError", "TargetGroupArn must be specified")
	}
	tg := f.findTargetGroup(arn)
	if tg == nil {
		return nil, errf("TargetGroupNotFound", "One or more target groups not found")
	}
	// Targets.member.N.Id / .Port narrow the answer to those targets.
	var want []elbtypes.TargetDescription
	for i := 1; ; i++ {
		id := r.form.Get(fmt.Sprintf("Targets.member.%d.Id", i))
		if id == "" {
			break
		}
		td := elbtypes.TargetDescription{Id: aws.String(id)}
		if p, err := strconv.Atoi(r.form.Get(fmt.Sprintf("Targets.member.%d.Port", i))); err == nil {
			td.Port = aws.Int32(int32(p))
		}
		want = append(want, td)
	}
	out := &elb.DescribeTargetHealthOutput{TargetHealthDescriptions: []elbtypes.TargetHealthDescription{}}
	all := f.targets(tg, now)
	describe := func(t target) elbtypes.TargetHealthDescription {
		d := elbtypes.TargetHealthDescription{
			Target:          &elbtypes.TargetDescription{Id: aws.String(t.task.ip), Port: aws.Int32(t.port), AvailabilityZone: aws.String(f.opts.Region + "a")},
			HealthCheckPort: aws.String(strconv.Itoa(int(t.port))),
			TargetHealth:    &elbtypes.TargetHealth{State: t.state},
		}
		if t.reason != "" {
			d.TargetHealth.Reason = t.reason
			d.TargetHealth.Description = aws.String(t.desc)
		}
		return d
	}
	if len(want) == 0 {
		for _, t := range all {
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, describe(t))
		}
		return out, nil
	}
	for _, w := range want {
		found := false
		for _, t := range all {
			if t.task.ip == aws.ToString(w.Id) && (w.Port == nil || *w.Port == t.port) {
				out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, describe(t))
				found = true
			}
		}
		if !found {
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbtypes.TargetHealthDescription{
				Target: &w,
				TargetHealth: &elbtypes.TargetHealth{
					State:       elbtypes.TargetHealthStateEnumUnused,
					Reason:      elbtypes.TargetHealthReasonEnumNotRegistered,
					Description: aws.String("Target is not registered to the target group"),
				},
			})
		}
	}
	return out, nil
}

// matchPath reports whether path matches an ALB path pattern: * matches
// any run of characters (slashes included), ? exactly one.
func matchPath(pattern, path string) bool {
	if pattern == "" {
		return path == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(path); i++ {
			if matchPath(pattern[1:], path[i:]) {
				return true
			}
		}
		return false
	case '?':
		return path != "" && matchPath(pattern[1:], path[1:])
	}
	return path != "" && path[0] == pattern[0] && matchPath(pattern[1:], path[1:])
}

// route picks the target group a request path goes to. f.mu held.
func (f *Fake) route(path string) *targetGroup {
	var def *targetGroup
	for _, tg := range f.targetGroups {
		if len(tg.pathPatterns) == 0 {
			if def == nil {
				def = tg
			}
			continue
		}
		for _, p := range tg.pathPatterns {
			if matchPath(p, path) {
				return tg
			}
		}
	}
	return def
}
