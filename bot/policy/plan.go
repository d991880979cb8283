package policy

import (
	"encoding/json"
	"errors"
	"fmt"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/valyala/fastjson"
)

// decodePlan checks the plan's format version (so that a plan from an
// incompatible terraform is refused instead of silently matching no rule)
// and converts it to the value the rules see as input.plan.
//
// The plan is most of the input (a third of a megabyte for a first plan of
// the stack, a megabyte once prior state is in it), and converting it was
// half the evaluation time with encoding/json to any and then to ast. It is
// parsed once with fastjson, which does not build Go maps, and its tree is
// converted straight to ast values. parsers may be nil; an Engine passes its
// pool so that the parser's buffers are reused between evaluations.
func decodePlan(raw []byte, parsers *fastjson.ParserPool) (ast.Value, error) {
	p := &fastjson.Parser{}
	if parsers != nil {
		p = parsers.Get()
		// The converter copies every string out of the parser's buffer, so
		// the parser can be reused as soon as conversion is done.
		defer parsers.Put(p)
	}
	v, err := p.ParseBytes(raw)
	if err != nil {
		return nil, err
	}
	if v.Type() != fastjson.TypeObject {
		return nil, errors.New("not a JSON object")
	}
	version := string(v.GetStringBytes("format_version"))
	if err := (&tfjson.Plan{FormatVersion: version}).Validate(); err != nil {
		return nil, err
	}
	c := converter{strings: map[string]*ast.Term{}}
	t, err := c.term(v)
	if err != nil {
		return nil, err
	}
	return t.Value, nil
}

// converter turns a parsed JSON value into ast terms. Strings are interned
// for the length of one plan: keys (after, after_unknown, tags_all…) and many
// values repeat on every resource, and OPA never mutates input terms (it
// shares its own interned terms the same way).
//
// fastjson is lenient where OPA's own decoder is not (it reads NaN, Inf and
// numbers such as "01" or "1."), so numbers are checked against the JSON
// grammar: the rules compare numbers.
type converter struct {
	strings map[string]*ast.Term
}

func (c *converter) str(b []byte) *ast.Term {
	if t, ok := c.strings[string(b)]; ok {
		return t
	}
	s := string(b)
	t := ast.StringTerm(s)
	c.strings[s] = t
	return t
}

func (c *converter) term(v *fastjson.Value) (*ast.Term, error) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		kvs := make([][2]*ast.Term, 0, o.Len())
		var err error
		o.Visit(func(k []byte, item *fastjson.Value) {
			if err != nil {
				return
			}
			var x *ast.Term
			if x, err = c.term(item); err == nil {
				kvs = append(kvs, [2]*ast.Term{c.str(k), x})
			}
		})
		if err != nil {
			return nil, err
		}
		return ast.NewTerm(ast.NewObject(kvs...)), nil
	case fastjson.TypeArray:
		items, _ := v.Array()
		terms := make([]*ast.Term, len(items))
		for i, item := range items {
			x, err := c.term(item)
			if err != nil {
				return nil, err
			}
			terms[i] = x
		}
		return ast.NewTerm(ast.NewArray(terms...)), nil
	case fastjson.TypeString:
		return c.str(v.GetStringBytes()), nil
	case fastjson.TypeNumber:
		n := string(v.MarshalTo(nil))
		if !jsonNumber(n) {
			return nil, fmt.Errorf("invalid JSON number %q", n)
		}
		if t := ast.InternedIntNumberTermFromString(n); t != nil {
			return t, nil
		}
		return ast.NumberTerm(json.Number(n)), nil
	case fastjson.TypeTrue:
		return ast.InternedTerm(true), nil
	case fastjson.TypeFalse:
		return ast.InternedTerm(false), nil
	default:
		return ast.InternedNullTerm, nil
	}
}

// jsonNumber reports whether s is a number as RFC 8259 writes it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
