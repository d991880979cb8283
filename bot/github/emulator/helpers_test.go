package emulator_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/gitops-bot/gitops/bot/github/emulator"
)

const (
	testRepo   = "acme/infra"
	testSecret = "webhook-secret"
)

// fixture is an emulator with one repository, a go-github client
// authenticated as the App's installation through ghinstallation (as the
// App does it), and a webhook receiver that checks signatures.
type fixture struct {
	e      *emulator.Emulator
	repo   *emulator.Repo
	gh     *github.Client
	hooks  *receiver
	ctx    context.Context
	owner  string
	name   string
	itr    *ghinstallation.Transport
	t      testing.TB
	origin string // default branch tip after setup
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	hooks := newReceiver(t)
	e, err := emulator.New(emulator.Options{WebhookURL: hooks.srv.URL, WebhookSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	repo, err := e.CreateRepo(ctx, testRepo, map[string][]byte{
		"environments/dev.yaml": []byte("name: dev\nregion: us-east-1\n"),
		"releases/staging.yaml": []byte("environment: staging\nversion: v1.0.0\n"),
		"README.md":             []byte("# infra\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	itr, err := ghinstallation.New(http.DefaultTransport, e.AppID(), repo.InstallationID, e.PrivateKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	itr.BaseURL = e.URL()
	gh := newClient(t, e, &http.Client{Transport: itr})
	for _, u := range []string{"alice", "bob"} {
		if err := e.SetPermission(testRepo, u, emulator.RoleWrite); err != nil {
			t.Fatal(err)
		}
	}
	origin, err := e.ResolveRef(ctx, testRepo, "main")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{e: e, repo: repo, gh: gh, hooks: hooks, ctx: ctx, owner: "acme", name: "infra", itr: itr, t: t, origin: origin}
}

// newClient points go-github at the emulator with a plain BaseURL, as
// --github-url does.
func newClient(t testing.TB, e *emulator.Emulator, hc *http.Client) *github.Client {
	t.Helper()
	gh := github.NewClient(hc)
	base, err := url.Parse(e.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	gh.BaseURL = base
	return gh
}

// openPR pushes a change of environments/dev.yaml to branch and opens a
// pull request of it as alice.
func (f *fixture) openPR(branch string, opts ...emulator.PROption) *emulator.PR {
	f.t.Helper()
	if _, err := f.e.Push(f.ctx, testRepo, "alice", branch, map[string][]byte{
		"environments/dev.yaml": []byte("name: dev\nregion: eu-west-1\nlogs: {retention_days: 7}\n"),
	}, "dev: move to eu-west-1"); err != nil {
		f.t.Fatal(err)
	}
	pr, err := f.e.OpenPR(f.ctx, testRepo, "alice", branch, "main", "Move dev", "Moves dev.", opts...)
	if err != nil {
		f.t.Fatal(err)
	}
	return pr
}

func (f *fixture) noViolations() {
	f.t.Helper()
	if v := f.e.ViolationsText(); v != "" {
		f.t.Errorf("violations:\n%s", v)
	}
}

// received is one webhook delivery as the receiver saw it.
type received struct {
	event, delivery string
	payload         []byte
	parsed          any
}

// receiver is a webhook endpoint that verifies deliveries as the App must:
// signature first (github.ValidatePayload), then github.ParseWebHook.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []received
	refused int
	status  int // answer; 202 by default
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{status: http.StatusAccepted}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		payload, err := github.ValidatePayload(req, []byte(testSecret))
		if err != nil {
			r.mu.Lock()
			r.refused++
			r.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		ev, err := github.ParseWebHook(github.WebHookType(req), payload)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, received{event: github.WebHookType(req), delivery: github.DeliveryID(req), payload: payload, parsed: ev})
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) events() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *receiver) refusedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

func (r *receiver) of(event string) []received {
	var out []received
	for _, x := range r.events() {
		if x.event == event {
			out = append(out, x)
		}
	}
	return out
}

// git runs git in dir and returns its trimmed output.
func git(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + t.TempDir(), "GIT_TERMINAL_PROMPT=0",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// cloneURL puts an installation token into a clone URL as GitHub's
// x-access-token basic auth.
func cloneURL(t testing.TB, raw, token string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		u.User = url.UserPassword("x-access-token", token)
	}
	return u.String()
}
