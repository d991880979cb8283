package envspec

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// usageSuffix ends the names of cost usage files (see cost.UsageFileName).
const usageSuffix = ".usage.yaml"

// maxEnvironments bounds how many environment files LoadDir reads. Every
// decoded file is kept until the files have been checked against each other,
// so the count bounds the memory of one run; a real repository has a handful
// (each is a VPC, a database and an ECS cluster).
const maxEnvironments = 1000

// maxProblems bounds the problems LoadDir reports, over all files; the rest
// are counted in one last line.
const maxProblems = 200

// LoadDir decodes every *.yaml file in dir (environments/) but the
// *.usage.yaml files, sorted by file name, and checks the environments
// against each other: no two may share a name, and no two VPC ranges may
// overlap (both would break peering and shared routing later). A
// cross-environment error is reported at the vpc_cidr or name of the later
// file, once per file and check, against the first file it clashes with.
//
// The error, if any, is Errors holding the problems of every file, sorted,
// at most maxProblems of them and then one line without file or position
// saying how many more there are. A dir that is a symbolic link or holds
// more than maxEnvironments files is refused before any file is read; a
// *.yaml entry that is a symbolic link or not a regular file is an error of
// its own (see safefile), and what it points to is never read.
func LoadDir(dir string) ([]*Spec, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("load environments: %w", err)
	}
	if !fi.IsDir() {
		// A link would take the files of another directory, anywhere on
		// the machine, and show their content in errors.
		return nil, fmt.Errorf("load environments: %s is not a directory (a symbolic link is refused); it must be the directory itself", dir)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("load environments from %s: %w", dir, err)
	}
	// <env>.usage.yaml beside a spec holds the usage assumptions of the
	// cost estimate (bot/cost), not an environment.
	paths = slices.DeleteFunc(paths, func(p string) bool { return strings.HasSuffix(p, usageSuffix) })
	if len(paths) > maxEnvironments {
		return nil, fmt.Errorf("load environments: %s environment files (*.yaml) in %s; at most %s are read", thousands(len(paths)), dir, thousands(maxEnvironments))
	}
	slices.Sort(paths)
	// A .yml file would otherwise be ignored silently: the environment would
	// seem to exist in review and never be planned.
	misnamed, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	var errs Errors
	for _, p := range misnamed {
		errs = append(errs, &Error{File: p, Line: 1, Col: 1, Path: "name", Msg: "environment files must end in .yaml; rename it to " + filepath.Base(p[:len(p)-len(".yml")]) + ".yaml"})
	}
	var files []*decoded
	for _, p := range paths {
		d, err := readFile(p)
		if err != nil {
			return nil, fmt.Errorf("load environments: %w", err)
		}
		files = append(files, d)
	}
	errs = append(errs, crossCheck(files)...)
	specs := make([]*Spec, 0, len(files))
	for _, f := range files {
		errs = append(errs, f.errs...)
		specs = append(specs, f.spec)
	}
	if len(errs) > 0 {
		return nil, errs.capped(maxProblems)
	}
	return specs, nil
}

// crossCheck checks the files against each other in O(n log n): names through
// a map, VPC ranges by sorting them (see overlaps). Each later file is
// reported at most once per check, against the first file it clashes with.
func crossCheck(files []*decoded) Errors {
	var errs Errors
	report := func(f *decoded, path, format string, args ...any) {
		p := f.pos[path]
		errs = append(errs, &Error{File: f.file, Line: max(p.line, 1), Col: max(p.col, 1), Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	named := map[string]*decoded{}
	for _, b := range files {
		if b.spec.Name == "" || b.bad["name"] {
			continue
		}
		a, ok := named[b.spec.Name]
		if !ok {
			named[b.spec.Name] = b
			continue
		}
		pa := a.pos["name"]
		report(b, "name", "%s is already the name of the environment in %s:%d:%d; environment names must be unique", quote(b.spec.Name), a.file, pa.line, pa.col)
	}
	prefixes := make([]netip.Prefix, len(files))
	valid := make([]bool, len(files))
	for i, f := range files {
		prefixes[i], valid[i] = vpcPrefix(f)
	}
	for j, i := range overlaps(prefixes, valid) {
		if i < 0 {
			continue
		}
		a, b := files[i], files[j]
		at := a.pos["network.vpc_cidr"]
		report(b, "network.vpc_cidr", "%s overlaps %s of environment %s (%s:%d:%d); choose a range that overlaps no other environment's VPC", prefixes[j], prefixes[i], quote(a.spec.Name), a.file, at.line, at.col)
	}
	return errs
}

// overlaps returns, for each valid prefix, the smallest index of an earlier
// prefix that overlaps it, or -1. Two CIDR ranges overlap only when one
// contains the other, so after sorting by address and length the ranges that
// contain one are the ones still open when it comes (its ancestors), and the
// ones it contains come right after it (its descendants): one sweep with a
// stack finds the smallest index of both.
func overlaps(prefixes []netip.Prefix, valid []bool) []int {
	first := make([]int, len(prefixes))
	var order []int
	for i := range prefixes {
		first[i] = -1
		if valid[i] {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		pa, pb := prefixes[a], prefixes[b]
		return cmp.Or(pa.Addr().Compare(pb.Addr()), cmp.Compare(pa.Bits(), pb.Bits()), cmp.Compare(a, b))
	})
	type open struct {
		i        int
		ancestor int // smallest index among the ranges that contain this one
		within   int // smallest index among the ranges it contains
	}
	var stack []open
	finish := func() {
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if k := min(o.ancestor, o.within); k < o.i {
			first[o.i] = k
		}
		if len(stack) > 0 {
			parent := &stack[len(stack)-1]
			parent.within = min(parent.within, o.within, o.i)
		}
	}
	for _, i := range order {
		for len(stack) > 0 && !contains(prefixes[stack[len(stack)-1].i], prefixes[i]) {
			finish()
		}
		o := open{i: i, ancestor: math.MaxInt, within: math.MaxInt}
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			o.ancestor = min(top.ancestor, top.i)
		}
		stack = append(stack, o)
	}
	for len(stack) > 0 {
		finish()
	}
	return first
}

// contains says whether range a contains range b.
func contains(a, b netip.Prefix) bool {
	return a.Bits() <= b.Bits() && a.Contains(b.Addr())
}

func vpcPrefix(d *decoded) (p netip.Prefix, ok bool) {
	if d.bad["network"] || d.bad["network.vpc_cidr"] {
		return p, false
	}
	p, msg := parseCIDR(d.spec.Network.VPCCIDR)
	return p, msg == ""
}
