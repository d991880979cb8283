package tf

import (
	"os"
	"reflect"
	"slices"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

func loadPlan(t *testing.T, path string) *tfjson.Plan {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p tfjson.Plan
	if err := p.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestSummarizeCountsLikeTerraform(t *testing.T) {
	s := Summarize(loadPlan(t, "testdata/scale-down.plan.json"))
	// terraform counts a replacement as one add and one destroy.
	if s.Add != 2 || s.Change != 1 || s.Destroy != 2 || s.Replace != 1 {
		t.Fatalf("counts = +%d ~%d -%d (replace %d), want +2 ~1 -2 (replace 1)", s.Add, s.Change, s.Destroy, s.Replace)
	}
	var addrs []string
	for _, r := range s.Resources {
		addrs = append(addrs, string(r.Action)+" "+r.Address)
	}
	want := []string{
		"delete aws_ecr_repository.old",
		"create aws_secretsmanager_secret.jwt_secret",
		`update module.ecs_service["api-gateway"].aws_ecs_service.this`,
		"replace module.rds.aws_db_instance.this",
	}
	if !reflect.DeepEqual(addrs, want) {
		t.Fatalf("resources = %q, want %q (no-op and data reads left out, sorted by address)", addrs, want)
	}
}

func TestSummarizeExplainsEachChange(t *testing.T) {
	s := Summarize(loadPlan(t, "testdata/scale-down.plan.json"))
	byAddr := map[string]ResourceChange{}
	for _, r := range s.Resources {
		byAddr[r.Address] = r
	}
	tests := []struct {
		name, address string
		attrs         []string
		reasons       []string
		causedBy      []SpecChange
	}{
		{
			name:     "desired count update names its attribute and the spec field behind it",
			address:  `module.ecs_service["api-gateway"].aws_ecs_service.this`,
			attrs:    []string{"desired_count: 3 → 1"},
			causedBy: []SpecChange{{Path: "services.api-gateway.desired_count", Before: "3", After: "1"}},
		},
		{
			name:     "replacement names the attribute forcing it and masks nothing it should not show",
			address:  "module.rds.aws_db_instance.this",
			reasons:  []string{"engine_version"},
			causedBy: []SpecChange{{Path: "database.engine_version", Before: "15", After: "16"}},
		},
		{
			name:    "root-module resources have no spec cause",
			address: "aws_secretsmanager_secret.jwt_secret",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := byAddr[tt.address]
			if !ok {
				t.Fatalf("%s missing from summary", tt.address)
			}
			if !reflect.DeepEqual(r.Attributes, tt.attrs) {
				t.Errorf("attributes = %q, want %q", r.Attributes, tt.attrs)
			}
			if !reflect.DeepEqual(r.ReplaceReasons, tt.reasons) {
				t.Errorf("replace reasons = %q, want %q", r.ReplaceReasons, tt.reasons)
			}
			if !reflect.DeepEqual(r.CausedBy, tt.causedBy) {
				t.Errorf("caused by = %v, want %v", r.CausedBy, tt.causedBy)
			}
		})
	}
}

func TestChangedAttributesMasksSensitiveAndUnknown(t *testing.T) {
	got := changedAttributes(&tfjson.Change{
		Before:          map[string]any{"password": "old", "arn": "a", "port": 1.0},
		After:           map[string]any{"password": "new", "port": 1.0},
		AfterUnknown:    map[string]any{"arn": true},
		BeforeSensitive: map[string]any{"password": true},
		AfterSensitive:  map[string]any{"password": true},
	})
	want := []string{"arn: a → (known after apply)", "password: (sensitive) → (sensitive)"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSpecChangesOnFirstApplyListEveryValue(t *testing.T) {
	p := &tfjson.Plan{OutputChanges: map[string]*tfjson.Change{
		"spec": {Before: nil, After: map[string]any{"name": "dev", "network": map[string]any{"azs": 2.0}}},
	}}
	got := specChanges(p)
	want := []SpecChange{{Path: "name", Before: "(none)", After: "dev"}, {Path: "network.azs", Before: "(none)", After: "2"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func created(addr, planned string) ResourceChange {
	return ResourceChange{Address: addr, Action: ActionCreate, Planned: planned}
}

func TestPlannedDigestSeesValuesButNotSecrets(t *testing.T) {
	change := func(count int, password string) *tfjson.Change {
		return &tfjson.Change{
			After:          map[string]any{"desired_count": float64(count), "password": password},
			AfterSensitive: map[string]any{"password": true},
		}
	}
	one := change(1, "hunter2")
	d := plannedDigest(one)
	if d == "" || d != plannedDigest(change(1, "correct horse")) {
		t.Errorf("a sensitive value changes the digest: %q", d)
	}
	if d == plannedDigest(change(2, "hunter2")) {
		t.Errorf("another desired_count gives the same digest %q", d)
	}
	if one.After.(map[string]any)["password"] != "hunter2" {
		t.Errorf("the digest masked the plan itself: %v", one.After)
	}
	if plannedDigest(&tfjson.Change{}) != "" {
		t.Errorf("a change without planned values has a digest")
	}
}

func TestDiffChanges(t *testing.T) {
	svc := func(addr string, a Action, attrs ...string) ResourceChange {
		return ResourceChange{Address: addr, Action: a, Attributes: attrs}
	}
	a, b, d := svc("a", ActionUpdate, "desired_count: 3 → 1"), svc("b", ActionUpdate, "desired_count: 2 → 1"), created("d", "planned")
	reviewed := Summary{Resources: []ResourceChange{a, b, d}}
	now := func(rs ...ResourceChange) Summary { return Summary{Resources: rs} }
	tests := []struct {
		name string
		now  Summary
		want []string
	}{
		{"the same changes in another order", now(d, b, a), nil},
		{"a resource no longer changing", now(a, d), []string{"b: update in the reviewed plan, unchanged now"}},
		{"another value", now(a, svc("b", ActionUpdate, "desired_count: 2 → 0"), d), []string{"b: changes desired_count: 2 → 0 now, desired_count: 2 → 1 in the reviewed plan"}},
		{"a replacement instead of an update", now(a, svc("b", ActionReplace), d), []string{"b: update in the reviewed plan, replace now"}},
		{"a resource added since", now(a, b, d, svc("c", ActionCreate)), []string{"c: create now, not in the reviewed plan"}},
		{"a resource created with other values", now(a, b, created("d", "other")), []string{"d: create with other values now than in the reviewed plan"}},
		{"a record from before digests compares by action and attributes", now(a, b, created("d", "")), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DiffChanges(reviewed, tt.now); !slices.Equal(got, tt.want) {
				t.Fatalf("DiffChanges = %q, want %q", got, tt.want)
			}
		})
	}
}
