// Package github is the App's side of GitHub: authentication as the App and
// as its installations (ghinstallation), a REST client that retries GitHub's
// transient failures and reports its rate limits, and webhook verification
// and parsing. The emulator in bot/github/emulator plays GitHub in tests and
// in gitops demo.
//
// It is not for deciding what to do with an event (bot/jobs) nor for
// rendering what is posted (bot/report).
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v60/github"
)

// DefaultURL is public GitHub's REST API.
const DefaultURL = "https://api.github.com/"

// Config is how the App reaches GitHub.
type Config struct {
	// URL is the REST API base: DefaultURL, a GitHub Enterprise Server
	// (https://ghe.example.com/api/v3/) or an emulator.
	URL string
	// AppID and PrivateKey (PEM) authenticate the App.
	AppID      int64
	PrivateKey []byte
	// Transport is the HTTP transport under auth and retries; default
	// http.DefaultTransport (system roots and SSL_CERT_FILE).
	Transport http.RoundTripper
	Retry     RetryConfig
	Observer  Observer
}

// App authenticates as a GitHub App and hands out clients per installation.
type App struct {
	cfg     Config
	base    *url.URL
	apps    *ghinstallation.AppsTransport
	retry   http.RoundTripper
	mu      sync.Mutex
	clients map[int64]*Client
}

// New checks cfg and returns the App.
func New(cfg Config) (*App, error) {
	var errs []error
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if !strings.HasSuffix(cfg.URL, "/") {
		cfg.URL += "/"
	}
	base, err := url.Parse(cfg.URL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		errs = append(errs, fmt.Errorf("github url %q: want an http(s) URL such as %s", cfg.URL, DefaultURL))
	}
	if cfg.AppID <= 0 {
		errs = append(errs, errors.New("github app id: not set"))
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	cfg.Retry = cfg.Retry.withDefaults()
	retry := &retryTransport{next: cfg.Transport, cfg: cfg.Retry, observe: cfg.Observer}
	apps, err := ghinstallation.NewAppsTransport(retry, cfg.AppID, cfg.PrivateKey)
	if err != nil {
		// The key's content is never part of the message.
		errs = append(errs, fmt.Errorf("github app private key: not an RSA private key in PEM form"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	apps.BaseURL = strings.TrimSuffix(cfg.URL, "/")
	return &App{cfg: cfg, base: base, apps: apps, retry: retry, clients: map[int64]*Client{}}, nil
}

// Client returns the client of an installation; tokens are fetched and
// renewed as needed.
func (a *App) Client(installationID int64) *Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.clients[installationID]; ok {
		return c
	}
	itr := ghinstallation.NewFromAppsTransport(a.apps, installationID)
	itr.BaseURL = strings.TrimSuffix(a.cfg.URL, "/")
	c := &Client{gh: a.restClient(&http.Client{Transport: itr}), token: itr}
	a.clients[installationID] = c
	return c
}

// AppClient is a REST client authenticated as the App itself (JWT), for
// /app endpoints.
func (a *App) AppClient() *gh.Client {
	return a.restClient(&http.Client{Transport: a.apps})
}

func (a *App) restClient(hc *http.Client) *gh.Client {
	c := gh.NewClient(hc)
	u := *a.base
	c.BaseURL = &u
	up := *a.base
	c.UploadURL = &up
	return c
}

// Client is a REST client of one installation.
type Client struct {
	gh    *gh.Client
	token *ghinstallation.Transport
}

// Token is a current installation token, for git over HTTPS
// (x-access-token). It is a secret: never log it.
func (c *Client) Token(ctx context.Context) (string, error) {
	t, err := c.token.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("installation token: %w", err)
	}
	return t, nil
}

// REST is the underlying go-github client, for calls this package does not wrap.
func (c *Client) REST() *gh.Client { return c.gh }
