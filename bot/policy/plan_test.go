package policy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The fast plan decoder must give the rules exactly what OPA's own JSON
// decoder gives them.
func TestDecodePlanAgreesWithOPA(t *testing.T) {
	for _, name := range []string{"staging-create", "dev-pre-scale-down-create", "dev-scale-down"} {
		t.Run(name, func(t *testing.T) {
			raw := realPlan(t, name)
			want, err := ast.ValueFromReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodePlan(raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Compare(want) != 0 {
				t.Error("decoded plan differs from ast.ValueFromReader's")
			}
		})
	}
	src := `{"format_version":"1.2","s":"a\"b\\u00e9\n","n":[0,-1.5e+3,12,1E2],"t":true,"f":false,"z":null,"o":{}}`
	want, _ := ast.ValueFromReader(strings.NewReader(src))
	got, err := decodePlan([]byte(src), nil)
	if err != nil || got.Compare(want) != 0 {
		t.Errorf("escapes and numbers: got %v (%v), want %v", got, err, want)
	}
}

func TestDecodePlanRefuses(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"not JSON", `{"format_version": "1.2",`, "cannot parse"},
		{"not an object", `["format_version"]`, "not a JSON object"},
		{"no format version", `{"resource_changes": []}`, "unexpected plan input"},
		{"format from another major version", `{"format_version": "2.0"}`, "unsupported plan format version"},
		{"NaN", `{"format_version": "1.2", "n": NaN}`, `invalid JSON number "NaN"`},
		{"leading zero", `{"format_version": "1.2", "n": [01]}`, `invalid JSON number "01"`},
		{"bare exponent", `{"format_version": "1.2", "n": 1e}`, `invalid JSON number "1e"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodePlan([]byte(tt.src), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestJSONNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "12": true, "1.5": true, "-1.5e10": true, "1E+2": true, "1e-2": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "+1": false, "1e": false,
		"1e+": false, "NaN": false, "Inf": false, "--1": false, "1.2.3": false,
	} {
		if got := jsonNumber(s); got != want {
			t.Errorf("jsonNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

// realPlans are `terraform show -json` of terraform/stack against the moto
// emulator, written by bot/tf's integration test (-write-plans).
const realPlans = "../tf/testdata/real"

func realPlan(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realPlans, name+".plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
