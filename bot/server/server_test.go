package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/gitops-bot/gitops/bot/github"
	"github.com/gitops-bot/gitops/bot/metrics"
	"github.com/gitops-bot/gitops/bot/store"
)

var secret = []byte("s3cret")

type planArgs struct {
	PR int `json:"pr"`
}

func (planArgs) Kind() string { return "test_plan" }

func newServer(t *testing.T) (*Server, store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "gitops.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := metrics.New(func(ctx context.Context) ([]metrics.JobCount, error) {
		rows, err := st.JobCounts(ctx)
		out := make([]metrics.JobCount, len(rows))
		for i, r := range rows {
			out[i] = metrics.JobCount{Kind: r.Kind, State: r.State, Count: r.Count}
		}
		return out, err
	})
	s := New(Config{
		Store: st, WebhookSecret: secret, Repos: []string{"acme/infra"}, Metrics: m,
		Jobs: func(e *github.Event) []river.JobArgs {
			if e.Kind == "pull_request" {
				return []river.JobArgs{planArgs{PR: e.Number}}
			}
			return nil
		},
	})
	return s, st
}

func deliver(t *testing.T, s http.Handler, kind, id, body string, sign bool) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("POST", "/webhook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-GitHub-Event", kind)
	r.Header.Set("X-GitHub-Delivery", id)
	if sign {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(body))
		r.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	} else {
		r.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

const opened = `{"action":"opened","number":7,"pull_request":{"number":7,"head":{"sha":"0123456789abcdef0123456789abcdef01234567"}},"repository":{"full_name":"acme/infra"},"installation":{"id":1},"sender":{"login":"alice"}}`

func jobs(t *testing.T, st store.Store) int64 {
	t.Helper()
	rows, err := st.JobCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		n += r.Count
	}
	return n
}

func TestWebhook(t *testing.T) {
	ctx := context.Background()
	t.Run("a bad signature is 401 and nothing is stored", func(t *testing.T) {
		s, st := newServer(t)
		if w := deliver(t, s, "pull_request", "d-1", opened, false); w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d", w.Code)
		}
		if _, err := st.Delivery(ctx, "d-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delivery stored after a bad signature (%v)", err)
		}
	})
	t.Run("the same delivery three times is one delivery and one job", func(t *testing.T) {
		s, st := newServer(t)
		for range 3 {
			if w := deliver(t, s, "pull_request", "d-1", opened, true); w.Code != http.StatusAccepted {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
		if n := jobs(t, st); n != 1 {
			t.Fatalf("%d jobs, want 1", n)
		}
		d, err := st.Delivery(ctx, "d-1")
		if err != nil || string(d.Payload) != opened || d.Number != 7 {
			t.Fatalf("stored delivery %+v, %v", d, err)
		}
	})
	t.Run("the same event under a new delivery id is a duplicate", func(t *testing.T) {
		s, st := newServer(t)
		deliver(t, s, "pull_request", "d-1", opened, true)
		deliver(t, s, "pull_request", "d-2", opened, true)
		if n := jobs(t, st); n != 1 {
			t.Fatalf("%d jobs, want 1", n)
		}
	})
	t.Run("an event the App does not act on is accepted and ignored", func(t *testing.T) {
		s, st := newServer(t)
		if w := deliver(t, s, "star", "d-1", `{"action":"created"}`, true); w.Code != http.StatusAccepted {
			t.Fatalf("status %d", w.Code)
		}
		if _, err := st.Delivery(ctx, "d-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("an ignored delivery was stored (%v)", err)
		}
	})
	t.Run("a repository outside the allow-list is ignored", func(t *testing.T) {
		s, st := newServer(t)
		deliver(t, s, "pull_request", "d-1", strings.Replace(opened, "acme/infra", "evil/infra", 1), true)
		if n := jobs(t, st); n != 0 {
			t.Fatalf("%d jobs for a repository not allowed", n)
		}
	})
	t.Run("a body over 25 MB is refused", func(t *testing.T) {
		s, _ := newServer(t)
		big := `{"action":"opened","x":"` + strings.Repeat("a", github.MaxWebhookBody) + `"}`
		if w := deliver(t, s, "pull_request", "d-1", big, true); w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", w.Code)
		}
	})
	t.Run("metrics count deliveries by outcome and jobs by state", func(t *testing.T) {
		s, _ := newServer(t)
		deliver(t, s, "pull_request", "d-1", opened, true)
		deliver(t, s, "pull_request", "d-1", opened, true)
		deliver(t, s, "pull_request", "d-9", opened, false)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		body, _ := io.ReadAll(w.Body)
		for _, want := range []string{
			`gitops_webhook_deliveries_total{event="pull_request",outcome="queued"} 1`,
			`gitops_webhook_deliveries_total{event="pull_request",outcome="duplicate"} 1`,
			`gitops_webhook_deliveries_total{event="pull_request",outcome="bad_signature"} 1`,
			`gitops_jobs{kind="test_plan",state="available"} 1`,
		} {
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func TestHealthzAndStatus(t *testing.T) {
	s, st := newServer(t)
	if _, _, err := st.TryLock(context.Background(), store.Lock{Repo: "acme/infra", Env: "dev", Holder: "pr:7", PR: 7, URL: "https://example.com/pr/7"}); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 || w.Body.String() != "ok\n" {
		t.Fatalf("healthz %d %q", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<a href="https://example.com/pr/7">pr:7</a>`) {
		t.Fatalf("status page %d:\n%s", w.Code, w.Body)
	}
	st.Close()
	w = httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("healthz with the database closed: %d", w.Code)
	}
}
