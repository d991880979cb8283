// Package policy evaluates the Rego rules of policy/*.rego over one
// environment's spec, terraform plan, cost estimate, pull request and release,
// and turns their findings into verdicts: denies block apply, warnings are
// reported, and an owner may override a deny for one pull request.
//
// It fails closed: a rule file that does not compile, a rule that errors, or
// an input that cannot be built is an error, and the change cannot be applied.
// It is not for rendering (bot/report) nor for computing cost (bot/cost).
package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/valyala/fastjson"

	"github.com/gitops-bot/gitops/internal/safefile"
)

// query collects the deny and warn sets of every package under
// data.gitops.rules; a package need not define both.
const query = `deny := [d | d := data.gitops.rules[_].deny[_]]
warn := [w | w := data.gitops.rules[_].warn[_]]`

// withheld are builtins a policy must not call: they reach outside the
// evaluation, which would make verdicts depend on more than the input.
var withheld = map[string]bool{"http.send": true, "net.lookup_ip_addr": true, "opa.runtime": true}

// Engine holds the compiled rules; it is safe for concurrent use and meant
// to be built once and reused for every evaluation.
type Engine struct {
	query  rego.PreparedEvalQuery
	files  []string
	owners Owners
	// parsers reuse their buffers between evaluations (plans are large).
	parsers fastjson.ParserPool
}

// Option configures an Engine.
type Option func(*Engine)

// WithOwners sets who may override which rule.
func WithOwners(o Owners) Option { return func(e *Engine) { e.owners = o } }

// maxRuleFiles bounds how many rule files are read (the repository has 9),
// and maxRuleSize each of them (the largest is under 10 KB): the policy
// directory of a pull request is outside input.
const (
	maxRuleFiles = 100
	maxRuleSize  = 1 << 20
)

// LoadDir loads every *.rego file of dir except the *_test.rego files.
// Errors name files as dir/<file>:<line>. Each file is read through
// safefile: one that is a symbolic link or not a regular file, or is over
// 1 MiB, is refused without being read, and so is a dir that is itself a
// symbolic link (os.DirFS would follow both).
func LoadDir(ctx context.Context, dir string, opts ...Option) (*Engine, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("load policy: %s is not a directory (a symbolic link is refused); it must be the directory itself", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list policy files in %s: %w", dir, err)
	}
	names := make([]string, 0, len(entries))
	for _, en := range entries {
		names = append(names, en.Name())
	}
	names, err = ruleFiles(names, dir)
	if err != nil {
		return nil, err
	}
	srcs := make([]source, 0, len(names))
	for _, n := range names {
		src, err := safefile.ReadFile(filepath.Join(dir, n), maxRuleSize)
		if err != nil {
			return nil, fmt.Errorf("read policy: %w", err)
		}
		srcs = append(srcs, source{path.Join(dir, n), src})
	}
	return compile(ctx, srcs, opts)
}

// Load loads every *.rego file at the root of fsys except the *_test.rego
// files, compiles them and prepares the query once. label prefixes the file
// names in errors (e.g. "policy" gives "policy/rds.rego:12: ...").
func Load(ctx context.Context, fsys fs.FS, label string, opts ...Option) (*Engine, error) {
	all, err := fs.Glob(fsys, "*")
	if err != nil {
		return nil, fmt.Errorf("list policy files in %s: %w", label, err)
	}
	names, err := ruleFiles(all, label)
	if err != nil {
		return nil, err
	}
	srcs := make([]source, 0, len(names))
	for _, n := range names {
		src, err := readRule(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("read policy %s: %w", path.Join(label, n), err)
		}
		srcs = append(srcs, source{path.Join(label, n), src})
	}
	return compile(ctx, srcs, opts)
}

// ruleFiles keeps the *.rego names that are not *_test.rego, sorted, and
// refuses none or too many.
func ruleFiles(names []string, label string) ([]string, error) {
	names = slices.DeleteFunc(names, func(n string) bool {
		ok, _ := path.Match("*.rego", n)
		return !ok || strings.HasSuffix(n, "_test.rego")
	})
	slices.Sort(names)
	switch {
	case len(names) == 0:
		return nil, fmt.Errorf("no policy files (*.rego) in %s", label)
	case len(names) > maxRuleFiles:
		return nil, fmt.Errorf("%d policy files (*.rego) in %s; at most %d are read", len(names), label, maxRuleFiles)
	}
	return names, nil
}

// readRule reads one rule file of fsys, at most maxRuleSize bytes of it.
func readRule(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() || fi.Size() > maxRuleSize {
		return nil, fmt.Errorf("not a regular file of at most %d bytes", maxRuleSize)
	}
	src, err := io.ReadAll(io.LimitReader(f, maxRuleSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > maxRuleSize {
		return nil, fmt.Errorf("more than %d bytes", maxRuleSize)
	}
	return src, nil
}

// source is one rule file: its name for errors, and its text.
type source struct {
	file string
	src  []byte
}

// compile parses the rule files and prepares the query once.
func compile(ctx context.Context, srcs []source, opts []Option) (*Engine, error) {
	e := &Engine{}
	for _, o := range opts {
		o(e)
	}
	ropts := []func(*rego.Rego){
		rego.Query(query),
		rego.StrictBuiltinErrors(true),
		rego.Capabilities(capabilities()),
		rego.SetRegoVersion(ast.RegoV1),
	}
	for _, s := range srcs {
		// Parsed here rather than by rego.Module so that syntax errors keep
		// their ast.Errors type (and with it file and line).
		mod, err := ast.ParseModuleWithOpts(s.file, string(s.src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, located("parse policy", err)
		}
		e.files = append(e.files, s.file)
		ropts = append(ropts, rego.ParsedModule(mod))
	}
	pq, err := rego.New(ropts...).PrepareForEval(ctx)
	if err != nil {
		return nil, located("load policy", err)
	}
	e.query = pq
	return e, nil
}

// Files returns the policy files the engine was built from.
func (e *Engine) Files() []string { return slices.Clone(e.files) }

func capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(c.Builtins, func(b *ast.Builtin) bool { return withheld[b.Name] })
	return c
}

// Evaluate runs the rules over in and applies the requested overrides. On
// error the returned Result is not allowed and carries the error text, so
// callers that only render the result still show "cannot apply".
func (e *Engine) Evaluate(ctx context.Context, in Input, overrides []Override) (Result, error) {
	res := Result{Environment: in.Environment}
	vs, err := e.verdicts(ctx, in)
	if err != nil {
		res.Error = err.Error()
		return res, err
	}
	res.Overrides = applyOverrides(vs, in.PR, overrides, e.owners)
	res.Verdicts = vs
	res.Allowed = len(res.Denied()) == 0
	return res, nil
}

func (e *Engine) verdicts(ctx context.Context, in Input) ([]Verdict, error) {
	v, err := in.value(&e.parsers)
	if err != nil {
		return nil, err
	}
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(v))
	if err != nil {
		return nil, located("evaluate policy", err)
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("evaluate policy: %d results, want 1", len(rs))
	}
	var out []Verdict
	for _, level := range []Level{Deny, Warn} {
		found, ok := rs[0].Bindings[string(level)].([]any)
		if !ok {
			return nil, fmt.Errorf("evaluate policy: %s is %T, want a list", level, rs[0].Bindings[string(level)])
		}
		for _, f := range found {
			v, err := toVerdict(level, f)
			if err != nil {
				return nil, fmt.Errorf("evaluate policy: %w", err)
			}
			out = append(out, v)
		}
	}
	sortVerdicts(out)
	return out, nil
}

// toVerdict reads one element of a deny or warn set. A malformed element is
// an error rather than a skipped finding.
func toVerdict(level Level, x any) (Verdict, error) {
	m, ok := x.(map[string]any)
	if !ok {
		return Verdict{}, fmt.Errorf("%s element %v is not an object {rule, msg, address}", level, x)
	}
	v := Verdict{Level: level}
	v.Rule, _ = m["rule"].(string)
	v.Message, _ = m["msg"].(string)
	v.Address, _ = m["address"].(string)
	if v.Rule == "" || v.Message == "" {
		return Verdict{}, fmt.Errorf("%s element %v lacks a rule or msg string", level, x)
	}
	return v, nil
}

// located rewrites OPA's compile and evaluation errors as one
// "file:line: code: message" per line, which already says what failed and
// where; other errors are wrapped with what was being done.
func located(doing string, err error) error {
	var astErrs ast.Errors
	if errors.As(err, &astErrs) {
		lines := make([]string, 0, len(astErrs))
		for _, e := range astErrs {
			lines = append(lines, e.Error())
		}
		return &Error{Lines: lines, err: err}
	}
	var topErr *topdown.Error
	if errors.As(err, &topErr) {
		return &Error{Lines: []string{topErr.Error()}, err: err}
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// Error is a policy that cannot be compiled or evaluated; each line names
// the file and line ("policy/rds.rego:12: rego_type_error: ...").
type Error struct {
	Lines []string
	err   error
}

func (e *Error) Error() string { return strings.Join(e.Lines, "\n") }

func (e *Error) Unwrap() error { return e.err }
