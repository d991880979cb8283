package release

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The limits below are the single source for validation, error messages,
// the JSON Schema and docs/contracts.md.
var (
	envNameRe     = regexp.MustCompile(`^[a-z][a-z0-9-]{1,20}$`)
	serviceNameRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	stepNameRe    = serviceNameRe
	// ecrRepoRe is ECR's rule for repository names.
	ecrRepoRe = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)
	// tagRe is the OCI distribution rule for tags.
	tagRe    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRe = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	// pathRe is a request path with an optional query: no spaces, no
	// control characters, no fragment.
	pathRe = regexp.MustCompile(`^/[\x21-\x22\x24-\x7e]*$`)
)

const (
	maxImages     = 10 // the environment spec's limit on services
	maxRepository = 256
	maxSmoke      = 20
	maxFreeze     = 10
	maxSeed       = 20
	maxArgs       = 64
	maxArgLen     = 4096
	maxPath       = 2048

	maxSmokeTimeout = time.Minute
	maxBake         = 2 * time.Hour
	maxFreezeLength = 31 * 24 * time.Hour
	maxStepTimeout  = 2 * time.Hour // timeouts.* and seed[].timeout

	// maxFreezeStarts bounds how often a freeze window may start (about
	// once a day), so that checking a rule stays cheap: the check walks a
	// year of starts, about 8 µs each. Freezes are nights, weekends and
	// holidays, not a schedule; two windows a day are two rules.
	maxFreezeStarts = 400
)

var followsValues = []string{string(FollowsTags), string(FollowsMain)}

// Validate checks a Release against every rule of docs/contracts.md and
// against the services of its environment (the names in the environment
// spec): every image must name one of them and each of them must have an
// image. A decoded Release reports with file positions; a hand-built one
// with field paths only.
func (r *Release) Validate(services []string) error {
	c := &checker{rel: r, pos: map[string]position{}, bad: map[string]bool{}}
	if r.src != nil {
		c.file, c.pos = r.src.file, r.src.pos
	}
	c.run("")
	c.services(services)
	return c.errs.orNil()
}

type checker struct {
	rel  *Release
	file string
	pos  map[string]position
	bad  map[string]bool
	errs Errors
}

// parent is the path that holds p: "smoke[0].path" → "smoke[0]" → "smoke".
func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// ok says whether every given path and its parents decoded, so a rule may
// look at them; one mistake gives one error.
func (c *checker) ok(paths ...string) bool {
	for _, p := range paths {
		for q := p; q != ""; q = parent(q) {
			if c.bad[q] {
				return false
			}
		}
	}
	return true
}

// errorf reports at the value of path, or at its nearest written ancestor
// when the value is a default.
func (c *checker) errorf(path, format string, args ...any) {
	e := &Error{File: c.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	for q := path; ; q = parent(q) {
		if p, ok := c.pos[q]; ok {
			e.Line, e.Col = p.line, p.col
			break
		}
		if q == "" {
			break
		}
	}
	if c.file != "" && e.Line < 1 {
		e.Line, e.Col = 1, 1
	}
	c.errs = append(c.errs, e)
}

// written says whether the file has a value at path.
func (c *checker) written(path string) bool {
	_, ok := c.pos[path]
	return ok
}

func (c *checker) run(wantEnv string) {
	r := c.rel
	if c.ok("environment") {
		switch {
		case !envNameRe.MatchString(r.Environment):
			c.errorf("environment", "%s is not a valid environment name; use 2 to 21 lowercase letters, digits and -, starting with a letter", quote(r.Environment))
		case wantEnv != "" && r.Environment != wantEnv:
			c.errorf("environment", "%s does not match the file name; expected %q", quote(r.Environment), wantEnv)
		}
	}
	follows := r.Follows
	if !c.written("follows") {
		follows = r.follows()
	}
	followsOK := c.ok("follows") && slices.Contains(followsValues, string(follows))
	if c.ok("follows") && !followsOK {
		c.errorf("follows", "%s is not a source of versions; expected tags (semver tags vX.Y.Z) or main (commits of the main branch)", quote(string(r.Follows)))
	}
	if followsOK {
		c.version("version", r.Version)
		if r.Previous != "" || c.written("previous") {
			c.version("previous", r.Previous)
			if c.ok("version", "previous") && r.Previous == r.Version {
				c.errorf("previous", "%s equals version; previous is the release this one replaced (remove it for a first release)", quote(string(r.Previous)))
			}
		}
	}
	c.images()
	c.migrations()
	c.smoke()
	if c.ok("bake") && (r.Bake != 0 || c.written("bake")) {
		c.duration("bake", r.Bake, maxBake)
	}
	c.freeze()
	c.seed()
	c.timeouts()
}

// version checks a version against the environment's source of versions.
func (c *checker) version(path string, v Version) {
	if !c.ok(path) {
		return
	}
	switch c.rel.follows() {
	case FollowsTags:
		if msg := semverProblem(string(v)); msg != "" {
			if v.IsCommit() {
				msg += "; an environment whose versions are commits has follows: main"
			}
			c.errorf(path, "%s", msg)
		}
	case FollowsMain:
		if msg := commitProblem(string(v)); msg != "" {
			c.errorf(path, "%s (follows: main)", msg)
		}
	}
}

// duration checks that d is positive and at most limit.
func (c *checker) duration(path string, d, limit time.Duration) {
	switch {
	case d <= 0:
		c.errorf(path, "%s is not positive; expected %s, at most %s", formatDuration(d), durationExample, formatDuration(limit))
	case d > limit:
		c.errorf(path, "%s is too long; expected at most %s", formatDuration(d), formatDuration(limit))
	}
}

// formatDuration writes a duration the way a file would: 1h, 1h30m, 10s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (c *checker) sortedImages() []string {
	names := make([]string, 0, len(c.rel.Images))
	for name := range c.rel.Images {
		names = append(names, name)
	}
	// In file order, then by name, so that errors follow the file.
	slices.SortFunc(names, func(a, b string) int {
		pa, pb := c.pos[join("images", a)], c.pos[join("images", b)]
		if pa.line != pb.line {
			return pa.line - pb.line
		}
		if pa.col != pb.col {
			return pa.col - pb.col
		}
		return strings.Compare(a, b)
	})
	return names
}

func (c *checker) images() {
	r := c.rel
	if !c.ok("images") {
		return
	}
	if c.file == "" {
		// A decoded file's count and names were checked while decoding.
		if len(r.Images) == 0 {
			c.errorf("images", "no images; at least one service is required")
		}
		if len(r.Images) > maxImages {
			c.errorf("images", "%d images; at most %d services are allowed", len(r.Images), maxImages)
		}
	}
	for _, name := range c.sortedImages() {
		p := join("images", name)
		if c.file == "" && !serviceNameRe.MatchString(name) {
			c.errorf(p, "%s is not a valid service name; use lowercase letters, digits and -, starting with a letter, at most 31 characters", quote(name))
			continue
		}
		for _, f := range imageFields(p, r.Images[name]) {
			if c.ok(f.path) && f.msg != "" {
				c.errorf(f.path, "%s", f.msg)
			}
		}
	}
}

type fieldProblem struct{ path, msg string }

// imageFields checks the fields of one image; Next checks updates with it.
func imageFields(p string, img Image) []fieldProblem {
	return []fieldProblem{
		{p + ".repository", repositoryProblem(img.Repository)},
		{p + ".tag", tagProblem(img.Tag)},
		{p + ".digest", digestProblem(img.Digest, false)},
	}
}

func repositoryProblem(repo string) string {
	switch {
	case strings.Contains(repo, ".amazonaws.com"):
		return fmt.Sprintf("%s includes the registry; give the repository name alone, such as inventory-management/api-gateway", quote(repo))
	case strings.ContainsAny(repo, ":@"):
		return fmt.Sprintf("%s holds a tag or digest; the repository is the name alone, with the tag in tag and the digest in digest", quote(repo))
	case len(repo) < 2 || len(repo) > maxRepository || !ecrRepoRe.MatchString(repo):
		return fmt.Sprintf("%s is not an ECR repository name; expected 2 to %d lowercase letters, digits, and . _ - / between them, such as inventory-management/api-gateway", quote(repo), maxRepository)
	}
	return ""
}

func tagProblem(tag string) string {
	switch {
	case tag == "latest":
		return `"latest" is moved by every build; use the release's own tag (the version, or the commit SHA when the environment follows main)`
	case !tagRe.MatchString(tag):
		return fmt.Sprintf("%s is not an image tag; expected up to 128 letters, digits, _ . and -, not starting with . or -", quote(tag))
	}
	return ""
}

func digestProblem(digest string, required bool) string {
	switch {
	case digest == "" && required:
		return "missing; an image is pinned by its digest, sha256: and 64 lowercase hex digits"
	case digest == "":
		return ""
	case !digestRe.MatchString(digest):
		return fmt.Sprintf("%s is not an image digest; expected sha256: and 64 lowercase hex digits", quote(digest))
	}
	return ""
}

// imageNames lists the images for messages.
func (c *checker) imageNames() string {
	names := make([]string, 0, len(c.rel.Images))
	for n := range c.rel.Images {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// serviceWithImage checks that the service at path is one of the images.
func (c *checker) serviceWithImage(path, service, runs string) {
	if !c.ok(path) {
		return
	}
	if c.file == "" && service == "" {
		c.errorf(path, "required; the service whose task definition %s", runs)
		return
	}
	if _, ok := c.rel.Images[service]; !ok && c.ok("images") {
		names := make([]string, 0, len(c.rel.Images))
		for n := range c.rel.Images {
			names = append(names, n)
		}
		c.errorf(path, "%s has no image in this release%s; %s in that service's image: expected one of %s", quote(service), closest(service, names), runs, c.imageNames())
	}
}

// command checks a command and its arguments.
func (c *checker) command(path string, args []string) {
	if !c.ok(path) {
		return
	}
	switch {
	case len(args) == 0:
		c.errorf(path, "empty; expected the command and its arguments, such as [alembic, upgrade, head]")
		return
	case len(args) > maxArgs:
		c.errorf(path, "%d arguments; at most %d are allowed", len(args), maxArgs)
		return
	}
	for i, a := range args {
		p := index(path, i)
		switch {
		case !c.ok(p):
		case a == "":
			c.errorf(p, "an empty argument; remove it or give it a value")
		case len(a) > maxArgLen:
			c.errorf(p, "%d bytes; an argument is at most %d", len(a), maxArgLen)
		case strings.ContainsFunc(a, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }):
			c.errorf(p, "%s holds a control character; a command argument is printable text", quote(a))
		}
	}
}

func (c *checker) migrations() {
	m := c.rel.Migrations
	if m == nil || !c.ok("migrations") {
		return
	}
	c.serviceWithImage("migrations.service", m.Service, "the migration runs")
	c.command("migrations.command", m.Command)
	if m.Downgrade != nil || c.written("migrations.downgrade") {
		c.command("migrations.downgrade", m.Downgrade)
	}
}

func (c *checker) smoke() {
	if !c.ok("smoke") {
		return
	}
	if len(c.rel.Smoke) > maxSmoke {
		c.errorf("smoke", "%d checks; at most %d are allowed", len(c.rel.Smoke), maxSmoke)
	}
	first := map[string]string{}
	for i, s := range c.rel.Smoke {
		p := index("smoke", i)
		if !c.ok(p) {
			continue
		}
		if c.ok(p + ".path") {
			switch {
			case len(s.Path) > maxPath:
				c.errorf(p+".path", "%d characters; a path is at most %d", len(s.Path), maxPath)
			case !pathRe.MatchString(s.Path):
				c.errorf(p+".path", "%s is not a request path; expected a path starting with /, without spaces or #, such as /health", quote(s.Path))
			default:
				if q, dup := first[s.Path]; dup {
					c.errorf(p+".path", "%s is already checked by %s; each path is checked once", quote(s.Path), q)
				} else {
					first[s.Path] = p
				}
			}
		}
		if c.ok(p+".status") && (s.Status < 100 || s.Status > 599) {
			c.errorf(p+".status", "%d is not an HTTP status; expected 100 to 599, such as 200", s.Status)
		}
		if c.ok(p + ".timeout") {
			c.duration(p+".timeout", s.Timeout, maxSmokeTimeout)
		}
	}
}

func (c *checker) freeze() {
	if !c.ok("freeze") {
		return
	}
	if len(c.rel.Freeze) > maxFreeze {
		c.errorf("freeze", "%d windows; at most %d are allowed", len(c.rel.Freeze), maxFreeze)
		return
	}
	for i, f := range c.rel.Freeze {
		p := index("freeze", i)
		if !c.ok(p) {
			continue
		}
		sched, startOK := (*cronSchedule)(nil), false
		if c.ok(p + ".start") {
			var msg string
			if sched, msg = parseCron(f.Start); msg != "" {
				c.errorf(p+".start", "%s", msg)
			} else {
				startOK = true
			}
		}
		durOK := false
		if c.ok(p + ".duration") {
			n := len(c.errs)
			c.duration(p+".duration", f.Duration, maxFreezeLength)
			durOK = len(c.errs) == n
		}
		loc, zoneOK := (*time.Location)(nil), false
		if c.ok(p + ".time_zone") {
			var msg string
			if loc, msg = loadZone(f.TimeZone); msg != "" {
				c.errorf(p+".time_zone", "%s", msg)
			} else {
				zoneOK = true
			}
		}
		if startOK && durOK && zoneOK {
			if path, msg := (&rule{freeze: f, sched: sched, loc: loc}).problem(); msg != "" {
				c.errorf(p+"."+path, "%s", msg)
			}
		}
	}
}

func (c *checker) seed() {
	if !c.ok("seed") {
		return
	}
	if len(c.rel.Seed) > maxSeed {
		c.errorf("seed", "%d steps; at most %d are allowed", len(c.rel.Seed), maxSeed)
	}
	first := map[string]string{}
	for i, s := range c.rel.Seed {
		p := index("seed", i)
		if !c.ok(p) {
			continue
		}
		if c.ok(p + ".name") {
			if !stepNameRe.MatchString(s.Name) {
				c.errorf(p+".name", "%s is not a valid step name; use lowercase letters, digits and -, starting with a letter, at most 31 characters (it is what /seed names)", quote(s.Name))
			} else if q, dup := first[s.Name]; dup {
				c.errorf(p+".name", "%s is already the name of %s; each step has its own name", quote(s.Name), q)
			} else {
				first[s.Name] = p
			}
		}
		c.command(p+".command", s.Command)
		c.serviceWithImage(p+".service", s.Service, "the step runs")
		if c.ok(p + ".timeout") {
			c.duration(p+".timeout", s.Timeout, maxStepTimeout)
		}
	}
}

func (c *checker) timeouts() {
	if !c.ok("timeouts") {
		return
	}
	t := c.rel.Timeouts
	totalOK := c.ok("timeouts.total")
	if totalOK {
		n := len(c.errs)
		c.duration("timeouts.total", t.Total, maxStepTimeout)
		totalOK = len(c.errs) == n
	}
	for _, s := range []struct {
		name string
		d    time.Duration
	}{{"migration", t.Migration}, {"rollout", t.Rollout}, {"health", t.Health}, {"smoke", t.Smoke}} {
		p := "timeouts." + s.name
		if !c.ok(p) {
			continue
		}
		n := len(c.errs)
		c.duration(p, s.d, maxStepTimeout)
		if len(c.errs) == n && totalOK && s.d > t.Total {
			c.errorf(p, "%s is longer than timeouts.total (%s), which bounds the whole deploy; expected at most %s", formatDuration(s.d), formatDuration(t.Total), formatDuration(t.Total))
		}
	}
}

// services checks the images against the services of the environment.
func (c *checker) services(services []string) {
	if !c.ok("images") {
		return
	}
	known := slices.Sorted(slices.Values(services))
	if len(known) == 0 {
		c.errorf("images", "the environment has no services to release; Validate needs the names from its spec")
		return
	}
	for _, name := range c.sortedImages() {
		if !slices.Contains(known, name) {
			c.errorf(join("images", name), "no service %s in environment %s%s; expected one of %s", quote(name), c.rel.Environment, closest(name, known), strings.Join(known, ", "))
		}
	}
	for _, name := range known {
		if _, ok := c.rel.Images[name]; !ok {
			c.errorf("images", "service %s of environment %s has no image; add images.%s", quote(name), c.rel.Environment, name)
		}
	}
}
