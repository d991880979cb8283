package emulator

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// rateBucket is the primary ("core") rate limit of one caller: a number of
// calls per hour, reset an hour after the window's first call.
type rateBucket struct {
	limit int
	used  int
	reset time.Time
}

func (e *Emulator) rateBucket(caller identity) *rateBucket {
	key := caller.String()
	b := e.rates[key]
	if b == nil {
		limit := e.opts.RateLimit
		if caller.kind == "" {
			limit = 60 // GitHub's limit for unauthenticated calls
		}
		b = &rateBucket{limit: limit}
		e.rates[key] = b
	}
	return b
}

func (b *rateBucket) roll(now time.Time) {
	if b.reset.IsZero() || !now.Before(b.reset) {
		b.used = 0
		b.reset = now.Add(time.Hour).Truncate(time.Second)
	}
}

func (b *rateBucket) exhausted(now time.Time) bool {
	b.roll(now)
	return b.used >= b.limit
}

func (b *rateBucket) use(now time.Time) {
	b.roll(now)
	b.used++
}

// headers sets the X-RateLimit-* headers every GitHub answer carries.
func (b *rateBucket) headers(h http.Header, now time.Time) {
	b.roll(now)
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, b.limit-b.used)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(b.reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(b.used))
	h.Set("X-RateLimit-Resource", "core")
}

// rateJSON is one resource of /rate_limit; reset is in epoch seconds.
type rateJSON struct {
	Limit     int   `json:"limit"`
	Used      int   `json:"used"`
	Remaining int   `json:"remaining"`
	Reset     int64 `json:"reset"`
}

func (b *rateBucket) rate() rateJSON {
	return rateJSON{Limit: b.limit, Used: b.used, Remaining: max(0, b.limit-b.used), Reset: b.reset.Unix()}
}

// GET /rate_limit
func (e *Emulator) getRateLimit(_ context.Context, q *request) (int, any, error) {
	core := e.rateBucket(q.caller)
	core.roll(time.Now())
	r := core.rate()
	other := func(limit int) rateJSON { return rateJSON{Limit: limit, Remaining: limit, Reset: core.reset.Unix()} }
	return http.StatusOK, map[string]any{
		"resources": map[string]any{
			"core": r, "search": other(30), "graphql": other(5000), "integration_manifest": other(5000),
			"code_search": other(10),
		},
		"rate": r,
	}, nil
}
