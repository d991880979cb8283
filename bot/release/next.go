package release

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Update is what a new release changes in releases/<env>.yaml: the version
// and the images resolved for it (each pinned by its digest). Services the
// update does not name keep their images.
type Update struct {
	Version Version
	Images  map[string]Image
}

// Next returns the file of the release that follows current: version set to
// u.Version, previous to the current version (kept as it is when the version
// does not change, so that updating a release pull request is idempotent),
// and the images of u written over the current ones, services new to the
// file added after the last image. Every other byte (comments, order,
// quoting, smoke, freeze, seed) stays as it was: the release pull request
// shows only what the release changes.
//
// The file is edited where its values are, not re-serialized. The result is
// decoded again and compared with what was asked; a difference is an error,
// never a file.
func Next(path string, current []byte, u Update) ([]byte, error) {
	cur, err := Decode(path, current)
	if err != nil {
		return nil, fmt.Errorf("next release of %s: %w", path, err)
	}
	if err := cur.checkUpdate(u); err != nil {
		return nil, fmt.Errorf("next release %s of %s: %w", u.Version, path, err)
	}
	bom := bytes.HasPrefix(current, []byte("\ufeff"))
	data := trimBOM(current)
	out, err := edit(data, cur, u)
	if err != nil {
		return nil, fmt.Errorf("next release %s of %s: %w", u.Version, path, err)
	}
	if bom {
		out = append([]byte("\ufeff"), out...)
	}
	// A difference here is a bug of the editor, not of the file: refuse
	// rather than open a pull request that changes what nobody asked for.
	got, err := Decode(path, out)
	if err != nil {
		return nil, fmt.Errorf("next release %s of %s: the edited file does not decode (bot/release cannot edit this file's layout): %w", u.Version, path, err)
	}
	if !reflect.DeepEqual(got.withoutSource(), cur.next(u).withoutSource()) {
		return nil, fmt.Errorf("next release %s of %s: the edited file holds another release than the one asked for (bot/release cannot edit this file's layout)", u.Version, path)
	}
	return out, nil
}

// next is the Release that Next writes.
func (r *Release) next(u Update) *Release {
	n := *r
	n.src = nil
	if u.Version != r.Version {
		n.Previous = r.Version
	}
	n.Version = u.Version
	n.Images = maps.Clone(r.Images)
	maps.Copy(n.Images, u.Images)
	return &n
}

// checkUpdate checks an update against the rules of a release file: a
// version of the environment's kind, images with valid names and values,
// pinned by digest.
func (r *Release) checkUpdate(u Update) error {
	var errs Errors
	add := func(path, msg string) { errs = append(errs, &Error{Path: path, Msg: msg}) }
	switch r.follows() {
	case FollowsMain:
		if msg := commitProblem(string(u.Version)); msg != "" {
			add("version", msg+" (follows: main)")
		}
	default:
		if msg := semverProblem(string(u.Version)); msg != "" {
			add("version", msg)
		}
	}
	if len(u.Images) == 0 {
		add("images", "the update names no images; a release resolves the image of every service it deploys")
	}
	for _, name := range slices.Sorted(maps.Keys(u.Images)) {
		p := join("images", name)
		if !serviceNameRe.MatchString(name) {
			add(p, fmt.Sprintf("%s is not a valid service name; use lowercase letters, digits and -, starting with a letter, at most 31 characters", quote(name)))
			continue
		}
		img := u.Images[name]
		for _, f := range imageFields(p, img) {
			if f.msg != "" {
				add(f.path, f.msg)
			}
		}
		if img.Digest == "" {
			add(p+".digest", digestProblem("", true))
		}
	}
	merged := maps.Clone(r.Images)
	maps.Copy(merged, u.Images)
	if len(merged) > maxImages {
		add("images", fmt.Sprintf("%d images after the update; at most %d services are allowed", len(merged), maxImages))
	}
	return errs.orNil()
}

// errLayout is wrapped by errors for files whose values Next cannot edit
// in place (a value over several lines).
var errLayout = errors.New("cannot edit in place")

// editor collects replacements of byte ranges of the file.
type editor struct {
	src       []byte
	lineStart []int // byte offset of each line's first byte; lineStart[0] is line 1
	eol       string
	edits     []replacement
}

// replacement replaces src[at:end] with text (an insertion when at == end).
type replacement struct {
	at, end int
	text    string
}

func edit(data []byte, cur *Release, u Update) ([]byte, error) {
	f, err := parseYAML(data)
	if err != nil || len(f.Docs) == 0 || f.Docs[0] == nil {
		return nil, fmt.Errorf("parse: %v", err) // Decode accepted it: cannot happen
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			body = doc.Body
		}
	}
	top, ok := unwrap(body).(*ast.MappingNode)
	if !ok {
		return nil, fmt.Errorf("the file is not a mapping: %w", errLayout)
	}
	e := &editor{src: data, lineStart: []int{0}, eol: "\n"}
	for i, b := range data {
		if b == '\n' {
			e.lineStart = append(e.lineStart, i+1)
		}
	}
	if bytes.Contains(data, []byte("\r\n")) {
		e.eol = "\r\n"
	}

	version := entryOf(top, "version")
	if version == nil {
		return nil, fmt.Errorf("no version key: %w", errLayout)
	}
	if err := e.replace(version.Value, string(u.Version), top.IsFlowStyle); err != nil {
		return nil, fmt.Errorf("version: %w", err)
	}
	if u.Version != cur.Version {
		if prev := entryOf(top, "previous"); prev != nil {
			if err := e.replace(prev.Value, string(cur.Version), top.IsFlowStyle); err != nil {
				return nil, fmt.Errorf("previous: %w", err)
			}
		} else if err := e.insertAfter(top, version, "previous", string(cur.Version)); err != nil {
			return nil, fmt.Errorf("previous: %w", err)
		}
	}

	images := entryOf(top, "images")
	if images == nil {
		return nil, fmt.Errorf("no images key: %w", errLayout)
	}
	imgs, ok := unwrap(images.Value).(*ast.MappingNode)
	if !ok {
		return nil, fmt.Errorf("images is not a mapping: %w", errLayout)
	}
	var added []string
	for _, name := range slices.Sorted(maps.Keys(u.Images)) {
		img := u.Images[name]
		ent := entryOf(imgs, name)
		if ent == nil {
			added = append(added, name)
			continue
		}
		m, ok := unwrap(ent.Value).(*ast.MappingNode)
		if !ok {
			return nil, fmt.Errorf("images.%s is not a mapping: %w", name, errLayout)
		}
		for _, kv := range [][2]string{{"repository", img.Repository}, {"tag", img.Tag}, {"digest", img.Digest}} {
			if fe := entryOf(m, kv[0]); fe != nil {
				if err := e.replace(fe.Value, kv[1], m.IsFlowStyle); err != nil {
					return nil, fmt.Errorf("images.%s.%s: %w", name, kv[0], err)
				}
				continue
			}
			last := m.Values[len(m.Values)-1]
			if err := e.insertAfter(m, last, kv[0], kv[1]); err != nil {
				return nil, fmt.Errorf("images.%s.%s: %w", name, kv[0], err)
			}
		}
	}
	if len(added) > 0 {
		if err := e.addImages(imgs, added, u.Images); err != nil {
			return nil, fmt.Errorf("images: %w", err)
		}
	}
	return e.apply()
}

// unwrap skips standard tags (!!map, !!str) to the node that holds the
// value; Decode has refused anchors, aliases and other tags.
func unwrap(n ast.Node) ast.Node {
	for range maxTagHops {
		t, ok := n.(*ast.TagNode)
		if !ok {
			return n
		}
		n = t.Value
	}
	return n
}

// entryOf finds key in a mapping (Decode has refused duplicates).
func entryOf(m *ast.MappingNode, key string) *ast.MappingValueNode {
	for _, mv := range m.Values {
		if mv == nil || mv.Key == nil {
			continue
		}
		var k ast.Node = mv.Key
		if mk, ok := k.(*ast.MappingKeyNode); ok {
			k = mk.Value
		}
		switch v := k.(type) {
		case *ast.StringNode:
			if v.Value == key {
				return mv
			}
		case ast.ScalarNode:
			if tk := v.GetToken(); tk != nil && tk.Value == key {
				return mv
			}
		}
	}
	return nil
}

// offset is the byte offset of a token's position (goccy counts columns in
// characters).
func (e *editor) offset(p *token.Position) (int, error) {
	if p == nil || p.Line < 1 || p.Line > len(e.lineStart) || p.Column < 1 {
		return 0, fmt.Errorf("a value without a position: %w", errLayout)
	}
	at := e.lineStart[p.Line-1]
	for range p.Column - 1 {
		if at >= len(e.src) || e.src[at] == '\n' {
			return 0, fmt.Errorf("line %d has no column %d: %w", p.Line, p.Column, errLayout)
		}
		_, size := utf8.DecodeRune(e.src[at:])
		at += size
	}
	return at, nil
}

// span is where a single-line scalar is written, and its quote: a double
// or a single quote, or 0 for a plain scalar.
func (e *editor) span(n ast.Node) (at, end int, style byte, err error) {
	n = unwrap(n)
	if _, ok := n.(ast.ScalarNode); !ok {
		return 0, 0, 0, fmt.Errorf("not a scalar: %w", errLayout)
	}
	tk := n.GetToken()
	if lit, ok := n.(*ast.LiteralNode); ok {
		return 0, 0, 0, fmt.Errorf("a block scalar (%s) at line %d: %w", lit.Start.Value, tokenPos(tk).line, errLayout)
	}
	if tk == nil {
		return 0, 0, 0, fmt.Errorf("a value without a token: %w", errLayout)
	}
	if at, err = e.offset(tk.Position); err != nil {
		return 0, 0, 0, err
	}
	src := e.src
	if at >= len(src) {
		return 0, 0, 0, fmt.Errorf("a value past the end: %w", errLayout)
	}
	switch q := src[at]; q {
	case '"', '\'':
		for i := at + 1; i < len(src) && src[i] != '\n'; i++ {
			switch {
			case q == '"' && src[i] == '\\':
				i++
			case src[i] == q && q == '\'' && i+1 < len(src) && src[i+1] == '\'':
				i++
			case src[i] == q:
				return at, i + 1, q, nil
			}
		}
		return 0, 0, 0, fmt.Errorf("a quoted value over several lines at line %d: %w", tk.Position.Line, errLayout)
	default:
		raw := tk.Value
		if strings.ContainsAny(raw, "\r\n") || !bytes.HasPrefix(src[at:], []byte(raw)) {
			return 0, 0, 0, fmt.Errorf("a value over several lines at line %d: %w", tk.Position.Line, errLayout)
		}
		return at, at + len(raw), 0, nil
	}
}

// replace writes value over the scalar n, in the scalar's quoting.
func (e *editor) replace(n ast.Node, value string, flow bool) error {
	at, end, style, err := e.span(n)
	if err != nil {
		return err
	}
	e.edits = append(e.edits, replacement{at, end, render(value, style, flow)})
	return nil
}

// render writes a scalar: in the given quotes, or plain when YAML reads the
// plain text back as the same string (a commit SHA of digits would be a
// number) and in double quotes otherwise.
func render(v string, style byte, flow bool) string {
	switch {
	case style == '\'':
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case style == '"' || !plainSafe(v, flow):
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
	}
	return v
}

// plainSafe says whether v written plain reads back as the string v.
func plainSafe(v string, flow bool) bool {
	if v == "" || strings.ContainsAny(v, " #'\"\\{}[],&*!|>%@`\t\r\n") {
		return false
	}
	doc := "k: " + v + "\n"
	if flow {
		doc = "{k: " + v + "}\n"
	}
	f, err := parser.ParseBytes([]byte(doc), 0)
	if err != nil || len(f.Docs) != 1 || f.Docs[0].Body == nil {
		return false
	}
	m, ok := f.Docs[0].Body.(*ast.MappingNode)
	if !ok || len(m.Values) != 1 {
		return false
	}
	s, ok := m.Values[0].Value.(*ast.StringNode)
	return ok && s.Value == v && !isQuoted(s)
}

// lastLine is the last line that a node's tokens are on.
func lastLine(n ast.Node) int {
	line := 0
	see := func(tk *token.Token) {
		if tk != nil && tk.Position != nil {
			line = max(line, tk.Position.Line)
		}
	}
	var walk func(n ast.Node, depth int)
	walk = func(n ast.Node, depth int) {
		if n == nil || depth > maxNesting+maxTagHops {
			return
		}
		switch v := n.(type) {
		case *ast.MappingNode:
			see(v.Start)
			see(v.End)
			for _, mv := range v.Values {
				walk(mv, depth+1)
			}
		case *ast.MappingValueNode:
			walk(v.Key, depth+1)
			walk(v.Value, depth+1)
		case *ast.MappingKeyNode:
			walk(v.Value, depth+1)
		case *ast.SequenceNode:
			see(v.Start)
			see(v.End)
			for _, x := range v.Values {
				walk(x, depth+1)
			}
		case *ast.TagNode:
			see(v.Start)
			walk(v.Value, depth+1)
		case *ast.LiteralNode:
			see(v.Start)
			if v.Value != nil && v.Value.Token != nil && v.Value.Token.Position != nil {
				line = max(line, v.Value.Token.Position.Line+strings.Count(strings.TrimRight(v.Value.Value, "\n"), "\n"))
			}
		default:
			see(n.GetToken())
		}
	}
	walk(n, 0)
	return line
}

// endOf is the byte offset just past a mapping entry's value written in a
// flow mapping: past its closing bracket, or past the scalar.
func (e *editor) endOf(mv *ast.MappingValueNode) (int, error) {
	switch v := unwrap(mv.Value).(type) {
	case *ast.MappingNode:
		if v.End == nil {
			return 0, fmt.Errorf("a mapping without its closing brace: %w", errLayout)
		}
		at, err := e.offset(v.End.Position)
		return at + 1, err
	case *ast.SequenceNode:
		if v.End == nil {
			return 0, fmt.Errorf("a list without its closing bracket: %w", errLayout)
		}
		at, err := e.offset(v.End.Position)
		return at + 1, err
	default:
		_, end, _, err := e.span(v)
		return end, err
	}
}

// keyColumn is the column of a mapping's keys.
func keyColumn(m *ast.MappingNode) int {
	return nodePos(m).col
}

// lineAfter is the offset where a new line after line goes, and the text
// that must precede it when the file does not end with a newline there.
func (e *editor) lineAfter(line int) (int, string) {
	if line < len(e.lineStart) {
		return e.lineStart[line], ""
	}
	return len(e.src), e.eol
}

// insertAfter adds key: value to mapping m after its entry prev: on the
// next line at the mapping's indentation for a block mapping, after prev's
// value for a flow mapping.
func (e *editor) insertAfter(m *ast.MappingNode, prev *ast.MappingValueNode, key, value string) error {
	if m.IsFlowStyle {
		at, err := e.endOf(prev)
		if err != nil {
			return err
		}
		e.edits = append(e.edits, replacement{at, at, ", " + key + ": " + render(value, 0, true)})
		return nil
	}
	at, lead := e.lineAfter(lastLine(prev))
	indent := strings.Repeat(" ", keyColumn(m)-1)
	e.edits = append(e.edits, replacement{at, at, lead + indent + key + ": " + render(value, 0, false) + e.trailingEOL(lead)})
	return nil
}

// trailingEOL ends an inserted line, unless it was put at the end of a file
// without a final newline (lead holds the newline then).
func (e *editor) trailingEOL(lead string) string {
	if lead != "" {
		return ""
	}
	return e.eol
}

// addImages adds services new to the file at the end of images, written
// like the entry before them: a flow mapping on one line or a block, with
// the same quotes.
func (e *editor) addImages(imgs *ast.MappingNode, names []string, images map[string]Image) error {
	last := imgs.Values[len(imgs.Values)-1]
	lm, _ := unwrap(last.Value).(*ast.MappingNode)
	flowEntry := lm == nil || lm.IsFlowStyle
	field := func(key, value string) string {
		return key + ": " + render(value, e.styleOf(lm, key), flowEntry)
	}
	one := func(img Image) string {
		return "{" + field("repository", img.Repository) + ", " + field("tag", img.Tag) + ", " + field("digest", img.Digest) + "}"
	}
	if imgs.IsFlowStyle {
		at, err := e.endOf(last)
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, name := range names {
			fmt.Fprintf(&b, ", %s: %s", name, one(images[name]))
		}
		e.edits = append(e.edits, replacement{at, at, b.String()})
		return nil
	}
	at, lead := e.lineAfter(lastLine(imgs))
	indent := strings.Repeat(" ", keyColumn(imgs)-1)
	var b strings.Builder
	b.WriteString(lead)
	for i, name := range names {
		if i > 0 {
			b.WriteString(e.eol)
		}
		img := images[name]
		if flowEntry {
			b.WriteString(indent + name + ": " + one(img))
			continue
		}
		child := strings.Repeat(" ", keyColumn(lm)-1)
		b.WriteString(indent + name + ":" + e.eol)
		b.WriteString(child + field("repository", img.Repository) + e.eol)
		b.WriteString(child + field("tag", img.Tag) + e.eol)
		b.WriteString(child + field("digest", img.Digest))
	}
	b.WriteString(e.trailingEOL(lead))
	e.edits = append(e.edits, replacement{at, at, b.String()})
	return nil
}

// styleOf is the quote of key's value in m (0 for plain, or when m has no
// such key).
func (e *editor) styleOf(m *ast.MappingNode, key string) byte {
	if m == nil {
		return 0
	}
	if fe := entryOf(m, key); fe != nil {
		if _, _, style, err := e.span(fe.Value); err == nil {
			return style
		}
	}
	return 0
}

// apply makes the replacements, which must not overlap.
func (e *editor) apply() ([]byte, error) {
	edits := slices.Clone(e.edits)
	slices.SortStableFunc(edits, func(a, b replacement) int { return a.at - b.at })
	var out bytes.Buffer
	pos := 0
	for _, r := range edits {
		if r.at < pos || r.end < r.at || r.end > len(e.src) {
			return nil, fmt.Errorf("overlapping edits at byte %d: %w", r.at, errLayout)
		}
		out.Write(e.src[pos:r.at])
		out.WriteString(r.text)
		pos = r.end
	}
	out.Write(e.src[pos:])
	return out.Bytes(), nil
}
