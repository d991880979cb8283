package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gitops-bot/gitops/bot/envspec"
)

// The fixture is a hand-built `terraform show -json` plan of the first apply
// of an environment: every resource is created, so ids are unknown and the
// rules must follow the configuration's references to tell which security
// group or subnet a resource uses.

type obj = map[string]any

// refs is a configuration expression that references other objects.
func refs(r ...string) obj { return obj{"references": r} }

func constant(v any) obj { return obj{"constant_value": v} }

type fixture struct {
	env     string
	changes []obj
	modules map[string]obj // module call name -> {"expressions", "module": {"resources", "outputs"}}
	root    []obj          // root module resource configs
}

var defaultTags = func(env string) obj {
	return obj{"Environment": env, "Project": "inventory-management", "ManagedBy": "gitops"}
}

// add records a created resource. module is "" for the root module, "name"
// or `name["key"]` otherwise; index is nil, an int or a string.
func (f *fixture) add(module, typ, name string, index any, after, unknown, exprs obj, taggable bool) {
	addr := typ + "." + name
	switch i := index.(type) {
	case int:
		addr += fmt.Sprintf("[%d]", i)
	case string:
		addr += fmt.Sprintf("[%q]", i)
	}
	rc := obj{"type": typ, "name": name, "mode": "managed", "provider_name": "registry.terraform.io/hashicorp/aws"}
	if index != nil {
		rc["index"] = index
	}
	if module != "" {
		rc["module_address"] = "module." + module
		addr = "module." + module + "." + addr
	}
	rc["address"] = addr
	if after == nil {
		after = obj{}
	}
	if unknown == nil {
		unknown = obj{}
	}
	after["id"] = nil
	unknown["id"] = true
	if taggable {
		after["tags"] = nil
		after["tags_all"] = defaultTags(f.env)
	}
	rc["change"] = obj{"actions": []string{"create"}, "before": nil, "after": after, "after_unknown": unknown,
		"before_sensitive": false, "after_sensitive": obj{}}
	f.changes = append(f.changes, rc)

	// One configuration entry per resource block, not per instance.
	call, _, _ := strings.Cut(module, "[")
	cfg := obj{"address": typ + "." + name, "mode": "managed", "type": typ, "name": name,
		"provider_config_key": "aws", "expressions": exprs, "schema_version": 0}
	if exprs == nil {
		cfg["expressions"] = obj{}
	}
	if call == "" {
		for _, c := range f.root {
			if c["address"] == cfg["address"] {
				return
			}
		}
		f.root = append(f.root, cfg)
		return
	}
	m := f.module(call).(obj)["module"].(obj)
	for _, c := range m["resources"].([]obj) {
		if c["address"] == cfg["address"] {
			return
		}
	}
	m["resources"] = append(m["resources"].([]obj), cfg)
}

func (f *fixture) module(name string) any {
	if f.modules[name] == nil {
		f.modules[name] = obj{"source": "../modules/" + strings.ReplaceAll(name, "_", "-"), "expressions": obj{},
			"module": obj{"resources": []obj{}, "outputs": obj{}}}
	}
	return f.modules[name]
}

func (f *fixture) call(name string, exprs obj, outputs obj) {
	m := f.module(name).(obj)
	m["expressions"] = exprs
	outs := obj{}
	for k, v := range outputs {
		outs[k] = obj{"expression": v}
	}
	m["module"].(obj)["outputs"] = outs
}

var fixtureServices = []struct {
	name       string
	cpu, mem   int
	port       int
	public     bool
	pathPrefix string
}{
	{"api-gateway", 512, 1024, 8000, true, "/api/*"},
	{"inventory", 512, 1024, 8000, false, ""},
	{"location", 512, 1024, 8000, false, ""},
	{"user", 256, 512, 8000, false, ""},
	{"reporting", 256, 512, 8000, false, ""},
	{"ui", 256, 512, 80, true, ""},
}

// stagingSpec is environments/staging.yaml of the contract, defaults filled.
func stagingSpec() *envspec.Spec {
	s := &envspec.Spec{
		Name:        "staging",
		Region:      "us-east-1",
		Network:     envspec.Network{VPCCIDR: "10.1.0.0/16", AZs: 2, NAT: "per_az"},
		Database:    envspec.Database{EngineVersion: "15", InstanceClass: "db.t3.small", StorageGB: 20, BackupRetentionDays: 7},
		Cache:       envspec.Cache{EngineVersion: "7.1", NodeType: "cache.t3.micro", Nodes: 1},
		Autoscaling: envspec.Autoscaling{MinTasks: 1, MaxTasks: 4, CPUTargetPercent: 70},
		Logs:        envspec.Logs{RetentionDays: 7},
		Budget:      envspec.Budget{MonthlyUSD: 200},
		Services:    map[string]*envspec.Service{},
	}
	for _, svc := range fixtureServices {
		s.Services[svc.name] = &envspec.Service{CPU: svc.cpu, Memory: svc.mem, DesiredCount: 2, Port: svc.port,
			Public: svc.public, HealthCheckPath: "/health", Architecture: "x86_64"}
	}
	return s
}

// newStagingPlan returns the plan of creating the staging stack (about 70
// resources).
func newStagingPlan() obj {
	f := &fixture{env: "staging", modules: map[string]obj{}}
	azs := []string{"us-east-1a", "us-east-1b"}

	// networking
	f.add("networking", "aws_vpc", "this", nil, obj{"cidr_block": "10.1.0.0/16", "enable_dns_hostnames": true, "enable_dns_support": true},
		nil, obj{"cidr_block": refs("var.vpc_cidr")}, true)
	f.add("networking", "aws_internet_gateway", "this", nil, obj{}, obj{"vpc_id": true}, obj{"vpc_id": refs("aws_vpc.this.id", "aws_vpc.this")}, true)
	for i, az := range azs {
		for j, tier := range []string{"public", "private", "database"} {
			f.add("networking", "aws_subnet", tier, i, obj{"availability_zone": az, "cidr_block": fmt.Sprintf("10.1.%d.0/24", j*10+i),
				"map_public_ip_on_launch": tier == "public", "vpc_id": nil}, obj{"vpc_id": true},
				obj{"vpc_id": refs("aws_vpc.this.id", "aws_vpc.this"), "availability_zone": refs("var.azs")}, true)
		}
		f.add("networking", "aws_eip", "nat", i, obj{"domain": "vpc"}, obj{"public_ip": true}, obj{"domain": constant("vpc")}, true)
		f.add("networking", "aws_nat_gateway", "this", i, obj{"connectivity_type": "public"}, obj{"allocation_id": true, "subnet_id": true},
			obj{"allocation_id": refs("aws_eip.nat"), "subnet_id": refs("aws_subnet.public")}, true)
		f.add("networking", "aws_route_table", "private", i, obj{}, obj{"vpc_id": true, "route": true}, obj{"vpc_id": refs("aws_vpc.this.id", "aws_vpc.this")}, true)
		f.add("networking", "aws_route_table_association", "private", i, obj{}, obj{"subnet_id": true, "route_table_id": true},
			obj{"subnet_id": refs("aws_subnet.private"), "route_table_id": refs("aws_route_table.private")}, false)
	}
	f.add("networking", "aws_route_table", "public", nil, obj{}, obj{"vpc_id": true, "route": true}, obj{"vpc_id": refs("aws_vpc.this.id", "aws_vpc.this")}, true)
	f.call("networking", obj{"vpc_cidr": refs("var.network.vpc_cidr", "var.network"), "azs": constant(2)}, obj{
		"vpc_id":              refs("aws_vpc.this.id", "aws_vpc.this"),
		"public_subnet_ids":   refs("aws_subnet.public"),
		"private_subnet_ids":  refs("aws_subnet.private"),
		"database_subnet_ids": refs("aws_subnet.database"),
	})

	// security: one SG per tier, rules as separate resources
	for _, sg := range []string{"alb", "ecs", "rds", "redis"} {
		f.add("security", "aws_security_group", sg, nil, obj{"name": "staging-inventory-" + sg, "revoke_rules_on_delete": false},
			obj{"vpc_id": true, "arn": true, "owner_id": true, "ingress": true, "egress": true},
			obj{"name": constant("staging-inventory-" + sg), "vpc_id": refs("var.vpc_id")}, true)
		f.add("security", "aws_vpc_security_group_egress_rule", sg+"_all", nil, obj{"cidr_ipv4": "0.0.0.0/0", "ip_protocol": "-1", "from_port": nil, "to_port": nil},
			obj{"security_group_id": true}, obj{"security_group_id": refs("aws_security_group."+sg+".id", "aws_security_group."+sg)}, true)
	}
	ingress := func(name, target string, port int, cidr, source string) {
		after := obj{"ip_protocol": "tcp", "from_port": port, "to_port": port, "cidr_ipv4": nil, "cidr_ipv6": nil, "referenced_security_group_id": nil}
		unknown := obj{"security_group_id": true, "arn": true, "security_group_rule_id": true}
		exprs := obj{"security_group_id": refs("aws_security_group."+target+".id", "aws_security_group."+target),
			"ip_protocol": constant("tcp"), "from_port": constant(port), "to_port": constant(port)}
		if cidr != "" {
			after["cidr_ipv4"] = cidr
			exprs["cidr_ipv4"] = constant(cidr)
		} else {
			unknown["referenced_security_group_id"] = true
			exprs["referenced_security_group_id"] = refs("aws_security_group."+source+".id", "aws_security_group."+source)
		}
		f.add("security", "aws_vpc_security_group_ingress_rule", name, nil, after, unknown, exprs, true)
	}
	ingress("alb_http", "alb", 80, "0.0.0.0/0", "")
	ingress("alb_https", "alb", 443, "0.0.0.0/0", "")
	ingress("ecs_from_alb_8000", "ecs", 8000, "", "alb")
	ingress("ecs_from_alb_80", "ecs", 80, "", "alb")
	ingress("ecs_from_ecs", "ecs", 8000, "", "ecs")
	ingress("rds_from_ecs", "rds", 5432, "", "ecs")
	ingress("redis_from_ecs", "redis", 6379, "", "ecs")
	f.call("security", obj{"vpc_id": refs("module.networking.vpc_id", "module.networking")}, obj{
		"alb_sg_id":   refs("aws_security_group.alb.id", "aws_security_group.alb"),
		"ecs_sg_id":   refs("aws_security_group.ecs.id", "aws_security_group.ecs"),
		"rds_sg_id":   refs("aws_security_group.rds.id", "aws_security_group.rds"),
		"redis_sg_id": refs("aws_security_group.redis.id", "aws_security_group.redis"),
	})

	// rds
	f.add("rds", "aws_db_subnet_group", "this", nil, obj{"name": "staging-inventory"}, obj{"subnet_ids": true}, obj{"subnet_ids": refs("var.subnet_ids")}, true)
	f.add("rds", "aws_db_instance", "this", nil, obj{
		"identifier": "staging-inventory", "engine": "postgres", "engine_version": "15", "instance_class": "db.t3.small",
		"allocated_storage": 20, "storage_type": "gp3", "storage_encrypted": true, "backup_retention_period": 7,
		"publicly_accessible": false, "multi_az": false, "skip_final_snapshot": false, "password_wo": nil, "password_wo_version": 1,
		"vpc_security_group_ids": nil,
	}, obj{"vpc_security_group_ids": true, "endpoint": true, "address": true, "kms_key_id": true, "db_subnet_group_name": true},
		obj{"vpc_security_group_ids": refs("var.security_group_id"), "db_subnet_group_name": refs("aws_db_subnet_group.this.name", "aws_db_subnet_group.this"),
			"storage_encrypted": constant(true), "publicly_accessible": constant(false), "backup_retention_period": refs("var.backup_retention_days")}, true)
	f.call("rds", obj{"security_group_id": refs("module.security.rds_sg_id", "module.security"),
		"subnet_ids": refs("module.networking.database_subnet_ids", "module.networking"), "backup_retention_days": refs("var.database.backup_retention_days", "var.database")},
		obj{"endpoint": refs("aws_db_instance.this.address", "aws_db_instance.this")})

	// elasticache
	f.add("elasticache", "aws_elasticache_subnet_group", "this", nil, obj{"name": "staging-inventory"}, obj{"subnet_ids": true}, obj{"subnet_ids": refs("var.subnet_ids")}, true)
	f.add("elasticache", "aws_elasticache_replication_group", "this", nil, obj{
		"replication_group_id": "staging-inventory", "engine": "redis", "engine_version": "7.1", "node_type": "cache.t3.micro",
		"num_cache_clusters": 1, "at_rest_encryption_enabled": true, "transit_encryption_enabled": true, "auth_token": nil,
		"security_group_ids": nil,
	}, obj{"security_group_ids": true, "primary_endpoint_address": true},
		obj{"security_group_ids": refs("var.security_group_id"), "subnet_group_name": refs("aws_elasticache_subnet_group.this.name", "aws_elasticache_subnet_group.this")}, true)
	f.call("elasticache", obj{"security_group_id": refs("module.security.redis_sg_id", "module.security"),
		"subnet_ids": refs("module.networking.database_subnet_ids", "module.networking")}, obj{})

	// alb
	f.add("alb", "aws_lb", "this", nil, obj{"name": "staging-inventory", "internal": false, "load_balancer_type": "application", "security_groups": nil, "subnets": nil},
		obj{"security_groups": true, "subnets": true, "dns_name": true, "arn": true},
		obj{"security_groups": refs("var.security_group_id"), "subnets": refs("var.subnet_ids")}, true)
	f.add("alb", "aws_lb_listener", "http", nil, obj{"port": 80, "protocol": "HTTP"}, obj{"load_balancer_arn": true, "arn": true},
		obj{"load_balancer_arn": refs("aws_lb.this.arn", "aws_lb.this")}, true)
	for _, svc := range fixtureServices {
		if !svc.public {
			continue
		}
		f.add("alb", "aws_lb_target_group", "this", svc.name, obj{"port": svc.port, "protocol": "HTTP", "target_type": "ip"},
			obj{"vpc_id": true, "arn": true}, obj{"vpc_id": refs("var.vpc_id")}, true)
		if svc.pathPrefix != "" {
			f.add("alb", "aws_lb_listener_rule", "this", svc.name, obj{"priority": 100}, obj{"listener_arn": true, "arn": true},
				obj{"listener_arn": refs("aws_lb_listener.http.arn", "aws_lb_listener.http")}, true)
		}
	}
	f.call("alb", obj{"security_group_id": refs("module.security.alb_sg_id", "module.security"),
		"subnet_ids": refs("module.networking.public_subnet_ids", "module.networking"), "vpc_id": refs("module.networking.vpc_id", "module.networking")},
		obj{"target_group_arns": refs("aws_lb_target_group.this")})

	// ecs cluster
	f.add("ecs_cluster", "aws_ecs_cluster", "this", nil, obj{"name": "staging-inventory"}, obj{"arn": true}, nil, true)
	f.add("ecs_cluster", "aws_service_discovery_private_dns_namespace", "this", nil, obj{"name": "staging.inventory.local"}, obj{"vpc": true, "arn": true},
		obj{"vpc": refs("var.vpc_id")}, true)
	f.call("ecs_cluster", obj{"vpc_id": refs("module.networking.vpc_id", "module.networking")},
		obj{"cluster_arn": refs("aws_ecs_cluster.this.arn", "aws_ecs_cluster.this")})

	// services
	for _, svc := range fixtureServices {
		m := fmt.Sprintf("ecs_service[%q]", svc.name)
		f.add(m, "aws_ecs_task_definition", "this", nil, obj{"family": "staging-inventory-" + svc.name, "cpu": fmt.Sprint(svc.cpu),
			"memory": fmt.Sprint(svc.mem), "network_mode": "awsvpc", "requires_compatibilities": []string{"FARGATE"},
			"runtime_platform": []obj{{"cpu_architecture": "X86_64", "operating_system_family": "LINUX"}}},
			obj{"arn": true, "revision": true, "execution_role_arn": true, "container_definitions": true}, nil, true)
		f.add(m, "aws_ecs_service", "this", nil, obj{
			"name": svc.name, "desired_count": 2, "launch_type": nil,
			"capacity_provider_strategy": []obj{{"base": 0, "capacity_provider": "FARGATE", "weight": 1}},
			"network_configuration":      []obj{{"assign_public_ip": false, "security_groups": nil, "subnets": nil}},
		}, obj{"cluster": true, "task_definition": true, "network_configuration": []obj{{"security_groups": true, "subnets": true}}},
			obj{"cluster": refs("var.cluster_arn"), "task_definition": refs("aws_ecs_task_definition.this.arn", "aws_ecs_task_definition.this"),
				"desired_count": refs("var.desired_count"),
				"network_configuration": []obj{{"subnets": refs("var.subnet_ids"), "security_groups": refs("var.security_group_id"),
					"assign_public_ip": constant(false)}}}, true)
		f.add(m, "aws_cloudwatch_log_group", "this", nil, obj{"name": "/ecs/staging-inventory-" + svc.name, "retention_in_days": 7},
			obj{"arn": true}, nil, true)
		f.add(m, "aws_service_discovery_service", "this", nil, obj{"name": svc.name}, obj{"arn": true, "dns_config": true},
			obj{"dns_config": []obj{{"namespace_id": refs("var.namespace_id")}}}, true)
	}
	f.call("ecs_service", obj{"subnet_ids": refs("module.networking.private_subnet_ids", "module.networking"),
		"security_group_id": refs("module.security.ecs_sg_id", "module.security"),
		"cluster_arn":       refs("module.ecs_cluster.cluster_arn", "module.ecs_cluster"),
		"desired_count":     refs("each.value.desired_count", "each.value")}, obj{})
	f.add("migration_task", "aws_ecs_task_definition", "this", nil, obj{"family": "staging-inventory-migrate", "cpu": "256", "memory": "512"},
		obj{"arn": true, "revision": true}, nil, true)
	f.call("migration_task", obj{}, obj{})

	// root module
	for _, s := range []string{"db_password", "jwt_secret", "redis_auth_token"} {
		f.add("", "aws_secretsmanager_secret", s, nil, obj{"name": "staging/inventory/" + s}, obj{"arn": true}, nil, true)
	}
	for _, svc := range fixtureServices {
		f.add("", "aws_ecr_repository", "this", svc.name, obj{"name": "inventory-management/" + svc.name, "image_tag_mutability": "IMMUTABLE"},
			obj{"arn": true, "repository_url": true}, nil, true)
	}
	f.add("", "aws_iam_role", "task_execution", nil, obj{"name": "staging-inventory-task-execution"}, obj{"arn": true}, nil, true)
	f.add("", "aws_iam_role_policy_attachment", "task_execution", nil, obj{}, obj{"role": true},
		obj{"role": refs("aws_iam_role.task_execution.name", "aws_iam_role.task_execution")}, false)

	planned := []obj{}
	for _, rc := range f.changes {
		planned = append(planned, obj{"address": rc["address"], "mode": "managed", "type": rc["type"], "name": rc["name"],
			"values": rc["change"].(obj)["after"]})
	}
	calls := obj{}
	for k, v := range f.modules {
		calls[k] = v
	}
	return obj{
		"format_version":    "1.2",
		"terraform_version": "1.11.4",
		"planned_values":    obj{"root_module": obj{"resources": planned}},
		"resource_changes":  f.changes,
		"configuration": obj{
			"provider_config": obj{"aws": obj{"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
				"expressions": obj{"region": refs("var.region"), "default_tags": []obj{{"tags": constant(defaultTags("staging"))}}}}},
			"root_module": obj{"resources": f.root, "module_calls": calls},
		},
		"timestamp": "2025-06-01T12:00:00Z",
		"applyable": true,
		"complete":  true,
	}
}

// change returns the resource change at address, failing the test when the
// fixture has none.
func change(t testing.TB, plan obj, address string) obj {
	t.Helper()
	for _, rc := range plan["resource_changes"].([]obj) {
		if rc["address"] == address {
			return rc
		}
	}
	t.Fatalf("fixture has no resource %s", address)
	return nil
}

func marshalPlan(t testing.TB, plan obj) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
