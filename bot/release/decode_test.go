package release

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files, want comments and releases/schema.json")

const (
	stagingFile = "../../releases/staging.yaml"
	devFile     = "../../releases/dev.yaml"
)

// inventoryServices are the services of environments/{dev,staging}.yaml.
var inventoryServices = []string{"api-gateway", "inventory", "location", "user", "reporting", "ui"}

// wantPrefix marks the expected errors at the end of a bad file, one per
// line, without the file name: "# want: 5:3: images.ui.tag: ...".
const wantPrefix = "# want: "

// TestDecodeBadCorpus decodes every testdata/bad/*.yaml and compares the
// exact errors, positions included, with the file's want comments (or with
// its .err sidecar when the file cannot hold a comment). -update rewrites them.
func TestDecodeBadCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("bad corpus has %d files; expected at least 50", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Decode(file, data)
			if err == nil {
				t.Fatalf("Decode accepted a bad file: %+v", r)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, strings.TrimPrefix(e.Error(), file+":"))
			}
			sidecar := strings.TrimSuffix(file, ".yaml") + ".err"
			_, statErr := os.Stat(sidecar)
			useSidecar := statErr == nil || len(data) == 0
			if *update {
				writeWants(t, file, sidecar, useSidecar, data, got)
				return
			}
			var want []string
			if useSidecar {
				b, err := os.ReadFile(sidecar)
				if err != nil {
					t.Fatal(err)
				}
				want = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			} else {
				want = wants(data)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("errors differ\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func wants(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, wantPrefix); ok {
			out = append(out, rest)
		}
	}
	return out
}

func writeWants(t *testing.T, file, sidecar string, useSidecar bool, data []byte, got []string) {
	t.Helper()
	if useSidecar {
		if err := os.WriteFile(sidecar, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var kept [][]byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte(wantPrefix)) {
			kept = append(kept, line)
		}
	}
	var b bytes.Buffer
	b.Write(bytes.TrimRight(bytes.Join(kept, []byte("\n")), "\n"))
	b.WriteString("\n")
	for _, g := range got {
		b.WriteString(wantPrefix + g + "\n")
	}
	// The want lines come after the file's content, so rewriting them
	// cannot move the positions they describe.
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeRealReleases(t *testing.T) {
	digest := regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	tests := []struct {
		name    string
		file    string
		follows Follows
		version Version
		tag     string
		smoke   []Smoke
	}{
		{"staging is at release tag v1.1.0, its first", stagingFile, FollowsTags, "v1.1.0", "v1.1.0", DefaultSmoke()},
		{"dev follows main at a commit, images tagged with it", devFile, FollowsMain, "a1b2c3d", "a1b2c3d", DefaultSmoke()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Load(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Validate(inventoryServices); err != nil {
				t.Fatalf("the real file does not validate against the inventory services: %v", err)
			}
			if r.Follows != tt.follows || r.Version != tt.version || r.Previous != "" {
				t.Errorf("follows %s, version %s, previous %q", r.Follows, r.Version, r.Previous)
			}
			for _, s := range inventoryServices {
				img := r.Images[s]
				if img.Repository != "inventory-management/"+s || img.Tag != tt.tag || !digest.MatchString(img.Digest) {
					t.Errorf("image of %s = %+v", s, img)
				}
			}
			m := r.Migrations
			if m == nil || m.Service != "api-gateway" || strings.Join(m.Command, " ") != "alembic upgrade head" {
				t.Errorf("migrations = %+v", m)
			}
			if !reflect.DeepEqual(r.Smoke, tt.smoke) {
				t.Errorf("smoke = %+v", r.Smoke)
			}
			var steps []string
			for _, s := range r.Seed {
				steps = append(steps, s.Name+"="+strings.Join(s.Command, " ")+"@"+s.Service)
			}
			want := "roles=python scripts/setup_default_roles.py@api-gateway inventory=python scripts/reseed_complete_inventory.py@api-gateway movements=python scripts/generate_movements.py@api-gateway"
			if got := strings.Join(steps, " "); got != want {
				t.Errorf("seed = %s", got)
			}
			if r.Timeouts != DefaultTimeouts() {
				t.Errorf("timeouts = %+v", r.Timeouts)
			}
		})
	}
}

func TestStagingRollsBackWithTheDowngrade(t *testing.T) {
	r, err := Load(stagingFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Migrations.Downgrade, " "); got != "alembic downgrade -1" {
		t.Errorf("downgrade = %q", got)
	}
}

func TestDecodeDefaultsAndYAMLFeatures(t *testing.T) {
	const base = "environment: staging\nversion: v1.2.0\nimages:\n  ui: {repository: inventory-management/ui, tag: v1.2.0}\n"
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, r *Release)
	}{
		{"omitted optional keys take the contract defaults", base, func(t *testing.T, r *Release) {
			want := &Release{
				Environment: "staging", Follows: FollowsTags, Version: "v1.2.0",
				Images:   map[string]Image{"ui": {Repository: "inventory-management/ui", Tag: "v1.2.0"}},
				Smoke:    DefaultSmoke(),
				Timeouts: DefaultTimeouts(),
			}
			if got := r.withoutSource(); !reflect.DeepEqual(&got, want) {
				t.Errorf("got  %+v\nwant %+v", got, *want)
			}
		}},
		{"an explicit empty smoke list means no smoke checks", base + "smoke: []\n", func(t *testing.T, r *Release) {
			if r.Smoke == nil || len(r.Smoke) != 0 {
				t.Errorf("smoke = %#v", r.Smoke)
			}
		}},
		{"smoke status and timeout default per check", base + "smoke:\n  - path: /ready\n", func(t *testing.T, r *Release) {
			if want := []Smoke{{Path: "/ready", Status: 200, Timeout: 10 * time.Second}}; !reflect.DeepEqual(r.Smoke, want) {
				t.Errorf("smoke = %+v", r.Smoke)
			}
		}},
		{"a seed step runs in the migrations service unless it names one", base + "migrations: {service: ui, command: [migrate]}\nseed:\n  - {name: a, command: [x]}\n  - {name: b, command: [y], service: ui, timeout: 1h}\n", func(t *testing.T, r *Release) {
			want := []SeedStep{{Name: "a", Command: []string{"x"}, Service: "ui", Timeout: DefaultSeedTimeout}, {Name: "b", Command: []string{"y"}, Service: "ui", Timeout: time.Hour}}
			if !reflect.DeepEqual(r.Seed, want) {
				t.Errorf("seed = %+v", r.Seed)
			}
		}},
		{"timeouts not written keep their defaults", base + "timeouts: {rollout: 12m, total: 20m}\n", func(t *testing.T, r *Release) {
			want := DefaultTimeouts()
			want.Rollout, want.Total = 12*time.Minute, 20*time.Minute
			if r.Timeouts != want {
				t.Errorf("timeouts = %+v", r.Timeouts)
			}
		}},
		{"durations take Go's units and fractions", base + "bake: 1h30m\nfreeze:\n  - {start: \"0 17 * * FRI\", duration: 62.5h, time_zone: Europe/Berlin}\n", func(t *testing.T, r *Release) {
			if r.Bake != 90*time.Minute || r.Freeze[0].Duration != 62*time.Hour+30*time.Minute {
				t.Errorf("bake %v, freeze %v", r.Bake, r.Freeze[0].Duration)
			}
		}},
		{"!!str turns a number into a string", strings.Replace(base, "tag: v1.2.0", "tag: !!str 1234567", 1), func(t *testing.T, r *Release) {
			if r.Images["ui"].Tag != "1234567" {
				t.Errorf("tag = %q", r.Images["ui"].Tag)
			}
		}},
		{"a quoted digest and a block image read the same", "environment: staging\nversion: v1.2.0\nimages:\n  ui:\n    repository: inventory-management/ui\n    tag: 'v1.2.0'\n    digest: \"sha256:" + strings.Repeat("0", 64) + "\"\n", func(t *testing.T, r *Release) {
			if r.Images["ui"].Digest != "sha256:"+strings.Repeat("0", 64) || r.Images["ui"].Tag != "v1.2.0" {
				t.Errorf("image = %+v", r.Images["ui"])
			}
		}},
		{"a byte order mark is ignored", "\ufeff" + base, func(t *testing.T, r *Release) {
			if r.Environment != "staging" {
				t.Errorf("environment = %q", r.Environment)
			}
		}},
		{"a pre-release tag is a version", strings.Replace(base, "version: v1.2.0", "version: v1.3.0-rc.1\nprevious: v1.2.0", 1), func(t *testing.T, r *Release) {
			if r.Version.Prerelease() != "-rc.1" || r.Previous != "v1.2.0" {
				t.Errorf("version %s previous %s", r.Version, r.Previous)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Decode("releases/staging.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

func TestDecodeHostileInputs(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // in the errors
	}{
		{"deeply nested flow sequences", strings.Repeat("[", 5000), "nest more than 32 levels deep"},
		{"deeply nested flow mappings", strings.Repeat("{a: ", 5000), "nest more than 32 levels deep"},
		{"a file over the size limit", "environment: dev\n" + strings.Repeat("# padding\n", maxFileSize/10), "limited to 262144 bytes"},
		{"invalid UTF-8", "environment: d\xffev\n", "not valid UTF-8 (byte 0xff)"},
		{"NUL bytes", "environment: d\x00ev\n", ""},
		{"an alias as a key", "*x : 1\n", ""},
		{"an anchor on the whole file", "&a {environment: dev}\n", "anchors (&…) are not supported"},
		{"a thousand unknown keys stop at the error limit", func() string {
			var b strings.Builder
			for i := range 1000 {
				fmt.Fprintf(&b, "k%d: 1\n", i)
			}
			return b.String()
		}(), "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode("releases/dev.yaml", []byte(tt.data))
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("err = %v", err)
			}
			if len(errs) > maxErrors+1 {
				t.Errorf("%d errors; want at most %d and a summary", len(errs), maxErrors)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("errors do not mention %q:\n%v", tt.want, err)
			}
		})
	}
}

func TestManyErrorsEndWithACount(t *testing.T) {
	var b strings.Builder
	b.WriteString("environment: dev\nversion: v1\nimages: {}\nsmoke:\n")
	for range 150 {
		b.WriteString("  - {path: x, status: 1}\n")
	}
	_, err := Decode("releases/dev.yaml", []byte(b.String()))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != maxErrors+1 {
		t.Fatalf("%d errors: %v", len(errs), err)
	}
	last := errs[len(errs)-1].Error()
	if !regexp.MustCompile(`^releases/dev\.yaml:\d+:\d+: \d+ more errors not shown; fix these first$`).MatchString(last) {
		t.Errorf("last line = %q", last)
	}
}

// deepInputs are files that nest far past maxNesting, each about 200 KB.
func deepInputs() []struct{ name, data, at string } {
	var indented strings.Builder
	indented.WriteString("environment: dev\n")
	for i := range 600 {
		fmt.Fprintf(&indented, "%sk:\n", strings.Repeat(" ", i))
	}
	return []struct{ name, data, at string }{
		{"100,000 nested flow sequences", "environment: dev\nx: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n", "2:35"},
		{"100,000 nested flow mappings", "environment: dev\nx: " + strings.Repeat("{a: ", 50_000) + strings.Repeat("}", 50_000) + "\n", "2:128"},
		{"100,000 nested block sequences on one line", "environment: dev\nx: " + strings.Repeat("- ", 100_000) + "1\n", "2:66"},
		{"600 indented block mappings", indented.String(), "34:33"},
		{"40,000 tags that each end their line", "environment: dev\n" + strings.Repeat("a: !t\n", 40_000), "33:4"},
	}
}

func TestDecodeRefusesDeepNestingBeforeParsing(t *testing.T) {
	for _, tt := range deepInputs() {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Decode("releases/dev.yaml", []byte(tt.data))
			runtime.ReadMemStats(&after)
			want := "releases/dev.yaml:" + tt.at + ": lists and mappings nest more than 32 levels deep here; a release file needs 4 (seed[i].command[j])"
			if err == nil || err.Error() != want {
				t.Errorf("got:\n%v\nwant:\n%s", err, want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("decoding %d bytes allocated %d MiB", len(tt.data), alloc>>20)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"full position and path", &Error{File: "releases/staging.yaml", Line: 9, Col: 42, Path: "images.ui.digest", Msg: "bad"}, "releases/staging.yaml:9:42: images.ui.digest: bad"},
		{"file-level problem has no path", &Error{File: "a.yaml", Line: 1, Col: 1, Msg: "file is empty"}, "a.yaml:1:1: file is empty"},
		{"hand-built release has no file or position", &Error{Path: "version", Msg: "bad"}, "version: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

var positioned = regexp.MustCompile(`^fuzz/dev\.yaml:[1-9][0-9]*:[1-9][0-9]*: [^\n]+$`)

// FuzzDecodeRelease: Decode never panics; every error is one line with the
// file:line:col: prefix; whatever it accepts validates against its own
// images, plans as a redeploy against itself, answers FrozenAt, and is
// edited by Next (or refused as a layout it cannot edit).
func FuzzDecodeRelease(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bad/*.yaml")
	seeds = append(seeds, stagingFile, devFile)
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, d := range deepInputs() {
		f.Add([]byte(d.data))
	}
	f.Add([]byte("environment: dev\n" + strings.Repeat("# padding\n", maxFileSize/10)))
	// Smaller ones, which mutate faster, around the limit.
	for _, n := range []int{31, 32, 33, 200} {
		f.Add([]byte("environment: dev\nx: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"))
		f.Add([]byte("environment: dev\nx: " + strings.Repeat("- ", n) + "1\n"))
		f.Add([]byte("environment: dev\n" + strings.Repeat("a: !t\n", n)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
	})
}

// fataler is what checkDecode needs from *testing.T and *rapid.T.
type fataler interface {
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func checkDecode(t fataler, data []byte) {
	r, err := Decode("fuzz/dev.yaml", data)
	if err != nil {
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 || len(errs) > maxErrors+1 {
			t.Fatalf("error is not Errors of 1 to %d: %T %v", maxErrors+1, err, err)
		}
		for _, e := range errs {
			if !positioned.MatchString(e.Error()) {
				t.Fatalf("error without file:line:col: prefix or on several lines: %q", e.Error())
			}
		}
		return
	}
	if r == nil {
		t.Fatal("nil release without error")
	}
	var names []string
	for n := range r.Images {
		names = append(names, n)
	}
	if err := r.Validate(names); err != nil {
		t.Fatalf("decoded release does not validate against its own images: %v", err)
	}
	if p, err := NewPlan(r, r); err != nil || p.Direction != Redeploy || len(p.Changed) != 0 {
		t.Fatalf("plan of a release against itself: %+v, %v", p, err)
	}
	r.FrozenAt(time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC))
	if _, err := Next("fuzz/dev.yaml", data, Update{Version: r.Version, Images: pinned(r.Images)}); err != nil && !errors.Is(err, errLayout) {
		t.Fatalf("Next of an accepted file: %v", err)
	}
}

// pinned gives every image a digest, as an update must.
func pinned(images map[string]Image) map[string]Image {
	out := map[string]Image{}
	for n, img := range images {
		if img.Digest == "" {
			img.Digest = "sha256:" + strings.Repeat("e", 64)
		}
		out[n] = img
	}
	return out
}

func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(stagingFile)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(stagingFile, data); err != nil {
			b.Fatal(err)
		}
	}
}
