package emulator_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/gitops-bot/gitops/bot/github/emulator"
)

func TestInstallationTokenFlow(t *testing.T) {
	f := newFixture(t)
	repo, _, err := f.gh.Repositories.Get(f.ctx, f.owner, f.name)
	if err != nil {
		t.Fatal(err)
	}
	if repo.GetFullName() != testRepo || repo.GetDefaultBranch() != "main" || !strings.HasSuffix(repo.GetCloneURL(), "/acme/infra.git") {
		t.Errorf("repository = %s default %s clone %s", repo.GetFullName(), repo.GetDefaultBranch(), repo.GetCloneURL())
	}
	if _, _, err := f.gh.Repositories.Get(f.ctx, f.owner, f.name); err != nil {
		t.Fatal(err)
	}

	tokens := f.e.CallsFor("apps/create-installation-access-token")
	if len(tokens) != 1 {
		t.Fatalf("token requests = %d, want 1 (ghinstallation caches the token)", len(tokens))
	}
	if tokens[0].Status != http.StatusCreated || tokens[0].Identity != "app:1" {
		t.Errorf("token request: status %d identity %q", tokens[0].Status, tokens[0].Identity)
	}
	want := "installation:" + itoa(f.repo.InstallationID)
	for _, c := range f.e.CallsFor("repos/get") {
		if c.Identity != want || c.Status != http.StatusOK {
			t.Errorf("repos/get: identity %q status %d, want %q 200", c.Identity, c.Status, want)
		}
	}

	// The App's own endpoints take its JWT.
	atr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, f.e.AppID(), f.e.PrivateKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	atr.BaseURL = f.e.URL()
	app := newClient(t, f.e, &http.Client{Transport: atr})
	inst, _, err := app.Apps.FindRepositoryInstallation(f.ctx, f.owner, f.name)
	if err != nil {
		t.Fatal(err)
	}
	if inst.GetID() != f.e.InstallationID() || inst.GetAppID() != f.e.AppID() {
		t.Errorf("installation = %d of app %d", inst.GetID(), inst.GetAppID())
	}
	me, _, err := app.Apps.Get(f.ctx, "")
	if err != nil || me.GetSlug() != "gitops" {
		t.Errorf("GET /app = %v, %v", me.GetSlug(), err)
	}
	f.noViolations()
}

func TestAuthFailures(t *testing.T) {
	f := newFixture(t)
	token, _, err := f.e.InstallationToken(f.repo.InstallationID)
	if err != nil {
		t.Fatal(err)
	}
	other, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	tests := []struct {
		name   string
		client *github.Client
		prep   func()
		want   int
	}{
		{"no credentials are refused", newClient(t, f.e, http.DefaultClient), nil, http.StatusUnauthorized},
		{"an unknown token is refused", newClient(t, f.e, tokenClient("ghs_unknown")), nil, http.StatusUnauthorized},
		{"a valid token works", newClient(t, f.e, tokenClient(token)), nil, http.StatusOK},
		{"an expired token is refused", newClient(t, f.e, tokenClient(token)), f.e.ExpireTokens, http.StatusUnauthorized},
		{"a JWT signed with another key is refused", appClient(t, f.e, other.PrivateKeyPEM()), nil, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prep != nil {
				tc.prep()
			}
			_, resp, err := tc.client.Repositories.Get(f.ctx, f.owner, f.name)
			if tc.name == "a JWT signed with another key is refused" {
				_, resp, err = tc.client.Apps.FindRepositoryInstallation(f.ctx, f.owner, f.name)
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d, want %d (%v)", resp.StatusCode, tc.want, err)
			}
			if resp.Header.Get("X-RateLimit-Limit") == "" || resp.Header.Get("X-RateLimit-Resource") != "core" {
				t.Errorf("rate limit headers missing: %v", resp.Header)
			}
		})
	}

	// Another account's repository is out of the installation's reach.
	if _, err := f.e.CreateRepo(f.ctx, "globex/infra", nil); err != nil {
		t.Fatal(err)
	}
	_, resp, err := f.gh.Repositories.Get(f.ctx, "globex", "infra")
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || resp.StatusCode != http.StatusNotFound {
		t.Errorf("other installation's repo: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t)
	limits, _, err := f.gh.RateLimit.Get(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if limits.GetCore().Limit != 5000 {
		t.Errorf("core limit = %d", limits.GetCore().Limit)
	}
	_, resp, err := f.gh.Repositories.Get(f.ctx, f.owner, f.name)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Rate.Limit != 5000 || resp.Rate.Remaining != 4999 {
		t.Errorf("rate after one call = %+v", resp.Rate)
	}
}

type tokenTransport string

func (t tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "token "+string(t))
	return http.DefaultTransport.RoundTrip(r)
}

func tokenClient(token string) *http.Client { return &http.Client{Transport: tokenTransport(token)} }

func appClient(t *testing.T, e *emulator.Emulator, key []byte) *github.Client {
	t.Helper()
	atr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, e.AppID(), key)
	if err != nil {
		t.Fatal(err)
	}
	atr.BaseURL = e.URL()
	return newClient(t, e, &http.Client{Transport: atr})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestPrimaryRateLimit(t *testing.T) {
	e, err := emulator.New(emulator.Options{RateLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	repo, err := e.CreateRepo(t.Context(), testRepo, nil)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := e.InstallationToken(repo.InstallationID)
	if err != nil {
		t.Fatal(err)
	}
	gh := newClient(t, e, tokenClient(token))
	for i := range 2 {
		if _, _, err := gh.Repositories.Get(t.Context(), "acme", "infra"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, _, err = gh.Repositories.Get(t.Context(), "acme", "infra")
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || rl.Rate.Remaining != 0 {
		t.Errorf("third call: %v, want a rate limit error", err)
	}
}
