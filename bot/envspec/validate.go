package envspec

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// Validate checks a Spec against every single-file rule of docs/contracts.md.
// Decode already does this; Validate is for a Spec built or changed in code.
// Its errors carry spec paths but no file positions.
func (s *Spec) Validate() error {
	c := &checker{spec: s, pos: map[string]position{}, bad: map[string]bool{}}
	c.run("")
	return c.errs.orNil()
}

// validate runs the rules on a decoded file, skipping values that already
// failed to decode so that one mistake gives one error.
func (d *decoded) validate(wantName string) {
	c := &checker{spec: d.spec, file: d.file, pos: d.pos, bad: d.bad}
	c.run(wantName)
	d.errs = append(d.errs, c.errs...)
}

type checker struct {
	spec *Spec
	file string
	pos  map[string]position
	bad  map[string]bool
	errs Errors
}

// ok says whether every given path decoded, so a rule may look at them.
func (c *checker) ok(paths ...string) bool {
	for _, p := range paths {
		for q := p; ; {
			if c.bad[q] {
				return false
			}
			i := strings.LastIndex(q, ".")
			if i < 0 {
				break
			}
			q = q[:i]
		}
	}
	return true
}

// errorf reports at the value of path, or at its nearest written ancestor
// when the value is a default.
func (c *checker) errorf(path, format string, args ...any) {
	e := &Error{File: c.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	for q := path; ; {
		if p, ok := c.pos[q]; ok {
			e.Line, e.Col = p.line, p.col
			break
		}
		if q == "" {
			break
		}
		i := strings.LastIndex(q, ".")
		if i < 0 {
			q = ""
		} else {
			q = q[:i]
		}
	}
	if c.file != "" && e.Line < 1 {
		e.Line, e.Col = 1, 1
	}
	c.errs = append(c.errs, e)
}

func (c *checker) intRange(path string, v, lo, hi int) {
	if c.ok(path) && (v < lo || v > hi) {
		c.errorf(path, "%d is out of range; expected %d to %d", v, lo, hi)
	}
}

func (c *checker) run(wantName string) {
	s := c.spec
	if c.ok("name") {
		switch {
		case !nameRe.MatchString(s.Name):
			c.errorf("name", "%s is not a valid environment name; use 2 to 21 lowercase letters, digits and -, starting with a letter", quote(s.Name))
		case wantName != "" && s.Name != wantName:
			c.errorf("name", "%s does not match the file name; expected %q", quote(s.Name), wantName)
		}
	}
	if c.ok("region") && !slices.Contains(regions, s.Region) {
		c.errorf("region", "unknown region %s%s; expected an AWS commercial region: %s", quote(s.Region), closest(s.Region, regions), strings.Join(regions, ", "))
	}
	c.network()
	c.database()
	c.cache()
	c.autoscaling()
	if c.ok("logs.retention_days") && !containsInt(logRetentionDays, s.Logs.RetentionDays) {
		c.errorf("logs.retention_days", "%d is not a CloudWatch Logs retention; expected one of %s", s.Logs.RetentionDays, joinInts(logRetentionDays))
	}
	if c.ok("budget.monthly_usd") && !(s.Budget.MonthlyUSD >= 0) {
		c.errorf("budget.monthly_usd", "%v is negative; expected 0 (no budget) or more", s.Budget.MonthlyUSD)
	}
	c.services()
}

// parseCIDR checks a VPC range: IPv4, canonical, prefix /16 to /24.
func parseCIDR(v string) (netip.Prefix, string) {
	p, err := netip.ParsePrefix(v)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Sprintf("%s is not an IPv4 CIDR; expected a range such as 10.0.0.0/16", quote(v))
	}
	if p.Bits() < minPrefix || p.Bits() > maxPrefix {
		return netip.Prefix{}, fmt.Sprintf("%s has prefix /%d; expected /%d to /%d", v, p.Bits(), minPrefix, maxPrefix)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Sprintf("%s has host bits set; expected %s", v, p.Masked())
	}
	return p, ""
}

func (c *checker) network() {
	n := c.spec.Network
	if c.ok("network.vpc_cidr") {
		if _, msg := parseCIDR(n.VPCCIDR); msg != "" {
			c.errorf("network.vpc_cidr", "%s", msg)
		}
	}
	c.intRange("network.azs", n.AZs, 2, 3)
	if c.ok("network.nat") && !slices.Contains(natModes, n.NAT) {
		c.errorf("network.nat", "%s is not a NAT mode; expected per_az or single", quote(n.NAT))
	}
}

func (c *checker) database() {
	db := c.spec.Database
	if c.ok("database.instance_class") && !instanceClassRe.MatchString(db.InstanceClass) {
		c.errorf("database.instance_class", "%s is not an RDS instance class; expected db.<family>.<size>, e.g. db.t3.micro", quote(db.InstanceClass))
	}
	c.intRange("database.storage_gb", db.StorageGB, 20, 1000)
	c.intRange("database.backup_retention_days", db.BackupRetentionDays, 0, 35)
}

func (c *checker) cache() {
	ca := c.spec.Cache
	if c.ok("cache.node_type") && !nodeTypeRe.MatchString(ca.NodeType) {
		c.errorf("cache.node_type", "%s is not an ElastiCache node type; expected cache.<family>.<size>, e.g. cache.t3.micro", quote(ca.NodeType))
	}
	c.intRange("cache.nodes", ca.Nodes, 1, 6)
}

func (c *checker) autoscaling() {
	a := c.spec.Autoscaling
	c.intRange("autoscaling.max_tasks", a.MaxTasks, 1, 20)
	if c.ok("autoscaling.min_tasks") {
		switch {
		case a.MinTasks < 0:
			c.errorf("autoscaling.min_tasks", "%d is negative; expected 0 or more", a.MinTasks)
		case c.ok("autoscaling.max_tasks") && a.MinTasks > a.MaxTasks:
			c.errorf("autoscaling.min_tasks", "%d is above max_tasks %d; expected 0 to %d", a.MinTasks, a.MaxTasks, a.MaxTasks)
		}
	}
	c.intRange("autoscaling.cpu_target_percent", a.CPUTargetPercent, 10, 95)
}

func (c *checker) services() {
	s := c.spec
	names := make([]string, 0, len(s.Services))
	for name := range s.Services {
		names = append(names, name)
	}
	// Report in file order, so "the second public service" is the later one.
	slices.SortFunc(names, func(a, b string) int {
		pa, pb := c.pos["services."+a], c.pos["services."+b]
		if pa.line != pb.line {
			return pa.line - pb.line
		}
		if pa.col != pb.col {
			return pa.col - pb.col
		}
		return strings.Compare(a, b)
	})
	if c.file == "" {
		// A hand-built Spec has no file; its service count was not checked
		// while decoding.
		if len(names) == 0 {
			c.errorf("services", "no services; at least one is required")
		}
		if len(names) > maxServices {
			c.errorf("services", "%d services; at most %d are allowed", len(names), maxServices)
		}
	}
	var defaultRoute string
	patterns := map[string]string{}
	publics := 0
	for _, name := range names {
		svc := s.Services[name]
		p := "services." + name
		if svc == nil {
			c.errorf(p, "no settings; expected cpu, memory and desired_count")
			continue
		}
		if c.file == "" && !serviceNameRe.MatchString(name) {
			c.errorf(p, "%s is not a valid service name; use lowercase letters, digits and -, starting with a letter, at most 31 characters", quote(name))
		}
		c.service(p, svc)
		if !svc.Public {
			if c.ok(p+".path_pattern", p+".public") && svc.PathPattern != "" {
				c.errorf(p+".path_pattern", "%s is set on a private service; only public services (public: true) take a path_pattern", quote(svc.PathPattern))
			}
			continue
		}
		if !c.ok(p+".public", p+".path_pattern") {
			continue
		}
		publics++
		if svc.PathPattern == "" {
			if defaultRoute != "" {
				c.errorf(p+".public", "a second public service without path_pattern; %q is already the default route, so give one of them a path_pattern such as \"/%s/*\"", defaultRoute, name)
				continue
			}
			defaultRoute = name
			continue
		}
		if other, dup := patterns[svc.PathPattern]; dup {
			c.errorf(p+".path_pattern", "%s is already the path_pattern of %q; each public service needs its own", quote(svc.PathPattern), other)
			continue
		}
		// Listener rule priorities come from a hash of the service name, so
		// the order between overlapping patterns would be arbitrary.
		for _, q := range slices.Sorted(maps.Keys(patterns)) {
			if patternsOverlap(svc.PathPattern, q) {
				c.errorf(p+".path_pattern", "%s overlaps %s of %q: a request can match both and the load balancer's order between them is not defined; make the patterns disjoint", quote(svc.PathPattern), quote(q), patterns[q])
				break
			}
		}
		patterns[svc.PathPattern] = name
	}
	if publics > 0 && defaultRoute == "" && c.ok("services") {
		c.errorf("services", "every public service has a path_pattern; remove it from exactly one, which becomes the load balancer's default route")
	}
}

func (c *checker) service(p string, svc *Service) {
	cpuOK := c.ok(p + ".cpu")
	fm, known := fargateFor(svc.CPU)
	if cpuOK && !known {
		c.errorf(p+".cpu", "%d is not a Fargate CPU size; expected one of %s", svc.CPU, joinInts(fargateCPUs()))
	}
	if cpuOK && known && c.ok(p+".memory") && !fm.accepts(svc.Memory) {
		c.errorf(p+".memory", "%d is not valid with cpu %d; Fargate accepts %s", svc.Memory, svc.CPU, fm.describe())
	}
	a := c.spec.Autoscaling
	if c.ok(p + ".desired_count") {
		switch {
		case svc.DesiredCount < 0 || svc.DesiredCount > 20:
			c.errorf(p+".desired_count", "%d is out of range; expected 0 to 20", svc.DesiredCount)
		case a.Enabled && c.ok("autoscaling.enabled", "autoscaling.min_tasks", "autoscaling.max_tasks") &&
			a.MinTasks <= a.MaxTasks && (svc.DesiredCount < a.MinTasks || svc.DesiredCount > a.MaxTasks):
			c.errorf(p+".desired_count", "%d is outside the autoscaling bounds; expected %d to %d (autoscaling.min_tasks to max_tasks)", svc.DesiredCount, a.MinTasks, a.MaxTasks)
		}
	}
	c.intRange(p+".port", svc.Port, 1, 65535)
	if c.ok(p+".health_check_path") && !strings.HasPrefix(svc.HealthCheckPath, "/") {
		c.errorf(p+".health_check_path", "%s does not start with /; expected a path such as /health", quote(svc.HealthCheckPath))
	}
	if c.ok(p+".path_pattern") && svc.PathPattern != "" {
		switch {
		case !strings.HasPrefix(svc.PathPattern, "/"):
			c.errorf(p+".path_pattern", "%s does not start with /; expected an ALB path pattern such as /api/*", quote(svc.PathPattern))
		case len(svc.PathPattern) > maxPathPattern:
			c.errorf(p+".path_pattern", "is %d characters long; ALB path patterns are at most %d", len(svc.PathPattern), maxPathPattern)
		}
	}
	if c.ok(p+".architecture") && !slices.Contains(architectures, svc.Architecture) {
		c.errorf(p+".architecture", "%s is not a Fargate architecture; expected x86_64 or arm64", quote(svc.Architecture))
	}
}

// patternsOverlap reports whether some request path can match both ALB path
// patterns (where * matches any run of characters and ? any one). Two
// wildcard patterns overlap when the literal part before the first wildcard
// of one starts the other's.
func patternsOverlap(a, b string) bool {
	la, wa := literalPrefix(a)
	lb, wb := literalPrefix(b)
	switch {
	case !wa && !wb:
		return a == b
	case !wa:
		return globMatch(b, a)
	case !wb:
		return globMatch(a, b)
	default:
		return strings.HasPrefix(la, lb) || strings.HasPrefix(lb, la)
	}
}

func literalPrefix(p string) (string, bool) {
	if i := strings.IndexAny(p, "*?"); i >= 0 {
		return p[:i], true
	}
	return p, false
}

// globMatch matches s against an ALB path pattern.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pattern[1:], s[1:])
	default:
		return s != "" && s[0] == pattern[0] && globMatch(pattern[1:], s[1:])
	}
}
