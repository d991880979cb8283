package release

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"
	"testing"
)

var serviceNames = []string{"api-gateway", "inventory", "location", "user", "reporting", "ui", "billing", "search", "notify", "audit", "x1"}

// validFreezes are freezes Validate accepts, in zones with and without DST.
var validFreezes = []Freeze{
	{Start: "0 17 * * FRI", Duration: 63 * time.Hour, TimeZone: "Europe/Berlin"},
	{Start: "0 22 * * *", Duration: 8 * time.Hour, TimeZone: "UTC"},
	{Start: "30 18 * * MON-THU", Duration: 14 * time.Hour, TimeZone: "America/New_York"},
	{Start: "0 0 20 12 *", Duration: 14 * 24 * time.Hour, TimeZone: "Australia/Sydney"},
}

func genDigest() *rapid.Generator[string] {
	return rapid.Map(rapid.StringMatching(`[0-9a-f]{64}`), func(h string) string { return "sha256:" + h })
}

// genVersion draws a version of the kind the environment follows. Commits
// are sometimes all digits, which YAML would read as a number unquoted.
func genVersion(follows Follows) *rapid.Generator[Version] {
	if follows == FollowsMain {
		return rapid.Map(rapid.OneOf(rapid.StringMatching(`[0-9a-f]{7,40}`), rapid.StringMatching(`[0-9]{7,12}`), rapid.StringMatching(`[0-9]{3}e[0-9]{4}`)), func(s string) Version { return Version(s) })
	}
	return genSemver()
}

func genImage(service string, follows Follows, digest bool) *rapid.Generator[Image] {
	return rapid.Custom(func(t *rapid.T) Image {
		img := Image{
			Repository: rapid.SampledFrom([]string{"inventory-management/" + service, service, "team.a/" + service + "_x"}).Draw(t, "repository"),
			Tag:        string(genVersion(follows).Draw(t, "tag")),
		}
		if digest || rapid.Bool().Draw(t, "digest") {
			img.Digest = genDigest().Draw(t, "digest")
		}
		return img
	})
}

func genCommand() *rapid.Generator[[]string] {
	return rapid.SliceOfN(rapid.SampledFrom([]string{"python", "scripts/seed.py", "alembic", "upgrade", "head", "-1", "--yes", "true", "null", "10", "a b", "it's", `say "hi"`, "x: y", "#not-a-comment"}), 1, 5)
}

// genRelease draws a Release that Decode would produce from some file:
// every rule holds and the defaults are filled in.
func genRelease() *rapid.Generator[*Release] {
	return rapid.Custom(func(t *rapid.T) *Release {
		r := &Release{
			Environment: rapid.StringMatching(envNameRe.String()).Draw(t, "environment"),
			Follows:     rapid.SampledFrom([]Follows{FollowsTags, FollowsMain}).Draw(t, "follows"),
			Images:      map[string]Image{},
			Smoke:       DefaultSmoke(),
			Timeouts:    DefaultTimeouts(),
		}
		r.Version = genVersion(r.Follows).Draw(t, "version")
		if rapid.Bool().Draw(t, "has previous") {
			if p := genVersion(r.Follows).Draw(t, "previous"); p != r.Version {
				r.Previous = p
			}
		}
		names := rapid.SliceOfNDistinct(rapid.SampledFrom(serviceNames), 1, maxImages, rapid.ID[string]).Draw(t, "services")
		for _, n := range names {
			r.Images[n] = genImage(n, r.Follows, false).Draw(t, "image "+n)
		}
		if rapid.Bool().Draw(t, "has migrations") {
			r.Migrations = &Migrations{Service: rapid.SampledFrom(names).Draw(t, "migrations service"), Command: genCommand().Draw(t, "command")}
			if rapid.Bool().Draw(t, "has downgrade") {
				r.Migrations.Downgrade = genCommand().Draw(t, "downgrade")
			}
		}
		if rapid.Bool().Draw(t, "has smoke") {
			paths := rapid.SliceOfNDistinct(rapid.StringMatching(`/[a-z0-9/_.?=-]{0,20}`), 0, 5, rapid.ID[string]).Draw(t, "paths")
			r.Smoke = []Smoke{}
			for _, p := range paths {
				r.Smoke = append(r.Smoke, Smoke{Path: p, Status: rapid.IntRange(100, 599).Draw(t, "status"), Timeout: time.Duration(rapid.IntRange(1, 60).Draw(t, "smoke seconds")) * time.Second})
			}
		}
		if rapid.Bool().Draw(t, "has bake") {
			r.Bake = time.Duration(rapid.IntRange(1, 120).Draw(t, "bake minutes")) * time.Minute
		}
		if rapid.Bool().Draw(t, "has freeze") {
			r.Freeze = rapid.SliceOfN(rapid.SampledFrom(validFreezes), 1, 3).Draw(t, "freeze")
		}
		if rapid.Bool().Draw(t, "has seed") {
			steps := rapid.SliceOfNDistinct(rapid.StringMatching(stepNameRe.String()), 1, 4, rapid.ID[string]).Draw(t, "steps")
			r.Seed = []SeedStep{}
			for _, s := range steps {
				svc := rapid.SampledFrom(names).Draw(t, "seed service")
				if r.Migrations != nil && rapid.Bool().Draw(t, "default service") {
					svc = r.Migrations.Service
				}
				r.Seed = append(r.Seed, SeedStep{Name: s, Command: genCommand().Draw(t, "seed command"), Service: svc, Timeout: time.Duration(rapid.IntRange(1, 120).Draw(t, "seed minutes")) * time.Minute})
			}
		}
		if rapid.Bool().Draw(t, "has timeouts") {
			total := rapid.IntRange(1, 120).Draw(t, "total minutes")
			step := func(label string) time.Duration {
				return time.Duration(rapid.IntRange(1, total).Draw(t, label)) * time.Minute
			}
			r.Timeouts = Timeouts{Migration: step("migration"), Rollout: step("rollout"), Health: step("health"), Smoke: step("smoke"), Total: time.Duration(total) * time.Minute}
		}
		return r
	})
}

// style is how writeRelease writes one scalar.
func scalar(t *rapid.T, v string, flow bool) string {
	switch rapid.IntRange(0, 2).Draw(t, "quote") {
	case 1:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case 2:
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
	}
	return render(v, 0, flow)
}

// writeRelease writes r as a release file in styles drawn at random: keys
// in any order, flow or block images, quoted or plain values, comments
// between keys and after values, optional keys at their defaults left out
// or written. Decode must read it back as r.
func writeRelease(t *rapid.T, r *Release) string {
	var top []string
	comment := func(label string) string {
		if rapid.Bool().Draw(t, label) {
			return "  # " + rapid.StringMatching(`[a-z :#'"-]{0,12}`).Draw(t, label+" text")
		}
		return ""
	}
	kv := func(key, v string) string { return key + ": " + scalar(t, v, false) + comment(key+" comment") + "\n" }
	flowList := func(items []string) string {
		var q []string
		for _, it := range items {
			q = append(q, scalar(t, it, true))
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	top = append(top, kv("environment", r.Environment))
	if r.Follows != FollowsTags || rapid.Bool().Draw(t, "write follows") {
		top = append(top, kv("follows", string(r.Follows)))
	}
	top = append(top, kv("version", string(r.Version)))
	if r.Previous != "" {
		top = append(top, kv("previous", string(r.Previous)))
	}
	var b strings.Builder
	b.WriteString("images:" + comment("images comment") + "\n")
	flowImages := rapid.Bool().Draw(t, "flow images")
	for _, name := range slices.Sorted(maps.Keys(r.Images)) {
		img := r.Images[name]
		fields := [][2]string{{"repository", img.Repository}, {"tag", img.Tag}}
		if img.Digest != "" {
			fields = append(fields, [2]string{"digest", img.Digest})
		}
		if rapid.Bool().Draw(t, "comment line") {
			b.WriteString("  # about " + name + "\n")
		}
		if flowImages {
			var parts []string
			for _, f := range fields {
				parts = append(parts, f[0]+": "+scalar(t, f[1], true))
			}
			b.WriteString("  " + name + ": {" + strings.Join(parts, ", ") + "}" + comment("image comment") + "\n")
			continue
		}
		b.WriteString("  " + name + ":\n")
		for _, f := range fields {
			b.WriteString("    " + f[0] + ": " + scalar(t, f[1], false) + comment("field comment") + "\n")
		}
	}
	top = append(top, b.String())
	if m := r.Migrations; m != nil {
		s := "migrations:\n  service: " + scalar(t, m.Service, false) + "\n  command: " + flowList(m.Command) + "\n"
		if m.Downgrade != nil {
			s += "  downgrade: " + flowList(m.Downgrade) + "\n"
		}
		top = append(top, s)
	}
	if !reflect.DeepEqual(r.Smoke, DefaultSmoke()) || rapid.Bool().Draw(t, "write smoke") {
		if len(r.Smoke) == 0 {
			top = append(top, "smoke: []\n")
		} else {
			s := "smoke:\n"
			for _, c := range r.Smoke {
				s += fmt.Sprintf("  - {path: %s, status: %d, timeout: %s}\n", scalar(t, c.Path, true), c.Status, formatDuration(c.Timeout))
			}
			top = append(top, s)
		}
	}
	if r.Bake != 0 {
		top = append(top, "bake: "+formatDuration(r.Bake)+"\n")
	}
	if len(r.Freeze) > 0 {
		s := "freeze:\n"
		for _, f := range r.Freeze {
			s += fmt.Sprintf("  - start: %q\n    duration: %s\n    time_zone: %s\n", f.Start, formatDuration(f.Duration), f.TimeZone)
		}
		top = append(top, s)
	}
	if len(r.Seed) > 0 {
		s := "seed:\n"
		for _, st := range r.Seed {
			s += fmt.Sprintf("  - {name: %s, command: %s, service: %s, timeout: %s}\n", st.Name, flowList(st.Command), st.Service, formatDuration(st.Timeout))
		}
		top = append(top, s)
	}
	if r.Timeouts != DefaultTimeouts() || rapid.Bool().Draw(t, "write timeouts") {
		to := r.Timeouts
		top = append(top, fmt.Sprintf("timeouts:\n  migration: %s\n  rollout: %s\n  health: %s\n  smoke: %s\n  total: %s\n",
			formatDuration(to.Migration), formatDuration(to.Rollout), formatDuration(to.Health), formatDuration(to.Smoke), formatDuration(to.Total)))
	}
	order := rapid.Permutation(top).Draw(t, "order")
	var out strings.Builder
	if rapid.Bool().Draw(t, "header") {
		out.WriteString("# yaml-language-server: $schema=./schema.json\n")
	}
	for _, s := range order {
		if rapid.Bool().Draw(t, "comment before") {
			out.WriteString("# a comment line\n")
		}
		out.WriteString(s)
	}
	return out.String()
}

func TestGeneratedReleasesAreValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := genRelease().Draw(t, "release")
		if err := r.Validate(slices.Collect(maps.Keys(r.Images))); err != nil {
			t.Fatal(err)
		}
	})
}

// A valid release written in any style decodes to the same Release.
func TestYAMLRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := genRelease().Draw(t, "release")
		text := writeRelease(t, r)
		got, err := Decode("releases/"+r.Environment+".yaml", []byte(text))
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		if g := got.withoutSource(); !reflect.DeepEqual(&g, r) {
			t.Fatalf("decoded release differs\ngot  %+v\nwant %+v\n%s", g, *r, text)
		}
	})
}

func TestDecodeNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkDecode(t, rapid.SliceOf(rapid.Byte()).Draw(t, "data"))
	})
}
