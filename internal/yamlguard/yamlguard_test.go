package yamlguard

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

// nested builds a block mapping that indents one level per line.
func nested(levels int) string {
	var b strings.Builder
	for i := range levels {
		fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat("  ", i), i)
	}
	return b.String()
}

func TestCheckDepth(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		limit int
		want  string // where the error is, "" if accepted
	}{
		{"100,000 nested flow sequences are refused at the bracket past the limit",
			"name: dev\nx: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n", 100, "2:103"},
		{"nested flow mappings are refused", "x: " + strings.Repeat("{a: ", 10), 5, "1:20"},
		{"flow nesting at the limit is accepted", "x: [[[[1]]]]\n", 5, ""},
		{"dashes on one line nest sequences", strings.Repeat("- ", 10) + "x\n", 5, "1:11"},
		{"indented keys nest mappings", nested(10), 5, "6:11"},
		{"a sequence at its key's column adds a level", "a:\n- b:\n  - c:\n    - d:\n      - e\n", 4, "3:5"},
		{"siblings at the same column do not add levels", strings.Repeat("a: 1\nb:\n  c: [x]\n", 50), 3, ""},
		{"a sequence under each key of a mapping stays at its depth", strings.Repeat("k:\n- 1\n- 2\n", 50), 2, ""},
		{"a tag ending its line nests the next key (goccy makes it the value)", strings.Repeat("a: !t\n", 10), 5, "5:4"},
		{"an anchor ending its line nests the next dash", strings.Repeat("- &x\n", 10), 5, "5:4"},
		{"an anchor whose value is indented below it is one level", "services:\n  api: &small\n    cpu: 256\n  web:\n    <<: *small\n", 3, ""},
		{"brackets in double quotes do not count", `x: "` + strings.Repeat("[", 50) + `"` + "\n", 2, ""},
		{"an escaped double quote does not end the string", `x: "\"` + strings.Repeat("[", 50) + `"` + "\n", 2, ""},
		{"brackets in single quotes do not count, '' included", "x: '''" + strings.Repeat("[", 50) + "'\n", 2, ""},
		{"a quoted scalar inside a flow sequence ends at its quote", `x: ["[[[[", ` + strings.Repeat("[", 5), 3, "1:14"},
		{"brackets in comments do not count", "# " + strings.Repeat("[", 50) + "\nx: 1 # " + strings.Repeat("{", 50) + "\n", 2, ""},
		{"brackets in a literal block scalar do not count", "x: |\n  " + strings.Repeat("[", 50) + "\n  [\ny: 1\n", 2, ""},
		{"brackets in a folded block scalar do not count", "- >-\n   " + strings.Repeat("{", 50) + "\n- 2\n", 2, ""},
		{"a block scalar ends at a line left of its content", "x: |\n  text\ny: " + strings.Repeat("[", 5), 3, "3:6"},
		{"brackets inside a plain scalar do not count", "x: a" + strings.Repeat("[", 50) + "\n", 2, ""},
		{"a key after a multi-line plain scalar starts a token", "x: a\n  b\n" + "y: " + strings.Repeat("[", 5), 3, "3:6"},
		{"an empty file is accepted", "", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks := map[string]func() error{
				"scan": func() error { return CheckDepth([]byte(tt.yaml), tt.limit) },
			}
			if len(tt.yaml) < 10_000 {
				checks["tokens"] = func() error { return CheckTokenDepth(lexer.Tokenize(tt.yaml), tt.limit) }
			}
			for name, check := range checks {
				err := check()
				if tt.want == "" {
					if err != nil {
						t.Errorf("%s: %v", name, err)
					}
					continue
				}
				var de *DepthError
				if !errors.As(err, &de) {
					t.Fatalf("%s: err = %v, want a *DepthError", name, err)
				}
				want := fmt.Sprintf("%s: lists and mappings nest more than %d levels deep here", tt.want, tt.limit)
				if err.Error() != want {
					t.Errorf("%s: got  %q\nwant %q", name, err, want)
				}
			}
		})
	}
}

// TestCheckDepthMemory: the scan holds one entry per open level, up to the
// limit, whatever the input.
func TestCheckDepthMemory(t *testing.T) {
	deep := []byte("name: dev\nx: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n")
	block := []byte("x: " + strings.Repeat("- ", 100_000) + "1\n")
	for name, data := range map[string][]byte{"flow": deep, "block": block} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := CheckDepth(data, 100)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatalf("%s: %d bytes of nesting accepted", name, len(data))
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: CheckDepth allocated %d bytes for %d bytes of input", name, got, len(data))
		}
	}
}

// repositoryYAML is every YAML file of the repository: none may be refused.
func repositoryYAML(t testing.TB) []string {
	var files []string
	for _, pattern := range []string{"../../environments/*.yaml", "../../bot/envspec/testdata/*.yaml", "../../bot/envspec/testdata/*/*.yaml", "../../.github/workflows/*.yml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 60 {
		t.Fatalf("found %d YAML files in the repository; the globs are wrong", len(files))
	}
	return files
}

func TestRepositoryYAMLIsNotTooDeep(t *testing.T) {
	for _, file := range repositoryYAML(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckDepth(data, 100); err != nil {
			t.Errorf("%s: %v", file, err)
		}
		sd := scanDepth(data)
		if sd > 6 {
			t.Errorf("%s: depth %d; none of these files nests deeper than 6", file, sd)
		}
		if td, ok := tokenMaxDepth(data); ok && td != sd {
			t.Errorf("%s: the scan sees depth %d, goccy's tokens %d", file, sd, td)
		}
	}
}

// scanDepth is the deepest nesting the scan sees.
func scanDepth(data []byte) int {
	s := newScanner(data, math.MaxInt)
	s.run()
	return s.n.max
}

// tokenMaxDepth is the deepest nesting in goccy's tokens, and whether the
// parser would run at all (it refuses input with an invalid token).
func tokenMaxDepth(data []byte) (int, bool) {
	tokens := lexer.Tokenize(string(data))
	if tokens.InvalidToken() != nil {
		return 0, false
	}
	n := nesting{limit: math.MaxInt}
	tokenDepth(tokens, &n)
	return n.max, true
}

// astDepth is how deep a parsed document nests mappings and sequences.
func astDepth(n ast.Node) int {
	switch v := n.(type) {
	case *ast.DocumentNode:
		return astDepth(v.Body)
	case *ast.MappingNode:
		d := 0
		for _, mv := range v.Values {
			d = max(d, astDepth(mv))
		}
		return 1 + d
	case *ast.MappingValueNode:
		return max(astDepth(v.Key), astDepth(v.Value))
	case *ast.MappingKeyNode:
		return astDepth(v.Value)
	case *ast.SequenceNode:
		d := 0
		for _, e := range v.Values {
			d = max(d, astDepth(e))
		}
		return 1 + d
	case *ast.AnchorNode:
		return astDepth(v.Value)
	case *ast.TagNode:
		return astDepth(v.Value)
	}
	return 0
}

// FuzzCheckDepth: the scan never sees less nesting than goccy's tokens, and
// the tokens never less than the parsed document (give or take goccy's
// leniency: "-\n0:" parses as a mapping inside the sequence, one level more
// than its columns say). CheckDepth must hold on whatever goccy's parser would
// build; a scan that counts too little lets a file through to the parser.
func FuzzCheckDepth(f *testing.F) {
	for _, file := range repositoryYAML(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"a: [b, {c: d}]\n", "- - - x\n", "a: |\n  [[[\nb: 1\n", "k: 'x''[['\n", "a: b\n  \"x: [[[\n",
		"{a: \"[\"}", "!t [[ a: [x]", "&a[[b]]", "%YAML [[\n", "a: \"\\x\"\"[[\"", "a: \"x\tb\"c[[[",
		"- a\n  - [[[", "? [[\n: [[", "<<: [[x]]", "a:\n- [b]\n- c: {d: [e]}\n", "a: !t\na: !t\na: !t\n",
		"? !t\n? !t\n", "- &x\n- &x\n", "x: " + strings.Repeat("[", 200), "x: " + strings.Repeat("- ", 200) + "1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return // the parser's cost grows with depth squared; keep executions fast
		}
		sd := scanDepth(data)
		td, ok := tokenMaxDepth(data)
		if !ok {
			return // goccy's parser refuses the file before it nests anything
		}
		if sd < td {
			t.Fatalf("scan depth %d < token depth %d for %q", sd, td, data)
		}
		file, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
		if err != nil {
			return
		}
		for _, doc := range file.Docs {
			if ad := astDepth(doc); ad > td+2 {
				t.Fatalf("parsed depth %d > token depth %d for %q", ad, td, data)
			}
		}
	})
}
