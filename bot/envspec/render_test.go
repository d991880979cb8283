package envspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestRenderGolden(t *testing.T) {
	for _, file := range []string{devFile, stagingFile} {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			spec, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := spec.Render()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "render", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Render() differs from %s (run with -update after checking):\n%s", golden, got)
			}
		})
	}
}

func TestTFVarsMatchesRender(t *testing.T) {
	spec, err := Load(devFile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := spec.Render()
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	if got := spec.TFVars(); !reflect.DeepEqual(got, want) {
		t.Errorf("TFVars() = %v\nRender() = %v", got, want)
	}
}

func TestSchemaIsCommitted(t *testing.T) {
	const committed = "../../environments/schema.json"
	if *update {
		if err := os.WriteFile(committed, Schema(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Schema(), want) {
		t.Errorf("%s is not Schema(); run go test ./bot/envspec -run TestSchemaIsCommitted -update", committed)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// yamlInstance turns a YAML file into the JSON value an editor validates.
func yamlInstance(t *testing.T, file string) any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSchemaAgreesWithDecode: editors using the schema accept what the bot
// accepts, and reject the bad specs whose rule a schema can express.
func TestSchemaAgreesWithDecode(t *testing.T) {
	sch := compileSchema(t)
	for _, file := range []string{devFile, stagingFile, "testdata/dev-pre-scale-down.yaml"} {
		if err := sch.Validate(yamlInstance(t, file)); err != nil {
			t.Errorf("schema rejects %s: %v", file, err)
		}
	}
	rejected := []string{
		"unknown-top", "unknown-nested", "unknown-section-key", "int-not-number", "int-quoted", "int-float",
		"bool-yes", "string-number", "section-scalar", "section-null", "services-list", "fargate-pair", "fargate-pair-step",
		"fargate-pair-range", "cpu-invalid", "cidr-malformed", "cidr-prefix", "cidr-ipv6", "desired-negative",
		"desired-too-high", "unknown-region", "name-invalid", "missing-required", "missing-section", "missing-cpu",
		"nat-invalid", "azs-range", "arch-invalid", "pattern-private", "pattern-no-slash", "log-retention",
		"service-name", "too-many-services", "no-services", "health-no-slash", "port-zero", "budget-negative",
		"storage-range", "instance-class", "node-type", "alias-merge",
	}
	for _, name := range rejected {
		if err := sch.Validate(yamlInstance(t, filepath.Join("testdata", "bad", name+".yaml"))); err == nil {
			t.Errorf("schema accepts testdata/bad/%s.yaml, which Decode rejects", name)
		}
	}
}

func TestLoadDir(t *testing.T) {
	t.Run("the real environments load in name order", func(t *testing.T) {
		specs, err := LoadDir("../../environments")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range specs {
			names = append(names, s.Name)
		}
		if !slices.Equal(names, []string{"dev", "staging"}) {
			t.Errorf("names = %v", names)
		}
	})
	t.Run("overlapping VPC ranges are reported at the later file's vpc_cidr", func(t *testing.T) {
		dir := t.TempDir()
		dev, err := os.ReadFile(devFile)
		if err != nil {
			t.Fatal(err)
		}
		qa := bytes.Replace(bytes.Replace(dev, []byte("name: dev"), []byte("name: qa"), 1), []byte("10.0.0.0/16"), []byte("10.0.128.0/20"), 1)
		writeFile(t, filepath.Join(dir, "dev.yaml"), dev)
		writeFile(t, filepath.Join(dir, "qa.yaml"), qa)
		writeFile(t, filepath.Join(dir, "schema.json"), []byte("{}"))
		_, err = LoadDir(dir)
		var errs Errors
		if !errors.As(err, &errs) || len(errs) != 1 {
			t.Fatalf("err = %v", err)
		}
		want := filepath.Join(dir, "qa.yaml") + `:6:13: network.vpc_cidr: 10.0.128.0/20 overlaps 10.0.0.0/16 of environment "dev" (` +
			filepath.Join(dir, "dev.yaml") + ":6:13); choose a range that overlaps no other environment's VPC"
		if errs[0].Error() != want {
			t.Errorf("got  %s\nwant %s", errs[0], want)
		}
	})
	t.Run("a name used twice is reported at the later file's name", func(t *testing.T) {
		dir := t.TempDir()
		dev, err := os.ReadFile(devFile)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "dev.yaml"), dev)
		writeFile(t, filepath.Join(dir, "qa.yaml"), bytes.Replace(dev, []byte("10.0.0.0/16"), []byte("10.9.0.0/16"), 1))
		_, err = LoadDir(dir)
		want := filepath.Join(dir, "qa.yaml") + `:3:7: name: "dev" is already the name of the environment in ` + filepath.Join(dir, "dev.yaml") + ":3:7; environment names must be unique"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got:\n%v\nwant a line:\n%s", err, want)
		}
	})
	t.Run("a .yml file is an error, not an environment silently left out", func(t *testing.T) {
		dir := t.TempDir()
		dev, err := os.ReadFile(devFile)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "dev.yaml"), dev)
		writeFile(t, filepath.Join(dir, "qa.yml"), []byte("name: qa\n"))
		_, err = LoadDir(dir)
		want := filepath.Join(dir, "qa.yml") + ":1:1: name: environment files must end in .yaml; rename it to qa.yaml"
		if err == nil || err.Error() != want {
			t.Errorf("got:\n%v\nwant:\n%s", err, want)
		}
	})
	t.Run("errors of every file are reported together", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a.yaml"), []byte("name: a1\n"))
		writeFile(t, filepath.Join(dir, "b.yaml"), []byte(""))
		_, err := LoadDir(dir)
		var errs Errors
		if !errors.As(err, &errs) {
			t.Fatalf("err = %v", err)
		}
		files := map[string]bool{}
		for _, e := range errs {
			files[filepath.Base(e.File)] = true
		}
		if !files["a.yaml"] || !files["b.yaml"] {
			t.Errorf("errors = %v", errs)
		}
	})
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
