package cost

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"

	"github.com/gitops-bot/gitops/bot/envspec"
)

// networkGuard records every request that leaves the process while it is in
// place, whichever way it is sent.
type networkGuard struct {
	mu    sync.Mutex
	calls []string
}

func (g *networkGuard) record(call string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, call)
}

func (g *networkGuard) Calls() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.calls...)
}

// RoundTrip stands in for http.DefaultTransport.
func (g *networkGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	g.record("net/http " + r.Method + " " + r.URL.String())
	return nil, http.ErrHandlerTimeout
}

// guardNetwork catches both ways a network call can leave package cost:
//
//   - plain net/http, by replacing http.DefaultTransport;
//   - the AWS SDK, which never uses http.DefaultTransport (it builds its own
//     transport, awshttp.BuildableClient). Every client made from the shared
//     configuration, as NewPriceLister makes the Price List client
//     (config.LoadDefaultConfig), takes its endpoint from AWS_ENDPOINT_URL:
//     that is pointed at a local server that records the operation
//     (X-Amz-Target, e.g. AWSPriceListService.GetProducts) and refuses it.
//     The rest of the AWS environment is cleared and static credentials set,
//     so that loading the configuration reads no profile and asks no
//     instance metadata service.
//
// Not for parallel tests: it changes process-wide state (the environment and
// http.DefaultTransport) until the test ends.
func guardNetwork(t *testing.T) *networkGuard {
	t.Helper()
	g := &networkGuard{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Header.Get("X-Amz-Target")
		if op == "" {
			op = r.Method + " " + r.URL.Path
		}
		g.record("AWS " + op)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"network call in a test"}`))
	}))
	t.Cleanup(srv.Close)

	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "") // the SDK treats an empty variable as unset
		}
	}
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            srv.URL,
		"AWS_ACCESS_KEY_ID":           "guard",
		"AWS_SECRET_ACCESS_KEY":       "guard",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "1",
	} {
		t.Setenv(k, v)
	}

	saved := http.DefaultTransport
	http.DefaultTransport = g
	t.Cleanup(func() { http.DefaultTransport = saved })
	return g
}

// The guard must catch the client the code really builds, or the test below
// proves nothing: a Price List call made through NewPriceLister is recorded.
func TestNetworkGuardCatchesThePriceListClient(t *testing.T) {
	g := guardNetwork(t)
	ctx := context.Background()
	lister, err := NewPriceLister(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lister.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonECS")})
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("GetProducts through the guard: err = %v, want the guard's AccessDeniedException", err)
	}
	if got := g.Calls(); len(got) != 1 || got[0] != "AWS AWSPriceListService.GetProducts" {
		t.Errorf("guard recorded %q, want the one GetProducts call", got)
	}
}

// Not parallel: guardNetwork changes the environment and http.DefaultTransport.
func TestDefaultPathMakesNoNetworkCall(t *testing.T) {
	g := guardNetwork(t)

	if _, err := DefaultCatalogue(); err != nil {
		t.Fatal(err)
	}
	if _, err := EstimatePlanJSON(realPlan(t, "staging-create"), Options{Budget: envspec.Budget{MonthlyUSD: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := EstimateSpec(contractSpec("dev", "us-west-2", "db.t3.micro", 1), Options{Budget: envspec.Budget{MonthlyUSD: 1}}); err != nil {
		t.Fatal(err)
	}
	e, err := EstimateSpec(contractSpec("staging", "us-east-1", "db.t3.small", 2), Options{Budget: envspec.Budget{MonthlyUSD: 1}})
	if err != nil {
		t.Fatal(err)
	}
	Total([]*Estimate{e}, 1) // over budget: prices the savings too
	if calls := g.Calls(); len(calls) != 0 {
		t.Errorf("the default path made network calls: %q", calls)
	}
}
