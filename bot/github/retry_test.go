package github

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// flaky answers the first failures requests with answer, then 200 echoing the body.
func flaky(t *testing.T, failures int32, answer func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if n <= failures {
			answer(w)
			return
		}
		w.Header().Set("X-RateLimit-Remaining", "4999")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestRetryTransport(t *testing.T) {
	tests := []struct {
		name      string
		failures  int32
		answer    func(w http.ResponseWriter)
		wantCalls int32
		wantCode  int
	}{
		{"a 502 is retried", 2, func(w http.ResponseWriter) { w.WriteHeader(502) }, 3, 200},
		{"a secondary rate limit with Retry-After is retried", 1, func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(403)
			io.WriteString(w, `{"message":"You have exceeded a secondary rate limit."}`)
		}, 2, 200},
		{"a secondary rate limit message alone is retried", 1, func(w http.ResponseWriter) {
			w.WriteHeader(403)
			io.WriteString(w, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`)
		}, 1, 403}, // GitHub asks for a minute: over MaxWait, so answered as is
		{"a plain 403 is not retried", 5, func(w http.ResponseWriter) {
			w.WriteHeader(403)
			io.WriteString(w, `{"message":"Resource not accessible by integration"}`)
		}, 1, 403},
		{"a 404 is not retried", 5, func(w http.ResponseWriter) { w.WriteHeader(404) }, 1, 404},
		{"retries stop after the attempts", 10, func(w http.ResponseWriter) { w.WriteHeader(503) }, 3, 503},
		{"a Retry-After over the longest wait is not waited for", 1, func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
		}, 1, 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := flaky(t, tt.failures, tt.answer)
			var retries []string
			var remaining int
			tr := &retryTransport{next: http.DefaultTransport, cfg: RetryConfig{Attempts: 3, Backoff: time.Millisecond, MaxWait: 10 * time.Second},
				observe: Observer{Retry: func(r string) { retries = append(retries, r) }, RateLimit: func(_ string, n int) { remaining = n }}}
			req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(`{"body":"hello"}`))
			req.GetBody = nil // a body that cannot be replayed by itself
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode || calls.Load() != tt.wantCalls {
				t.Fatalf("status %d after %d calls (retries %v), want %d after %d", resp.StatusCode, calls.Load(), retries, tt.wantCode, tt.wantCalls)
			}
			if tt.wantCode == 200 && (string(body) != `{"body":"hello"}` || remaining != 4999) {
				t.Fatalf("body %q, rate limit %d: the body was not replayed or the limit not seen", body, remaining)
			}
			if tt.wantCode == 403 && len(body) == 0 {
				t.Fatal("the 403 body was consumed while looking for the rate limit message")
			}
		})
	}
}
