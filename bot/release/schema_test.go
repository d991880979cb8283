package release

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"pgregory.net/rapid"
)

const committedSchema = "../../releases/schema.json"

func TestSchemaIsCommitted(t *testing.T) {
	if *update {
		if err := os.WriteFile(committedSchema, Schema(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(committedSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Schema(), want) {
		t.Errorf("%s is not Schema(); run go test ./bot/release -run TestSchemaIsCommitted -update", committedSchema)
	}
}

func compileSchema(t testing.TB) *jsonschema.Schema {
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

// instance turns YAML into the JSON value an editor validates.
func instance(t fataler, data []byte) any {
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

func TestSchemaAcceptsTheRealReleases(t *testing.T) {
	sch := compileSchema(t)
	for _, f := range []string{stagingFile, devFile} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("# yaml-language-server: $schema=./schema.json\n")) {
			t.Errorf("%s does not point editors at the schema on its first line", f)
		}
		if err := sch.Validate(instance(t, data)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// Editors using the schema accept every file the bot accepts.
func TestSchemaAcceptsGeneratedReleases(t *testing.T) {
	sch := compileSchema(t)
	rapid.Check(t, func(t *rapid.T) {
		text := writeRelease(t, genRelease().Draw(t, "release"))
		if err := sch.Validate(instance(t, []byte(text))); err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
	})
}

// The schema refuses what it can say is wrong, like the bot.
func TestSchemaRefuses(t *testing.T) {
	sch := compileSchema(t)
	base, err := os.ReadFile(stagingFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, from, to string }{
		{"an unknown key", "seed:", "sead:"},
		{"a version without its v", "version: v1.1.0", "version: 1.1.0"},
		{"a commit where tags are followed", "version: v1.1.0", "version: a1b2c3d"},
		{"a tag where main is followed", "environment: staging", "environment: staging\nfollows: main"},
		{"a digest that is not sha256", "sha256:5f246dc6", "sha1:5f246dc6"},
		{"the latest tag", "api-gateway, tag: v1.1.0", "api-gateway, tag: latest"},
		{"a registry in the repository", "repository: inventory-management/ui,", "repository: 1.dkr.ecr.us-east-1.amazonaws.com:443/ui,"},
		{"a relative smoke path", "{path: /health,", "{path: health,"},
		{"a status out of range", "status: 200, timeout: 10s}\n  - {path: /api", "status: 700, timeout: 10s}\n  - {path: /api"},
		{"a duration without a unit", "timeout: 10s}\n  - {path: /api", "timeout: 10}\n  - {path: /api"},
		{"an empty command", "command: [python, scripts/setup_default_roles.py]", "command: []"},
		{"a seed step without a name", "{name: roles, ", "{"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(base, []byte(tt.from)) {
				t.Fatalf("staging.yaml has no %q", tt.from)
			}
			data := []byte(strings.Replace(string(base), tt.from, tt.to, 1))
			if _, err := Decode("staging.yaml", data); err == nil {
				t.Fatalf("the bot accepts it")
			}
			if err := sch.Validate(instance(t, data)); err == nil {
				t.Errorf("the schema accepts it")
			}
		})
	}
}
