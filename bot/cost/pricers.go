package cost

import (
	"errors"
	"fmt"
	"strings"
)

// priceFunc prices one resource on one side of a change. s is the whole side,
// for resources whose cost depends on others (a service and its task
// definition, NAT traffic shared between gateways).
type priceFunc func(p *pricer, r *resource, s *state) ([]Component, error)

// rule says how a resource type is priced. A nil price means the type is known
// to be free; free says why.
type rule struct {
	price priceFunc
	free  string
}

// rules is the one table from resource type to pricing. A type absent from it is
// reported as not priced, never counted as zero. It is read-only.
var rules = map[string]rule{
	"aws_ecs_service":                   {price: priceECSService},
	"aws_db_instance":                   {price: priceDBInstance},
	"aws_elasticache_replication_group": {price: priceReplicationGroup},
	"aws_lb":                            {price: priceLoadBalancer},
	"aws_nat_gateway":                   {price: priceNATGateway},
	"aws_eip":                           {price: priceEIP},
	"aws_cloudwatch_log_group":          {price: priceLogGroup},
	"aws_secretsmanager_secret":         {price: priceSecret},
	"aws_ecr_repository":                {price: priceECRRepository},
	"aws_service_discovery_private_dns_namespace": {price: priceDNSNamespace},
	"aws_service_discovery_service":               {price: priceDiscoveryService},

	"aws_ecs_task_definition":                    {free: "priced through the ECS service that runs it"},
	"aws_ecs_cluster":                            {free: "no charge for the cluster itself"},
	"aws_ecs_cluster_capacity_providers":         {free: "configuration"},
	"aws_vpc":                                    {free: "no charge"},
	"aws_subnet":                                 {free: "no charge"},
	"aws_internet_gateway":                       {free: "no charge"},
	"aws_route_table":                            {free: "no charge"},
	"aws_route":                                  {free: "no charge"},
	"aws_route_table_association":                {free: "no charge"},
	"aws_default_security_group":                 {free: "no charge"},
	"aws_default_network_acl":                    {free: "no charge"},
	"aws_default_route_table":                    {free: "no charge"},
	"aws_security_group":                         {free: "no charge"},
	"aws_security_group_rule":                    {free: "no charge"},
	"aws_vpc_security_group_ingress_rule":        {free: "no charge"},
	"aws_vpc_security_group_egress_rule":         {free: "no charge"},
	"aws_eip_association":                        {free: "the address is priced on aws_eip"},
	"aws_iam_role":                               {free: "IAM is free"},
	"aws_iam_policy":                             {free: "IAM is free"},
	"aws_iam_role_policy":                        {free: "IAM is free"},
	"aws_iam_role_policy_attachment":             {free: "IAM is free"},
	"aws_lb_target_group":                        {free: "included in the load balancer"},
	"aws_lb_listener":                            {free: "included in the load balancer"},
	"aws_lb_listener_rule":                       {free: "included in the load balancer (LCU rule evaluations)"},
	"aws_db_subnet_group":                        {free: "configuration"},
	"aws_db_parameter_group":                     {free: "configuration"},
	"aws_elasticache_subnet_group":               {free: "configuration"},
	"aws_elasticache_parameter_group":            {free: "configuration"},
	"aws_appautoscaling_target":                  {free: "no charge; tasks are priced at desired_count"},
	"aws_appautoscaling_policy":                  {free: "no charge"},
	"aws_ecr_lifecycle_policy":                   {free: "configuration"},
	"aws_ecr_repository_policy":                  {free: "configuration"},
	"aws_secretsmanager_secret_version":          {free: "priced on the secret"},
	"aws_secretsmanager_secret_policy":           {free: "configuration"},
	"aws_cloudwatch_log_stream":                  {free: "priced on the log group"},
	"aws_service_discovery_instance":             {free: "priced on the discovery service"},
	"aws_secretsmanager_secret_rotation":         {free: "configuration"},
	"aws_iam_service_linked_role":                {free: "IAM is free"},
	"aws_vpc_endpoint_service_allowed_principal": {free: "configuration"},
}

// errNotPriced marks a resource the catalogue cannot price (an unknown class,
// an attribute only known after apply); the resource is listed as not priced.
var errNotPriced = errors.New("not priced")

func notPriced(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errNotPriced, fmt.Sprintf(format, args...))
}

// pricer prices resources in one region with one set of usage assumptions.
type pricer struct {
	region string
	cat    *Catalogue
	usage  Usage
	hours  float64
}

// component prices quantity units of the catalogue price key.
func (p *pricer) component(name, key string, quantity float64, assumption string) (Component, error) {
	pr, ok := p.cat.Lookup(p.region, key)
	if !ok {
		return Component{}, notPriced("no price %s in %s", key, p.region)
	}
	return Component{
		Name:       name,
		Quantity:   quantity,
		Unit:       pr.Unit,
		UnitPrice:  pr.USD,
		Monthly:    quantity * pr.USD,
		PriceKey:   key,
		Assumption: assumption,
	}, nil
}

// components builds several components, stopping at the first missing price.
func (p *pricer) components(specs ...componentSpec) ([]Component, error) {
	out := make([]Component, 0, len(specs))
	for _, s := range specs {
		c, err := p.component(s.name, s.key, s.quantity, s.assumption)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

type componentSpec struct {
	name, key  string
	quantity   float64
	assumption string
}

func priceECSService(p *pricer, r *resource, s *state) ([]Component, error) {
	td := s.inModule(r.Module, "aws_ecs_task_definition")
	if td == nil {
		return nil, notPriced("no task definition in %s", r.Module)
	}
	cpu, ok1 := num(td.Values, "cpu")
	mem, ok2 := num(td.Values, "memory")
	if !ok1 || !ok2 {
		return nil, notPriced("task definition cpu/memory unknown")
	}
	tasks, ok := num(r.Values, "desired_count")
	if !ok {
		return nil, notPriced("desired_count unknown")
	}
	arch := architecture(td.Values)
	onDemand, spot, assumption, err := splitTasks(r.Values, tasks)
	if err != nil {
		return nil, err
	}
	vcpu, gb := cpu/1024, mem/1024
	var specs []componentSpec
	for _, side := range []struct {
		label, prefix string
		tasks         float64
	}{{"Fargate", "fargate", onDemand}, {"Fargate Spot", "fargate_spot", spot}} {
		if side.tasks == 0 {
			continue
		}
		specs = append(specs,
			componentSpec{fmt.Sprintf("%s vCPU (%s)", side.label, arch), side.prefix + "." + arch + ".vcpu_hour", side.tasks * vcpu * p.hours, assumption},
			componentSpec{fmt.Sprintf("%s memory (%s)", side.label, arch), side.prefix + "." + arch + ".gb_hour", side.tasks * gb * p.hours, assumption},
		)
	}
	return p.components(specs...)
}

// architecture is "x86_64" or "arm64" from a task definition's runtime_platform.
func architecture(td map[string]any) string {
	if rp, ok := list(td, "runtime_platform"); ok && len(rp) > 0 {
		if m, ok := rp[0].(map[string]any); ok {
			if a, _ := str(m, "cpu_architecture"); strings.EqualFold(a, "ARM64") {
				return "arm64"
			}
		}
	}
	return "x86_64"
}

// splitTasks divides a service's tasks between FARGATE and FARGATE_SPOT as ECS
// does: each provider's base first, the rest by weight (as an expected share).
func splitTasks(svc map[string]any, tasks float64) (onDemand, spot float64, assumption string, err error) {
	strategy, _ := list(svc, "capacity_provider_strategy")
	if len(strategy) == 0 {
		if lt, _ := str(svc, "launch_type"); lt != "" && lt != "FARGATE" {
			return 0, 0, "", notPriced("launch type %s", lt)
		}
		return tasks, 0, "", nil
	}
	type share struct {
		spot         bool
		base, weight float64
	}
	var shares []share
	var weights float64
	for _, e := range strategy {
		m, _ := e.(map[string]any)
		cp, _ := str(m, "capacity_provider")
		if cp != "FARGATE" && cp != "FARGATE_SPOT" {
			return 0, 0, "", notPriced("capacity provider %q", cp)
		}
		b, _ := num(m, "base")
		w, _ := num(m, "weight")
		shares = append(shares, share{cp == "FARGATE_SPOT", b, w})
		weights += w
	}
	rest := tasks
	for _, sh := range shares {
		n := min(sh.base, rest)
		rest -= n
		if sh.spot {
			spot += n
		} else {
			onDemand += n
		}
	}
	if rest > 0 {
		if weights == 0 {
			return 0, 0, "", notPriced("capacity provider strategy without weights")
		}
		for _, sh := range shares {
			n := rest * sh.weight / weights
			if sh.spot {
				spot += n
			} else {
				onDemand += n
			}
		}
	}
	if spot > 0 && onDemand > 0 {
		assumption = fmt.Sprintf("tasks split by capacity provider strategy: %g on FARGATE, %g on FARGATE_SPOT", onDemand, spot)
	}
	return onDemand, spot, assumption, nil
}

func priceDBInstance(p *pricer, r *resource, _ *state) ([]Component, error) {
	engine, _ := str(r.Values, "engine")
	if engine != "postgres" {
		return nil, notPriced("engine %q (the catalogue prices RDS for PostgreSQL)", engine)
	}
	class, ok := str(r.Values, "instance_class")
	if !ok {
		return nil, notPriced("instance_class unknown")
	}
	deploy, storageKey, storageName := "single_az", "rds.gp3.single_az_gb_month", "gp3 storage"
	if boolean(r.Values, "multi_az") {
		deploy, storageKey, storageName = "multi_az", "rds.gp3.multi_az_gb_month", "gp3 storage (Multi-AZ)"
	}
	storage, ok := num(r.Values, "allocated_storage")
	if !ok {
		return nil, notPriced("allocated_storage unknown")
	}
	storageAssumption := ""
	switch st, _ := str(r.Values, "storage_type"); st {
	case "gp3":
	case "":
		storageAssumption = "storage_type unknown in the plan; priced as gp3"
	default:
		return nil, notPriced("storage type %q", st)
	}
	specs := []componentSpec{
		{fmt.Sprintf("Instance (%s, %s)", class, strings.ReplaceAll(deploy, "_", "-")), fmt.Sprintf("rds.postgres.%s.%s_hour", class, deploy), p.hours, ""},
		{storageName, storageKey, storage, storageAssumption},
	}
	if retention, _ := num(r.Values, "backup_retention_period"); retention > 0 {
		backup, overridden := orDefault(p.usage.RDS.BackupGB, storage)
		assumption := fmt.Sprintf("automated backups assumed to total %g GB (the allocated storage); AWS includes backup storage up to 100%% of provisioned storage in the region", backup)
		if overridden {
			assumption = fmt.Sprintf("backups %g GB (usage file), of which %g GB free (100%% of provisioned storage)", backup, storage)
		}
		specs = append(specs, componentSpec{"Backup storage beyond the free allowance", "rds.backup_gb_month", max(0, backup-storage), assumption})
	}
	return p.components(specs...)
}

func priceReplicationGroup(p *pricer, r *resource, _ *state) ([]Component, error) {
	if engine, _ := str(r.Values, "engine"); engine != "" && engine != "redis" {
		return nil, notPriced("engine %q (the catalogue prices Redis OSS nodes)", engine)
	}
	node, ok := str(r.Values, "node_type")
	if !ok {
		return nil, notPriced("node_type unknown")
	}
	nodes, ok := num(r.Values, "num_cache_clusters")
	if !ok || nodes == 0 {
		groups, ok1 := num(r.Values, "num_node_groups")
		replicas, ok2 := num(r.Values, "replicas_per_node_group")
		if !ok1 || !ok2 {
			return nil, notPriced("number of nodes unknown")
		}
		nodes = groups * (replicas + 1)
	}
	return p.components(componentSpec{fmt.Sprintf("Nodes (%g × %s)", nodes, node), "elasticache." + node + ".hour", nodes * p.hours, ""})
}

func priceLoadBalancer(p *pricer, r *resource, s *state) ([]Component, error) {
	if t, _ := str(r.Values, "load_balancer_type"); t != "" && t != "application" {
		return nil, notPriced("load balancer type %q", t)
	}
	lcu, overridden := orDefault(p.usage.ALB.LCUPerHour, DefaultALBLCUPerHour)
	lcuAssumption := fmt.Sprintf("%g LCU on average (low-traffic default; set alb.lcu_per_hour in the usage file)", lcu)
	if overridden {
		lcuAssumption = fmt.Sprintf("%g LCU on average (usage file)", lcu)
	}
	specs := []componentSpec{
		{"Load balancer hours", "alb.hour", p.hours, ""},
		{"Load balancer capacity units", "alb.lcu_hour", lcu * p.hours, lcuAssumption},
	}
	if !boolean(r.Values, "internal") {
		n, assumption := albSubnets(r, s)
		specs = append(specs, componentSpec{fmt.Sprintf("Public IPv4 addresses (%d)", n), "ipv4.hour", float64(n) * p.hours, assumption})
	}
	return p.components(specs...)
}

// albSubnets counts the subnets an internet-facing ALB has a node (and so a
// public IPv4 address) in. Subnet IDs are often unknown until apply; then the
// count of after_unknown elements or of the public subnets in the plan is used.
func albSubnets(r *resource, s *state) (int, string) {
	if l, ok := list(r.Values, "subnets"); ok && len(l) > 0 {
		return len(l), "one address per subnet of the load balancer"
	}
	if l, ok := list(r.Unknown, "subnets"); ok && len(l) > 0 {
		return len(l), "one address per subnet of the load balancer"
	}
	if l, ok := list(r.Values, "subnet_mapping"); ok && len(l) > 0 {
		return len(l), "one address per subnet mapping"
	}
	n := 0
	for _, o := range s.resources {
		if o.Type == "aws_subnet" && strings.Contains(o.Address, ".public[") {
			n++
		}
	}
	if n > 0 {
		return n, "subnets unknown until apply: one address per public subnet"
	}
	return 2, "subnets unknown; assumed 2 (one per AZ)"
}

func priceNATGateway(p *pricer, _ *resource, s *state) ([]Component, error) {
	total, overridden := orDefault(p.usage.NAT.GBPerMonth, DefaultNATGBPerMonth)
	gateways := max(1, s.count("aws_nat_gateway"))
	share := total / float64(gateways)
	source := "default"
	if overridden {
		source = "usage file"
	}
	assumption := fmt.Sprintf("%g GB/month through NAT for the environment (%s), shared by %d gateway(s)", total, source, gateways)
	return p.components(
		componentSpec{"NAT gateway hours", "nat.hour", p.hours, ""},
		componentSpec{"NAT data processed", "nat.gb", share, assumption},
	)
}

func priceEIP(p *pricer, r *resource, _ *state) ([]Component, error) {
	if d, _ := str(r.Values, "domain"); d != "" && d != "vpc" {
		return nil, notPriced("EIP domain %q", d)
	}
	return p.components(componentSpec{"Public IPv4 address", "ipv4.hour", p.hours, ""})
}

func priceLogGroup(p *pricer, r *resource, _ *state) ([]Component, error) {
	ingest, overridden := orDefault(p.usage.Logs.GBPerGroupPerMonth, DefaultLogGBPerGroupMonth)
	source := "default"
	if overridden {
		source = "usage file"
	}
	retention, _ := num(r.Values, "retention_in_days")
	storedMonths := retention / (p.hours / 24)
	storeAssumption := fmt.Sprintf("%g GB/month kept %g days", ingest, retention)
	if retention == 0 {
		storedMonths = 12
		storeAssumption = fmt.Sprintf("%g GB/month, never expires: priced as 12 months kept", ingest)
	}
	return p.components(
		componentSpec{"Log ingestion", "logs.ingest_gb", ingest, fmt.Sprintf("%g GB/month ingested (%s)", ingest, source)},
		componentSpec{"Log storage", "logs.storage_gb_month", ingest * storedMonths, storeAssumption},
	)
}

func priceSecret(p *pricer, _ *resource, _ *state) ([]Component, error) {
	return p.components(componentSpec{"Secret", "secretsmanager.secret_month", 1, "API calls not counted ($0.05 per 10,000)"})
}

func priceECRRepository(p *pricer, _ *resource, _ *state) ([]Component, error) {
	gb, overridden := orDefault(p.usage.ECR.GBPerRepository, DefaultECRGBPerRepository)
	source := "default"
	if overridden {
		source = "usage file"
	}
	return p.components(componentSpec{"Image storage", "ecr.storage_gb_month", gb, fmt.Sprintf("%g GB of images kept (%s)", gb, source)})
}

func priceDNSNamespace(p *pricer, _ *resource, _ *state) ([]Component, error) {
	return p.components(componentSpec{"Private hosted zone", "route53.hosted_zone_month", 1, "DNS queries from inside the VPC not counted"})
}

// priceDiscoveryService charges each registered instance; ECS registers one
// per running task of the service in the same module.
func priceDiscoveryService(p *pricer, r *resource, s *state) ([]Component, error) {
	instances := 0.0
	assumption := "no ECS service in the module; no instances registered"
	if svc := s.inModule(r.Module, "aws_ecs_service"); svc != nil {
		n, ok := num(svc.Values, "desired_count")
		if !ok {
			return nil, notPriced("desired_count of the service unknown")
		}
		instances = n
		assumption = "one registered instance per running task"
	}
	return p.components(componentSpec{"Registered instances", "cloudmap.resource_month", instances, assumption})
}
