// Package yamlguard refuses YAML that nests lists and mappings too deeply,
// before it reaches github.com/goccy/go-yaml. That parser recurses once per
// level and copies the path at every level: 100,000 nested "[" in a 200 KB
// file take more than 8 GB, and running out of memory is a fatal error that
// recover cannot catch. The files come from pull requests (environment specs,
// usage files), so the depth must be bounded before they are parsed.
//
// CheckDepth scans the bytes the way goccy's lexer does (quotes, comments,
// block scalars, flow and block collections) without building anything, and
// reports where the nesting first goes past the limit. CheckTokenDepth does the
// same on the tokens of goccy's lexer, between lexing and parsing, so that the
// limit also holds for input where the scan and the lexer disagree.
//
// The scan mirrors go-yaml v1.19's lexer rule by rule; FuzzCheckDepth checks
// it against the real lexer and parser, and is the test to run for long when
// go-yaml is upgraded.
//
// It is not a YAML parser and decides nothing but depth.
package yamlguard

import (
	"fmt"

	"github.com/goccy/go-yaml/token"
)

// DepthError says where a document first nests deeper than the limit.
type DepthError struct {
	Line, Col int // 1-based; Col counts characters, as goccy's positions do
	Limit     int
}

func (e *DepthError) Error() string {
	return fmt.Sprintf("%d:%d: lists and mappings nest more than %d levels deep here", e.Line, e.Col, e.Limit)
}

// CheckDepth returns a *DepthError when the block and flow collections of
// data nest more than limit deep, at the first place they do. It reads data
// once, allocates only in proportion to the limit, and never fails otherwise:
// syntax errors are left to the parser.
func CheckDepth(data []byte, limit int) error {
	s := newScanner(data, limit)
	s.run()
	if s.n.err != nil {
		return s.n.err
	}
	return nil
}

// CheckTokenDepth is CheckDepth for the tokens of goccy's lexer
// (lexer.Tokenize), to run before parser.Parse.
func CheckTokenDepth(tokens token.Tokens, limit int) error {
	n := nesting{limit: limit}
	tokenDepth(tokens, &n)
	if n.err != nil {
		return n.err
	}
	return nil
}

// level is one open block collection: the column of its keys or dashes, and
// how many levels of the parser's recursion it stands for.
type level struct {
	col    int
	seq    bool
	weight int
}

// nesting is the parser's view of the open collections: flow collections by
// their opening bracket, block collections by column. Depth is the sum of both.
//
// goccy's parser makes the node after a tag or an anchor its value wherever
// that node is: "a: !t" at the end of a line takes the next line as its value
// even at the same column, so "a: !t\n" repeated nests without indenting.
// A tag or anchor that ends its line is therefore pending: the next block
// key, dash or "?" opens a level whatever its column, standing for the
// properties in front of it too.
type nesting struct {
	flow    []byte
	block   []level
	blockN  int  // sum of the weights of block
	pending int  // tags and anchors that ended their lines, waiting for their value
	scalar  bool // a scalar came after them: it may be the key of a ':'
	limit   int
	max     int // deepest seen, for tests
	err     *DepthError
}

func (n *nesting) depth() int { return len(n.flow) + n.blockN + n.pending }

func (n *nesting) check(line, col int) {
	d := n.depth()
	n.max = max(n.max, d)
	if d > n.limit && n.err == nil {
		n.err = &DepthError{Line: line, Col: col, Limit: n.limit}
	}
}

// open starts a flow collection ('[' or '{').
func (n *nesting) open(kind byte, line, col int) {
	if n.err != nil {
		return
	}
	n.flow = append(n.flow, kind)
	n.check(line, col)
	n.pending, n.scalar = 0, false
}

// close ends the innermost flow collection if it is of that kind. A
// mismatched bracket closes nothing: counting too deep is safe, too shallow
// is not.
func (n *nesting) close(kind byte) {
	if k := len(n.flow); k > 0 && n.flow[k-1] == kind {
		n.flow = n.flow[:k-1]
	}
}

// entry records a block key, "-" or "?" at col: deeper levels end, a level at
// the same column and of the same kind continues, anything else opens one.
// A sequence may sit at the column of the key that holds it ("a:\n- x"); a
// key at that column ends such a sequence, but not a sequence that no key
// holds (goccy nests "-\n0:" as a mapping in the sequence).
func (n *nesting) entry(col int, seq bool, line, at int) {
	if n.err != nil {
		return
	}
	if n.pending > 0 {
		n.push(level{col, seq, n.pending}, line, at)
		return
	}
	for k := len(n.block); k > 0; k-- {
		top := n.block[k-1]
		heldSeq := top.col == col && top.seq && !seq && k > 1 && n.block[k-2].col == col && !n.block[k-2].seq
		if top.col > col || heldSeq {
			n.pop()
			continue
		}
		break
	}
	if k := len(n.block); k > 0 && n.block[k-1].col == col && n.block[k-1].seq == seq {
		return
	}
	n.push(level{col, seq, 1}, line, at)
}

func (n *nesting) push(l level, line, col int) {
	n.block = append(n.block, l)
	n.blockN += l.weight
	n.pending, n.scalar = 0, false
	n.check(line, col)
}

func (n *nesting) pop() {
	n.blockN -= n.block[len(n.block)-1].weight
	n.block = n.block[:len(n.block)-1]
}

// dangle records a tag or anchor that ends its line.
func (n *nesting) dangle(line, col int) {
	if n.err != nil {
		return
	}
	n.pending++
	n.scalar = false
	n.check(line, col)
}

// value records a scalar or the end of a flow collection: after pending
// properties, the first one may still be a key; a second one is their value.
func (n *nesting) value() {
	if n.pending > 0 && !n.scalar {
		n.scalar = true
		return
	}
	n.pending, n.scalar = 0, false
}

// other records any other token but a comment: the properties had a value.
func (n *nesting) other() { n.pending, n.scalar = 0, false }

// document starts a new document: the parser parses each on its own. Open
// flow collections are kept (deeper is the safe side).
func (n *nesting) document() {
	n.block, n.blockN = n.block[:0], 0
	n.other()
}

// tokenDepth follows goccy's tokens.
func tokenDepth(tokens token.Tokens, n *nesting) {
	anchorName := false // the token after an anchor is its name
	for i, tk := range tokens {
		if n.err != nil {
			return
		}
		p := tk.Position
		if p == nil || tk.Type == token.CommentType {
			continue
		}
		prop := false
		switch tk.Type {
		case token.SequenceStartType:
			n.open('[', p.Line, p.Column)
		case token.MappingStartType:
			n.open('{', p.Line, p.Column)
		case token.SequenceEndType:
			n.close('[')
			n.value()
		case token.MappingEndType:
			n.close('{')
			n.value()
		case token.DocumentHeaderType:
			n.document()
		case token.DocumentEndType, token.CollectEntryType:
			n.other()
		case token.SequenceEntryType, token.MappingKeyType:
			if len(n.flow) == 0 {
				n.entry(p.Column, tk.Type == token.SequenceEntryType, p.Line, p.Column)
			} else {
				n.other()
			}
		case token.MappingValueType:
			if len(n.flow) == 0 {
				key := p
				if i > 0 && isKeyToken(tokens[i-1]) && tokens[i-1].Position.Line == p.Line {
					key = tokens[i-1].Position
				}
				n.entry(key.Column, false, key.Line, key.Column)
			} else {
				n.other()
			}
		case token.TagType:
			prop = true
		case token.AnchorType:
			prop, anchorName = true, true
			if dangling(tokens, i) {
				n.dangle(p.Line, p.Column)
			}
			continue
		default:
			if anchorName {
				prop = true
			} else {
				n.value()
			}
		}
		anchorName = false
		if prop && dangling(tokens, i) {
			n.dangle(p.Line, p.Column)
		}
	}
}

// dangling says whether the token after tokens[i] (comments aside) is on a
// later line.
func dangling(tokens token.Tokens, i int) bool {
	line := tokens[i].Position.Line
	for _, tk := range tokens[i+1:] {
		if tk.Position == nil || tk.Type == token.CommentType {
			continue
		}
		return tk.Position.Line > line
	}
	return false
}

// isKeyToken says whether a token before ":" is the key itself rather than
// an indicator (an empty key).
func isKeyToken(tk *token.Token) bool {
	if tk == nil || tk.Position == nil {
		return false
	}
	switch tk.Type {
	case token.SequenceEntryType, token.MappingKeyType, token.MappingValueType,
		token.SequenceStartType, token.MappingStartType, token.CollectEntryType,
		token.CommentType, token.DocumentHeaderType, token.DocumentEndType:
		return false
	}
	return true
}
