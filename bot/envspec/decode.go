package envspec

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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

// maxFileSize bounds what Decode reads; a real environment file is ~1 KiB and
// the input comes from pull requests.
const maxFileSize = 1 << 20

// maxAliasHops bounds alias/anchor/tag chains and merge-key nesting, so a
// self-referencing document cannot loop.
const maxAliasHops = 16

// maxNesting bounds how deeply lists and mappings nest, checked before the
// file is parsed (see yamlguard), and how deep the anchor pre-pass descends;
// no valid file is deeper than 4.
const maxNesting = 100

// maxEntries bounds the key: value pairs the walker visits, counting each
// use of an anchor again: aliases and merge keys can make a small file
// expand exponentially ("billion laughs"). A real file has about 70.
const maxEntries = 100_000

// maxErrors bounds the errors reported for one file.
const maxErrors = 100

// position is a 1-based line and column in the file.
type position struct{ line, col int }

// Decode reads one environment file: strict YAML decoding (unknown keys,
// wrong types, duplicate keys and missing required keys are errors), defaults
// from docs/contracts.md, and every single-file rule. path is used in error
// messages and for the rule that name equals the file's base name.
//
// The error, if any, is Errors with every problem of the file, sorted by line.
// Decode never panics.
func Decode(path string, data []byte) (*Spec, error) {
	d := decodeFile(path, data)
	if len(d.errs) > 0 {
		return nil, d.errs.orNil()
	}
	return d.spec, nil
}

// Load reads and decodes one environment file. A file that is a symbolic
// link or not a regular file is refused without being opened (see safefile),
// so that no other file's content can end up in an error.
func Load(path string) (*Spec, error) {
	d, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("load environment: %w", err)
	}
	if len(d.errs) > 0 {
		return nil, d.errs.orNil()
	}
	return d.spec, nil
}

// readFile reads and decodes an environment file from a pull request: a
// symbolic link, a device, a FIFO or a directory is an error; a file over
// maxFileSize is not read and decodes to the error Decode gives for it.
func readFile(path string) (*decoded, error) {
	fi, err := safefile.Check(path, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxFileSize {
		d := newDecoded(path)
		d.errorAt(position{1, 1}, "", "file is %d bytes; environment files are limited to %d bytes", fi.Size(), maxFileSize)
		return d, nil
	}
	data, err := safefile.ReadFile(path, maxFileSize)
	if err != nil {
		return nil, err
	}
	return decodeFile(path, data), nil
}

// decoded is the outcome of decoding one file, kept whole (even when it has
// errors) so that LoadDir can check across environments with positions.
type decoded struct {
	file string
	spec *Spec
	pos  map[string]position // spec path → position of its value (its key for mappings)
	bad  map[string]bool     // spec paths that failed to decode or are missing
	errs Errors
}

func newDecoded(path string) *decoded {
	return &decoded{file: path, spec: defaults(), pos: map[string]position{}, bad: map[string]bool{}}
}

func decodeFile(path string, data []byte) *decoded {
	d := newDecoded(path)
	spec := d.spec
	root, ok := d.parse(data)
	if !ok {
		return d
	}
	w := &walker{decoded: d, aliases: map[*ast.AliasNode]ast.Node{}}
	w.collectAnchors(root)
	top := firstKeyPos(root)
	d.pos[""] = top
	w.mapping("", top, root, w.topFields(spec))
	d.validate(expectedName(path))
	d.truncateErrors()
	return d
}

// truncateErrors keeps the first maxErrors errors (by position) and says how
// many more there were.
func (d *decoded) truncateErrors() {
	if len(d.errs) <= maxErrors {
		return
	}
	d.errs.sort()
	more := len(d.errs) - maxErrors
	last := d.errs[maxErrors-1]
	d.errs = append(d.errs[:maxErrors:maxErrors], &Error{File: d.file, Line: last.Line, Col: last.Col, Msg: fmt.Sprintf("%d more errors not shown; fix these first", more), hidden: more})
}

// expectedName is the environment name implied by the file name.
func expectedName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// defaults is a Spec with every optional field at its documented default.
func defaults() *Spec {
	return &Spec{
		Network:     Network{AZs: 2, NAT: "per_az"},
		Database:    Database{EngineVersion: "15", StorageGB: 20, BackupRetentionDays: 7},
		Cache:       Cache{EngineVersion: "7.1", Nodes: 1},
		Autoscaling: Autoscaling{MinTasks: 1, MaxTasks: 4, CPUTargetPercent: 70},
		Logs:        Logs{RetentionDays: 7},
		Services:    map[string]*Service{},
	}
}

func defaultService() *Service {
	return &Service{Port: 8000, HealthCheckPath: "/health", Architecture: "x86_64"}
}

func (d *decoded) errorAt(p position, path, format string, args ...any) {
	if p.line < 1 {
		p = position{1, 1}
	}
	if p.col < 1 {
		p.col = 1
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: p.line, Col: p.col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// parse checks the bytes and returns the body of the single YAML document.
func (d *decoded) parse(data []byte) (ast.Node, bool) {
	if len(data) > maxFileSize {
		d.errorAt(position{1, 1}, "", "file is %d bytes; environment files are limited to %d bytes", len(data), maxFileSize)
		return nil, false
	}
	if p, b, bad := firstInvalidUTF8(data); bad {
		d.errorAt(p, "", "file is not valid UTF-8 (byte 0x%02x); save it as UTF-8", b)
		return nil, false
	}
	data = []byte(strings.TrimPrefix(string(data), "\ufeff"))
	// goccy's parser takes memory in the square of the nesting depth, and
	// running out of memory cannot be recovered from: refuse deep files first.
	var de *yamlguard.DepthError
	if errors.As(yamlguard.CheckDepth(data, maxNesting), &de) {
		d.tooDeep(de)
		return nil, false
	}
	f, err := parseYAML(data)
	if errors.As(err, &de) {
		d.tooDeep(de)
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
		d.errorAt(nodePos(bodies[1]), "", "a second YAML document starts here; an environment file holds exactly one")
		return nil, false
	}
	return bodies[0], true
}

func (d *decoded) tooDeep(de *yamlguard.DepthError) {
	d.errorAt(position{de.Line, de.Col}, "", "lists and mappings nest more than %d levels deep here; an environment file needs 3 (services.<name>.<key>)", de.Limit)
}

// parseYAML keeps duplicate keys in the tree so that the walker can report
// them with their spec path. It checks the depth again on the lexer's tokens
// (yamlguard.CheckTokenDepth), where the scan of the bytes might have
// disagreed with the lexer. The recover turns a panic inside the third-party
// parser into an error: the input comes from pull requests, and one bad file
// must not take the bot down.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this file (%v)", r)
		}
	}()
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

func firstKeyPos(n ast.Node) position {
	for range maxAliasHops {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return nodePos(n)
		}
	}
	return nodePos(n)
}

// walker turns the YAML tree into a Spec, one known key at a time.
type walker struct {
	*decoded
	aliases map[*ast.AliasNode]ast.Node
	visited int // key: value pairs visited, see maxEntries
}

// spend counts one visited pair and says whether the budget allows it.
func (w *walker) spend(at position) bool {
	w.visited++
	if w.visited == maxEntries+1 {
		w.errorAt(at, "", "the file expands to more than %d keys through anchors and merge keys; write the values out", maxEntries)
	}
	return w.visited <= maxEntries
}

// collectAnchors binds every alias to the anchor defined before it in
// document order, as YAML requires; an anchor name may be redefined.
func (w *walker) collectAnchors(root ast.Node) {
	anchors := map[string]ast.Node{}
	var visit func(n ast.Node, depth int)
	visit = func(n ast.Node, depth int) {
		if n == nil || depth > maxNesting {
			return
		}
		switch v := n.(type) {
		case *ast.AnchorNode:
			if v.Name != nil {
				anchors[v.Name.GetToken().Value] = v.Value
			}
			visit(v.Value, depth+1)
		case *ast.AliasNode:
			if v.Value != nil {
				if target, ok := anchors[v.Value.GetToken().Value]; ok {
					w.aliases[v] = target
				}
			}
		case *ast.TagNode:
			visit(v.Value, depth+1)
		case *ast.MappingNode:
			for _, mv := range v.Values {
				visit(mv, depth+1)
			}
		case *ast.MappingValueNode:
			visit(v.Key, depth+1)
			visit(v.Value, depth+1)
		case *ast.MappingKeyNode:
			visit(v.Value, depth+1)
		case *ast.SequenceNode:
			for _, e := range v.Values {
				visit(e, depth+1)
			}
		}
	}
	visit(root, 0)
}

// standardTags are the YAML core tags; they are unwrapped (with !!str turning
// any scalar into a string). Other tags mean nothing to this schema.
var standardTags = []string{"!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq"}

// resolve follows anchors, aliases and standard tags to the node that holds
// the value. It reports and returns nil for an unknown alias or tag.
func (w *walker) resolve(path string, n ast.Node) ast.Node {
	at := nodePos(n)
	for range maxAliasHops {
		switch v := n.(type) {
		case nil:
			// The parser fills empty values with null nodes; this guards
			// the invariant that every nil result has been reported.
			w.errorAt(at, path, "has no value")
			return nil
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := w.aliases[v]
			if !ok {
				name := ""
				if v.Value != nil {
					name = v.Value.GetToken().Value
				}
				w.errorAt(nodePos(v), path, "alias *%s refers to no anchor defined before it", name)
				return nil
			}
			n = target
		case *ast.TagNode:
			tag := v.Start.Value
			if !slices.Contains(standardTags, tag) {
				w.errorAt(nodePos(v), path, "tag %s is not supported; remove it", tag)
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
	w.errorAt(nodePos(n), path, "anchors, aliases or tags nest more than %d deep", maxAliasHops)
	return nil
}

// field is one known key of a mapping: how to decode its value.
type field struct {
	name     string
	required bool
	decode   func(path string, at position, n ast.Node) bool
}

// entry is one key: value of a mapping after merge keys are expanded.
type entry struct {
	key    string
	keyPos position
	value  ast.Node
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// join extends a spec path by a key, quoting keys that are not plain words
// so that a path stays on one line and reads unambiguously.
func join(path, key string) string {
	if !plainKey.MatchString(key) {
		key = quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// entries lists the keys of a mapping node, reporting duplicates and
// expanding merge keys (<<: *base): explicit keys win over merged ones, and
// earlier merge sources over later ones.
func (w *walker) entries(path string, m *ast.MappingNode, depth int) []entry {
	var explicit, merged []entry
	seen := map[string]position{}
	for _, mv := range m.Values {
		if mv == nil || mv.Key == nil {
			continue
		}
		kp := nodePos(mv.Key)
		if !w.spend(kp) {
			break
		}
		if mv.Key.IsMergeKey() {
			merged = append(merged, w.mergeSources(path, mv.Value, depth, true)...)
			continue
		}
		key, ok := w.keyString(path, mv.Key)
		if !ok {
			continue
		}
		if first, dup := seen[key]; dup {
			w.errorAt(kp, join(path, key), "duplicate key; first set at line %d, column %d", first.line, first.col)
			w.bad[join(path, key)] = true
			continue
		}
		seen[key] = kp
		explicit = append(explicit, entry{key: key, keyPos: kp, value: mv.Value})
	}
	for _, e := range merged {
		if _, ok := seen[e.key]; ok {
			continue
		}
		seen[e.key] = e.keyPos
		explicit = append(explicit, e)
	}
	return explicit
}

// mergeSources returns the pairs a merge key brings in: from one mapping, or
// from a list of mappings (top level only, as the YAML merge type says).
func (w *walker) mergeSources(path string, n ast.Node, depth int, listOK bool) []entry {
	if depth >= maxAliasHops {
		w.errorAt(nodePos(n), path, "merge keys nest more than %d deep", maxAliasHops)
		return nil
	}
	at := nodePos(n)
	n = w.resolve(path, n)
	switch v := n.(type) {
	case nil:
		return nil
	case *ast.MappingNode:
		return w.entries(path, v, depth+1)
	case *ast.SequenceNode:
		if !listOK {
			break
		}
		var out []entry
		seen := map[string]bool{}
		for _, item := range v.Values {
			for _, e := range w.mergeSources(path, item, depth+1, false) {
				if !seen[e.key] {
					seen[e.key] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	w.errorAt(at, path, "the merge key << takes a mapping or a list of mappings, got %s", describe(n))
	return nil
}

// keyString returns a mapping key as text; only scalar keys are meaningful.
func (w *walker) keyString(path string, k ast.MapKeyNode) (string, bool) {
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
	w.errorAt(nodePos(k), path, "keys must be plain words, got %s", describe(n))
	return "", false
}

// mapping decodes a mapping node against its known fields. at is where
// errors about the mapping as a whole (missing keys) point.
func (w *walker) mapping(path string, at position, n ast.Node, fields []field) bool {
	valueAt := nodePos(n)
	n = w.resolve(path, n)
	if n == nil {
		w.markBad(path, fields)
		return false
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		w.errorAt(valueAt, path, "expected a mapping with the keys %s, got %s", fieldNames(fields), describe(n))
		w.markBad(path, fields)
		return false
	}
	present := map[string]bool{}
	for _, e := range w.entries(path, m, 0) {
		i := slices.IndexFunc(fields, func(f field) bool { return f.name == e.key })
		if i < 0 {
			w.errorAt(e.keyPos, join(path, e.key), "unknown key%s; allowed keys are %s", suggest(e.key, fields), fieldNames(fields))
			continue
		}
		present[e.key] = true
		if !fields[i].decode(join(path, e.key), e.keyPos, e.value) {
			w.bad[join(path, e.key)] = true
		}
	}
	for _, f := range fields {
		if f.required && !present[f.name] {
			w.errorAt(at, join(path, f.name), "required key is missing")
			w.bad[join(path, f.name)] = true
		}
	}
	return true
}

func (w *walker) markBad(path string, fields []field) {
	w.bad[path] = true
	for _, f := range fields {
		w.bad[join(path, f.name)] = true
	}
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

// quote shows a user's value in a message, shortened so that one error
// stays one readable line.
func quote(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// plainNumber matches what a user meant as a number when the parser gave up
// on it because it does not fit in 64 bits.
var plainNumber = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(\.[0-9]*)?([eE][-+]?[0-9]+)?$`)

func isQuoted(n ast.Node) bool {
	tk := n.GetToken()
	return tk != nil && (tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType)
}

func (w *walker) intValue(path string, n ast.Node) (int, bool) {
	at := nodePos(n)
	n = w.resolve(path, n)
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
		w.errorAt(at, path, "%s is too large; expected a small integer", v.GetToken().Value)
		return 0, false
	case *ast.StringNode:
		if !isQuoted(v) && plainNumber.MatchString(v.Value) {
			w.errorAt(at, path, "%s is too large; expected a small integer", v.Value)
			return 0, false
		}
		if isQuoted(v) && plainNumber.MatchString(v.Value) {
			w.errorAt(at, path, "expected an integer, got %s; remove the quotes", describe(v))
			return 0, false
		}
	}
	w.errorAt(at, path, "expected an integer, got %s", describe(n))
	return 0, false
}

func (w *walker) boolValue(path string, n ast.Node) (bool, bool) {
	at := nodePos(n)
	n = w.resolve(path, n)
	if b, ok := n.(*ast.BoolNode); ok {
		return b.Value, true
	}
	if n != nil {
		w.errorAt(at, path, "expected true or false, got %s", describe(n))
	}
	return false, false
}

func (w *walker) stringValue(path string, n ast.Node) (string, bool) {
	at := nodePos(n)
	n = w.resolve(path, n)
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
		w.errorAt(at, path, "expected a string, got %s; quote it: %q", describe(n), raw)
		return "", false
	}
	w.errorAt(at, path, "expected a string, got %s", describe(n))
	return "", false
}

func (w *walker) numberValue(path string, n ast.Node) (float64, bool) {
	at := nodePos(n)
	n = w.resolve(path, n)
	switch v := n.(type) {
	case nil:
		return 0, false
	case *ast.FloatNode:
		return v.Value, true
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			return float64(x), true
		case uint64:
			return float64(x), true
		}
	case *ast.InfinityNode, *ast.NanNode:
		w.errorAt(at, path, "%s is not a finite number; expected an amount such as 150", n.GetToken().Value)
		return 0, false
	case *ast.StringNode:
		if !isQuoted(v) && plainNumber.MatchString(v.Value) {
			w.errorAt(at, path, "%s is too large; expected an amount such as 150", v.Value)
			return 0, false
		}
	}
	w.errorAt(at, path, "expected a number, got %s", describe(n))
	return 0, false
}

// The field constructors record the value's position for later rules.

// scalarField decodes one scalar with parse into dst.
func scalarField[T any](w *walker, name string, required bool, dst *T, parse func(string, ast.Node) (T, bool)) field {
	return field{name: name, required: required, decode: func(path string, _ position, n ast.Node) bool {
		w.pos[path] = nodePos(n)
		v, ok := parse(path, n)
		if ok {
			*dst = v
		}
		return ok
	}}
}

func (w *walker) intField(name string, required bool, dst *int) field {
	return scalarField(w, name, required, dst, w.intValue)
}

func (w *walker) boolField(name string, dst *bool) field {
	return scalarField(w, name, false, dst, w.boolValue)
}

func (w *walker) stringField(name string, required bool, dst *string) field {
	return scalarField(w, name, required, dst, w.stringValue)
}

func (w *walker) numberField(name string, dst *float64) field {
	return scalarField(w, name, false, dst, w.numberValue)
}

func (w *walker) section(name string, required bool, fields []field) field {
	return field{name: name, required: required, decode: func(path string, at position, n ast.Node) bool {
		w.pos[path] = at
		return w.mapping(path, at, n, fields)
	}}
}

// topKeys is the order of keys in an environment file, for messages.
var topKeys = []string{"name", "region", "network", "database", "cache", "autoscaling", "logs", "budget", "services"}

func (w *walker) topFields(s *Spec) []field {
	return []field{
		w.stringField("name", true, &s.Name),
		w.stringField("region", true, &s.Region),
		w.section("network", true, []field{
			w.stringField("vpc_cidr", true, &s.Network.VPCCIDR),
			w.intField("azs", false, &s.Network.AZs),
			w.stringField("nat", false, &s.Network.NAT),
		}),
		w.section("database", true, []field{
			w.stringField("engine_version", false, &s.Database.EngineVersion),
			w.stringField("instance_class", true, &s.Database.InstanceClass),
			w.intField("storage_gb", false, &s.Database.StorageGB),
			w.intField("backup_retention_days", false, &s.Database.BackupRetentionDays),
			w.boolField("multi_az", &s.Database.MultiAZ),
		}),
		w.section("cache", true, []field{
			w.stringField("engine_version", false, &s.Cache.EngineVersion),
			w.stringField("node_type", true, &s.Cache.NodeType),
			w.intField("nodes", false, &s.Cache.Nodes),
		}),
		w.section("autoscaling", false, []field{
			w.boolField("enabled", &s.Autoscaling.Enabled),
			w.intField("min_tasks", false, &s.Autoscaling.MinTasks),
			w.intField("max_tasks", false, &s.Autoscaling.MaxTasks),
			w.intField("cpu_target_percent", false, &s.Autoscaling.CPUTargetPercent),
		}),
		w.section("logs", false, []field{
			w.intField("retention_days", false, &s.Logs.RetentionDays),
		}),
		w.section("budget", false, []field{
			w.numberField("monthly_usd", &s.Budget.MonthlyUSD),
			w.boolField("enforce", &s.Budget.Enforce),
		}),
		{name: "services", required: true, decode: func(path string, at position, n ast.Node) bool {
			w.pos[path] = at
			return w.services(path, at, n, s)
		}},
	}
}

func (w *walker) serviceFields(svc *Service) []field {
	return []field{
		w.intField("cpu", true, &svc.CPU),
		w.intField("memory", true, &svc.Memory),
		w.intField("desired_count", true, &svc.DesiredCount),
		w.intField("port", false, &svc.Port),
		w.boolField("public", &svc.Public),
		w.stringField("path_pattern", false, &svc.PathPattern),
		w.stringField("health_check_path", false, &svc.HealthCheckPath),
		w.stringField("architecture", false, &svc.Architecture),
		w.boolField("spot", &svc.Spot),
	}
}

// services decodes the services mapping, whose keys are service names.
func (w *walker) services(path string, at position, n ast.Node, s *Spec) bool {
	valueAt := nodePos(n)
	n = w.resolve(path, n)
	if n == nil {
		w.bad[path] = true
		return false
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		w.errorAt(valueAt, path, "expected a mapping of service name to settings, got %s", describe(n))
		w.bad[path] = true
		return false
	}
	entries := w.entries(path, m, 0)
	if len(entries) == 0 {
		w.errorAt(at, path, "no services; at least one is required")
	}
	if len(entries) > maxServices {
		w.errorAt(at, path, "%d services; at most %d are allowed", len(entries), maxServices)
	}
	for _, e := range entries {
		p := join(path, e.key)
		w.pos[p] = e.keyPos
		if !serviceNameRe.MatchString(e.key) {
			w.errorAt(e.keyPos, p, "%s is not a valid service name; use lowercase letters, digits and -, starting with a letter, at most 31 characters", quote(e.key))
			continue
		}
		svc := defaultService()
		if w.mapping(p, e.keyPos, e.value, w.serviceFields(svc)) {
			s.Services[e.key] = svc
		}
	}
	return true
}
