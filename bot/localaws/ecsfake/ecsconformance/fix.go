package ecsconformance

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// FixMotoTaskNumbers wraps a transport for clients that talk to moto 5.2.1:
// its ECS RunTask, DescribeTasks and StopTask answers carry a task's and a
// container's cpu and memory as JSON numbers (moto copies them from the task
// definition's integers), where the ECS model, and so the SDK's deserialiser,
// has strings; the SDK then fails the whole call. This rewrites those numbers
// as strings and leaves every other response untouched.
func FixMotoTaskNumbers(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return fixTaskNumbers{base: base}
}

type fixTaskNumbers struct{ base http.RoundTripper }

func (f fixTaskNumbers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := f.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	switch req.Header.Get("X-Amz-Target") {
	case "AmazonEC2ContainerServiceV20141113.RunTask",
		"AmazonEC2ContainerServiceV20141113.DescribeTasks",
		"AmazonEC2ContainerServiceV20141113.StopTask":
	default:
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body = stringifyTaskNumbers(body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return resp, nil
}

func stringifyTaskNumbers(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return body
	}
	var tasks []any
	if l, ok := doc["tasks"].([]any); ok {
		tasks = l
	}
	if t, ok := doc["task"]; ok {
		tasks = append(tasks, t)
	}
	for _, t := range tasks {
		task, ok := t.(map[string]any)
		if !ok {
			continue
		}
		stringify(task, "cpu", "memory")
		containers, _ := task["containers"].([]any)
		for _, c := range containers {
			if cm, ok := c.(map[string]any); ok {
				stringify(cm, "cpu", "memory", "memoryReservation")
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil || strings.TrimSpace(string(out)) == "" {
		return body
	}
	return out
}

func stringify(m map[string]any, keys ...string) {
	for _, k := range keys {
		if n, ok := m[k].(json.Number); ok {
			m[k] = n.String()
		}
	}
}
