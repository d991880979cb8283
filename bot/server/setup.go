package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// SetupConfig is what the App manifest flow needs.
type SetupConfig struct {
	// GitHubURL is the REST API base (public GitHub or GitHub Enterprise Server).
	GitHubURL string
	// PublicURL is where GitHub reaches this server (webhook and redirect).
	PublicURL string
	// Dir receives the new App's key, webhook secret and id (0600 files).
	Dir string
	// Name is the App's name on GitHub; default "gitops".
	Name string
	// Client calls GitHub's manifest conversion; default http.DefaultClient.
	Client *http.Client
}

// Manifest is the App gitops needs: exactly the permissions and events its
// jobs use, so nobody clicks permissions by hand.
func Manifest(name, publicURL string) map[string]any {
	base := strings.TrimSuffix(publicURL, "/")
	return map[string]any{
		"name":            name,
		"url":             base + "/",
		"hook_attributes": map[string]any{"url": base + "/webhook", "active": true},
		"redirect_url":    base + "/setup/callback",
		"public":          false,
		"default_permissions": map[string]string{
			"checks":        "write", // a check run per environment, with its Apply button
			"contents":      "write", // clone heads; release PRs edit releases/<env>.yaml
			"pull_requests": "write", // read PRs and their files and reviews; open release PRs
			"issues":        "write", // the sticky comment, replies, reactions, labels
			"deployments":   "write", // GitHub Deployments of releases
			"statuses":      "read",  // a release tag's commit passed its checks
			"metadata":      "read",
		},
		"default_events": []string{"pull_request", "issue_comment", "pull_request_review", "check_run", "push"},
	}
}

// webURL is GitHub's web address for an API base: api.github.com →
// github.com; https://HOST/api/v3/ → https://HOST.
func webURL(api string) string {
	u, err := url.Parse(api)
	if err != nil {
		return "https://github.com"
	}
	if u.Host == "api.github.com" {
		return "https://github.com"
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v3")
	return strings.TrimSuffix(u.String(), "/")
}

// Setup serves the GitHub App manifest flow: /setup posts the manifest to
// GitHub, which creates the App and redirects to /setup/callback; the
// callback exchanges the code for the App's id, key and webhook secret and
// writes them to Dir. The secrets are never shown or logged.
func Setup(cfg SetupConfig) http.Handler {
	if cfg.Name == "" {
		cfg.Name = "gitops"
	}
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	s := &setup{cfg: cfg, states: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /setup", s.start)
	mux.HandleFunc("GET /setup/callback", s.callback)
	return mux
}

type setup struct {
	cfg    SetupConfig
	mu     sync.Mutex
	states map[string]time.Time // state → issued; a state is used once, within an hour
}

var setupPage = template.Must(template.New("setup").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>gitops setup</title></head><body>
<h1>Create the gitops GitHub App</h1>
<p>GitHub will create an App named <b>{{.Name}}</b> with the permissions and events gitops needs,
sending webhooks to <code>{{.Hook}}</code>. You choose where to install it afterwards.</p>
<form action="{{.Action}}" method="post">
<input type="hidden" name="manifest" value="{{.Manifest}}">
<button type="submit">Create the App on GitHub</button>
</form></body></html>
`))

func (s *setup) start(w http.ResponseWriter, r *http.Request) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		http.Error(w, "no randomness", http.StatusInternalServerError)
		return
	}
	state := hex.EncodeToString(b)
	s.mu.Lock()
	s.states[state] = time.Now()
	s.mu.Unlock()
	manifest, _ := json.Marshal(Manifest(s.cfg.Name, s.cfg.PublicURL))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = setupPage.Execute(w, map[string]any{
		"Name":     s.cfg.Name,
		"Hook":     strings.TrimSuffix(s.cfg.PublicURL, "/") + "/webhook",
		"Action":   webURL(s.cfg.GitHubURL) + "/settings/apps/new?state=" + state,
		"Manifest": string(manifest),
	})
}

func (s *setup) callback(w http.ResponseWriter, r *http.Request) {
	code, state := r.URL.Query().Get("code"), r.URL.Query().Get("state")
	s.mu.Lock()
	issued, ok := s.states[state]
	delete(s.states, state)
	s.mu.Unlock()
	if !ok || time.Since(issued) > time.Hour {
		http.Error(w, "unknown or expired setup state: start again at /setup", http.StatusBadRequest)
		return
	}
	if code == "" || strings.ContainsAny(code, "/?#") {
		http.Error(w, "GitHub sent no code", http.StatusBadRequest)
		return
	}
	app, err := s.convert(r.Context(), code)
	if err != nil {
		http.Error(w, "creating the App failed: "+err.Error(), http.StatusBadGateway)
		return
	}
	files, err := s.save(app)
	if err != nil {
		http.Error(w, "saving the App's credentials failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "The App %s (id %d) was created: %s\n\nIts private key and webhook secret were written to %s and %s (mode 0600).\nInstall it on your repository (%s/installations/new), then start gitops with:\n\n  gitops serve --app-id %d --app-key-file %s --webhook-secret-file %s --repo OWNER/NAME\n",
		app.Slug, app.ID, app.HTMLURL, files.key, files.secret, app.HTMLURL, app.ID, files.key, files.secret)
}

type createdApp struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	HTMLURL       string `json:"html_url"`
	PEM           string `json:"pem"`
	WebhookSecret string `json:"webhook_secret"`
}

// convert exchanges the manifest code for the App's credentials.
//
// POST /app-manifests/{code}/conversions
func (s *setup) convert(ctx context.Context, code string) (*createdApp, error) {
	u := strings.TrimSuffix(s.cfg.GitHubURL, "/") + "/app-manifests/" + url.PathEscape(code) + "/conversions"
	req, err := http.NewRequestWithContext(ctx, "POST", u, bytes.NewReader(nil))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("manifest conversion: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("manifest conversion: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("manifest conversion: GitHub answered %d", resp.StatusCode)
	}
	var app createdApp
	if err := json.Unmarshal(body, &app); err != nil || app.ID == 0 || app.PEM == "" || app.WebhookSecret == "" {
		return nil, fmt.Errorf("manifest conversion: GitHub's answer lacks the App's id, key or webhook secret")
	}
	return &app, nil
}

type savedFiles struct{ key, secret string }

func (s *setup) save(app *createdApp) (savedFiles, error) {
	if err := os.MkdirAll(s.cfg.Dir, 0o700); err != nil {
		return savedFiles{}, err
	}
	f := savedFiles{key: filepath.Join(s.cfg.Dir, "app.pem"), secret: filepath.Join(s.cfg.Dir, "webhook-secret")}
	for path, data := range map[string]string{f.key: app.PEM, f.secret: app.WebhookSecret + "\n", filepath.Join(s.cfg.Dir, "app-id"): fmt.Sprintf("%d\n", app.ID)} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			return savedFiles{}, err
		}
	}
	return f, nil
}
