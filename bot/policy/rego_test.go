package policy

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRegoRules runs the test_ rules of policy/*_test.rego, with builtin
// errors raised as in production.
func TestRegoRules(t *testing.T) {
	mods, store, err := tester.Load([]string{policyDir}, nil)
	if err != nil {
		t.Fatalf("load %s: %v", policyDir, err)
	}
	ch, err := tester.NewRunner().SetDefaultRegoVersion(ast.RegoV1).SetModules(mods).SetStore(store).
		RaiseBuiltinErrors(true).RunTests(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := range ch {
		n++
		if !r.Pass() {
			t.Errorf("%s.%s (%s): %v", r.Package, r.Name, r.Location, r.String())
		}
	}
	if n == 0 {
		t.Fatal("no Rego tests found")
	}
	t.Logf("%d Rego tests", n)
}
