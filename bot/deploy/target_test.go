package deploy_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/deploy"
)

// stackOutputs are values of terraform/stack/outputs.tf as `terraform output
// -json` prints them for staging.
const stackOutputs = `{
  "alb_dns_name": "staging-alb-1234567890.us-east-1.elb.amazonaws.com",
  "cluster_name": "staging-inventory",
  "ecs_cluster_name": "staging-inventory",
  "ecr_repository_urls": {
    "api-gateway": "123456789012.dkr.ecr.us-east-1.amazonaws.com/inventory-management/api-gateway",
    "ui": "123456789012.dkr.ecr.us-east-1.amazonaws.com/inventory-management/ui"
  },
  "ecs_security_group_id": "sg-0123456789abcdef0",
  "migration_task_definition_arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/staging-inventory-migrate:1",
  "migration_task_family": "staging-inventory-migrate",
  "private_subnet_ids": ["subnet-0a", "subnet-0b"],
  "spec": {
    "name": "staging", "region": "us-east-1",
    "services": {
      "api-gateway": {"cpu": 512, "memory": 1024, "desired_count": 2, "port": 8000, "public": true, "path_pattern": "/api/*"},
      "ui": {"cpu": 256, "memory": 512, "desired_count": 2, "port": 80, "public": true},
      "user": {"cpu": 256, "memory": 512, "desired_count": 2, "port": 8000, "public": false}
    }
  },
  "task_definition_arns": {"api-gateway": "arn:aws:ecs:us-east-1:123456789012:task-definition/staging-inventory-api-gateway:1"},
  "task_definition_families": {
    "api-gateway": "staging-inventory-api-gateway",
    "ui": "staging-inventory-ui",
    "user": "staging-inventory-user"
  }
}`

func outputsOf(t *testing.T, doc string) map[string]json.RawMessage {
	t.Helper()
	var out map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTargetFromOutputs(t *testing.T) {
	target, err := deploy.TargetFromOutputs("staging", outputsOf(t, stackOutputs))
	if err != nil {
		t.Fatal(err)
	}
	if err := target.Validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
	want := deploy.ServiceTarget{Service: "api-gateway", Family: "staging-inventory-api-gateway", Container: "api-gateway", Public: true}
	if got := target.Services["api-gateway"]; got.Service != want.Service || got.Family != want.Family || got.Container != want.Container || !got.Public || len(got.TargetGroupARNs) != 0 {
		t.Errorf("api-gateway = %+v, want %+v", got, want)
	}
	if target.Services["user"].Public {
		t.Error("user is public")
	}
	if target.Cluster != "staging-inventory" || target.Region != "us-east-1" || target.Registry != "123456789012.dkr.ecr.us-east-1.amazonaws.com" ||
		target.Migration != (deploy.TaskTarget{Family: "staging-inventory-migrate", Container: "migrate"}) ||
		strings.Join(target.Subnets, ",") != "subnet-0a,subnet-0b" || strings.Join(target.SecurityGroups, ",") != "sg-0123456789abcdef0" ||
		target.BaseURL != "http://staging-alb-1234567890.us-east-1.elb.amazonaws.com" || len(target.Alarms) != 0 {
		t.Errorf("target = %+v", target)
	}

	t.Run("target group ARNs and alarm names are read once the stack has them", func(t *testing.T) {
		outs := outputsOf(t, stackOutputs)
		outs["target_group_arns"] = json.RawMessage(`{"ui": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/staging-ui-80/abc"}`)
		outs["alarm_names"] = json.RawMessage(`["staging-inventory-alb-5xx"]`)
		target, err := deploy.TargetFromOutputs("staging", outs)
		if err != nil {
			t.Fatal(err)
		}
		if got := target.Services["ui"].TargetGroupARNs; len(got) != 1 || !strings.HasSuffix(got[0], "staging-ui-80/abc") {
			t.Errorf("ui target groups %q", got)
		}
		if len(target.Alarms) != 1 {
			t.Errorf("alarms %q", target.Alarms)
		}
	})

	t.Run("every missing or malformed output is reported at once", func(t *testing.T) {
		outs := outputsOf(t, stackOutputs)
		delete(outs, "cluster_name")
		delete(outs, "ecs_cluster_name")
		delete(outs, "migration_task_family")
		outs["private_subnet_ids"] = json.RawMessage(`"subnet-0a"`)
		_, err := deploy.TargetFromOutputs("staging", outs)
		for _, want := range []string{"output ecs_cluster_name is missing", "output migration_task_family is missing", "output private_subnet_ids: json: cannot unmarshal string"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want it to contain %q", err, want)
			}
		}
	})
}

func TestTargetValidate(t *testing.T) {
	err := (&deploy.Target{Env: "dev", Services: map[string]deploy.ServiceTarget{"ui": {Service: "ui"}}, BaseURL: "alb.example.com"}).Validate()
	for _, want := range []string{"no cluster", "no ECR registry", `service ui: ECS service, task family and container are all needed (have "ui", "", "")`, "no subnets", `load balancer URL "alb.example.com" is not an http(s) URL`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to contain %q", err, want)
		}
	}
}

func TestParseOutputs(t *testing.T) {
	wrapped := `{
  "cluster_name": {"sensitive": false, "type": "string", "value": "staging-inventory"},
  "db_password": {"sensitive": true, "type": "string", "value": "hunter2"},
  "private_subnet_ids": {"sensitive": false, "type": ["tuple", ["string"]], "value": ["subnet-0a"]}
}`
	got, err := deploy.ParseOutputs([]byte(wrapped))
	if err != nil {
		t.Fatal(err)
	}
	if string(got["cluster_name"]) != `"staging-inventory"` || string(got["private_subnet_ids"]) != `["subnet-0a"]` {
		t.Errorf("values %s", got)
	}
	if _, ok := got["db_password"]; ok {
		t.Error("a sensitive output was kept")
	}
	plain, err := deploy.ParseOutputs([]byte(stackOutputs))
	if err != nil || string(plain["cluster_name"]) != `"staging-inventory"` {
		t.Errorf("plain values: %v %s", err, plain["cluster_name"])
	}
	for _, bad := range []string{``, `[]`, `null`, `{"a":`} {
		if _, err := deploy.ParseOutputs([]byte(bad)); err == nil {
			t.Errorf("ParseOutputs(%q) accepted it", bad)
		}
	}
}

func FuzzTargetFromOutputs(f *testing.F) {
	f.Add([]byte(stackOutputs))
	f.Add([]byte(`{"cluster_name": {"type": "string", "value": 1}}`))
	f.Add([]byte(`{"spec": {"services": {"ui": {"public": "yes"}}}, "ecr_repository_urls": {"a": "x/y", "b": "z/y"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		outs, err := deploy.ParseOutputs(data)
		if err != nil {
			return
		}
		target, err := deploy.TargetFromOutputs("staging", outs)
		if err != nil {
			return
		}
		_ = target.Validate()
	})
}
