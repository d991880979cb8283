package envspec

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// writeEnvironments writes n copies of dev.yaml named env0000.yaml, … into
// a new directory, each with its own name and the same VPC range.
func writeEnvironments(t *testing.T, n int) string {
	t.Helper()
	dev, err := os.ReadFile(devFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i := range n {
		name := fmt.Sprintf("env%04d", i)
		writeFile(t, filepath.Join(dir, name+".yaml"), bytes.Replace(dev, []byte("name: dev"), []byte("name: "+name), 1))
	}
	return dir
}

func TestLoadDirBoundsWhatItReports(t *testing.T) {
	// Every VPC overlaps every other: 499,500 pairs, which used to be as
	// many error lines.
	dir := writeEnvironments(t, maxEnvironments)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := LoadDir(dir)
	runtime.ReadMemStats(&after)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	if len(errs) != maxProblems+1 {
		t.Fatalf("%d lines reported, want %d problems and a summary", len(errs), maxProblems)
	}
	first := filepath.Join(dir, "env0001.yaml") + `:6:13: network.vpc_cidr: 10.0.0.0/16 overlaps 10.0.0.0/16 of environment "env0000" (` +
		filepath.Join(dir, "env0000.yaml") + ":6:13); choose a range that overlaps no other environment's VPC"
	if errs[0].Error() != first {
		t.Errorf("first line\ngot  %s\nwant %s", errs[0], first)
	}
	if got, want := errs[maxProblems].Error(), "… and 799 more problems in 799 files"; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
		t.Errorf("LoadDir of %d files allocated %d MiB", maxEnvironments, alloc>>20)
	}
}

func TestLoadDirRefusesMoreFilesThanTheLimit(t *testing.T) {
	dir := writeEnvironments(t, 1500)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := LoadDir(dir)
	runtime.ReadMemStats(&after)
	want := "load environments: 1,500 environment files (*.yaml) in " + dir + "; at most 1,000 are read"
	if err == nil || err.Error() != want {
		t.Errorf("got  %.300v\nwant %s", err, want)
	}
	// Refused before any file is read.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("refusing %d files allocated %d MiB", 1500, alloc>>20)
	}
}

func TestCrossCheckReportsEachLaterFileOnce(t *testing.T) {
	tests := []struct {
		name  string
		files [][2]string // name, vpc_cidr, in file order
		want  []string    // "file: path: start of message"
	}{
		{"a name used three times is reported twice, against the first",
			[][2]string{{"dev", "10.0.0.0/16"}, {"dev", "10.1.0.0/16"}, {"dev", "10.2.0.0/16"}},
			[]string{`b.yaml: name: "dev" is already the name of the environment in a.yaml:`, `c.yaml: name: "dev" is already the name of the environment in a.yaml:`}},
		{"a range containing two earlier ones is reported once, against the first",
			[][2]string{{"a", "10.0.0.0/17"}, {"b", "10.0.128.0/17"}, {"c", "10.0.0.0/16"}},
			[]string{`c.yaml: network.vpc_cidr: 10.0.0.0/16 overlaps 10.0.0.0/17 of environment "a"`}},
		{"a range inside an earlier one is reported against it",
			[][2]string{{"a", "10.2.0.0/16"}, {"b", "10.0.128.0/20"}, {"c", "10.0.0.0/16"}},
			[]string{`c.yaml: network.vpc_cidr: 10.0.0.0/16 overlaps 10.0.128.0/20 of environment "b"`}},
		{"adjacent ranges do not overlap",
			[][2]string{{"a", "10.0.0.0/16"}, {"b", "10.1.0.0/16"}, {"c", "10.2.0.0/24"}},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []*decoded
			for i, f := range tt.files {
				d := newDecoded(string(rune('a'+i)) + ".yaml")
				d.spec.Name, d.spec.Network.VPCCIDR = f[0], f[1]
				d.pos["name"], d.pos["network.vpc_cidr"] = position{3, 7}, position{6, 13}
				files = append(files, d)
			}
			errs := crossCheck(files)
			errs.sort()
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tt.want), errs)
			}
			for i, e := range errs {
				got := e.File + ": " + e.Path + ": " + e.Msg
				if !strings.HasPrefix(got, tt.want[i]) {
					t.Errorf("got  %s\nwant %s…", got, tt.want[i])
				}
			}
		})
	}
}

// TestOverlapsIsThePairwiseCheck: the sweep finds, for every range, the
// first earlier range it overlaps, as comparing every pair would.
func TestOverlapsIsThePairwiseCheck(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 40).Draw(t, "n")
		prefixes := make([]netip.Prefix, n)
		valid := make([]bool, n)
		for i := range n {
			// A small address space, so that ranges often nest and repeat.
			addr := rapid.Uint32Range(0, 1<<12-1).Draw(t, "addr") << 12
			bits := rapid.IntRange(minPrefix, maxPrefix).Draw(t, "bits")
			ip := netip.AddrFrom4([4]byte{10, byte(addr >> 16), byte(addr >> 8), byte(addr)})
			prefixes[i] = netip.PrefixFrom(ip, bits).Masked()
			valid[i] = rapid.IntRange(0, 9).Draw(t, "valid") > 0
		}
		got := overlaps(prefixes, valid)
		want := make([]int, n)
		for j := range n {
			want[j] = -1
			for i := range j {
				if valid[i] && valid[j] && prefixes[i].Overlaps(prefixes[j]) {
					want[j] = i
					break
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("overlaps(%v, %v) = %v, want %v", prefixes, valid, got, want)
		}
	})
}

func TestCappedSummarisesTheRest(t *testing.T) {
	errs := Errors{
		{File: "b.yaml", Line: 1, Col: 1, Msg: "x"},
		{File: "a.yaml", Line: 2, Col: 1, Msg: "y"},
		{File: "a.yaml", Line: 9, Col: 1, Msg: "1,500 more errors not shown; fix these first", hidden: 1500},
		{File: "c.yaml", Line: 1, Col: 1, Msg: "z"},
	}
	got := errs.capped(1).Error()
	want := "a.yaml:2:1: y\n… and 1,502 more problems in 3 files"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := (Errors{{File: "a.yaml", Line: 1, Col: 1, Msg: "x"}, {File: "a.yaml", Line: 2, Col: 1, Msg: "y"}}).capped(1).Error(); got != "a.yaml:1:1: x\n… and 1 more problem in 1 file" {
		t.Errorf("singular: %q", got)
	}
}
