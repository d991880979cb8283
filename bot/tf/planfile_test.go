package tf

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// savedPlan writes a plan file and its record in dir, as Plan would.
func savedPlan(t *testing.T, dir string, content []byte) *Plan {
	t.Helper()
	file := filepath.Join(dir, "20261129T000000.000000000Z-abcdef12.tfplan")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Plan{
		Env:             "dev",
		File:            file,
		TextFile:        file + ".txt",
		FileSHA256:      sha256Hex(content),
		SpecSHA256:      sha256Hex([]byte("{}")),
		TerraformSHA256: sha256Hex([]byte("tree")),
		Inputs:          map[string]string{"policy": sha256Hex([]byte("rules"))},
	}
	if err := p.save(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadPlanRefusesMalformedRecords(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(m map[string]any)
		wants string
	}{
		{"a short file hash is an error, not a panic", func(m map[string]any) { m["file_sha256"] = "abc" }, `file_sha256 "abc" is not a sha256`},
		{"an empty file hash is an error", func(m map[string]any) { m["file_sha256"] = "" }, `file_sha256 "" is not a sha256`},
		{"an empty spec hash is an error", func(m map[string]any) { m["spec_sha256"] = "" }, `spec_sha256 "" is not a sha256`},
		{"a JSON file without its hash is an error", func(m map[string]any) { m["json_file"] = "x.json"; m["json_sha256"] = "12" }, `json_sha256 "12" is not a sha256`},
		{"an environment name with a path is an error", func(m map[string]any) { m["env"] = "../../etc" }, `env "../../etc" is not an environment name`},
		{"a head that is not a commit id is an error", func(m map[string]any) { m["head_sha"] = "main" }, `head_sha "main" is not a commit id`},
		{"an input hash that is not a sha256 is an error", func(m map[string]any) { m["inputs"] = map[string]string{"policy": "x"} }, `inputs.policy "x" is not a sha256`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := savedPlan(t, t.TempDir(), []byte("plan"))
			data, err := os.ReadFile(MetaPath(p.File))
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			tt.edit(m)
			data, _ = json.Marshal(m)
			if err := os.WriteFile(MetaPath(p.File), data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = LoadPlan(p.File)
			if err == nil || !strings.Contains(err.Error(), "malformed record: "+tt.wants) {
				t.Fatalf("LoadPlan error = %v, want %q", err, tt.wants)
			}
		})
	}
}

func TestLoadPlanRefusesALinkedRecord(t *testing.T) {
	dir := t.TempDir()
	p := savedPlan(t, dir, []byte("plan"))
	other := filepath.Join(t.TempDir(), "x.tfplan")
	if err := os.Symlink(MetaPath(p.File), MetaPath(other)); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPlan(other); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("LoadPlan of a linked record: %v, want refused as a symbolic link", err)
	}
}

func TestApplyChecksTheFileGivenNotTheOneTheRecordNames(t *testing.T) {
	original := savedPlan(t, t.TempDir(), []byte(strings.Repeat("a real plan file ", 100)))
	// A copy of the record beside a truncated plan file elsewhere.
	elsewhere := t.TempDir()
	truncated := filepath.Join(elsewhere, filepath.Base(original.File))
	if err := os.WriteFile(truncated, []byte("17 bytes of plan."), 0o600); err != nil {
		t.Fatal(err)
	}
	meta, err := os.ReadFile(MetaPath(original.File))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(MetaPath(truncated), meta, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPlan(truncated)
	if err != nil {
		t.Fatal(err)
	}
	if p.File != truncated {
		t.Fatalf("loaded plan file = %s, want the file given (%s)", p.File, truncated)
	}
	r := &Runner{opts: Options{WorkDir: t.TempDir()}}
	_, err = r.Apply(context.Background(), ApplyRequest{Plan: p})
	if !errors.Is(err, ErrStalePlan) || !strings.Contains(err.Error(), "not the one reviewed") {
		t.Fatalf("apply of a truncated copy: %v, want refused as not the one reviewed", err)
	}
}

func TestApplyRefusesChangedInputsBeforeRunningTerraform(t *testing.T) {
	dir := t.TempDir()
	p := savedPlan(t, dir, []byte("plan"))
	p.HeadSHA = strings.Repeat("a", 40)
	r := &Runner{opts: Options{WorkDir: t.TempDir()}}
	tests := []struct {
		name string
		req  ApplyRequest
		want string
	}{
		{"another commit", ApplyRequest{HeadSHA: strings.Repeat("b", 40), Inputs: p.Inputs}, "the plan was made for commit aaaaaaaaaaaa, not bbbbbbbbbbbb"},
		{"changed rules", ApplyRequest{Inputs: map[string]string{"policy": sha256Hex([]byte("other rules"))}}, "policy changed since the plan was made"},
		{"rules not given", ApplyRequest{}, "the plan was reviewed with policy"},
		{"changed spec", ApplyRequest{TFVars: []byte(`{"x":1}`), Inputs: p.Inputs}, "environments/dev.yaml changed since the plan was made"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Plan = p
			_, err := r.Apply(context.Background(), tt.req)
			if !errors.Is(err, ErrStalePlan) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want stale: %q", err, tt.want)
			}
		})
	}
}

func TestTerraformsOwnStaleRefusalIsRecognised(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{"exit status 1\n\nError: Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed by another operation after the plan was created.", true},
		{"exit status 1\n\nError: creating ECS Service: InvalidParameterException", false},
	}
	for _, tt := range tests {
		if got := isTerraformStale(errors.New(tt.msg)); got != tt.want {
			t.Errorf("isTerraformStale(%q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
}
