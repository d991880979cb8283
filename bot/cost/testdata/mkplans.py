#!/usr/bin/env python3
"""Writes the hand-built plan fixtures (terraform show -json shape) used by the
cost tests. Run from this directory: python3 mkplans.py. Replace with real plans
of terraform/stack once it exists."""
import json

AWS = "registry.terraform.io/hashicorp/aws"
SHAPES = {"api-gateway": (512, 1024, True), "inventory": (512, 1024, False), "location": (512, 1024, False),
          "user": (256, 512, False), "reporting": (256, 512, False), "ui": (256, 512, True)}


def spec_out(name, region, counts, cls, azs=2, nat="per_az"):
    return {"name": name, "region": region,
            "network": {"vpc_cidr": "10.1.0.0/16" if name == "staging" else "10.0.0.0/16", "azs": azs, "nat": nat},
            "database": {"engine_version": "15", "instance_class": cls, "storage_gb": 20, "backup_retention_days": 7, "multi_az": False},
            "cache": {"engine_version": "7.1", "node_type": "cache.t3.micro", "nodes": 1},
            "autoscaling": {"enabled": False, "min_tasks": 1, "max_tasks": 4, "cpu_target_percent": 70},
            "logs": {"retention_days": 7},
            "services": {s: {"cpu": c, "memory": m, "desired_count": counts[s], "port": 80 if s == "ui" else 8000,
                             "public": p, "path_pattern": "/api/*" if s == "api-gateway" else "",
                             "health_check_path": "/health", "architecture": "x86_64", "spot": False}
                         for s, (c, m, p) in SHAPES.items()}}


def resources(env, region, counts, cls, applied):
    """(module, type, name, index, values, unknown) of the stack for one env."""
    tags = {"Environment": env, "ManagedBy": "gitops"}
    out = []

    def add(module, typ, name, index, values, unknown=None):
        v = dict(values)
        if applied:
            v.setdefault("id", f"{typ}-{name}-{index if index is not None else 0}")
            v.setdefault("arn", f"arn:aws:{typ}:{region}:123456789012:{name}")
        v["tags_all"] = tags
        u = dict(unknown or {})
        if not applied:
            u.update({"id": True, "arn": True})
        out.append((module, typ, name, index, v, u))

    add("module.networking", "aws_vpc", "this", None, {"cidr_block": "10.1.0.0/16" if env == "staging" else "10.0.0.0/16", "enable_dns_hostnames": True})
    for i in range(2):
        for tier in ("public", "private", "database"):
            add("module.networking", "aws_subnet", tier, i, {"availability_zone": f"{region}{'ab'[i]}", "map_public_ip_on_launch": False})
        add("module.networking", "aws_eip", "nat", i, {"domain": "vpc"}, {"public_ip": True})
        add("module.networking", "aws_nat_gateway", "this", i, {"connectivity_type": "public"}, {"allocation_id": True, "subnet_id": True})
        add("module.networking", "aws_route_table", "private", i, {})
    add("module.networking", "aws_internet_gateway", "this", None, {})
    for sg in ("alb", "ecs", "rds", "redis"):
        add("module.security", "aws_security_group", sg, None, {"name": f"{env}-{sg}"})
        add("module.security", "aws_vpc_security_group_ingress_rule", sg, None, {"ip_protocol": "tcp"})
    add("module.rds", "aws_db_subnet_group", "this", None, {"name": f"{env}-db"})
    add("module.rds", "aws_db_instance", "this", None, {
        "engine": "postgres", "engine_version": "15", "instance_class": cls, "allocated_storage": 20,
        "storage_type": "gp3", "storage_encrypted": True, "multi_az": False, "publicly_accessible": False,
        "backup_retention_period": 7, "identifier": f"{env}-inventory"}, {"endpoint": True, "address": True})
    add("module.elasticache", "aws_elasticache_subnet_group", "this", None, {"name": f"{env}-redis"})
    add("module.elasticache", "aws_elasticache_replication_group", "this", None, {
        "engine": "redis", "engine_version": "7.1", "node_type": "cache.t3.micro", "num_cache_clusters": 1,
        "at_rest_encryption_enabled": True, "transit_encryption_enabled": True, "replication_group_id": f"{env}-redis"},
        {"primary_endpoint_address": True})
    add("module.alb", "aws_lb", "this", None, {"load_balancer_type": "application", "internal": False, "name": f"{env}-alb"},
        {"subnets": True, "dns_name": True, "security_groups": True})
    add("module.alb", "aws_lb_listener", "http", None, {"port": 80, "protocol": "HTTP"})
    for s, (_, _, public) in SHAPES.items():
        if public:
            add("module.alb", "aws_lb_target_group", "this", s, {"port": 8000, "target_type": "ip"})
    add("module.ecs_cluster", "aws_ecs_cluster", "this", None, {"name": f"{env}-inventory"})
    add("module.ecs_cluster", "aws_service_discovery_private_dns_namespace", "this", None, {"name": f"{env}.inventory.local"})
    for s, (cpu, mem, _) in SHAPES.items():
        m = f'module.ecs_service["{s}"]'
        add(m, "aws_ecs_task_definition", "this", None, {
            "family": f"{env}-{s}", "cpu": str(cpu), "memory": str(mem), "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"],
            "runtime_platform": [{"cpu_architecture": "X86_64", "operating_system_family": "LINUX"}]},
            {"container_definitions": True})
        add(m, "aws_ecs_service", "this", None, {
            "name": s, "desired_count": counts[s], "launch_type": "",
            "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]},
            {"task_definition": True, "network_configuration": True})
        add(m, "aws_cloudwatch_log_group", "this", None, {"name": f"/ecs/{env}-inventory-{s}", "retention_in_days": 7})
        add(m, "aws_service_discovery_service", "this", None, {"name": s})
        add("", "aws_ecr_repository", "this", s, {"name": f"inventory-management/{s}", "image_tag_mutability": "IMMUTABLE"})
        add("", "aws_iam_role", "task_" + s.replace("-", "_"), None, {"name": f"{env}-{s}-task"})
    add("module.migration_task", "aws_ecs_task_definition", "this", None, {"family": f"{env}-migrate", "cpu": "256", "memory": "512"})
    for sec in ("db_password", "jwt_secret", "redis_auth_token"):
        add("", "aws_secretsmanager_secret", sec, None, {"name": f"{env}/{sec}"})
    return out


def address(module, typ, name, index):
    a = f"{typ}.{name}"
    if index is not None:
        a += f"[{index}]" if isinstance(index, int) else f'["{index}"]'
    return f"{module}.{a}" if module else a


def module_tree(rs):
    root = {"resources": [], "child_modules": []}
    children = {}
    for module, typ, name, index, v, _ in rs:
        r = {"address": address(module, typ, name, index), "mode": "managed", "type": typ, "name": name,
             "provider_name": AWS, "schema_version": 0, "values": v, "sensitive_values": {}}
        if index is not None:
            r["index"] = index
        if module:
            children.setdefault(module, {"address": module, "resources": []})["resources"].append(r)
        else:
            root["resources"].append(r)
    root["child_modules"] = list(children.values())
    return root


def plan(env, region, before_counts, after_counts, cls_before, cls_after, create):
    before = None if create else resources(env, region, before_counts, cls_before, True)
    after = resources(env, region, after_counts, cls_after, not create)
    changes = []
    bmap = {address(*r[:4]): r for r in (before or [])}
    for r in after:
        addr = address(*r[:4])
        b = bmap.get(addr)
        bv = b[4] if b else None
        av = r[4]
        if b is None:
            actions = ["create"]
        elif bv == av:
            actions = ["no-op"]
        else:
            actions = ["update"]
        rc = {"address": addr, "mode": "managed", "type": r[1], "name": r[2], "provider_name": AWS,
              "change": {"actions": actions, "before": bv, "after": av, "after_unknown": r[5],
                         "before_sensitive": {} if bv is not None else False, "after_sensitive": {}}}
        if r[0]:
            rc["module_address"] = r[0]
        if r[3] is not None:
            rc["index"] = r[3]
        changes.append(rc)
    spec_after = spec_out(env, region, after_counts, cls_after)
    p = {"format_version": "1.2", "terraform_version": "1.11.4",
         "variables": {"name": {"value": env}, "region": {"value": region}},
         "planned_values": {"outputs": {"spec": {"sensitive": False, "value": spec_after}}, "root_module": module_tree(after)},
         "resource_changes": changes,
         "output_changes": {"spec": {"actions": ["create"] if create else ["update"], "before": None if create else spec_out(env, region, before_counts, cls_before),
                                     "after": spec_after, "after_unknown": False, "before_sensitive": False, "after_sensitive": False}},
         "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": AWS, "expressions": {"region": {"references": ["var.region"]}}}},
                           "root_module": {"outputs": {"spec": {"expression": {"references": ["var.name"]}}},
                                           "module_calls": {m: {"source": f"../modules/{m.replace('_', '-')}", "module": {}} for m in
                                                            ("networking", "security", "rds", "elasticache", "alb", "ecs_cluster", "ecs_service", "migration_task")}}},
         "timestamp": "2026-11-25T10:00:00Z", "applyable": True, "complete": True, "errored": False}
    if not create:
        p["prior_state"] = {"format_version": "1.0", "terraform_version": "1.11.4",
                            "values": {"outputs": {"spec": {"sensitive": False, "value": spec_out(env, region, before_counts, cls_before)}},
                                       "root_module": module_tree(before)}}
    return p


ones = {s: 1 for s in SHAPES}
twos = {s: 2 for s in SHAPES}
dev_before = dict(ones, **{"api-gateway": 3, "inventory": 2, "location": 2})
for fname, p in {
    "plan_staging_create.json": plan("staging", "us-east-1", None, twos, None, "db.t3.small", True),
    "plan_dev_scale_down.json": plan("dev", "us-west-2", dev_before, ones, "db.t3.micro", "db.t3.micro", False),
}.items():
    with open(fname, "w") as f:
        json.dump(p, f, indent=1, sort_keys=True)
        f.write("\n")
