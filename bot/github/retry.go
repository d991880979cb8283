package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryConfig bounds how the client retries GitHub's transient failures:
// 5xx answers, secondary rate limits (403 or 429 with Retry-After, or
// GitHub's "secondary rate limit" message) and connection errors.
type RetryConfig struct {
	// Attempts is the most tries of one request; default 5.
	Attempts int
	// Backoff is the first wait; it doubles per try, with jitter; default 500ms.
	Backoff time.Duration
	// MaxWait caps one wait, Retry-After included: a longer Retry-After
	// (a primary rate limit running out for an hour) is not waited for and
	// the answer is returned; default 60s.
	MaxWait time.Duration
}

func (c RetryConfig) withDefaults() RetryConfig {
	if c.Attempts <= 0 {
		c.Attempts = 5
	}
	if c.Backoff <= 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 60 * time.Second
	}
	return c
}

// retryTransport retries a request on GitHub's transient failures. Every
// method is retried: GitHub answers 502 now and then after doing the work,
// so effects are made idempotent by the callers (a sticky comment is found by
// its marker before one is created, check runs by their external id).
type retryTransport struct {
	next http.RoundTripper
	cfg  RetryConfig
	// observe is told every answer's rate limit headers and each retry.
	observe Observer
}

// Observer receives what the client sees of GitHub's limits; any field may be nil.
type Observer struct {
	// RateLimit is called with X-RateLimit-Remaining and the resource of every answer.
	RateLimit func(resource string, remaining int)
	// Retry is called before each retry with the reason ("502", "secondary rate limit", …).
	Retry func(reason string)
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.GetBody == nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.Body, _ = req.GetBody()
	}
	wait := t.cfg.Backoff
	for attempt := 1; ; attempt++ {
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("replay request body: %w", err)
			}
			req.Body = body
		}
		resp, err := t.next.RoundTrip(req)
		if resp != nil {
			t.rateLimit(resp)
		}
		reason, after := retryable(resp, err)
		if reason == "" || attempt >= t.cfg.Attempts {
			return resp, err
		}
		d := wait/2 + rand.N(wait/2+1) // jitter, so replicas do not retry in step
		if after > 0 {
			d = after
		}
		if d > t.cfg.MaxWait {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if t.observe.Retry != nil {
			t.observe.Retry(reason)
		}
		if err := sleep(req.Context(), d); err != nil {
			return nil, err
		}
		wait = min(wait*2, t.cfg.MaxWait)
	}
}

func (t *retryTransport) rateLimit(resp *http.Response) {
	if t.observe.RateLimit == nil {
		return
	}
	if n, err := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining")); err == nil {
		res := resp.Header.Get("X-RateLimit-Resource")
		if res == "" {
			res = "core"
		}
		t.observe.RateLimit(res, n)
	}
}

// retryable says why an answer is worth another try ("" if it is not) and
// how long GitHub asked to wait (0 if it did not say).
func retryable(resp *http.Response, err error) (string, time.Duration) {
	if err != nil {
		if resp == nil && !isContextErr(err) {
			return "connection error", 0
		}
		return "", 0
	}
	after := retryAfter(resp.Header)
	switch {
	case resp.StatusCode >= 500:
		return strconv.Itoa(resp.StatusCode), after
	case resp.StatusCode == http.StatusTooManyRequests:
		return "rate limited (429)", after
	case resp.StatusCode == http.StatusForbidden:
		if after > 0 {
			return "secondary rate limit", after
		}
		if resp.Header.Get("X-RateLimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				return "rate limit exhausted", max(time.Until(time.Unix(reset, 0)), time.Second)
			}
		}
		if secondaryLimit(resp) {
			return "secondary rate limit", time.Minute
		}
	}
	return "", 0
}

// secondaryLimit reads (a bounded prefix of) a 403 body for GitHub's
// secondary rate limit message, keeping the body readable for the caller.
func secondaryLimit(resp *http.Response) bool {
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return strings.Contains(strings.ToLower(string(head)), "secondary rate limit")
}

func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return max(time.Duration(s)*time.Second, time.Millisecond)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), time.Millisecond)
	}
	return 0
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
