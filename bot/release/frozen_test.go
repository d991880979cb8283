package release

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestFrozenAt(t *testing.T) {
	berlin, utc := zone(t, "Europe/Berlin"), time.UTC
	weekend := Freeze{Start: "0 17 * * FRI", Duration: 63 * time.Hour, TimeZone: "Europe/Berlin"}
	monday := Freeze{Start: "0 8 * * MON", Duration: 24 * time.Hour, TimeZone: "Europe/Berlin"}
	nightly := Freeze{Start: "0 22 * * *", Duration: 8 * time.Hour, TimeZone: "UTC"}
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	tests := []struct {
		name        string
		freeze      []Freeze
		t           time.Time
		frozen      bool
		until       time.Time
		start, end  time.Time // of the window returned
		windowIndex int
	}{
		{"Friday evening in Berlin is frozen until Monday 08:00", []Freeze{weekend}, at(berlin, 2025, 6, 6, 18, 0),
			true, at(berlin, 2025, 6, 9, 8, 0), at(berlin, 2025, 6, 6, 17, 0), at(berlin, 2025, 6, 9, 8, 0), 0},
		{"the window's start is inside it", []Freeze{weekend}, at(berlin, 2025, 6, 6, 17, 0),
			true, at(berlin, 2025, 6, 9, 8, 0), at(berlin, 2025, 6, 6, 17, 0), at(berlin, 2025, 6, 9, 8, 0), 0},
		{"Saturday midnight is inside the weekend", []Freeze{weekend}, at(berlin, 2025, 6, 7, 0, 0),
			true, at(berlin, 2025, 6, 9, 8, 0), at(berlin, 2025, 6, 6, 17, 0), at(berlin, 2025, 6, 9, 8, 0), 0},
		{"Friday 16:59 is before it", []Freeze{weekend}, at(berlin, 2025, 6, 6, 16, 59), false, time.Time{}, time.Time{}, time.Time{}, 0},
		{"Monday 08:00 is after it: the end is not inside", []Freeze{weekend}, at(berlin, 2025, 6, 9, 8, 0), false, time.Time{}, time.Time{}, time.Time{}, 0},
		{"a time given in UTC is the same instant", []Freeze{weekend}, at(utc, 2025, 6, 6, 15, 30),
			true, at(berlin, 2025, 6, 9, 8, 0), at(berlin, 2025, 6, 6, 17, 0), at(berlin, 2025, 6, 9, 8, 0), 0},
		{"the weekend clocks go forward still ends Monday 08:00 (62 hours)", []Freeze{weekend}, at(berlin, 2025, 3, 29, 12, 0),
			true, at(berlin, 2025, 3, 31, 8, 0), at(berlin, 2025, 3, 28, 17, 0), at(berlin, 2025, 3, 31, 8, 0), 0},
		{"the weekend clocks go back still ends Monday 08:00 (64 hours)", []Freeze{weekend}, at(berlin, 2025, 10, 25, 12, 0),
			true, at(berlin, 2025, 10, 27, 8, 0), at(berlin, 2025, 10, 24, 17, 0), at(berlin, 2025, 10, 27, 8, 0), 0},
		{"a nightly window spans midnight", []Freeze{nightly}, at(utc, 2025, 1, 1, 5, 59),
			true, at(utc, 2025, 1, 1, 6, 0), at(utc, 2024, 12, 31, 22, 0), at(utc, 2025, 1, 1, 6, 0), 0},
		{"a nightly window is over at 06:00", []Freeze{nightly}, at(utc, 2025, 1, 1, 6, 0), false, time.Time{}, time.Time{}, time.Time{}, 0},
		{"windows that touch hold the freeze until the last one ends", []Freeze{weekend, monday}, at(berlin, 2025, 6, 7, 12, 0),
			true, at(berlin, 2025, 6, 10, 8, 0), at(berlin, 2025, 6, 6, 17, 0), at(berlin, 2025, 6, 9, 8, 0), 0},
		{"the window returned is the one that holds the time", []Freeze{weekend, monday}, at(berlin, 2025, 6, 9, 9, 0),
			true, at(berlin, 2025, 6, 10, 8, 0), at(berlin, 2025, 6, 9, 8, 0), at(berlin, 2025, 6, 10, 8, 0), 1},
		{"a two-week holiday freeze crosses the new year", []Freeze{{Start: "0 0 20 12 *", Duration: 14 * 24 * time.Hour, TimeZone: "UTC"}}, at(utc, 2026, 1, 2, 12, 0),
			true, at(utc, 2026, 1, 3, 0, 0), at(utc, 2025, 12, 20, 0, 0), at(utc, 2026, 1, 3, 0, 0), 0},
		{"no freeze, never frozen", nil, at(utc, 2025, 6, 6, 18, 0), false, time.Time{}, time.Time{}, time.Time{}, 0},
		{"a start in the hour skipped in spring does not happen that day", []Freeze{{Start: "30 2 * * *", Duration: time.Hour, TimeZone: "Europe/Berlin"}}, at(berlin, 2025, 3, 30, 3, 15),
			false, time.Time{}, time.Time{}, time.Time{}, 0},
		{"where the clock jumps half an hour, a start is not repeated after the jump (robfig/cron returns one)",
			[]Freeze{{Start: "30 1 * * *", Duration: 31 * time.Minute, TimeZone: "Australia/Lord_Howe"}},
			time.Date(2024, 10, 6, 2, 35, 0, 0, zone(t, "Australia/Lord_Howe")), false, time.Time{}, time.Time{}, time.Time{}, 0},
		{"a start in the hour repeated in autumn opens one window, at its first 02:30", []Freeze{{Start: "30 2 * * *", Duration: time.Hour, TimeZone: "Europe/Berlin"}},
			time.Date(2025, 10, 26, 1, 45, 0, 0, utc), // 02:45 the second time (CET)
			true, time.Date(2025, 10, 26, 2, 30, 0, 0, utc), time.Date(2025, 10, 26, 0, 30, 0, 0, utc), time.Date(2025, 10, 26, 2, 30, 0, 0, utc), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Release{Freeze: tt.freeze}
			frozen, until, w := r.FrozenAt(tt.t)
			if frozen != tt.frozen || !until.Equal(tt.until) {
				t.Fatalf("FrozenAt(%s) = %t until %s, want %t until %s", tt.t, frozen, until, tt.frozen, tt.until)
			}
			if !frozen {
				return
			}
			if !w.Start.Equal(tt.start) || !w.End.Equal(tt.end) || w.Index != tt.windowIndex || w.Freeze != tt.freeze[tt.windowIndex] {
				t.Errorf("window %d %s – %s, want %d %s – %s", w.Index, w.Start, w.End, tt.windowIndex, tt.start, tt.end)
			}
			if loc := zone(t, w.Freeze.TimeZone); w.Start.Location().String() != loc.String() {
				t.Errorf("window start in %s, want the freeze's zone %s", w.Start.Location(), loc)
			}
		})
	}
}

func TestFrozenAtStopsOnWindowsThatNeverLift(t *testing.T) {
	// Validate refuses these; FrozenAt must still answer, and soon.
	r := &Release{Freeze: []Freeze{{Start: "* * * * *", Duration: time.Hour, TimeZone: "UTC"}}}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	frozen, until, _ := r.FrozenAt(now)
	if !frozen || !until.After(now) || until.After(now.Add(maxFrozen)) {
		t.Errorf("frozen %t until %s", frozen, until)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

// genFreeze draws a freeze that Validate accepts: a start at a fixed
// minute and hour on some weekdays, in a zone with or without daylight
// saving time, lasting less than the time to its next start.
type genRule struct {
	minute, hour int
	days         []time.Weekday // empty: every day
	loc          *time.Location
	freeze       Freeze
}

var freezeZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham", "America/Havana", "America/Santiago"}

func drawRule(t *rapid.T) genRule {
	g := genRule{
		minute: rapid.IntRange(0, 59).Draw(t, "minute"),
		hour:   rapid.IntRange(0, 23).Draw(t, "hour"),
	}
	dow := "*"
	maxDuration := 22 * time.Hour
	switch rapid.IntRange(0, 2).Draw(t, "days") {
	case 1:
		d := time.Weekday(rapid.IntRange(0, 6).Draw(t, "weekday"))
		g.days = []time.Weekday{d}
		dow = strings.ToUpper(d.String()[:3])
		maxDuration = 7*24*time.Hour - 2*time.Hour
	case 2:
		g.days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
		dow = "MON-FRI"
	}
	name := rapid.SampledFrom(freezeZones).Draw(t, "zone")
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	g.loc = loc
	minutes := rapid.IntRange(1, int(maxDuration/time.Minute)).Draw(t, "minutes")
	g.freeze = Freeze{Start: fmt.Sprintf("%d %d * * %s", g.minute, g.hour, dow), Duration: time.Duration(minutes) * time.Minute, TimeZone: name}
	return g
}

// windowsBrute lists the windows of g that start in [from, to], walking
// every minute: a start is a minute whose wall clock matches, the first
// time that wall clock is seen (the hour repeated in autumn shows it
// twice); its end is the duration later on the wall clock. It shares no
// code with FrozenAt.
func (g genRule) windowsBrute(from, to time.Time) [][2]time.Time {
	var out [][2]time.Time
	seen := map[string]bool{}
	for u := from.Truncate(time.Minute); !u.After(to); u = u.Add(time.Minute) {
		l := u.In(g.loc)
		if l.Minute() != g.minute || l.Hour() != g.hour || len(g.days) > 0 && !slices.Contains(g.days, l.Weekday()) {
			continue
		}
		key := l.Format("2006-01-02 15:04")
		if seen[key] {
			continue
		}
		seen[key] = true
		y, mo, d := l.Date()
		end := time.Date(y, mo, d, l.Hour(), l.Minute()+int(g.freeze.Duration/time.Minute), 0, 0, g.loc)
		out = append(out, [2]time.Time{u, end})
	}
	return out
}

func drawTime(t *rapid.T, label string) time.Time {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(rapid.Int64Range(0, int64(4*365*24*time.Hour/time.Second)).Draw(t, label)) * time.Second)
}

// Generated freezes pass Validate, and FrozenAt agrees with the brute force:
// a time inside a window is frozen, with until after it and no later than
// the window's wall-clock end (one rule's windows never touch); a time
// outside every window is not frozen; the moment the freeze lifts is not
// frozen by the same window.
func TestFrozenAtProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := drawRule(t)
		r := handBuilt()
		r.Freeze = []Freeze{g.freeze}
		if err := r.Validate([]string{"api-gateway", "ui"}); err != nil {
			t.Fatalf("generated freeze refused: %v", err)
		}
		now := drawTime(t, "t")
		frozen, until, w := r.FrozenAt(now)
		var holding [][2]time.Time
		for _, win := range g.windowsBrute(now.Add(-8*24*time.Hour), now) {
			if !win[0].After(now) && now.Before(win[1]) {
				holding = append(holding, win)
			}
		}
		if frozen != (len(holding) > 0) {
			t.Fatalf("%s at %s: frozen %t, brute force windows %v", g.freeze.Start, now.In(g.loc), frozen, holding)
		}
		if !frozen {
			return
		}
		if len(holding) != 1 || !w.Start.Equal(holding[0][0]) || !w.End.Equal(holding[0][1]) {
			t.Fatalf("%s at %s: window %s – %s, brute force %v", g.freeze.Start, now.In(g.loc), w.Start, w.End, holding)
		}
		if w.Start.After(now) || !until.After(now) || until.After(w.End) {
			t.Fatalf("window %s – %s, t %s, until %s", w.Start, w.End, now, until)
		}
		if f, _, w2 := r.FrozenAt(until); f && w2.Start.Equal(w.Start) {
			t.Fatalf("still frozen by the same window at until %s", until)
		}
		if f, _, w2 := r.FrozenAt(until.Add(time.Nanosecond)); f && w2.Start.Equal(w.Start) {
			t.Fatalf("still frozen by the same window just after until %s", until)
		}
	})
}
