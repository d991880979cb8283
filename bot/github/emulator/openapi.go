package emulator

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// openAPIYAML is the subset of GitHub's REST API the emulator serves; every
// call is routed and checked with it.
//
//go:embed openapi.yaml
var openAPIYAML []byte

const specURL = "file:///github-emulator/openapi.json"

// spec is the parsed OpenAPI description: its operations as routes with
// compiled request schemas.
type spec struct {
	ops []*operation
}

// operation is one method+path of the OpenAPI description.
type operation struct {
	ID       string
	Method   string
	Template string
	Resource string // x-resource: named in "Validation Failed" errors

	segments     []segment
	pathParams   map[string]*paramSpec
	queryParams  map[string]*paramSpec
	body         *jsonschema.Schema
	bodyRequired bool
	// security lists the accepted schemes; "" means anonymous calls are allowed.
	security []string
}

type segment struct {
	literal string
	param   string
	multi   bool // the parameter may span several path segments
}

type paramSpec struct {
	name   string
	typ    string // JSON type of the schema: string, integer, boolean
	schema *jsonschema.Schema
}

// loadSpec parses openapi.yaml and compiles every request schema in it.
func loadSpec() (*spec, error) {
	js, err := yaml.YAMLToJSON(openAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	var raw struct {
		Security   []map[string][]string     `json:"security"`
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Parameters map[string]json.RawMessage `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(specURL, doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	compile := func(pointer string) (*jsonschema.Schema, error) {
		s, err := c.Compile(specURL + "#" + pointer)
		if err != nil {
			return nil, fmt.Errorf("openapi.yaml: compile %s: %w", pointer, err)
		}
		return s, nil
	}
	// resolveParam follows a "$ref" to components/parameters and returns the
	// parameter and the JSON pointer of its schema.
	resolveParam := func(p json.RawMessage, at string) (param struct {
		Name   string         `json:"name"`
		In     string         `json:"in"`
		Schema map[string]any `json:"schema"`
	}, pointer string, err error) {
		var ref struct {
			Ref string `json:"$ref"`
		}
		if err := json.Unmarshal(p, &ref); err != nil {
			return param, "", err
		}
		if ref.Ref != "" {
			name, ok := strings.CutPrefix(ref.Ref, "#/components/parameters/")
			if !ok || raw.Components.Parameters[name] == nil {
				return param, "", fmt.Errorf("unresolvable parameter %s", ref.Ref)
			}
			p, at = raw.Components.Parameters[name], "/components/parameters/"+escapePointer(name)
		}
		err = json.Unmarshal(p, &param)
		return param, at + "/schema", err
	}

	s := &spec{}
	for tpl, item := range raw.Paths {
		itemJSON, _ := json.Marshal(item)
		var pi struct {
			Multi      []string          `json:"x-multi-segment"`
			Parameters []json.RawMessage `json:"parameters"`
		}
		if err := json.Unmarshal(itemJSON, &pi); err != nil {
			return nil, fmt.Errorf("openapi.yaml: path %s: %w", tpl, err)
		}
		itemPtr := "/paths/" + escapePointer(tpl)
		for method, opRaw := range item {
			if !slices.Contains([]string{"get", "post", "put", "patch", "delete"}, method) {
				continue
			}
			opJSON, _ := json.Marshal(opRaw)
			var o struct {
				ID          string                `json:"operationId"`
				Resource    string                `json:"x-resource"`
				Security    []map[string][]string `json:"security"`
				Parameters  []json.RawMessage     `json:"parameters"`
				RequestBody *struct {
					Required bool `json:"required"`
				} `json:"requestBody"`
			}
			if err := json.Unmarshal(opJSON, &o); err != nil {
				return nil, fmt.Errorf("openapi.yaml: %s %s: %w", method, tpl, err)
			}
			op := &operation{
				ID: o.ID, Method: strings.ToUpper(method), Template: tpl, Resource: o.Resource,
				pathParams: map[string]*paramSpec{}, queryParams: map[string]*paramSpec{},
			}
			opPtr := itemPtr + "/" + method
			type declared struct {
				raw     json.RawMessage
				pointer string
			}
			var params []declared
			for i, p := range pi.Parameters {
				params = append(params, declared{p, fmt.Sprintf("%s/parameters/%d", itemPtr, i)})
			}
			for i, p := range o.Parameters {
				params = append(params, declared{p, fmt.Sprintf("%s/parameters/%d", opPtr, i)})
			}
			for _, d := range params {
				p, ptr, err := resolveParam(d.raw, d.pointer)
				if err != nil {
					return nil, fmt.Errorf("openapi.yaml: %s %s: %w", method, tpl, err)
				}
				sch, err := compile(ptr)
				if err != nil {
					return nil, err
				}
				typ, _ := p.Schema["type"].(string)
				ps := &paramSpec{name: p.Name, typ: typ, schema: sch}
				switch p.In {
				case "path":
					op.pathParams[p.Name] = ps
				case "query":
					op.queryParams[p.Name] = ps
				}
			}
			if o.RequestBody != nil {
				op.bodyRequired = o.RequestBody.Required
				if op.body, err = compile(opPtr + "/requestBody/content/application~1json/schema"); err != nil {
					return nil, err
				}
			}
			security := raw.Security
			if o.Security != nil {
				security = o.Security
			}
			for _, req := range security {
				if len(req) == 0 {
					op.security = append(op.security, "")
				}
				for name := range req {
					op.security = append(op.security, name)
				}
			}
			for _, part := range strings.Split(strings.TrimPrefix(tpl, "/"), "/") {
				if name, ok := strings.CutPrefix(part, "{"); ok {
					name = strings.TrimSuffix(name, "}")
					if op.pathParams[name] == nil {
						return nil, fmt.Errorf("openapi.yaml: %s %s: path parameter %s is not declared", method, tpl, name)
					}
					op.segments = append(op.segments, segment{param: name, multi: slices.Contains(pi.Multi, name)})
				} else {
					op.segments = append(op.segments, segment{literal: part})
				}
			}
			s.ops = append(s.ops, op)
		}
	}
	// Deterministic order; more literal segments first so that the most
	// specific template wins.
	sort.Slice(s.ops, func(i, j int) bool {
		li, lj := s.ops[i].literals(), s.ops[j].literals()
		if li != lj {
			return li > lj
		}
		return s.ops[i].Template+s.ops[i].Method < s.ops[j].Template+s.ops[j].Method
	})
	return s, nil
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

func (op *operation) literals() int {
	n := 0
	for _, s := range op.segments {
		if s.literal != "" {
			n++
		}
	}
	return n
}

// match finds the operation for a method and an escaped request path and
// returns its path parameters, unescaped. pathKnown tells whether the path
// matched some operation with another method.
func (s *spec) match(method, escapedPath string) (op *operation, params map[string]string, pathKnown bool) {
	raw := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	parts := make([]string, len(raw))
	for i, p := range raw {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, nil, false
		}
		parts[i] = u
	}
	for _, o := range s.ops {
		params := map[string]string{}
		if !matchSegments(o.segments, parts, params) {
			continue
		}
		if o.Method != method {
			pathKnown = true
			continue
		}
		return o, params, true
	}
	return nil, nil, pathKnown
}

func matchSegments(segs []segment, parts []string, params map[string]string) bool {
	if len(segs) == 0 {
		return len(parts) == 0
	}
	if len(parts) == 0 {
		return false
	}
	s := segs[0]
	switch {
	case s.literal != "":
		return s.literal == parts[0] && matchSegments(segs[1:], parts[1:], params)
	case !s.multi:
		if parts[0] == "" {
			return false
		}
		params[s.param] = parts[0]
		return matchSegments(segs[1:], parts[1:], params)
	default:
		// The longest value first: trailing literals ("status") are rarer
		// than path segments of a ref or file name.
		for n := len(parts) - (len(segs) - 1); n >= 1; n-- {
			v := strings.Join(parts[:n], "/")
			if v == "" || strings.HasSuffix(v, "/") {
				continue
			}
			params[s.param] = v
			if matchSegments(segs[1:], parts[n:], params) {
				return true
			}
		}
		delete(params, s.param)
		return false
	}
}

// checkPath validates typed path parameters; a value that is not of its
// type makes the path unknown, as on GitHub (404).
func (op *operation) checkPath(params map[string]string) error {
	for name, v := range params {
		p := op.pathParams[name]
		if p == nil || p.typ != "integer" {
			continue
		}
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("path parameter %s: %q is not an integer", name, v)
		}
	}
	return nil
}

// checkQuery validates the declared query parameters present in q. Unknown
// parameters are ignored, as GitHub ignores them.
func (op *operation) checkQuery(q url.Values) []string {
	var problems []string
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := op.queryParams[name]
		if p == nil {
			continue
		}
		raw := q.Get(name)
		var v any = raw
		switch p.typ {
		case "integer":
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				problems = append(problems, fmt.Sprintf("query parameter %s: %q is not an integer", name, raw))
				continue
			}
			v = json.Number(strconv.FormatInt(n, 10))
		case "boolean":
			b, err := strconv.ParseBool(raw)
			if err != nil {
				problems = append(problems, fmt.Sprintf("query parameter %s: %q is not a boolean", name, raw))
				continue
			}
			v = b
		}
		if err := p.schema.Validate(v); err != nil {
			for _, d := range schemaProblems(err) {
				problems = append(problems, fmt.Sprintf("query parameter %s: %s", name, d.message))
			}
		}
	}
	return problems
}

// bodyProblem is one way a request body breaks its schema.
type bodyProblem struct {
	field     string // JSON pointer of the value, "" for the body itself
	message   string
	maxLength int // >0 when the problem is a string over its maxLength
}

// checkBody validates a request body. syntax is set when the body is not JSON.
func (op *operation) checkBody(body []byte) (problems []bodyProblem, syntax error) {
	if op.body == nil {
		return nil, nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if op.bodyRequired {
			return []bodyProblem{{message: "a request body is required"}}, nil
		}
		return nil, nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if err := op.body.Validate(v); err != nil {
		return schemaProblems(err), nil
	}
	return nil, nil
}

// schemaProblems flattens a validation error into its leaf causes.
func schemaProblems(err error) []bodyProblem {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []bodyProblem{{message: err.Error()}}
	}
	var out []bodyProblem
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		field := ""
		if len(e.InstanceLocation) > 0 {
			field = "/" + strings.Join(e.InstanceLocation, "/")
		}
		p := bodyProblem{field: field, message: strings.TrimSpace(fmt.Sprint(e.ErrorKind))}
		switch k := e.ErrorKind.(type) {
		case *kind.MaxLength:
			p.maxLength = k.Want
			p.message = fmt.Sprintf("is too long (maximum is %d characters)", k.Want)
		case *kind.Enum:
			p.message = fmt.Sprintf("%s is not a member of %s", jsonText(k.Got), jsonText(k.Want))
		case *kind.Required:
			p.message = fmt.Sprintf("%s wasn't supplied", strings.Join(quoteAll(k.Missing), ", "))
		case *kind.Type:
			p.message = fmt.Sprintf("%s is not of type %s", k.Got, strings.Join(k.Want, " or "))
		case *kind.MaxItems:
			p.message = fmt.Sprintf("has %d items, more than the maximum of %d", k.Got, k.Want)
		}
		out = append(out, p)
	}
	walk(ve)
	return out
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}
