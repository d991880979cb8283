package release

import (
	"fmt"
	"strings"
	"time"
	// The time zones are embedded so that a freeze reads the same on every
	// machine, including images without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
)

// Freeze windows are parsed with github.com/robfig/cron/v3 (v3.0.1), the
// cron library of the Go ecosystem, already in the module graph. Only its
// parser and its Next are used: the windows are computed here, because
// cron has no notion of a duration or of the occurrence before a time.

// cronSchedule is a parsed start expression.
type cronSchedule = cron.SpecSchedule

// cronParser takes exactly the five standard fields; no seconds, no
// descriptors (@weekly), so that a start reads the same as in crontab(5).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

const cronExample = `minute hour day-of-month month day-of-week, such as "0 17 * * FRI"`

// parseCron parses a freeze's start, or says what is wrong with it.
func parseCron(s string) (sched *cronSchedule, msg string) {
	defer func() {
		// A parser of outside input must not take the bot down.
		if r := recover(); r != nil {
			sched, msg = nil, fmt.Sprintf("%s is not a cron expression; expected %s", quote(s), cronExample)
		}
	}()
	fields := strings.Fields(s)
	switch {
	case strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ="):
		// robfig/cron reads a TZ= prefix itself (and panics on one without
		// a space after it); the zone has its own key here.
		return nil, fmt.Sprintf("%s names a time zone; put it in time_zone and write the 5 fields alone", quote(s))
	case strings.HasPrefix(s, "@"):
		return nil, fmt.Sprintf("%s is a descriptor; write the 5 fields, %s", quote(s), cronExample)
	case len(fields) != 5:
		return nil, fmt.Sprintf("%s has %d fields; expected 5: %s", quote(s), len(fields), cronExample)
	}
	parsed, err := cronParser.Parse(s)
	if err != nil {
		return nil, fmt.Sprintf("%s is not a cron expression (%v); expected %s", quote(s), err, cronExample)
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Sprintf("%s is not a cron expression; expected %s", quote(s), cronExample)
	}
	return spec, ""
}

// loadZone loads an IANA time zone, refusing the ones that depend on the
// machine.
func loadZone(name string) (*time.Location, string) {
	const expected = "expected an IANA time zone such as Europe/Berlin, America/New_York or UTC"
	switch name {
	case "", "Local":
		return nil, fmt.Sprintf("%s depends on the machine; %s", quote(name), expected)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Sprintf("unknown time zone %s; %s", quote(name), expected)
	}
	return loc, ""
}

// rule is one freeze, parsed.
type rule struct {
	index  int // in Release.Freeze
	freeze Freeze
	sched  *cronSchedule
	loc    *time.Location
}

// end is where the window starting at s ends: Duration later on the wall
// clock of the time zone, so that "0 17 * * FRI" for 63h ends on Monday at
// 08:00 also on the weekends the clocks change. An end that falls in the
// hour skipped in spring moves forward by the change, as time.Date does.
func (r *rule) end(s time.Time) time.Time {
	l := s.In(r.loc)
	wall := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC).Add(r.freeze.Duration)
	e := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), r.loc)
	if !e.After(s) {
		return s.Add(r.freeze.Duration)
	}
	return e
}

// wallClock is a time as read on the zone's clock, for comparing starts.
func wallClock(t time.Time) [5]int {
	return [5]int{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute()}
}

// starts calls yield with the window starts after from up to and including
// to, asking robfig/cron for at most limit of them, and returns how many it
// asked for.
//
// Two corrections to robfig/cron v3.0.1's Next: in the hour repeated in
// autumn it returns 02:30 twice (once per offset), and the second, with the
// same wall-clock start and end as the first, is skipped; and where the
// clock jumps by half an hour (Australia/Lord_Howe) it checks the hour
// before moving the minutes across the jump, so "30 1 * * *" also returns
// 02:30 on that day: every time it returns is checked against the
// expression on the wall clock.
func (r *rule) starts(from, to time.Time, limit int, yield func(time.Time) bool) (asked int) {
	var prev [5]int
	t := from.In(r.loc)
	for asked < limit {
		asked++
		s := r.sched.Next(t)
		if s.IsZero() || s.After(to) {
			return asked
		}
		t = s
		if w := wallClock(s); w != prev && matches(r.sched, s) {
			prev = w
			if !yield(s) {
				return asked
			}
		}
	}
	return asked
}

// sampleYear is the year over which Validate checks a freeze's windows: a
// leap year (for "0 0 29 2 *"), with both changes of daylight saving time.
const sampleYear = 2024

// problem checks a parsed rule over sampleYear: it must start at all, not
// too often, and its windows must not overlap, or the freeze would never
// lift. It returns the field at fault and the message, or "".
func (r *rule) problem() (field, msg string) {
	from := time.Date(sampleYear, 1, 1, 0, 0, 0, 0, r.loc).Add(-time.Nanosecond)
	to := time.Date(sampleYear+1, 1, 1, 0, 0, 0, 0, r.loc)
	if r.sched.Next(from.AddDate(-1, 0, 0)).IsZero() {
		return "start", fmt.Sprintf("%s never starts (no date matches it); expected %s", quote(r.freeze.Start), cronExample)
	}
	var prev time.Time
	n := 0
	// One start past the year, to compare the last window with the next;
	// room to ask for more starts than are yielded (repeats are skipped).
	r.starts(from, to.AddDate(1, 0, 0), 2*maxFreezeStarts, func(s time.Time) bool {
		n++
		if n > maxFreezeStarts {
			field, msg = "start", fmt.Sprintf("%s starts a window more than %d times a year (about once a day); freeze windows are nights, weekends or holidays, not a schedule: write one rule per window of the day", quote(r.freeze.Start), maxFreezeStarts)
			return false
		}
		if !prev.IsZero() {
			if e := r.end(prev); e.After(s) {
				field, msg = "duration", fmt.Sprintf("%s is longer than the time between two starts: the window from %s lasts until %s, after the next starts at %s, so the freeze would never lift; expected at most %s",
					formatDuration(r.freeze.Duration), prev.Format(windowTime), e.Format(windowTime), s.Format(windowTime), formatDuration(s.Sub(prev)))
				return false
			}
		}
		prev = s
		return s.Before(to)
	})
	return field, msg
}

// windowTime is how messages show the times of a window.
const windowTime = "Mon 2006-01-02 15:04 MST"

// starBit marks a day field written as "*" (robfig/cron's starBit).
const starBit = 1 << 63

// matches says whether t, on its wall clock, is a time of the expression,
// with cron's rule for the two day fields: when either is "*", both must
// match; otherwise either may.
func matches(s *cronSchedule, t time.Time) bool {
	bit := func(set uint64, v int) bool { return set&(1<<uint(v)) != 0 }
	if !bit(s.Second, t.Second()) || !bit(s.Minute, t.Minute()) || !bit(s.Hour, t.Hour()) || !bit(s.Month, int(t.Month())) {
		return false
	}
	dom, dow := bit(s.Dom, t.Day()), bit(s.Dow, int(t.Weekday()))
	if s.Dom&starBit != 0 || s.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}
