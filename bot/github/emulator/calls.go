package emulator

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Call is one REST call as the emulator received and answered it.
type Call struct {
	Time      time.Time
	Method    string
	Path      string // as requested, e.g. /repos/acme/infra/issues/1/comments
	Query     string // raw query
	Operation string // the OpenAPI operationId, "" when the call matched none
	Body      []byte
	Status    int
	// Identity is who called: "installation:<id>", "app:<id>" or "".
	Identity string
	// Fault names the injected fault ("" when the call was served).
	Fault string
}

// Violation is a call GitHub would have rejected as a client error of the
// caller: an unknown operation or a request that breaks the operation's schema.
type Violation struct {
	Time      time.Time
	Method    string
	Path      string
	Operation string
	// Kind is unknown-operation, unknown-path, query or request-body.
	Kind    string
	Message string
}

func (v Violation) String() string {
	return v.Method + " " + v.Path + ": " + v.Kind + ": " + v.Message
}

func (e *Emulator) violateLocked(c *Call, kind, msg string) {
	e.violations = append(e.violations, Violation{
		Time: c.Time, Method: c.Method, Path: c.Path, Operation: c.Operation, Kind: kind, Message: msg,
	})
}

// Calls returns every REST call so far, in order.
func (e *Emulator) Calls() []Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Call(nil), e.calls...)
}

// AwaitCall waits until a recorded call (one made already, or a later one)
// satisfies match, and returns it; it fails when ctx ends first. Tests use it
// to act at a known point of the App's work (say, once a check run says
// "planning…") without sleeping.
func (e *Emulator) AwaitCall(ctx context.Context, match func(Call) bool) (Call, error) {
	for {
		e.mu.Lock()
		for _, c := range e.calls {
			if match(c) {
				e.mu.Unlock()
				return c, nil
			}
		}
		added := e.callAdded
		e.mu.Unlock()
		select {
		case <-added:
		case <-ctx.Done():
			return Call{}, fmt.Errorf("await call: %w", ctx.Err())
		}
	}
}

// CallsTo returns the calls with that method and path (as requested, without
// the query), in order.
func (e *Emulator) CallsTo(method, path string) []Call {
	var out []Call
	for _, c := range e.Calls() {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// CallsFor returns the calls of one OpenAPI operation (e.g.
// "issues/create-comment"), in order.
func (e *Emulator) CallsFor(operationID string) []Call {
	var out []Call
	for _, c := range e.Calls() {
		if c.Operation == operationID {
			out = append(out, c)
		}
	}
	return out
}

// Violations returns every violation so far; a test that expects the App to
// speak GitHub's API correctly fails when it is not empty.
func (e *Emulator) Violations() []Violation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Violation(nil), e.violations...)
}

// ResetCalls forgets the calls and violations recorded so far (state stays).
func (e *Emulator) ResetCalls() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls, e.violations = nil, nil
}

// ViolationsText is the violations one per line, for a test failure message.
func (e *Emulator) ViolationsText() string {
	var b strings.Builder
	for _, v := range e.Violations() {
		b.WriteString(v.String())
		b.WriteByte('\n')
	}
	return b.String()
}
