package emulator

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"
)

// tokenLifetime is how long an installation access token is valid, as on GitHub.
const tokenLifetime = time.Hour

// AppID is the App's ID, the issuer of its JWTs.
func (e *Emulator) AppID() int64 { return e.opts.AppID }

// AppSlug is the App's slug; its bot user is AppSlug()+"[bot]".
func (e *Emulator) AppSlug() string { return e.opts.AppSlug }

// PrivateKeyPEM is the App's private key (PKCS#1 PEM), as GitHub hands it
// out when the App is registered.
func (e *Emulator) PrivateKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(e.key)})
}

// WritePrivateKey writes the App's private key to path (mode 0600).
func (e *Emulator) WritePrivateKey(path string) error {
	if err := os.WriteFile(path, e.PrivateKeyPEM(), 0o600); err != nil {
		return fmt.Errorf("write App private key: %w", err)
	}
	return nil
}

// InstallationID is the ID of the App's installation on the account that
// owns the first repository created (0 before any); Repo.InstallationID
// names the installation of any other repository.
func (e *Emulator) InstallationID() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.st.installations) == 0 {
		return 0
	}
	return e.st.installations[0].id
}

// InstallationToken issues an installation access token directly, as the
// access_tokens endpoint would (useful to clone with git in tests).
func (e *Emulator) InstallationToken(installationID int64) (token string, expires time.Time, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in := e.st.installationByID(installationID)
	if in == nil {
		return "", time.Time{}, fmt.Errorf("installation %d: not found", installationID)
	}
	t := e.issueToken(in)
	return t.value, t.expires, nil
}

// ExpireTokens makes every installation token issued so far expired, as if
// an hour had passed; later calls with them get 401 "Bad credentials".
func (e *Emulator) ExpireTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for _, t := range e.st.tokens {
		t.expires = past
	}
}

func (e *Emulator) issueToken(in *installation) *token {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 36)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	t := &token{value: "ghs_" + string(b), inst: in, expires: time.Now().Add(tokenLifetime).Truncate(time.Second)}
	e.st.tokens[t.value] = t
	return t
}

// identity is who made a call: the App (JWT), an installation (token) or nobody.
type identity struct {
	kind  string // "app", "installation" or ""
	appID int64
	inst  *installation
}

// String is the identity as recorded in Calls: "app:<id>",
// "installation:<id>" or "" for anonymous calls.
func (i identity) String() string {
	switch i.kind {
	case "app":
		return "app:" + strconv.FormatInt(i.appID, 10)
	case "installation":
		return "installation:" + strconv.FormatInt(i.inst.id, 10)
	}
	return ""
}

// canSee tells whether the caller may address the repository at all; GitHub
// answers 404 for repositories out of reach.
func (i identity) canSee(r *repoState, op *operation) bool {
	switch i.kind {
	case "app":
		return op.ID == "apps/get-repo-installation" && r.inst != nil
	case "installation":
		return r.inst == i.inst
	}
	return false
}

// authenticate checks the Authorization header against what the operation
// accepts.
func (e *Emulator) authenticate(r *http.Request, op *operation) (identity, *apiError) {
	accepts := func(scheme string) bool {
		for _, s := range op.security {
			if s == scheme {
				return true
			}
		}
		return false
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		if accepts("") {
			return identity{}, nil
		}
		return identity{}, &apiError{Status: http.StatusUnauthorized, Message: "Requires authentication"}
	}
	scheme, cred, _ := strings.Cut(h, " ")
	scheme = strings.ToLower(scheme)
	if scheme != "token" && scheme != "bearer" {
		return identity{}, &apiError{Status: http.StatusUnauthorized, Message: "Bad credentials"}
	}
	cred = strings.TrimSpace(cred)
	if strings.Count(cred, ".") == 2 {
		if !accepts("appJwt") {
			return identity{}, &apiError{Status: http.StatusUnauthorized,
				Message: "A JSON web token could not be decoded: this endpoint needs an installation access token"}
		}
		if err := e.verifyJWT(cred); err != nil {
			return identity{}, &apiError{Status: http.StatusUnauthorized, Message: "A JSON web token could not be decoded: " + err.Error()}
		}
		return identity{kind: "app", appID: e.opts.AppID}, nil
	}
	t := e.st.tokens[cred]
	if t == nil || !time.Now().Before(t.expires) {
		return identity{}, &apiError{Status: http.StatusUnauthorized, Message: "Bad credentials"}
	}
	if !accepts("installationToken") {
		return identity{}, &apiError{Status: http.StatusUnauthorized,
			Message: "A JSON web token could not be decoded: this endpoint needs the App's JWT"}
	}
	return identity{kind: "installation", inst: t.inst}, nil
}

// identify names the caller of a call that matched no operation, for its
// rate limit headers and the record: an installation by its token, else nobody.
func (e *Emulator) identify(r *http.Request) identity {
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if t := e.st.tokens[strings.TrimSpace(cred)]; t != nil && time.Now().Before(t.expires) {
		return identity{kind: "installation", inst: t.inst}
	}
	return identity{}
}

// verifyJWT checks an App JWT as GitHub does: RS256 signed with the App's
// key, issued by the App, not expired, and expiring at most 10 minutes from
// now.
func (e *Emulator) verifyJWT(raw string) error {
	claims := &jwt.RegisteredClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}))
	_, err := parser.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return &e.key.PublicKey, nil })
	if err != nil {
		return err
	}
	if claims.Issuer != strconv.FormatInt(e.opts.AppID, 10) {
		return fmt.Errorf("'Issuer' claim ('iss') must be the App ID %d", e.opts.AppID)
	}
	if claims.ExpiresAt == nil || claims.IssuedAt == nil {
		return fmt.Errorf("'Expiration time' claim ('exp') and 'Issued at' claim ('iat') are required")
	}
	if time.Until(claims.ExpiresAt.Time) > 10*time.Minute+30*time.Second {
		return fmt.Errorf("'Expiration time' claim ('exp') is too far in the future")
	}
	return nil
}

// GET /app
func (e *Emulator) getApp(_ context.Context, _ *request) (int, any, error) {
	return http.StatusOK, e.appJSON(), nil
}

func (e *Emulator) appJSON() *github.App {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	owner := e.st.app
	if len(e.st.installations) > 0 {
		owner = e.st.installations[0].account
	}
	return &github.App{
		ID: ptr(e.opts.AppID), Slug: ptr(e.opts.AppSlug), NodeID: ptr(nodeID("A", e.opts.AppID)),
		Owner: e.userJSON(owner), Name: ptr(e.opts.AppSlug), Description: ptr("gitops App (emulated)"),
		ExternalURL: ptr(e.url), HTMLURL: ptr(e.url + "/apps/" + e.opts.AppSlug),
		CreatedAt: ts(created), UpdatedAt: ts(created),
		Permissions: appPermissions(),
		Events:      []string{"check_run", "issue_comment", "pull_request", "pull_request_review", "push"},
	}
}

func appPermissions() *github.InstallationPermissions {
	return &github.InstallationPermissions{
		Checks: ptr("write"), Contents: ptr("write"), Deployments: ptr("write"), Issues: ptr("write"),
		Metadata: ptr("read"), PullRequests: ptr("write"), Statuses: ptr("write"),
	}
}

func (e *Emulator) installationJSON(in *installation) *github.Installation {
	return &github.Installation{
		ID: ptr(in.id), NodeID: ptr(nodeID("I", in.id)), AppID: ptr(e.opts.AppID), AppSlug: ptr(e.opts.AppSlug),
		TargetID: ptr(in.account.id), TargetType: ptr(in.account.typ), Account: e.userJSON(in.account),
		AccessTokensURL:     ptr(fmt.Sprintf("%s/app/installations/%d/access_tokens", e.url, in.id)),
		RepositoriesURL:     ptr(e.url + "/installation/repositories"),
		HTMLURL:             ptr(fmt.Sprintf("%s/settings/installations/%d", e.url, in.id)),
		RepositorySelection: ptr("all"), Permissions: appPermissions(),
		Events:    []string{"check_run", "issue_comment", "pull_request", "pull_request_review", "push"},
		CreatedAt: ts(in.created), UpdatedAt: ts(in.created),
	}
}

// POST /app/installations/{installation_id}/access_tokens
func (e *Emulator) createInstallationToken(_ context.Context, q *request) (int, any, error) {
	in := e.st.installationByID(q.int("installation_id"))
	if in == nil {
		return 0, nil, notFound()
	}
	var body struct {
		Repositories []string `json:"repositories"`
	}
	if err := decode(q, &body); err != nil {
		return 0, nil, err
	}
	for _, name := range body.Repositories {
		if r := e.st.repo(in.account.login + "/" + name); r == nil || r.inst != in {
			return 0, nil, &apiError{Status: http.StatusUnprocessableEntity,
				Message: "There is at least one repository that does not exist or is not accessible to the parent installation."}
		}
	}
	t := e.issueToken(in)
	return http.StatusCreated, &github.InstallationToken{
		Token: ptr(t.value), ExpiresAt: ts(t.expires), Permissions: appPermissions(),
	}, nil
}

// GET /repos/{owner}/{repo}/installation
func (e *Emulator) getRepoInstallation(_ context.Context, q *request) (int, any, error) {
	return http.StatusOK, e.installationJSON(q.repo.inst), nil
}
