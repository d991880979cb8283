package release

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/gitops-bot/gitops/internal/safefile"
	"github.com/gitops-bot/gitops/internal/yamlguard"
)

// maxFileSize bounds what Decode reads; a real release file is ~2 KiB and
// the input comes from pull requests.
const maxFileSize = 256 << 10

// maxNesting bounds how deeply lists and mappings nest, checked before the
// file is parsed (see yamlguard); a valid file nests 4 (seed[i].command[j]).
const maxNesting = 32

// maxErrors bounds the errors reported for one file.
const maxErrors = 100

// position is a 1-based line and column in the file.
type position struct{ line, col int }

// source is where the values of a decoded file are written.
type source struct {
	file string
	pos  map[string]position // field path → position of its value (its key for mappings)
}

// Decode reads one release file: strict YAML decoding (unknown keys, wrong
// types, duplicate keys and missing required keys are errors), the defaults
// of docs/contracts.md, and every rule that needs only the file. path is used
// in error messages and for the rule that environment equals the file's base
// name. Anchors, aliases and merge keys are refused: the bot edits release
// files in place (see Next), and a value shared through an alias cannot be
// changed for one service alone.
//
// The error, if any, is Errors with every problem of the file (at most 100,
// then a line counting the rest), sorted by position. Decode never panics.
// The services of the environment are checked by Validate.
func Decode(path string, data []byte) (*Release, error) {
	d := decodeFile(path, data)
	if err := d.errs.orNil(); err != nil {
		return nil, err
	}
	return d.rel, nil
}

// Load reads and decodes one release file. A file that is a symbolic link or
// not a regular file is refused without being opened (see safefile), so that
// no other file's content can end up in an error.
func Load(path string) (*Release, error) {
	fi, err := safefile.Check(path, math.MaxInt64)
	if err != nil {
		return nil, fmt.Errorf("load release: %w", err)
	}
	if fi.Size() > maxFileSize {
		return nil, Errors{tooLarge(path, fi.Size())}
	}
	data, err := safefile.ReadFile(path, maxFileSize)
	if err != nil {
		return nil, fmt.Errorf("load release: %w", err)
	}
	return Decode(path, data)
}

func tooLarge(path string, size int64) *Error {
	return &Error{File: path, Line: 1, Col: 1, Msg: fmt.Sprintf("file is %d bytes; release files are limited to %d bytes", size, maxFileSize)}
}

// decoder turns the YAML tree into a Release, one known key at a time.
type decoder struct {
	file string
	rel  *Release
	pos  map[string]position
	bad  map[string]bool // paths that failed to decode or are missing
	errs Errors
}

func decodeFile(path string, data []byte) *decoder {
	d := &decoder{file: path, rel: defaults(), pos: map[string]position{}, bad: map[string]bool{}}
	d.rel.src = &source{file: path, pos: d.pos}
	root, ok := d.parse(data)
	if !ok {
		return d
	}
	top := nodePos(root)
	d.pos[""] = top
	var smoke []Smoke
	smokeSet := false
	d.mapping("", top, root, d.topFields(d.rel, &smoke, &smokeSet))
	if smokeSet {
		d.rel.Smoke = smoke
	}
	d.seedServices()
	c := &checker{rel: d.rel, file: path, pos: d.pos, bad: d.bad}
	c.run(expectedEnvironment(path))
	d.errs = append(d.errs, c.errs...)
	return d
}

// defaults is a Release with every optional field at its documented default.
func defaults() *Release {
	return &Release{
		Follows:  FollowsTags,
		Images:   map[string]Image{},
		Smoke:    DefaultSmoke(),
		Timeouts: DefaultTimeouts(),
	}
}

// expectedEnvironment is the environment implied by the file name.
func expectedEnvironment(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// seedServices fills in the default service of the seed steps: the
// migrations service, whose image has the database tooling.
func (d *decoder) seedServices() {
	for i := range d.rel.Seed {
		s := &d.rel.Seed[i]
		p := fmt.Sprintf("seed[%d]", i)
		if s.Service != "" || d.bad[p] || d.bad[p+".service"] {
			continue
		}
		if d.rel.Migrations == nil || d.bad["migrations.service"] {
			if d.rel.Migrations == nil {
				d.errorAt(d.pos[p], p+".service", "required when the release has no migrations; a seed step runs in the task definition of a service")
			}
			d.bad[p+".service"] = true
			continue
		}
		s.Service = d.rel.Migrations.Service
	}
}

func (d *decoder) errorAt(p position, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: max(p.line, 1), Col: max(p.col, 1), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// parse checks the bytes and returns the body of the single YAML document.
func (d *decoder) parse(data []byte) (ast.Node, bool) {
	if len(data) > maxFileSize {
		d.errs = append(d.errs, tooLarge(d.file, int64(len(data))))
		return nil, false
	}
	if p, b, bad := firstInvalidUTF8(data); bad {
		d.errorAt(p, "", "file is not valid UTF-8 (byte 0x%02x); save it as UTF-8", b)
		return nil, false
	}
	data = trimBOM(data)
	f, err := parseYAML(data)
	var de *yamlguard.DepthError
	if errors.As(err, &de) {
		d.errorAt(position{de.Line, de.Col}, "", "lists and mappings nest more than %d levels deep here; a release file needs 4 (seed[i].command[j])", de.Limit)
		return nil, false
	}
	if err != nil {
		p, msg := position{1, 1}, err.Error()
		if ye, ok := err.(yaml.Error); ok {
			msg = ye.GetMessage()
			p = tokenPos(ye.GetToken())
		}
		if strings.Contains(msg, "'\t'") {
			msg = "a tab character; YAML indentation must use spaces"
		}
		msg = strings.NewReplacer("\t", `\t`, "\n", " ", "\r", " ").Replace(msg)
		d.errorAt(p, "", "invalid YAML: %s", msg)
		return nil, false
	}
	var bodies []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	if len(bodies) == 0 {
		d.errorAt(position{1, 1}, "", "file is empty; expected a mapping with the keys %s", strings.Join(topKeys, ", "))
		return nil, false
	}
	if len(bodies) > 1 {
		d.errorAt(nodePos(bodies[1]), "", "a second YAML document starts here; a release file holds exactly one")
		return nil, false
	}
	return bodies[0], true
}

func trimBOM(data []byte) []byte {
	return []byte(strings.TrimPrefix(string(data), "\ufeff"))
}

// parseYAML refuses deep nesting before goccy's parser recurses into it
// (its memory grows with the square of the depth, and running out of memory
// cannot be recovered from): once on the bytes, once more on the lexer's
// tokens. Duplicate keys stay in the tree so that the decoder reports them
// with their path. The recover turns a panic inside the third-party parser
// into an error: the input comes from pull requests.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this file (%v)", r)
		}
	}()
	if err := yamlguard.CheckDepth(data, maxNesting); err != nil {
		return nil, err
	}
	tokens := lexer.Tokenize(string(data))
	if tokens.InvalidToken() == nil { // else Parse reports the syntax error
		if err := yamlguard.CheckTokenDepth(tokens, maxNesting); err != nil {
			return nil, err
		}
	}
	return parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
}

func firstInvalidUTF8(data []byte) (position, byte, bool) {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return position{line, col}, data[i], true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return position{}, 0, false
}

func tokenPos(tk *token.Token) position {
	if tk == nil || tk.Position == nil {
		return position{1, 1}
	}
	return position{tk.Position.Line, tk.Position.Column}
}

// nodePos is the position of a node, safe for nodes without tokens.
func nodePos(n ast.Node) (p position) {
	defer func() {
		// Some goccy nodes dereference children in GetToken (a document
		// without a body); a position is not worth a panic.
		if recover() != nil {
			p = position{1, 1}
		}
	}()
	if n == nil {
		return position{1, 1}
	}
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 && m.Values[0].Key != nil {
		return nodePos(m.Values[0].Key)
	}
	return tokenPos(n.GetToken())
}

// standardTags are the YAML core tags; they are unwrapped (with !!str turning
// any scalar into a string). Other tags mean nothing to this schema.
var standardTags = []string{"!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq"}

// maxTagHops bounds chains of tags ("!!str !!str …").
const maxTagHops = 8

// resolve unwraps standard tags to the node that holds the value. It reports
// and returns nil for anchors, aliases, other tags and missing values.
func (d *decoder) resolve(path string, n ast.Node) ast.Node {
	for range maxTagHops {
		switch v := n.(type) {
		case nil:
			// The parser fills empty values with null nodes; this guards
			// the invariant that every nil result has been reported.
			d.errorAt(position{1, 1}, path, "has no value")
			return nil
		case *ast.AnchorNode:
			d.errorAt(nodePos(v), path, "anchors (&…) are not supported in release files; write the value out (release pull requests edit each value in place)")
			return nil
		case *ast.AliasNode:
			d.errorAt(nodePos(v), path, "aliases (*…) are not supported in release files; write the value out (release pull requests edit each value in place)")
			return nil
		case *ast.TagNode:
			tag := v.Start.Value
			if !slices.Contains(standardTags, tag) {
				d.errorAt(nodePos(v), path, "tag %s is not supported; remove it", tag)
				return nil
			}
			if tag == "!!str" {
				if s, ok := v.Value.(ast.ScalarNode); ok && v.Value.Type() != ast.StringType {
					tk := s.GetToken()
					return &ast.StringNode{BaseNode: &ast.BaseNode{}, Token: tk, Value: tk.Value}
				}
			}
			n = v.Value
		default:
			return n
		}
	}
	d.errorAt(nodePos(n), path, "tags nest more than %d deep", maxTagHops)
	return nil
}

// field is one known key of a mapping: how to decode its value.
type field struct {
	name     string
	required bool
	decode   func(path string, at position, n ast.Node) bool
}

// entry is one key: value of a mapping.
type entry struct {
	key    string
	keyPos position
	value  ast.Node
}

// join extends a field path by a key, quoting keys that are not plain words
// so that a path stays on one line and reads unambiguously.
func join(path, key string) string {
	if !plainKey(key) {
		key = quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// entries lists the keys of a mapping node, reporting duplicates and merge
// keys.
func (d *decoder) entries(path string, m *ast.MappingNode) []entry {
	var out []entry
	seen := map[string]position{}
	for _, mv := range m.Values {
		if mv == nil || mv.Key == nil {
			continue
		}
		kp := nodePos(mv.Key)
		if mv.Key.IsMergeKey() {
			d.errorAt(kp, path, "merge keys (<<) are not supported in release files; write the keys out (release pull requests edit each value in place)")
			d.bad[path] = true
			continue
		}
		key, ok := d.keyString(path, mv.Key)
		if !ok {
			continue
		}
		if first, dup := seen[key]; dup {
			d.errorAt(kp, join(path, key), "duplicate key; first set at line %d, column %d", first.line, first.col)
			d.bad[join(path, key)] = true
			continue
		}
		seen[key] = kp
		out = append(out, entry{key: key, keyPos: kp, value: mv.Value})
	}
	return out
}

// keyString returns a mapping key as text; only scalar keys are meaningful.
func (d *decoder) keyString(path string, k ast.MapKeyNode) (string, bool) {
	var n ast.Node = k
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		n = mk.Value
	}
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case ast.ScalarNode:
		if tk := v.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	d.errorAt(nodePos(k), path, "keys must be plain words, got %s", describe(n))
	return "", false
}

// asMapping resolves n to a mapping node or reports what it is instead.
func (d *decoder) asMapping(path string, n ast.Node, expected string) (*ast.MappingNode, bool) {
	at := nodePos(n)
	n = d.resolve(path, n)
	if n == nil {
		d.bad[path] = true
		return nil, false
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		d.errorAt(at, path, "expected %s, got %s", expected, describe(n))
		d.bad[path] = true
		return nil, false
	}
	return m, true
}

// mapping decodes a mapping node against its known fields. at is where
// errors about the mapping as a whole (missing keys) point.
func (d *decoder) mapping(path string, at position, n ast.Node, fields []field) bool {
	m, ok := d.asMapping(path, n, "a mapping with the keys "+fieldNames(fields))
	if !ok {
		for _, f := range fields {
			d.bad[join(path, f.name)] = true
		}
		return false
	}
	present := map[string]bool{}
	for _, e := range d.entries(path, m) {
		i := slices.IndexFunc(fields, func(f field) bool { return f.name == e.key })
		if i < 0 {
			d.errorAt(e.keyPos, join(path, e.key), "unknown key%s; allowed keys are %s", suggest(e.key, fields), fieldNames(fields))
			continue
		}
		present[e.key] = true
		if !fields[i].decode(join(path, e.key), e.keyPos, e.value) {
			d.bad[join(path, e.key)] = true
		}
	}
	for _, f := range fields {
		// After a merge key, the keys it would have brought are not missing.
		if f.required && !present[f.name] && !d.bad[path] {
			d.errorAt(at, join(path, f.name), "required key is missing")
			d.bad[join(path, f.name)] = true
		}
	}
	return true
}

func fieldNames(fields []field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// suggest names the closest known key when the unknown one looks like a typo.
func suggest(key string, fields []field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return closest(key, names)
}

// closest returns " (did you mean X?)" for the candidate within two edits
// of v, or "".
func closest(v string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if dist := levenshtein.ComputeDistance(strings.ToLower(v), c); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// describe names a node's kind and value for "got ..." in messages.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil:
		return "nothing"
	case *ast.NullNode:
		return "null"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		return fmt.Sprintf("the boolean %t", v.Value)
	case *ast.IntegerNode:
		return "the integer " + v.GetToken().Value
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + n.GetToken().Value
	case *ast.StringNode:
		return fmt.Sprintf("the string %s", quote(v.Value))
	case *ast.LiteralNode:
		if v.Value != nil {
			return fmt.Sprintf("the string %s", quote(v.Value.Value))
		}
		return "a block string"
	default:
		return "a " + strings.ToLower(n.Type().String())
	}
}

func isQuoted(n ast.Node) bool {
	tk := n.GetToken()
	return tk != nil && (tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType)
}

func (d *decoder) stringValue(path string, n ast.Node) (string, bool) {
	at := nodePos(n)
	n = d.resolve(path, n)
	switch v := n.(type) {
	case nil:
		return "", false
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, true
		}
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		raw := n.GetToken().Value
		d.errorAt(at, path, "expected a string, got %s; quote it: %q", describe(n), raw)
		return "", false
	}
	d.errorAt(at, path, "expected a string, got %s", describe(n))
	return "", false
}

func (d *decoder) intValue(path string, n ast.Node) (int, bool) {
	at := nodePos(n)
	n = d.resolve(path, n)
	switch v := n.(type) {
	case nil:
		return 0, false
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			if x >= math.MinInt32 && x <= math.MaxInt32 {
				return int(x), true
			}
		case uint64:
			if x <= math.MaxInt32 {
				return int(x), true
			}
		}
		d.errorAt(at, path, "%s is too large; expected a small integer", v.GetToken().Value)
		return 0, false
	case *ast.StringNode:
		if isQuoted(v) && isDigits(v.Value) {
			d.errorAt(at, path, "expected an integer, got %s; remove the quotes", describe(v))
			return 0, false
		}
		if !isQuoted(v) && isDigits(strings.TrimLeft(v.Value, "+-")) {
			d.errorAt(at, path, "%s is too large; expected a small integer", v.Value)
			return 0, false
		}
	}
	d.errorAt(at, path, "expected an integer, got %s", describe(n))
	return 0, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// durationExample is how messages show an accepted duration.
const durationExample = "a number with a unit (s, m or h), such as 10s, 5m or 63h"

// durationValue reads a duration written the Go way ("10s", "1h30m").
// Whether it is in range is a rule (validate.go), so that hand-built
// releases are checked the same.
func (d *decoder) durationValue(path string, n ast.Node) (time.Duration, bool) {
	at := nodePos(n)
	n = d.resolve(path, n)
	switch v := n.(type) {
	case nil:
		return 0, false
	case *ast.StringNode:
		dur, err := time.ParseDuration(v.Value)
		if err != nil {
			d.errorAt(at, path, "%s is not a duration; expected %s", quote(v.Value), durationExample)
			return 0, false
		}
		return dur, true
	case *ast.IntegerNode, *ast.FloatNode:
		d.errorAt(at, path, "expected a duration, got %s; add a unit, such as %ss", describe(n), n.GetToken().Value)
		return 0, false
	}
	d.errorAt(at, path, "expected a duration, got %s; write %s", describe(n), durationExample)
	return 0, false
}

// list decodes a sequence node, calling each for every element with its
// path and position.
func (d *decoder) list(path string, n ast.Node, what string, each func(path string, at position, n ast.Node)) bool {
	at := nodePos(n)
	n = d.resolve(path, n)
	if n == nil {
		return false
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorAt(at, path, "expected a list of %s, got %s", what, describe(n))
		return false
	}
	for i, e := range seq.Values {
		p := index(path, i)
		ep := nodePos(e)
		d.pos[p] = ep
		each(p, ep, e)
	}
	return true
}

// stringList decodes a list of strings (a command and its arguments).
func (d *decoder) stringList(path string, n ast.Node) ([]string, bool) {
	out := []string{}
	ok := true
	listed := d.list(path, n, "strings, such as [alembic, upgrade, head]", func(p string, _ position, e ast.Node) {
		s, good := d.stringValue(p, e)
		if !good {
			d.bad[p] = true
			ok = false
		}
		out = append(out, s)
	})
	return out, listed && ok
}

// The field constructors record the value's position for the rules.

// scalarField decodes one scalar with parse into dst.
func scalarField[T any](d *decoder, name string, required bool, dst *T, parse func(string, ast.Node) (T, bool)) field {
	return field{name: name, required: required, decode: func(path string, _ position, n ast.Node) bool {
		d.pos[path] = nodePos(n)
		v, ok := parse(path, n)
		if ok {
			*dst = v
		}
		return ok
	}}
}

func (d *decoder) stringField(name string, required bool, dst *string) field {
	return scalarField(d, name, required, dst, d.stringValue)
}

func (d *decoder) intField(name string, dst *int) field {
	return scalarField(d, name, false, dst, d.intValue)
}

func (d *decoder) durationField(name string, required bool, dst *time.Duration) field {
	return scalarField(d, name, required, dst, d.durationValue)
}

func (d *decoder) stringListField(name string, required bool, dst *[]string) field {
	return scalarField(d, name, required, dst, d.stringList)
}

func (d *decoder) section(name string, fields []field) field {
	return field{name: name, decode: func(path string, at position, n ast.Node) bool {
		d.pos[path] = at
		return d.mapping(path, at, n, fields)
	}}
}

// listField decodes a list of mappings, each into a T made by newItem.
func listField[T any](d *decoder, name string, dst *[]T, newItem func() T, fields func(*T) []field) field {
	return field{name: name, decode: func(path string, at position, n ast.Node) bool {
		d.pos[path] = at
		items := []T{}
		ok := d.list(path, n, "mappings with the keys "+fieldNames(fields(new(T))), func(p string, ep position, e ast.Node) {
			item := newItem()
			if !d.mapping(p, ep, e, fields(&item)) {
				d.bad[p] = true
			}
			items = append(items, item)
		})
		*dst = items
		return ok
	}}
}

// topKeys is the order of keys in a release file, for messages.
var topKeys = []string{"environment", "follows", "version", "previous", "images", "migrations", "smoke", "bake", "freeze", "seed", "timeouts"}

func (d *decoder) topFields(r *Release, smoke *[]Smoke, smokeSet *bool) []field {
	var follows, version, previous string
	return []field{
		d.stringField("environment", true, &r.Environment),
		{name: "follows", decode: func(path string, at position, n ast.Node) bool {
			ok := d.stringField("follows", false, &follows).decode(path, at, n)
			r.Follows = Follows(follows)
			return ok
		}},
		{name: "version", required: true, decode: func(path string, at position, n ast.Node) bool {
			ok := d.stringField("version", true, &version).decode(path, at, n)
			r.Version = Version(version)
			return ok
		}},
		{name: "previous", decode: func(path string, at position, n ast.Node) bool {
			ok := d.stringField("previous", false, &previous).decode(path, at, n)
			r.Previous = Version(previous)
			return ok
		}},
		{name: "images", required: true, decode: func(path string, at position, n ast.Node) bool {
			d.pos[path] = at
			return d.images(path, at, n, r)
		}},
		{name: "migrations", decode: func(path string, at position, n ast.Node) bool {
			m := &Migrations{}
			r.Migrations = m
			return d.section("migrations", []field{
				d.stringField("service", true, &m.Service),
				d.stringListField("command", true, &m.Command),
				d.stringListField("downgrade", false, &m.Downgrade),
			}).decode(path, at, n)
		}},
		{name: "smoke", decode: func(path string, at position, n ast.Node) bool {
			*smokeSet = true
			return listField(d, "smoke", smoke, func() Smoke {
				return Smoke{Status: DefaultSmokeStatus, Timeout: DefaultSmokeTime}
			}, func(s *Smoke) []field {
				return []field{
					d.stringField("path", true, &s.Path),
					d.intField("status", &s.Status),
					d.durationField("timeout", false, &s.Timeout),
				}
			}).decode(path, at, n)
		}},
		d.durationField("bake", false, &r.Bake),
		listField(d, "freeze", &r.Freeze, func() Freeze { return Freeze{} }, func(f *Freeze) []field {
			return []field{
				d.stringField("start", true, &f.Start),
				d.durationField("duration", true, &f.Duration),
				d.stringField("time_zone", true, &f.TimeZone),
			}
		}),
		listField(d, "seed", &r.Seed, func() SeedStep { return SeedStep{Timeout: DefaultSeedTimeout} }, func(s *SeedStep) []field {
			return []field{
				d.stringField("name", true, &s.Name),
				d.stringListField("command", true, &s.Command),
				d.stringField("service", false, &s.Service),
				d.durationField("timeout", false, &s.Timeout),
			}
		}),
		d.section("timeouts", []field{
			d.durationField("migration", false, &r.Timeouts.Migration),
			d.durationField("rollout", false, &r.Timeouts.Rollout),
			d.durationField("health", false, &r.Timeouts.Health),
			d.durationField("smoke", false, &r.Timeouts.Smoke),
			d.durationField("total", false, &r.Timeouts.Total),
		}),
	}
}

// images decodes the images mapping, whose keys are service names.
func (d *decoder) images(path string, at position, n ast.Node, r *Release) bool {
	m, ok := d.asMapping(path, n, "a mapping of service name to {repository, tag, digest}")
	if !ok {
		return false
	}
	entries := d.entries(path, m)
	if len(entries) == 0 {
		d.errorAt(at, path, "no images; at least one service is required")
		d.bad[path] = true
	}
	if len(entries) > maxImages {
		d.errorAt(at, path, "%d images; at most %d services are allowed", len(entries), maxImages)
	}
	for _, e := range entries {
		p := join(path, e.key)
		d.pos[p] = e.keyPos
		if !serviceNameRe.MatchString(e.key) {
			d.errorAt(e.keyPos, p, "%s is not a valid service name; use lowercase letters, digits and -, starting with a letter, at most 31 characters", quote(e.key))
			d.bad[p] = true
			continue
		}
		var img Image
		if !d.mapping(p, e.keyPos, e.value, []field{
			d.stringField("repository", true, &img.Repository),
			d.stringField("tag", true, &img.Tag),
			d.stringField("digest", false, &img.Digest),
		}) {
			d.bad[p] = true
		}
		r.Images[e.key] = img
	}
	return true
}
