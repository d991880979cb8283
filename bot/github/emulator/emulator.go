package emulator

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure an Emulator. The zero value works: no webhook receiver
// (deliveries are still built and recorded), no secret.
type Options struct {
	// WebhookURL receives the deliveries; it must be a loopback address.
	// It can be set later with SetWebhookURL.
	WebhookURL string
	// WebhookSecret signs each delivery (X-Hub-Signature-256).
	WebhookSecret string
	// AppID is the App's ID; default 1.
	AppID int64
	// AppSlug is the App's slug, which names its bot user "<slug>[bot]";
	// default "gitops".
	AppSlug string
	// RateLimit is the primary rate limit per installation and hour; default 5000.
	RateLimit int
}

// Emulator is a running GitHub emulator. Its methods are safe for concurrent use.
type Emulator struct {
	opts     Options
	dir      string // temp dir: git/<owner>/<name>.git holds the bare repositories
	listener net.Listener
	server   *http.Server
	url      string
	key      *rsa.PrivateKey
	api      *spec
	handlers map[string]handlerFunc
	client   *http.Client // webhook deliveries

	mu            sync.Mutex // guards everything below and serialises git writes
	st            state
	calls         []Call
	callAdded     chan struct{} // closed (and replaced) when a call is recorded
	violations    []Violation
	faults        faultState
	rates         map[string]*rateBucket
	webhookURL    string
	deliveries    []*Delivery
	pending       []*Delivery // REST-caused deliveries not yet sent
	deliverMu     sync.Mutex  // serialises sending, so deliveries keep their order
	wake          chan struct{}
	stop          context.CancelFunc
	senderStopped chan struct{}
}

// New starts an emulator listening on 127.0.0.1 on a free port.
func New(opts Options) (*Emulator, error) {
	if opts.AppID == 0 {
		opts.AppID = 1
	}
	if opts.AppSlug == "" {
		opts.AppSlug = "gitops"
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = 5000
	}
	if err := checkLoopbackURL(opts.WebhookURL); err != nil {
		return nil, err
	}
	api, err := loadSpec()
	if err != nil {
		return nil, fmt.Errorf("github emulator: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("github emulator: generate App key: %w", err)
	}
	dir, err := os.MkdirTemp("", "github-emulator-")
	if err != nil {
		return nil, fmt.Errorf("github emulator: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "git"), 0o755); err != nil {
		return nil, fmt.Errorf("github emulator: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("github emulator: listen: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	e := &Emulator{
		opts:          opts,
		dir:           dir,
		listener:      ln,
		url:           "http://" + ln.Addr().String(),
		key:           key,
		api:           api,
		client:        &http.Client{Timeout: 10 * time.Second}, // GitHub gives a receiver 10 s
		rates:         map[string]*rateBucket{},
		webhookURL:    opts.WebhookURL,
		wake:          make(chan struct{}, 1),
		callAdded:     make(chan struct{}),
		stop:          stop,
		senderStopped: make(chan struct{}),
	}
	e.st.init()
	e.handlers = e.routes()
	for _, op := range api.ops {
		if e.handlers[op.ID] == nil {
			_ = ln.Close()
			stop()
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("github emulator: operation %s (%s %s) has no handler", op.ID, op.Method, op.Template)
		}
	}
	e.st.app = e.st.user(opts.AppSlug+"[bot]", "Bot")
	e.server = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.server.Serve(ln) }()
	go e.sender(ctx)
	return e, nil
}

// URL is the REST base URL (no trailing slash); git is served under it at
// /{owner}/{repo}.git. go-github takes URL()+"/" as its BaseURL.
func (e *Emulator) URL() string { return e.url }

// Close stops the server and the webhook sender and removes the repositories.
func (e *Emulator) Close() error {
	e.stop()
	<-e.senderStopped
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := e.server.Shutdown(ctx)
	if rmErr := os.RemoveAll(e.dir); rmErr != nil && err == nil {
		err = rmErr
	}
	if err != nil {
		return fmt.Errorf("github emulator: close: %w", err)
	}
	return nil
}

// ServeHTTP serves git at /{owner}/{repo}.git/… and the REST API elsewhere.
//
// The REST API is also served under /api/v3, where GitHub Enterprise Server
// has it (go-github's WithEnterpriseURLs); calls are recorded without it.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/api/v3/"); ok {
		raw := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v3")
		r = r.Clone(r.Context())
		r.URL.Path, r.URL.RawPath = "/"+rest, raw
	}
	if owner, name, ok := gitPath(r.URL.Path); ok {
		e.serveGit(w, r, owner, name)
		return
	}
	e.serveREST(w, r)
}

// request is one REST call on its way through the handlers.
type request struct {
	op     *operation
	params map[string]string
	query  url.Values
	body   []byte
	caller identity
	repo   *repoState  // the {owner}/{repo} of the path, when it has one
	header http.Header // extra response headers (Link)
}

// handlerFunc answers one REST operation. It runs with e.mu held and returns
// the status and the JSON body, or an error (an *apiError for GitHub's
// error answers).
type handlerFunc func(ctx context.Context, q *request) (int, any, error)

// maxRequestBody caps REST request bodies (GitHub's limit is larger, but no
// call of the App comes near it).
const maxRequestBody = 25 << 20

func (e *Emulator) serveREST(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	call := Call{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body}
	status, out, hdr := e.handleREST(r, body, &call)
	call.Status = status
	e.mu.Lock()
	e.calls = append(e.calls, call)
	close(e.callAdded)
	e.callAdded = make(chan struct{})
	hasPending := len(e.pending) > 0
	e.mu.Unlock()
	if hasPending {
		e.signal()
	}
	for k, vs := range hdr {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.Header().Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	w.Header().Set("X-GitHub-Request-Id", newUUID())
	w.WriteHeader(status)
	if out != nil && status != http.StatusNoContent {
		_ = json.NewEncoder(w).Encode(out)
	}
}

// handleREST routes, authenticates, injects faults, validates and runs one
// call, in that order.
func (e *Emulator) handleREST(r *http.Request, body []byte, call *Call) (int, any, http.Header) {
	hdr := http.Header{}
	op, params, _ := e.api.match(r.Method, r.URL.EscapedPath())
	e.mu.Lock()
	defer e.mu.Unlock()
	if op == nil || op.checkPath(params) != nil {
		caller := e.identify(r)
		call.Identity = caller.String()
		e.rateBucket(caller).headers(hdr, time.Now())
		if op == nil {
			e.violateLocked(call, "unknown-operation", fmt.Sprintf("%s %s is not an operation of the emulated API (openapi.yaml)", r.Method, r.URL.Path))
		} else {
			e.violateLocked(call, "unknown-path", op.checkPath(params).Error())
		}
		return http.StatusNotFound, errNotFound.body(), hdr
	}
	call.Operation = op.ID
	q := &request{op: op, params: params, query: r.URL.Query(), body: body, header: hdr}

	caller, authErr := e.authenticate(r, op)
	q.caller = caller
	call.Identity = caller.String()
	counted := op.ID != "rate-limit/get"
	bucket := e.rateBucket(caller)
	if authErr != nil {
		bucket.headers(hdr, time.Now())
		return authErr.Status, authErr.body(), hdr
	}
	if counted && bucket.exhausted(time.Now()) {
		bucket.headers(hdr, time.Now())
		return http.StatusForbidden, map[string]string{
			"message":           "API rate limit exceeded for " + caller.String() + ".",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
		}, hdr
	}
	if f := e.faults.next(r.Method, r.URL.Path); f != nil {
		call.Fault = f.kind.String()
		bucket.headers(hdr, time.Now())
		for k, v := range f.header {
			hdr.Set(k, v)
		}
		return f.status, f.body, hdr
	}
	if counted {
		bucket.use(time.Now())
	}
	bucket.headers(hdr, time.Now())

	if problems := op.checkQuery(q.query); len(problems) > 0 {
		e.violateLocked(call, "query", strings.Join(problems, "; "))
		return http.StatusUnprocessableEntity, map[string]any{
			"message":           "Invalid request.\n\n" + strings.Join(problems, "\n"),
			"documentation_url": docURL(op),
		}, hdr
	}
	problems, syntaxErr := op.checkBody(body)
	if syntaxErr != nil {
		e.violateLocked(call, "request-body", "body is not JSON: "+syntaxErr.Error())
		return http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON", "documentation_url": docURL(op)}, hdr
	}
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = strings.TrimSpace(p.field + " " + p.message)
		}
		e.violateLocked(call, "request-body", strings.Join(msgs, "; "))
		return http.StatusUnprocessableEntity, validationFailed(op, problems), hdr
	}

	if owner, ok := params["owner"]; ok {
		repo := e.st.repo(owner + "/" + params["repo"])
		if repo == nil || !caller.canSee(repo, op) {
			return http.StatusNotFound, errNotFound.body(), hdr
		}
		q.repo = repo
	}
	status, out, err := e.handlers[op.ID](r.Context(), q)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{Status: http.StatusInternalServerError, Message: err.Error()}
		}
		if ae.DocURL == "" {
			ae.DocURL = docURL(op)
		}
		return ae.Status, ae.body(), hdr
	}
	return status, out, hdr
}

// validationFailed renders schema problems as GitHub does: strings over
// their limit as "Validation Failed" with field errors, anything else as
// "Invalid request." with the reasons.
func validationFailed(op *operation, problems []bodyProblem) map[string]any {
	allLength := true
	for _, p := range problems {
		if p.maxLength == 0 {
			allLength = false
		}
	}
	if allLength {
		var errs []fieldError
		for _, p := range problems {
			field := p.field[strings.LastIndex(p.field, "/")+1:]
			msg := strings.ToUpper(field[:1]) + field[1:] + " " + p.message
			errs = append(errs, fieldError{Resource: op.Resource, Code: "custom", Field: field, Message: msg})
		}
		return map[string]any{"message": "Validation Failed", "errors": errs, "documentation_url": docURL(op)}
	}
	lines := make([]string, len(problems))
	for i, p := range problems {
		if p.field == "" {
			lines[i] = "The request body " + p.message + "."
		} else {
			lines[i] = fmt.Sprintf("For '%s', %s.", strings.TrimPrefix(p.field, "/"), p.message)
		}
	}
	return map[string]any{"message": "Invalid request.\n\n" + strings.Join(lines, "\n"), "documentation_url": docURL(op)}
}

func docURL(op *operation) string {
	if op == nil {
		return "https://docs.github.com/rest"
	}
	return "https://docs.github.com/rest/" + strings.SplitN(op.ID, "/", 2)[0]
}

// apiError is an error answer in GitHub's shape.
type apiError struct {
	Status  int
	Message string
	Errors  []fieldError
	DocURL  string
}

type fieldError struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

func (e *apiError) body() map[string]any {
	b := map[string]any{"message": e.Message, "documentation_url": e.DocURL}
	if b["documentation_url"] == "" {
		b["documentation_url"] = "https://docs.github.com/rest"
	}
	if len(e.Errors) > 0 {
		b["errors"] = e.Errors
	}
	return b
}

var errNotFound = &apiError{Status: http.StatusNotFound, Message: "Not Found"}

func notFound() error { return &apiError{Status: http.StatusNotFound, Message: "Not Found"} }

// unprocessable is a 422 "Validation Failed" with one field error.
func unprocessable(resource, field, code, message string) error {
	return &apiError{Status: http.StatusUnprocessableEntity, Message: "Validation Failed",
		Errors: []fieldError{{Resource: resource, Field: field, Code: code, Message: message}}}
}

// decode unmarshals a request body that the schema already accepted.
func decode(q *request, v any) error {
	if len(strings.TrimSpace(string(q.body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(q.body, v); err != nil {
		return &apiError{Status: http.StatusBadRequest, Message: "Problems parsing JSON"}
	}
	return nil
}

func (q *request) int(name string) int64 {
	n, _ := strconv.ParseInt(q.params[name], 10, 64)
	return n
}

// paginate returns one page of items and sets the Link header as GitHub
// does (per_page default 30, at most 100).
func paginate[T any](e *Emulator, q *request, path string, items []T) []T {
	perPage, page := 30, 1
	if v, err := strconv.Atoi(q.query.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	if v, err := strconv.Atoi(q.query.Get("page")); err == nil && v > 0 {
		page = v
	}
	last := max(1, (len(items)+perPage-1)/perPage)
	link := func(p int, rel string) string {
		v := url.Values{}
		for k, vs := range q.query {
			v[k] = vs
		}
		v.Set("per_page", strconv.Itoa(perPage))
		v.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, e.url, path, v.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		q.header.Set("Link", strings.Join(links, ", "))
	}
	start := (page - 1) * perPage
	if start >= len(items) {
		return []T{}
	}
	return items[start:min(start+perPage, len(items))]
}

func ptr[T any](v T) *T { return &v }

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// checkLoopbackURL refuses a webhook URL that is not on the loopback interface.
func checkLoopbackURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("github emulator: webhook URL %q: %w", raw, err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("github emulator: webhook URL %q: only loopback receivers are allowed", raw)
}
