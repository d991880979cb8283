package tf

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

func TestRedactPlanHidesEveryValueMarkedSensitive(t *testing.T) {
	p := &tfjson.Plan{
		ResourceChanges: []*tfjson.ResourceChange{{
			Address: "module.elasticache.aws_elasticache_replication_group.this",
			Change: &tfjson.Change{
				Before:          map[string]any{"auth_token": "s3cr3t-before", "node_type": "cache.t3.micro"},
				After:           map[string]any{"auth_token": "s3cr3t-after", "node_type": "cache.t3.small", "tags": map[string]any{"k": "v"}},
				BeforeSensitive: map[string]any{"auth_token": true},
				AfterSensitive:  map[string]any{"auth_token": true, "tags": map[string]any{}},
			},
		}},
		ResourceDrift: []*tfjson.ResourceChange{{Change: &tfjson.Change{
			Before: map[string]any{"list": []any{"a", "s3cr3t-list"}}, BeforeSensitive: map[string]any{"list": []any{false, true}},
		}}},
		OutputChanges: map[string]*tfjson.Change{"token": {After: "s3cr3t-output", AfterSensitive: true}},
		PriorState: &tfjson.State{Values: &tfjson.StateValues{
			Outputs: map[string]*tfjson.StateOutput{"token": {Sensitive: true, Value: "s3cr3t-state-output"}},
			RootModule: &tfjson.StateModule{ChildModules: []*tfjson.StateModule{{Resources: []*tfjson.StateResource{{
				Address:         "module.elasticache.aws_elasticache_replication_group.this",
				AttributeValues: map[string]any{"auth_token": "s3cr3t-state", "port": 6379.0},
				SensitiveValues: json.RawMessage(`{"auth_token":true}`),
			}}}}},
		}},
		Variables: map[string]*tfjson.PlanVariable{"password": {Value: "s3cr3t-var"}, "name": {Value: "dev"}},
		Config: &tfjson.Config{RootModule: &tfjson.ConfigModule{Variables: map[string]*tfjson.ConfigVariable{
			"password": {Sensitive: true}, "name": {},
		}}},
	}
	redactPlan(p)
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "s3cr3t") {
		t.Fatalf("a sensitive value survived redaction:\n%s", data)
	}
	after := p.ResourceChanges[0].Change.After.(map[string]any)
	want := map[string]any{"auth_token": Redacted, "node_type": "cache.t3.small", "tags": map[string]any{"k": "v"}}
	if !reflect.DeepEqual(after, want) {
		t.Fatalf("values not marked sensitive changed: %v, want %v", after, want)
	}
	if got := p.PriorState.Values.RootModule.ChildModules[0].Resources[0].AttributeValues["port"]; got != 6379.0 {
		t.Fatalf("port = %v, want it kept", got)
	}
	if p.Variables["name"].Value != "dev" {
		t.Fatalf("a variable not marked sensitive was redacted")
	}
}
