package ecsfake

import (
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/cbor"
)

type alarm struct {
	name      string
	state     cwtypes.StateValue
	reason    string
	updatedAt time.Time
	createdAt time.Time
}

// SetAlarm creates or updates a metric alarm in state (OK, ALARM or
// INSUFFICIENT_DATA); its state timestamp moves only when the state changes.
func (f *Fake) SetAlarm(name string, state cwtypes.StateValue) {
	now := f.lock()
	defer f.mu.Unlock()
	a, ok := f.alarms[name]
	if !ok {
		a = &alarm{name: name, createdAt: now}
		f.alarms[name] = a
	}
	if a.state != state {
		a.state = state
		a.updatedAt = now
		a.reason = "Threshold Crossed: state set to " + string(state) + " by the test (ecsfake)."
	}
}

func cborString(m cbor.Map, key string) string {
	if s, ok := m[key].(cbor.String); ok {
		return string(s)
	}
	return ""
}

func cborStrings(m cbor.Map, key string) []string {
	l, _ := m[key].(cbor.List)
	var out []string
	for _, v := range l {
		if s, ok := v.(cbor.String); ok {
			out = append(out, string(s))
		}
	}
	return out
}

func opDescribeAlarms(f *Fake, r *request, _ time.Time) (smithy.Serializable, error) {
	names := cborStrings(r.cbor, "AlarmNames")
	prefix := cborString(r.cbor, "AlarmNamePrefix")
	state := cwtypes.StateValue(cborString(r.cbor, "StateValue"))
	types := cborStrings(r.cbor, "AlarmTypes")
	r.param("alarmNames", strings.Join(names, " "))
	r.param("alarmNamePrefix", prefix)
	r.param("stateValue", string(state))
	if len(names) > 0 && prefix != "" {
		return nil, &Err{Code: "InvalidParameterCombinationException", QueryCode: "InvalidParameterCombination", Message: "AlarmNames and AlarmNamePrefix cannot be specified together."}
	}
	if len(names) > 100 {
		return nil, &Err{Code: "InvalidParameterValueException", QueryCode: "InvalidParameterValue", Message: "The collection AlarmNames must not have a size greater than 100."}
	}
	switch state {
	case "", cwtypes.StateValueOk, cwtypes.StateValueAlarm, cwtypes.StateValueInsufficientData:
	default:
		return nil, &Err{Code: "InvalidParameterValueException", QueryCode: "InvalidParameterValue", Message: "StateValue must be one of OK, ALARM, INSUFFICIENT_DATA."}
	}
	out := &cw.DescribeAlarmsOutput{MetricAlarms: []cwtypes.MetricAlarm{}}
	// Without AlarmTypes only metric alarms are returned, which is all the
	// fake has.
	if len(types) > 0 && !slices.Contains(types, string(cwtypes.AlarmTypeMetricAlarm)) {
		return out, nil
	}
	all := make([]string, 0, len(f.alarms))
	for name := range f.alarms {
		all = append(all, name)
	}
	slices.Sort(all)
	for _, name := range all {
		a := f.alarms[name]
		if len(names) > 0 && !slices.Contains(names, name) {
			continue
		}
		if !strings.HasPrefix(name, prefix) || (state != "" && a.state != state) {
			continue
		}
		out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{
			AlarmName:                          aws.String(name),
			AlarmArn:                           aws.String(f.arn("cloudwatch", "alarm:"+name)),
			StateValue:                         a.state,
			StateReason:                        aws.String(a.reason),
			StateUpdatedTimestamp:              aws.Time(a.updatedAt),
			StateTransitionedTimestamp:         aws.Time(a.updatedAt),
			AlarmConfigurationUpdatedTimestamp: aws.Time(a.createdAt),
			ActionsEnabled:                     aws.Bool(true),
			Namespace:                          aws.String("AWS/ApplicationELB"),
			MetricName:                         aws.String("HTTPCode_Target_5XX_Count"),
			Statistic:                          cwtypes.StatisticSum,
			Period:                             aws.Int32(60),
			EvaluationPeriods:                  aws.Int32(1),
			Threshold:                          aws.Float64(1),
			ComparisonOperator:                 cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
			TreatMissingData:                   aws.String("notBreaching"),
		})
	}
	return out, nil
}
