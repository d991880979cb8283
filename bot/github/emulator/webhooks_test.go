package emulator_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/gitops-bot/gitops/bot/github/emulator"
)

// The fixtures in testdata/webhooks are payloads shaped like GitHub's real
// deliveries (written from GitHub's webhook documentation), named
// <event>.<action…>.json. They are the reference for the emulator's
// payloads, and the App's webhook parser can use them too.

// fixtureTypes is the go-github type each event must parse into.
var fixtureTypes = map[string]any{
	"pull_request":        &github.PullRequestEvent{},
	"pull_request_review": &github.PullRequestReviewEvent{},
	"issue_comment":       &github.IssueCommentEvent{},
	"check_run":           &github.CheckRunEvent{},
	"push":                &github.PushEvent{},
}

func readFixtures(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func TestFixturesParseAndValidate(t *testing.T) {
	for name, payload := range readFixtures(t) {
		t.Run(name, func(t *testing.T) {
			event := strings.SplitN(name, ".", 2)[0]
			req := signedRequest(t, event, payload, testSecret)
			body, err := github.ValidatePayload(req, []byte(testSecret))
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := github.ParseWebHook(github.WebHookType(req), body)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(parsed) != reflect.TypeOf(fixtureTypes[event]) {
				t.Errorf("parsed into %T, want %T", parsed, fixtureTypes[event])
			}
			if _, err := github.ValidatePayload(signedRequest(t, event, payload, "other-secret"), []byte(testSecret)); err == nil {
				t.Error("a payload signed with another secret validated")
			}
		})
	}
}

// TestEmulatorPayloadsMatchFixtures plays each fixture's situation through
// the emulator and checks that its delivery parses into the same type,
// passes the signature check (the receiver does both), and has every key
// the fixture has. Null values and empty arrays in a fixture may be absent:
// go-github's types omit them, and decoders cannot tell the difference.
func TestEmulatorPayloadsMatchFixtures(t *testing.T) {
	f := newFixture(t)
	pr := f.openPR("feature")
	if _, err := f.e.Push(f.ctx, testRepo, "alice", "feature", map[string][]byte{"b.txt": []byte("b\n")}, "more"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Comment(f.ctx, testRepo, "bob", pr.Number, "/plan"); err != nil {
		t.Fatal(err)
	}
	if err := f.e.Review(f.ctx, testRepo, "bob", pr.Number, "APPROVE"); err != nil {
		t.Fatal(err)
	}
	head, _ := f.e.PR(f.ctx, testRepo, pr.Number)
	run, _, err := f.gh.Checks.CreateCheckRun(f.ctx, f.owner, f.name, github.CreateCheckRunOptions{
		Name: "gitops/plan dev", HeadSHA: head.HeadSHA, ExternalID: github.String("plan:1:dev"), Conclusion: github.String("success"),
		Output:  &github.CheckRunOutput{Title: github.String("1 to add"), Summary: github.String("Plan: 1 to add")},
		Actions: []*github.CheckRunAction{{Label: "Apply", Description: "Apply the plan", Identifier: "apply:dev"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.RequestCheckRunAction(f.ctx, testRepo, "bob", run.GetID(), "apply:dev"); err != nil {
		t.Fatal(err)
	}
	merge, err := f.e.Merge(f.ctx, testRepo, "bob", pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.PushTag(f.ctx, testRepo, "bob", "v1.2.0", merge); err != nil {
		t.Fatal(err)
	}
	if n := f.hooks.refusedCount(); n != 0 {
		t.Fatalf("the receiver refused %d deliveries (bad signature)", n)
	}
	for _, d := range f.e.Deliveries() {
		if d.Status != http.StatusAccepted {
			t.Errorf("delivery %s %s answered %d (%s)", d.Event, d.Action, d.Status, d.Err)
		}
	}

	// Which delivery stands for which fixture.
	find := func(event, action, refPrefix string) []byte {
		for _, r := range f.hooks.events() {
			if r.event != event {
				continue
			}
			var head struct {
				Action string `json:"action"`
				Ref    string `json:"ref"`
			}
			_ = json.Unmarshal(r.payload, &head)
			if head.Action == action && strings.HasPrefix(head.Ref, refPrefix) {
				return r.payload
			}
		}
		return nil
	}
	cases := map[string][]byte{
		"pull_request.opened.json":           find("pull_request", "opened", ""),
		"pull_request.synchronize.json":      find("pull_request", "synchronize", ""),
		"pull_request.closed.merged.json":    find("pull_request", "closed", ""),
		"issue_comment.created.json":         find("issue_comment", "created", ""),
		"check_run.requested_action.json":    find("check_run", "requested_action", ""),
		"pull_request_review.submitted.json": find("pull_request_review", "submitted", ""),
		"push.branch.json":                   find("push", "", "refs/heads/feature"),
		"push.tag.json":                      find("push", "", "refs/tags/"),
	}
	fixtures := readFixtures(t)
	for name, fixture := range fixtures {
		t.Run(name, func(t *testing.T) {
			got := cases[name]
			if got == nil {
				t.Fatalf("the scenario produced no delivery for %s", name)
			}
			for _, missing := range missingKeys(t, fixture, got) {
				t.Errorf("emulator payload lacks %s", missing)
			}
		})
	}
	for name := range cases {
		if fixtures[name] == nil {
			t.Errorf("no fixture %s", name)
		}
	}
}

// missingKeys lists the key paths of want (with non-null values) that got lacks.
func missingKeys(t *testing.T, want, got []byte) []string {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(path string, w, g any)
	walk = func(path string, w, g any) {
		switch wv := w.(type) {
		case map[string]any:
			gv, ok := g.(map[string]any)
			if !ok {
				out = append(out, path+" (not an object)")
				return
			}
			for k, v := range wv {
				if arr, ok := v.([]any); v == nil || ok && len(arr) == 0 {
					continue
				}
				gk, ok := gv[k]
				if !ok || gk == nil {
					out = append(out, path+"."+k)
					continue
				}
				walk(path+"."+k, v, gk)
			}
		case []any:
			gv, ok := g.([]any)
			if !ok {
				out = append(out, path+" (not an array)")
				return
			}
			if len(wv) > 0 && len(gv) > 0 {
				walk(path+"[0]", wv[0], gv[0])
			}
		default:
			if reflect.TypeOf(w) != reflect.TypeOf(g) {
				out = append(out, fmt.Sprintf("%s (%T, want %T)", path, g, w))
			}
		}
	}
	walk("", w, g)
	sort.Strings(out)
	return out
}

func signedRequest(t *testing.T, event string, payload []byte, secret string) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(payload))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(payload)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

func TestDeliveryHeaders(t *testing.T) {
	var mu sync.Mutex
	var headers []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		headers = append(headers, r.Header.Clone())
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	f := newFixture(t)
	if err := f.e.SetWebhookURL(srv.URL); err != nil {
		t.Fatal(err)
	}
	f.openPR("feature")
	mu.Lock()
	defer mu.Unlock()
	if len(headers) != 2 {
		t.Fatalf("deliveries = %d", len(headers))
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, h := range headers {
		if !uuid.MatchString(h.Get("X-GitHub-Delivery")) || h.Get("X-GitHub-Hook-ID") == "" ||
			!strings.HasPrefix(h.Get("User-Agent"), "GitHub-Hookshot/") || h.Get("Content-Type") != "application/json" ||
			!strings.HasPrefix(h.Get("X-Hub-Signature-256"), "sha256=") || h.Get("X-GitHub-Event") == "" {
			t.Errorf("headers = %v", h)
		}
	}
	if err := f.e.SetWebhookURL("http://192.0.2.1/webhook"); err == nil {
		t.Error("a non-loopback webhook URL was accepted")
	}
}

func TestRedeliverAndResend(t *testing.T) {
	f := newFixture(t)
	f.openPR("feature")
	opened := f.e.DeliveriesOf("pull_request", "opened")
	if len(opened) != 1 {
		t.Fatalf("opened deliveries = %d", len(opened))
	}
	orig := opened[0]
	re, err := f.e.Redeliver(f.ctx, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.e.Resend(f.ctx, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := f.hooks.of("pull_request")
	if len(got) != 3 {
		t.Fatalf("pull_request received %d times, want 3", len(got))
	}
	if got[1].delivery != orig.ID || !re.Redelivery || !bytes.Equal(got[1].payload, orig.Payload) {
		t.Errorf("redelivery: id %s (want %s), redelivery %v", got[1].delivery, orig.ID, re.Redelivery)
	}
	if got[2].delivery == orig.ID || again.ID != got[2].delivery || !bytes.Equal(got[2].payload, orig.Payload) {
		t.Errorf("resend: id %s, want a new id with the same payload", got[2].delivery)
	}
	if _, err := f.e.Redeliver(f.ctx, "no-such-delivery"); err == nil {
		t.Error("redelivered an unknown delivery")
	}
}

func TestWrongSecretIsRefusedByTheReceiver(t *testing.T) {
	hooks := newReceiver(t)
	e, err := emulator.New(emulator.Options{WebhookURL: hooks.srv.URL, WebhookSecret: "not-the-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.CreateRepo(t.Context(), testRepo, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Push(t.Context(), testRepo, "acme", "main", map[string][]byte{"x": []byte("x")}, "x"); err != nil {
		t.Fatal(err)
	}
	if hooks.refusedCount() != 1 || e.Deliveries()[0].Status != http.StatusUnauthorized {
		t.Errorf("refused %d, status %d", hooks.refusedCount(), e.Deliveries()[0].Status)
	}
}
