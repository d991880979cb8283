package envspec

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and want comments")

const (
	devFile     = "../../environments/dev.yaml"
	stagingFile = "../../environments/staging.yaml"
)

// wantPrefix marks the expected errors at the end of a bad spec, one per
// line, without the file name: "# want: 22:13: services.user.memory: ...".
const wantPrefix = "# want: "

// TestDecodeBadCorpus decodes every testdata/bad/*.yaml and compares the
// exact errors, positions included, with the file's want comments (or with
// its .err sidecar when the file cannot hold a comment). -update rewrites them.
func TestDecodeBadCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("bad corpus has %d files; expected at least 30", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			spec, err := Decode(file, data)
			if err == nil {
				t.Fatalf("Decode accepted a bad spec: %+v", spec)
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
	body := bytes.TrimRight(bytes.Join(kept, []byte("\n")), "\n")
	var b bytes.Buffer
	b.Write(body)
	b.WriteString("\n")
	for _, g := range got {
		b.WriteString(wantPrefix + g + "\n")
	}
	// The want lines are appended after the spec, so rewriting them cannot
	// move the positions they describe.
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeRealEnvironments(t *testing.T) {
	dev, err := Load(devFile)
	if err != nil {
		t.Fatalf("dev: %v", err)
	}
	staging, err := Load(stagingFile)
	if err != nil {
		t.Fatalf("staging: %v", err)
	}
	tests := []struct {
		name      string
		spec      *Spec
		region    string
		cidr      string
		dbClass   string
		autoscale bool
		budget    float64
		count     int
	}{
		{"dev runs one task per service with autoscaling", dev, "us-west-2", "10.0.0.0/16", "db.t3.micro", true, 80, 1},
		{"staging runs two tasks per service at fixed scale", staging, "us-east-1", "10.1.0.0/16", "db.t3.small", false, 150, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.spec
			if s.Region != tt.region || s.Network.VPCCIDR != tt.cidr || s.Database.InstanceClass != tt.dbClass ||
				s.Autoscaling.Enabled != tt.autoscale || s.Budget.MonthlyUSD != tt.budget {
				t.Errorf("got region %s cidr %s db %s autoscaling %t budget %v", s.Region, s.Network.VPCCIDR, s.Database.InstanceClass, s.Autoscaling.Enabled, s.Budget.MonthlyUSD)
			}
			if len(s.Services) != 6 {
				t.Fatalf("%d services, want 6", len(s.Services))
			}
			sizes := map[string][2]int{"api-gateway": {512, 1024}, "inventory": {512, 1024}, "location": {512, 1024}, "user": {256, 512}, "reporting": {256, 512}, "ui": {256, 512}}
			for name, size := range sizes {
				svc := s.Services[name]
				if svc == nil || svc.CPU != size[0] || svc.Memory != size[1] || svc.DesiredCount != tt.count {
					t.Errorf("service %s = %+v, want cpu/memory %v and %d tasks", name, svc, size, tt.count)
				}
			}
			gw, ui := s.Services["api-gateway"], s.Services["ui"]
			if !gw.Public || gw.PathPattern != "/api/*" || gw.Port != 8000 || !ui.Public || ui.PathPattern != "" || ui.Port != 80 {
				t.Errorf("routing: api-gateway %+v, ui %+v", gw, ui)
			}
		})
	}
}

func TestFixtureIsDevBeforeScaleDown(t *testing.T) {
	data, err := os.ReadFile("testdata/dev-pre-scale-down.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The fixture is named dev, so it decodes under dev's file name.
	spec, err := Decode("dev.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := Load(devFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"api-gateway": 3, "inventory": 2, "location": 2, "user": 1, "reporting": 1, "ui": 1}
	for name, n := range want {
		if got := spec.Services[name].DesiredCount; got != n {
			t.Errorf("%s desired_count = %d, want %d", name, got, n)
		}
		dev.Services[name].DesiredCount = n
	}
	a, _ := dev.Render()
	b, _ := spec.Render()
	if !bytes.Equal(a, b) {
		t.Errorf("fixture differs from dev in more than the desired counts:\n%s\n%s", a, b)
	}
}

func TestDecodeDefaultsAndYAMLFeatures(t *testing.T) {
	const base = "name: dev\nregion: us-west-2\nnetwork: {vpc_cidr: 10.0.0.0/16}\ndatabase: {instance_class: db.t3.micro}\ncache: {node_type: cache.t3.micro}\n"
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, s *Spec)
	}{
		{"omitted optional keys take the contract defaults", base + "services:\n  api: {cpu: 256, memory: 512, desired_count: 1}\n", func(t *testing.T, s *Spec) {
			want := defaults()
			want.Name, want.Region, want.Network.VPCCIDR = "dev", "us-west-2", "10.0.0.0/16"
			want.Database.InstanceClass, want.Cache.NodeType = "db.t3.micro", "cache.t3.micro"
			if s.Network != want.Network || s.Database != want.Database || s.Cache != want.Cache || s.Autoscaling != want.Autoscaling || s.Logs != want.Logs || s.Budget != want.Budget {
				t.Errorf("got %+v", s)
			}
			if got, want := *s.Services["api"], (Service{CPU: 256, Memory: 512, DesiredCount: 1, Port: 8000, HealthCheckPath: "/health", Architecture: "x86_64"}); got != want {
				t.Errorf("service = %+v, want %+v", got, want)
			}
		}},
		{"explicit zero min_tasks is kept, not defaulted", base + "autoscaling: {enabled: true, min_tasks: 0, max_tasks: 2}\nservices:\n  api: {cpu: 256, memory: 512, desired_count: 0}\n", func(t *testing.T, s *Spec) {
			if s.Autoscaling.MinTasks != 0 || s.Autoscaling.MaxTasks != 2 {
				t.Errorf("autoscaling = %+v", s.Autoscaling)
			}
		}},
		{"anchors, aliases and merge keys share service settings", base + "services:\n  api: &small {cpu: 256, memory: 512, desired_count: 1}\n  web:\n    <<: *small\n    memory: 1024\n", func(t *testing.T, s *Spec) {
			if w := s.Services["web"]; w.CPU != 256 || w.Memory != 1024 || w.DesiredCount != 1 {
				t.Errorf("web = %+v", w)
			}
		}},
		{"!!str turns a number into a string", strings.Replace(base, "db.t3.micro}", "db.t3.micro, engine_version: !!str 16}", 1) + "services:\n  api: {cpu: 256, memory: 512, desired_count: 1}\n", func(t *testing.T, s *Spec) {
			if s.Database.EngineVersion != "16" {
				t.Errorf("engine_version = %q", s.Database.EngineVersion)
			}
		}},
		{"a byte order mark is ignored", "\ufeff" + base + "services:\n  api: {cpu: 256, memory: 512, desired_count: 1}\n", func(t *testing.T, s *Spec) {
			if s.Name != "dev" {
				t.Errorf("name = %q", s.Name)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Decode("dev.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

// laughs builds a document where each anchor merges the previous one eight
// times, so a naive expansion visits 8^levels pairs.
func laughs(levels int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n")
	for i := 1; i <= levels; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "l%d: &l%d {<<: [%s, %s, %s, %s, %s, %s, %s, %s]}\n", i, i, p, p, p, p, p, p, p, p)
	}
	fmt.Fprintf(&b, "services:\n  x:\n    <<: *l%d\n", levels)
	return b.String()
}

func TestDecodeHostileInputs(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // in the first error
	}{
		{"deeply nested flow sequences", strings.Repeat("[", 5000), "nest more than 100 levels deep"},
		{"deeply nested flow mappings", strings.Repeat("{a: ", 5000), "nest more than 100 levels deep"},
		{"exponential merge keys stop at the budget", laughs(9), "expands to more than 100000 keys"},
		{"a list inside a merge list is refused, not expanded", "a: &a [{cpu: 256}]\nservices:\n  x:\n    <<: [*a]\n", "takes a mapping or a list of mappings, got a list"},
		{"a mapping merged into itself", "services: &x\n  a:\n    <<: *x\n", "required key is missing"},
		{"a file over the size limit", "name: dev\n" + strings.Repeat("# padding\n", maxFileSize/10), "limited to"},
		{"NUL bytes", "name: d\x00ev\n", ""},
		{"an alias as a key", "*x : 1\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode("dev.yaml", []byte(tt.data))
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

// deepInputs are files that nest far past maxNesting, each about 200 KB.
func deepInputs() []struct{ name, data, at string } {
	var indented strings.Builder
	indented.WriteString("name: dev\n")
	for i := range 600 {
		fmt.Fprintf(&indented, "%sk:\n", strings.Repeat(" ", i))
	}
	return []struct{ name, data, at string }{
		{"100,000 nested flow sequences", "name: dev\nx: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n", "2:103"},
		{"100,000 nested flow mappings", "name: dev\nx: " + strings.Repeat("{a: ", 50_000) + strings.Repeat("}", 50_000) + "\n", "2:400"},
		{"100,000 nested block sequences on one line", "name: dev\nx: " + strings.Repeat("- ", 100_000) + "1\n", "2:202"},
		{"600 indented block mappings", indented.String(), "102:101"},
		{"40,000 tags that each end their line", "name: dev\n" + strings.Repeat("a: !t\n", 40_000), "101:4"},
	}
}

func TestDecodeRefusesDeepNestingBeforeParsing(t *testing.T) {
	for _, tt := range deepInputs() {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Decode("environments/dev.yaml", []byte(tt.data))
			runtime.ReadMemStats(&after)
			want := "environments/dev.yaml:" + tt.at + ": lists and mappings nest more than 100 levels deep here; an environment file needs 3 (services.<name>.<key>)"
			if err == nil || err.Error() != want {
				t.Errorf("got:\n%v\nwant:\n%s", err, want)
			}
			// goccy's parser took more than 8 GB on the first of these.
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
		{"full position and path", &Error{File: "environments/dev.yaml", Line: 14, Col: 23, Path: "services.user.memory", Msg: "bad"}, "environments/dev.yaml:14:23: services.user.memory: bad"},
		{"file-level problem has no path", &Error{File: "a.yaml", Line: 1, Col: 1, Msg: "file is empty"}, "a.yaml:1:1: file is empty"},
		{"hand-built spec has no file or position", &Error{Path: "region", Msg: "unknown"}, "region: unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	errs := Errors{{File: "a", Line: 2, Col: 1, Msg: "x"}, {File: "a", Line: 3, Col: 1, Msg: "y"}}
	if got := errs.Error(); got != "a:2:1: x\na:3:1: y" {
		t.Errorf("Errors.Error() = %q", got)
	}
}

func TestValidateHandBuiltSpec(t *testing.T) {
	s, err := Load(devFile)
	if err != nil {
		t.Fatal(err)
	}
	s.Services["user"].Memory = 300
	s.Region = "mars-1"
	_, err = s.Render()
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("Render of an invalid spec: %v", err)
	}
	for _, e := range errs {
		if e.File != "" || e.Line != 0 {
			t.Errorf("hand-built spec error has a position: %+v", e)
		}
	}
	if errs[1].Path != "services.user.memory" || !strings.Contains(errs[1].Msg, "300 is not valid with cpu 256") {
		t.Errorf("errors = %v", errs)
	}
}

var positioned = regexp.MustCompile(`^fuzz/dev\.yaml:[1-9][0-9]*:[1-9][0-9]*: [^\n]+$`)

// FuzzDecode: Decode never panics; every error is one line with the
// file:line:col: prefix; whatever it accepts renders.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bad/*.yaml")
	seeds = append(seeds, devFile, stagingFile, "testdata/dev-pre-scale-down.yaml")
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
	// Smaller ones, which mutate faster, around the limit.
	for _, n := range []int{99, 100, 101, 2000} {
		f.Add([]byte("name: dev\nx: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"))
		f.Add([]byte("name: dev\nx: " + strings.Repeat("- ", n) + "1\n"))
		f.Add([]byte("name: dev\n" + strings.Repeat("a: !t\n", n)))
		f.Add([]byte("name: dev\nservices:\n  api: &a\n" + strings.Repeat("    - &b\n", n)))
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
	spec, err := Decode("fuzz/dev.yaml", data)
	if err == nil {
		if spec == nil {
			t.Fatal("nil spec without error")
		}
		if _, err := spec.Render(); err != nil {
			t.Fatalf("accepted spec does not render: %v", err)
		}
		return
	}
	var errs Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("error is not Errors: %T %v", err, err)
	}
	for _, e := range errs {
		if !positioned.MatchString(e.Error()) {
			t.Fatalf("error without file:line:col: prefix or on several lines: %q", e.Error())
		}
	}
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
