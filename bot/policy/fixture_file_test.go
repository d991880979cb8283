package policy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/plan_staging.json from the fixture builder")

// TestStagingPlanFile keeps testdata/plan_staging.json (used by the CLI
// tests and handy with `gitops policy check --plan`) equal to the builder.
func TestStagingPlanFile(t *testing.T) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(newStagingPlan()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "plan_staging.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is not what the fixture builder makes (run with -update)", path)
	}
}
