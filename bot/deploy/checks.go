package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/gitops-bot/gitops/bot/release"
)

// targetGroup is one target group of a public service.
type targetGroup struct {
	service, arn string
}

// health waits until every target group has at least one healthy target
// and no target in another state than healthy or draining (the old tasks
// leaving). It returns the last health seen of each group, and why not when
// the deadline passed first.
//
// ELBv2: DescribeTargetHealth
func (e *Engine) health(ctx context.Context, groups []targetGroup, timeout time.Duration, deadline time.Time, em *emitter) ([]TargetGroupHealth, error) {
	if e.cfg.ELB == nil {
		return nil, errors.New("no ELBv2 client configured to read target health")
	}
	seen := make([]TargetGroupHealth, len(groups))
	err := e.poll(ctx, deadline, e.cfg.Poll.Health, func(ctx context.Context) (bool, error) {
		all := true
		for i, g := range groups {
			out, err := e.cfg.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(g.arn)})
			if err != nil {
				return false, fmt.Errorf("describe target health of %s (%s): %w", targetGroupName(g.arn), g.service, err)
			}
			h := TargetGroupHealth{Service: g.service, TargetGroupARN: g.arn}
			for _, d := range out.TargetHealthDescriptions {
				th := d.TargetHealth
				if th == nil {
					continue
				}
				switch th.State {
				case elbtypes.TargetHealthStateEnumHealthy:
					h.Healthy++
				case elbtypes.TargetHealthStateEnumDraining:
				default:
					id := ""
					if d.Target != nil {
						id = fmt.Sprintf("%s:%d", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port))
					}
					h.NotHealthy = append(h.NotHealthy, fmt.Sprintf("%s %s (%s)", id, th.State, orDash(string(th.Reason))))
				}
			}
			seen[i] = h
			if h.Healthy == 0 || len(h.NotHealthy) > 0 {
				all = false
			}
		}
		return all, nil
	})
	if errors.Is(err, errTimedOut) {
		var bad []string
		for _, h := range seen {
			if h.Healthy == 0 || len(h.NotHealthy) > 0 {
				bad = append(bad, fmt.Sprintf("%s (%s): %d healthy; %s", targetGroupName(h.TargetGroupARN), h.Service, h.Healthy, orDash(strings.Join(h.NotHealthy, ", "))))
			}
		}
		return seen, fmt.Errorf("targets not healthy within %s: %s", timeout, strings.Join(bad, "; "))
	}
	return seen, err
}

// targetGroupName is the name part of a target group ARN
// (…:targetgroup/<name>/<id>).
func targetGroupName(arn string) string {
	_, after, ok := strings.Cut(arn, ":targetgroup/")
	if !ok {
		return arn
	}
	name, _, _ := strings.Cut(after, "/")
	return name
}

// smoke makes every check (GET baseURL+path, answered with the expected
// status within the check's timeout), repeating those that fail until they
// all passed or the deadline passed. A check that passed once is not made
// again.
func (e *Engine) smoke(ctx context.Context, baseURL string, checks []release.Smoke, timeout time.Duration, deadline time.Time, em *emitter) ([]SmokeResult, error) {
	results := make([]SmokeResult, len(checks))
	for i, c := range checks {
		want := c.Status
		if want == 0 {
			want = release.DefaultSmokeStatus
		}
		results[i] = SmokeResult{Path: c.Path, Want: want}
	}
	base := strings.TrimRight(baseURL, "/")
	err := e.poll(ctx, deadline, e.cfg.Poll.Smoke, func(ctx context.Context) (bool, error) {
		all := true
		for i, c := range checks {
			r := &results[i]
			if r.Passed {
				continue
			}
			r.Got, r.Error = e.get(ctx, base+c.Path, c.Timeout)
			r.Passed = r.Got == r.Want
			if !r.Passed {
				all = false
			}
		}
		return all, nil
	})
	if errors.Is(err, errTimedOut) {
		for i := range results {
			if !results[i].Passed {
				return results, &smokeFailure{check: results[i], timeout: timeout}
			}
		}
	}
	return results, err
}

// smokeFailure is a smoke check that never passed.
type smokeFailure struct {
	check   SmokeResult
	timeout time.Duration
}

func (f *smokeFailure) Error() string {
	return fmt.Sprintf("%s (still failing after %s)", f.check, f.timeout)
}

// get makes one smoke request and returns the status, or why none came.
// Only the status is kept: a body may hold anything.
func (e *Engine) get(ctx context.Context, url string, timeout time.Duration) (int, string) {
	if timeout <= 0 {
		timeout = release.DefaultSmokeTime
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err.Error()
	}
	resp, err := e.cfg.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Sprintf("no answer within %s", timeout)
		}
		return 0, err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, ""
}

// bake watches the target's alarms for d: any alarm in ALARM is a failure
// at once.
//
// CloudWatch: DescribeAlarms (state ALARM, by name and by prefix)
func (e *Engine) bake(ctx context.Context, t *Target, d time.Duration, em *emitter) ([]AlarmState, error) {
	if e.cfg.CloudWatch == nil {
		return nil, errors.New("no CloudWatch client configured to read alarms")
	}
	end := e.now().Add(d)
	for {
		at := e.now()
		firing, err := e.alarming(ctx, t)
		if err != nil {
			return nil, err
		}
		if len(firing) > 0 {
			parts := make([]string, len(firing))
			for i, a := range firing {
				parts[i] = a.Name + ": " + a.Reason
			}
			return firing, fmt.Errorf("alarm in ALARM during the bake: %s", strings.Join(parts, "; "))
		}
		if !at.Before(end) {
			return nil, nil
		}
		left := end.Sub(e.now())
		em.step(StepBake, StatusProgress, "no alarm in ALARM; %s left", max(left, 0).Round(time.Second))
		if left > 0 {
			if err := e.cfg.Sleep(ctx, min(e.cfg.Poll.Bake, left)); err != nil {
				return nil, err
			}
		}
	}
}

// alarming lists the target's alarms in ALARM.
func (e *Engine) alarming(ctx context.Context, t *Target) ([]AlarmState, error) {
	var queries []*cloudwatch.DescribeAlarmsInput
	for i := 0; i < len(t.Alarms); i += 100 {
		queries = append(queries, &cloudwatch.DescribeAlarmsInput{AlarmNames: t.Alarms[i:min(i+100, len(t.Alarms))], StateValue: cwtypes.StateValueAlarm, AlarmTypes: alarmTypes})
	}
	if t.AlarmPrefix != "" {
		queries = append(queries, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(t.AlarmPrefix), StateValue: cwtypes.StateValueAlarm, AlarmTypes: alarmTypes})
	}
	var out []AlarmState
	seen := map[string]bool{}
	for _, q := range queries {
		for {
			page, err := e.cfg.CloudWatch.DescribeAlarms(ctx, q)
			if err != nil {
				return nil, fmt.Errorf("describe alarms: %w", err)
			}
			for _, a := range page.MetricAlarms {
				if name := aws.ToString(a.AlarmName); !seen[name] && a.StateValue == cwtypes.StateValueAlarm {
					seen[name] = true
					out = append(out, AlarmState{Name: name, State: string(a.StateValue), Reason: aws.ToString(a.StateReason), Since: aws.ToTime(a.StateUpdatedTimestamp)})
				}
			}
			for _, a := range page.CompositeAlarms {
				if name := aws.ToString(a.AlarmName); !seen[name] && a.StateValue == cwtypes.StateValueAlarm {
					seen[name] = true
					out = append(out, AlarmState{Name: name, State: string(a.StateValue), Reason: aws.ToString(a.StateReason), Since: aws.ToTime(a.StateUpdatedTimestamp)})
				}
			}
			if aws.ToString(page.NextToken) == "" {
				break
			}
			q.NextToken = page.NextToken
		}
	}
	return out, nil
}

// alarmTypes asks for composite alarms too: without AlarmTypes,
// DescribeAlarms returns metric alarms only.
var alarmTypes = []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}
