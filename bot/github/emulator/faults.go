package emulator

import (
	"math/rand/v2"
	"net/http"
	"strconv"
)

// FaultKind is a set of faults to inject.
type FaultKind uint

const (
	// Fault502 answers 502 Bad Gateway, as GitHub's front end does when a
	// backend times out.
	Fault502 FaultKind = 1 << iota
	// FaultSecondaryRateLimit answers 403 with Retry-After and GitHub's
	// secondary rate limit message (go-github: *github.AbuseRateLimitError).
	FaultSecondaryRateLimit
	// Fault500 answers 500 Internal Server Error.
	Fault500
)

// String names a single kind: "502", "secondary-rate-limit" or "500".
func (k FaultKind) String() string {
	switch k {
	case Fault502:
		return "502"
	case FaultSecondaryRateLimit:
		return "secondary-rate-limit"
	case Fault500:
		return "500"
	}
	return "fault(" + strconv.Itoa(int(k)) + ")"
}

// Faults make a share of REST calls fail before they are served (git and
// webhooks are never faulted). Which calls fail is decided by a generator
// seeded with Seed, one draw per eligible call in arrival order, so the same
// calls in the same order fail the same way. A faulted call changes nothing.
type Faults struct {
	// Rate is the probability in [0, 1] that an eligible call fails.
	Rate float64
	Seed int64
	// Kinds are the faults to draw from; none means all three.
	Kinds FaultKind
	// RetryAfter is the Retry-After header of secondary rate limits, in
	// seconds. GitHub sends a minute or so; tests keep it 0 to stay fast
	// (go-github refuses further calls until it has passed).
	RetryAfter int
	// Match limits faults to some calls (nil: every REST call).
	Match func(method, path string) bool
}

type faultState struct {
	cfg   Faults
	rng   *rand.Rand
	kinds []FaultKind
}

type fault struct {
	kind   FaultKind
	status int
	header map[string]string
	body   any
}

// SetFaults starts injecting faults; SetFaults(Faults{}) stops.
func (e *Emulator) SetFaults(f Faults) {
	e.mu.Lock()
	defer e.mu.Unlock()
	kinds := f.Kinds
	if kinds == 0 {
		kinds = Fault502 | FaultSecondaryRateLimit | Fault500
	}
	var list []FaultKind
	for _, k := range []FaultKind{Fault502, FaultSecondaryRateLimit, Fault500} {
		if kinds&k != 0 {
			list = append(list, k)
		}
	}
	e.faults = faultState{cfg: f, rng: rand.New(rand.NewPCG(uint64(f.Seed), 0x9e3779b97f4a7c15)), kinds: list}
}

// next decides whether the call fails; called with e.mu held.
func (s *faultState) next(method, path string) *fault {
	if s.rng == nil || s.cfg.Rate <= 0 {
		return nil
	}
	if s.cfg.Match != nil && !s.cfg.Match(method, path) {
		return nil
	}
	hit := s.rng.Float64() < s.cfg.Rate
	k := s.kinds[s.rng.IntN(len(s.kinds))]
	if !hit {
		return nil
	}
	switch k {
	case FaultSecondaryRateLimit:
		return &fault{kind: k, status: http.StatusForbidden,
			header: map[string]string{"Retry-After": strconv.Itoa(s.cfg.RetryAfter)},
			body: map[string]string{
				"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
				"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
			}}
	case Fault500:
		return &fault{kind: k, status: http.StatusInternalServerError, body: map[string]string{"message": "Server Error"}}
	default:
		return &fault{kind: k, status: http.StatusBadGateway, body: map[string]string{"message": "Server Error"}}
	}
}
