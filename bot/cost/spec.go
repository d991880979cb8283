package cost

import (
	"errors"
	"fmt"
	"sort"

	"github.com/gitops-bot/gitops/bot/envspec"
)

// EstimateSpec estimates an environment straight from its spec, without
// terraform: it renders the resources the stack would create (addresses and
// attributes as in docs/contracts.md) and prices them with the same table.
// There is no prior state, so Before is 0 and every resource is new.
func EstimateSpec(spec *envspec.Spec, opts Options) (*Estimate, error) {
	if spec == nil {
		return nil, errors.New("estimate: nil spec")
	}
	if opts.Environment == "" {
		opts.Environment = spec.Name
	}
	if opts.Region == "" {
		opts.Region = spec.Region
	}
	if opts.Budget == (envspec.Budget{}) {
		opts.Budget = spec.Budget
	}
	return estimate(newState(nil), renderSpec(spec), opts)
}

// renderSpec builds the after side the stack would plan for spec. Only what
// pricing reads is filled in; free resources are included where pricing
// counts them (public subnets).
func renderSpec(spec *envspec.Spec) *state {
	var rs []*resource
	add := func(module, typ, name string, values map[string]any) {
		addr := typ + "." + name
		if module != "" {
			addr = module + "." + addr
		}
		rs = append(rs, &resource{Address: addr, Type: typ, Module: module, Values: values})
	}
	azs := spec.Network.AZs
	if azs == 0 {
		azs = 2
	}
	for i := range azs {
		add("module.networking", "aws_subnet", fmt.Sprintf("public[%d]", i), map[string]any{})
		add("module.networking", "aws_subnet", fmt.Sprintf("private[%d]", i), map[string]any{})
		add("module.networking", "aws_subnet", fmt.Sprintf("database[%d]", i), map[string]any{})
	}
	add("module.networking", "aws_vpc", "this", map[string]any{"cidr_block": spec.Network.VPCCIDR})
	nats := azs
	if spec.Network.NAT == "single" {
		nats = 1
	}
	for i := range nats {
		add("module.networking", "aws_nat_gateway", fmt.Sprintf("this[%d]", i), map[string]any{"connectivity_type": "public"})
		add("module.networking", "aws_eip", fmt.Sprintf("nat[%d]", i), map[string]any{"domain": "vpc"})
	}
	storage := spec.Database.StorageGB
	if storage == 0 {
		storage = 20
	}
	add("module.rds", "aws_db_instance", "this", map[string]any{
		"engine":                  "postgres",
		"engine_version":          spec.Database.EngineVersion,
		"instance_class":          spec.Database.InstanceClass,
		"allocated_storage":       float64(storage),
		"storage_type":            "gp3",
		"multi_az":                spec.Database.MultiAZ,
		"backup_retention_period": float64(spec.Database.BackupRetentionDays),
	})
	nodes := spec.Cache.Nodes
	if nodes == 0 {
		nodes = 1
	}
	add("module.elasticache", "aws_elasticache_replication_group", "this", map[string]any{
		"engine":             "redis",
		"node_type":          spec.Cache.NodeType,
		"num_cache_clusters": float64(nodes),
	})
	// As terraform plans it: the subnet ids are unknown until the subnets
	// exist, so the ALB is priced from the public subnets, as in a plan.
	alb := map[string]any{"load_balancer_type": "application", "internal": false}
	rs = append(rs, &resource{Address: "module.alb.aws_lb.this", Type: "aws_lb", Module: "module.alb", Values: alb, Unknown: map[string]any{"subnets": true}})
	add("module.ecs_cluster", "aws_ecs_cluster", "this", map[string]any{})
	add("module.ecs_cluster", "aws_service_discovery_private_dns_namespace", "this", map[string]any{})
	for _, name := range []string{"db_password", "jwt_secret", "redis_auth_token"} {
		add("", "aws_secretsmanager_secret", name, map[string]any{})
	}
	names := make([]string, 0, len(spec.Services))
	for n := range spec.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		svc := spec.Services[n]
		module := fmt.Sprintf("module.ecs_service[%q]", n)
		arch := "X86_64"
		if svc.Architecture == "arm64" {
			arch = "ARM64"
		}
		add(module, "aws_ecs_task_definition", "this", map[string]any{
			"cpu":              fmt.Sprint(svc.CPU),
			"memory":           fmt.Sprint(svc.Memory),
			"runtime_platform": []any{map[string]any{"cpu_architecture": arch, "operating_system_family": "LINUX"}},
		})
		provider := "FARGATE"
		if svc.Spot {
			provider = "FARGATE_SPOT"
		}
		add(module, "aws_ecs_service", "this", map[string]any{
			"desired_count":              float64(svc.DesiredCount),
			"capacity_provider_strategy": []any{map[string]any{"capacity_provider": provider, "weight": 1.0, "base": 0.0}},
		})
		retention := spec.Logs.RetentionDays
		if retention == 0 {
			retention = 7
		}
		add(module, "aws_cloudwatch_log_group", "this", map[string]any{
			"name":              fmt.Sprintf("/ecs/%s-inventory-%s", spec.Name, n),
			"retention_in_days": float64(retention),
		})
		add(module, "aws_service_discovery_service", "this", map[string]any{})
		add("", "aws_ecr_repository", fmt.Sprintf("this[%q]", n), map[string]any{"name": "inventory-management/" + n})
	}
	add("module.migration_task", "aws_ecs_task_definition", "this", map[string]any{})
	return newState(rs)
}
