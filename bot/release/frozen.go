package release

import "time"

// Window is one occurrence of a freeze: from Start (included) to End
// (excluded), both in the freeze's time zone.
type Window struct {
	Index      int // of the freeze in Release.Freeze
	Freeze     Freeze
	Start, End time.Time
}

// maxOffsetChange bounds how far a window's end can move from start +
// duration when the zone's offset changes under it (an hour for daylight
// saving time; a whole day when Samoa crossed the date line in 2011).
const maxOffsetChange = 26 * time.Hour

// covering returns the window of the rule that holds t and ends last,
// asking for at most *budget starts and taking them from it.
func (r *rule) covering(t time.Time, budget *int) (Window, bool) {
	var best Window
	found := false
	// A window that holds t started after t - duration - maxOffsetChange;
	// a valid rule's windows do not overlap, so there are few of them.
	*budget -= r.starts(t.Add(-r.freeze.Duration-maxOffsetChange), t, *budget, func(s time.Time) bool {
		if e := r.end(s); e.After(t) && (!found || e.After(best.End)) {
			best, found = Window{Index: r.index, Freeze: r.freeze, Start: s, End: e}, true
		}
		return true
	})
	return best, found
}

// rules parses the release's freezes; a freeze that does not parse is
// left out (Decode and Validate report it).
func (r *Release) rules() []*rule {
	var out []*rule
	for i, f := range r.Freeze {
		sched, msg := parseCron(f.Start)
		if msg != "" || f.Duration <= 0 {
			continue
		}
		loc, msg := loadZone(f.TimeZone)
		if msg != "" {
			continue
		}
		out = append(out, &rule{index: i, freeze: f, sched: sched, loc: loc})
	}
	return out
}

// maxFrozen, maxHops and maxAsked bound how far FrozenAt follows windows
// that overlap or touch each other to find when a freeze lifts, and how
// many starts it asks robfig/cron for (about 2 µs each). Freezes that pass
// Validate need a few starts per window; the bounds are for the others.
const (
	maxFrozen = 400 * 24 * time.Hour
	maxHops   = 1000
	maxAsked  = 20_000
)

// FrozenAt says whether t is inside a freeze window. When it is, w is the
// window that holds t and ends last, and until is when releases may go out
// again: the end of w, or later when other windows overlap or touch it (a
// merge that waited until w.End would only find itself in the next one).
// until is after t; when windows keep following each other it is where
// the search stopped: at most 400 days or 1,000 windows after t.
//
// A window starts at each occurrence of the freeze's cron expression read
// in its time zone, and lasts its duration on that zone's wall clock. A
// start inside the hour skipped in spring does not occur that day (as with
// cron); one inside the hour repeated in autumn occurs once.
//
// FrozenAt leaves out freezes that do not parse; a Release from Decode, or
// one that passed Validate, has none.
func (r *Release) FrozenAt(t time.Time) (frozen bool, until time.Time, w Window) {
	rules := r.rules()
	budget := maxAsked
	covering := func(t time.Time) (Window, bool) {
		var best Window
		found := false
		for _, ru := range rules {
			if c, ok := ru.covering(t, &budget); ok && (!found || c.End.After(best.End)) {
				best, found = c, true
			}
		}
		return best, found
	}
	w, frozen = covering(t)
	if !frozen {
		return false, time.Time{}, Window{}
	}
	until = w.End
	for range maxHops {
		if until.Sub(t) >= maxFrozen {
			break
		}
		next, ok := covering(until)
		if !ok || budget <= 0 {
			break
		}
		until = next.End
	}
	if limit := t.Add(maxFrozen); until.After(limit) {
		until = limit
	}
	return true, until, w
}
