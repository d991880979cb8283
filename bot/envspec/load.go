package envspec

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// usageSuffix ends the names of cost usage files (see cost.UsageFileName).
const usageSuffix = ".usage.yaml"

// LoadDir decodes every *.yaml file in dir (environments/) but the
// *.usage.yaml files, sorted by file name, and checks the environments against each other: no two may share a
// name, and no two VPC ranges may overlap (both would break peering and
// shared routing later). A cross-environment error is reported at the
// vpc_cidr or name of the later file.
//
// The error, if any, is Errors holding the problems of every file. A dir
// that is a symbolic link, or a *.yaml entry that is one or is not a regular
// file, is an error of its own (see safefile): what it points to is not read.
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
		return nil, errs.orNil()
	}
	return specs, nil
}

// crossCheck compares each file with the files before it.
func crossCheck(files []*decoded) Errors {
	var errs Errors
	report := func(f *decoded, path, format string, args ...any) {
		p := f.pos[path]
		errs = append(errs, &Error{File: f.file, Line: max(p.line, 1), Col: max(p.col, 1), Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	for j, b := range files {
		for _, a := range files[:j] {
			if a.spec.Name != "" && a.spec.Name == b.spec.Name && !a.bad["name"] && !b.bad["name"] {
				pa := a.pos["name"]
				report(b, "name", "%s is already the name of the environment in %s:%d:%d; environment names must be unique", quote(b.spec.Name), a.file, pa.line, pa.col)
			}
			pa, okA := vpcPrefix(a)
			pb, okB := vpcPrefix(b)
			if okA && okB && pa.Overlaps(pb) {
				at := a.pos["network.vpc_cidr"]
				report(b, "network.vpc_cidr", "%s overlaps %s of environment %s (%s:%d:%d); choose a range that overlaps no other environment's VPC", pb, pa, quote(a.spec.Name), a.file, at.line, at.col)
			}
		}
	}
	return errs
}

func vpcPrefix(d *decoded) (p netip.Prefix, ok bool) {
	if d.bad["network"] || d.bad["network.vpc_cidr"] {
		return p, false
	}
	p, msg := parseCIDR(d.spec.Network.VPCCIDR)
	return p, msg == ""
}
