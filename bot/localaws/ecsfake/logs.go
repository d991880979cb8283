package ecsfake

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	logs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
)

type logGroup struct {
	name      string
	createdAt time.Time
	streams   []*logStream
}

type logStream struct {
	name      string
	createdAt time.Time
	events    []logEvent // in time order
}

type logEvent struct {
	at, ingested time.Time
	msg          string
}

// AddLogGroup seeds an empty log group (idempotent). Task streams are created
// as the awslogs driver creates them, when a container starts.
func (f *Fake) AddLogGroup(name string) {
	now := f.lock()
	defer f.mu.Unlock()
	f.logGroup(name, now)
}

func (f *Fake) logGroup(name string, now time.Time) *logGroup {
	g, ok := f.logGroups[name]
	if !ok {
		g = &logGroup{name: name, createdAt: now}
		f.logGroups[name] = g
	}
	return g
}

// logStream returns the stream, creating it (and its group) at `at`.
func (f *Fake) logStream(group, stream string, at time.Time) *logStream {
	g := f.logGroup(group, at)
	for _, st := range g.streams {
		if st.name == stream {
			return st
		}
	}
	st := &logStream{name: stream, createdAt: at}
	g.streams = append(g.streams, st)
	return st
}

func (f *Fake) groupArg(name, identifier *string) (*logGroup, error) {
	n := aws.ToString(name)
	if n == "" {
		n = aws.ToString(identifier)
		if _, after, ok := strings.Cut(n, ":log-group:"); ok {
			n = strings.TrimSuffix(after, ":*")
		}
	}
	if n == "" {
		return nil, errf("InvalidParameterException", "Either logGroupName or logGroupIdentifier must be specified.")
	}
	g, ok := f.logGroups[n]
	if !ok {
		return nil, errf("ResourceNotFoundException", "The specified log group does not exist.")
	}
	return g, nil
}

func millis(t time.Time) int64 { return t.UnixMilli() }

// inWindow: startTime inclusive, endTime exclusive, both epoch milliseconds.
func inWindow(at time.Time, start, end *int64) bool {
	ms := millis(at)
	return (start == nil || ms >= *start) && (end == nil || ms < *end)
}

func opGetLogEvents(f *Fake, r *request, _ time.Time) (smithy.Serializable, error) {
	var in logs.GetLogEventsInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("logGroupName", aws.ToString(in.LogGroupName))
	r.param("logStreamName", aws.ToString(in.LogStreamName))
	g, err := f.groupArg(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(g.streams, func(s *logStream) bool { return s.name == aws.ToString(in.LogStreamName) })
	if i < 0 {
		return nil, errf("ResourceNotFoundException", "The specified log stream does not exist.")
	}
	var events []logEvent
	for _, e := range g.streams[i].events {
		if inWindow(e.at, in.StartTime, in.EndTime) {
			events = append(events, e)
		}
	}
	limit := 10000
	if in.Limit != nil && *in.Limit > 0 {
		limit = int(*in.Limit)
	}
	// Tokens are positions in the (filtered) stream: f/N reads forward from
	// N, b/N reads the events before N. At the end of the stream the
	// forward token comes back unchanged, as on AWS.
	var from, to int
	switch tok := aws.ToString(in.NextToken); {
	case strings.HasPrefix(tok, "f/"):
		n, err := strconv.Atoi(tok[2:])
		if err != nil || n < 0 || n > len(events) {
			return nil, errf("InvalidParameterException", "The specified nextToken is invalid.")
		}
		from, to = n, min(n+limit, len(events))
	case strings.HasPrefix(tok, "b/"):
		n, err := strconv.Atoi(tok[2:])
		if err != nil || n < 0 || n > len(events) {
			return nil, errf("InvalidParameterException", "The specified nextToken is invalid.")
		}
		from, to = max(n-limit, 0), n
	case tok != "":
		return nil, errf("InvalidParameterException", "The specified nextToken is invalid.")
	case aws.ToBool(in.StartFromHead):
		from, to = 0, min(limit, len(events))
	default:
		from, to = max(len(events)-limit, 0), len(events)
	}
	out := &logs.GetLogEventsOutput{
		Events:            []logtypes.OutputLogEvent{},
		NextForwardToken:  aws.String(fmt.Sprintf("f/%020d", to)),
		NextBackwardToken: aws.String(fmt.Sprintf("b/%020d", from)),
	}
	for _, e := range events[from:to] {
		out.Events = append(out.Events, logtypes.OutputLogEvent{
			Timestamp:     aws.Int64(millis(e.at)),
			IngestionTime: aws.Int64(millis(e.ingested)),
			Message:       aws.String(e.msg),
		})
	}
	return out, nil
}

// filterMatches implements the part of the CloudWatch Logs filter pattern
// syntax the fake needs: space-separated terms that must all occur, a
// quoted term matched as a whole, and an empty pattern matching everything.
func filterMatches(pattern, msg string) bool {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" {
		return true
	}
	if strings.HasPrefix(pattern, `"`) && strings.HasSuffix(pattern, `"`) && len(pattern) >= 2 {
		return strings.Contains(msg, pattern[1:len(pattern)-1])
	}
	for _, term := range strings.Fields(pattern) {
		if !strings.Contains(msg, term) {
			return false
		}
	}
	return true
}

func opFilterLogEvents(f *Fake, r *request, _ time.Time) (smithy.Serializable, error) {
	var in logs.FilterLogEventsInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("logGroupName", aws.ToString(in.LogGroupName))
	r.param("filterPattern", aws.ToString(in.FilterPattern))
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != nil {
		return nil, errf("InvalidParameterException", "logStreamNames and logStreamNamePrefix are mutually exclusive.")
	}
	g, err := f.groupArg(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	type hit struct {
		stream string
		index  int
		e      logEvent
	}
	var hits []hit
	var searched []logtypes.SearchedLogStream
	for _, st := range g.streams {
		if len(in.LogStreamNames) > 0 && !slices.Contains(in.LogStreamNames, st.name) {
			continue
		}
		if !strings.HasPrefix(st.name, aws.ToString(in.LogStreamNamePrefix)) {
			continue
		}
		searched = append(searched, logtypes.SearchedLogStream{LogStreamName: aws.String(st.name), SearchedCompletely: aws.Bool(true)})
		for i, e := range st.events {
			if inWindow(e.at, in.StartTime, in.EndTime) && filterMatches(aws.ToString(in.FilterPattern), e.msg) {
				hits = append(hits, hit{stream: st.name, index: i, e: e})
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.e.at.Compare(b.e.at) })
	limit := int32(10000)
	if in.Limit != nil && *in.Limit > 0 {
		limit = *in.Limit
	}
	page, next, err := paginate(hits, in.NextToken, &limit, 10000)
	if err != nil {
		return nil, err
	}
	out := &logs.FilterLogEventsOutput{Events: []logtypes.FilteredLogEvent{}, NextToken: next, SearchedLogStreams: searched}
	for _, h := range page {
		out.Events = append(out.Events, logtypes.FilteredLogEvent{
			EventId:       aws.String(fmt.Sprintf("%d-%s-%d", millis(h.e.at), h.stream, h.index)),
			LogStreamName: aws.String(h.stream),
			Timestamp:     aws.Int64(millis(h.e.at)),
			IngestionTime: aws.Int64(millis(h.e.ingested)),
			Message:       aws.String(h.e.msg),
		})
	}
	return out, nil
}

func opDescribeLogStreams(f *Fake, r *request, _ time.Time) (smithy.Serializable, error) {
	var in logs.DescribeLogStreamsInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("logGroupName", aws.ToString(in.LogGroupName))
	r.param("logStreamNamePrefix", aws.ToString(in.LogStreamNamePrefix))
	g, err := f.groupArg(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	var streams []logtypes.LogStream
	for _, st := range g.streams {
		if !strings.HasPrefix(st.name, aws.ToString(in.LogStreamNamePrefix)) {
			continue
		}
		ls := logtypes.LogStream{
			LogStreamName: aws.String(st.name),
			CreationTime:  aws.Int64(millis(st.createdAt)),
			Arn:           aws.String(f.arn("logs", "log-group:"+g.name+":log-stream:"+st.name)),
		}
		if n := len(st.events); n > 0 {
			ls.FirstEventTimestamp = aws.Int64(millis(st.events[0].at))
			ls.LastEventTimestamp = aws.Int64(millis(st.events[n-1].at))
			ls.LastIngestionTime = aws.Int64(millis(st.events[n-1].ingested))
		}
		streams = append(streams, ls)
	}
	if in.OrderBy == logtypes.OrderByLastEventTime {
		slices.SortStableFunc(streams, func(a, b logtypes.LogStream) int {
			return int(aws.ToInt64(a.LastEventTimestamp) - aws.ToInt64(b.LastEventTimestamp))
		})
	} else {
		slices.SortStableFunc(streams, func(a, b logtypes.LogStream) int {
			return strings.Compare(aws.ToString(a.LogStreamName), aws.ToString(b.LogStreamName))
		})
	}
	if aws.ToBool(in.Descending) {
		slices.Reverse(streams)
	}
	page, next, err := paginate(streams, in.NextToken, in.Limit, 50)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []logtypes.LogStream{}
	}
	return &logs.DescribeLogStreamsOutput{LogStreams: page, NextToken: next}, nil
}
