package gitops.rules_test

import data.gitops.rules

# Small inputs per rule: one that passes, one that fails with the exact
# verdict. The realistic whole-plan cases are in bot/policy/engine_test.go.

# The name is the address's second part, as terraform writes it
# (aws_subnet.private[0] is named private), so that the configuration of a
# resource can be found from its change.
rc(address, typ, actions, after) := {
	"address": address, "mode": "managed", "type": typ, "name": regex.replace(split(address, ".")[1], `\[.*`, ""),
	"change": {"actions": actions, "before": null, "after": after, "after_unknown": {}},
}

plan(changes) := {"format_version": "1.2", "resource_changes": changes}

svc(n) := {"cpu": 256, "memory": 512, "desired_count": n}

test_staging_two_tasks_pass if {
	count(rules.scaling.deny) == 0 with input as {"environment": "staging", "spec": {"services": {"ui": svc(2)}, "autoscaling": {"enabled": false}}}
}

test_staging_one_task_denied if {
	rules.scaling.deny == {{"rule": "staging_min_tasks", "address": "services.ui.desired_count", "msg": "services.ui.desired_count is 1; staging runs at least 2 tasks per service"}} with input as {"environment": "staging", "spec": {"services": {"ui": svc(1)}, "autoscaling": {"enabled": false}}}
}

test_staging_autoscaling_denied if {
	rules.scaling.deny == {{"rule": "staging_no_autoscaling", "address": "autoscaling.enabled", "msg": "autoscaling.enabled is true; staging runs a fixed task count"}} with input as {"environment": "staging", "spec": {"services": {"ui": svc(2)}, "autoscaling": {"enabled": true}}}
}

test_dev_two_tasks_warn if {
	rules.scaling.warn == {{"rule": "dev_max_tasks", "address": "services.ui.desired_count", "msg": "services.ui.desired_count is 2; dev runs at most 1 task per service"}} with input as {"environment": "dev", "spec": {"services": {"ui": svc(2)}, "autoscaling": {"enabled": true}}}
}

test_dev_one_task_passes if {
	count(rules.scaling.warn) == 0 with input as {"environment": "dev", "spec": {"services": {"ui": svc(1)}}}
}

db(over) := object.union({"storage_encrypted": true, "backup_retention_period": 7, "publicly_accessible": false}, over)

test_rds_compliant_passes if {
	count(rules.datastores.deny) == 0 with input as {"plan": plan([rc("aws_db_instance.this", "aws_db_instance", ["create"], db({}))])}
}

test_rds_violations_denied if {
	rules.datastores.deny == {
		{"rule": "rds_encrypted", "address": "aws_db_instance.this", "msg": "aws_db_instance.this: storage_encrypted must be true"},
		{"rule": "rds_backup_retention", "address": "aws_db_instance.this", "msg": "aws_db_instance.this: backup_retention_period is 1; at least 7 days required"},
		{"rule": "rds_not_public", "address": "aws_db_instance.this", "msg": "aws_db_instance.this: publicly_accessible must be false"},
	} with input as {"plan": plan([rc("aws_db_instance.this", "aws_db_instance", ["update"], db({"storage_encrypted": false, "backup_retention_period": 1, "publicly_accessible": true}))])}
}

# The boundary: 7 days pass (test_rds_compliant_passes), 6 are one short.
test_rds_backups_kept_6_days_denied if {
	rules.datastores.deny == {{"rule": "rds_backup_retention", "address": "aws_db_instance.this", "msg": "aws_db_instance.this: backup_retention_period is 6; at least 7 days required"}} with input as {"plan": plan([rc("aws_db_instance.this", "aws_db_instance", ["create"], db({"backup_retention_period": 6}))])}
}

test_redis_encrypted_as_strings_passes if {
	# AWS provider 6 types the flags as strings.
	count(rules.datastores.deny) == 0 with input as {"plan": plan([rc("aws_elasticache_replication_group.this", "aws_elasticache_replication_group", ["create"], {"at_rest_encryption_enabled": "true", "transit_encryption_enabled": true})])}
}

test_redis_unencrypted_denied if {
	rules.datastores.deny == {
		{"rule": "redis_encrypted_at_rest", "address": "aws_elasticache_replication_group.this", "msg": "aws_elasticache_replication_group.this: at_rest_encryption_enabled must be true"},
		{"rule": "redis_encrypted_in_transit", "address": "aws_elasticache_replication_group.this", "msg": "aws_elasticache_replication_group.this: transit_encryption_enabled must be true"},
	} with input as {"plan": plan([rc("aws_elasticache_replication_group.this", "aws_elasticache_replication_group", ["create"], {"at_rest_encryption_enabled": false})])}
}

test_deleting_a_db_is_denied_without_label if {
	rules.destroy.deny == {{"rule": "protected_destroy", "address": "aws_db_instance.this", "msg": "aws_db_instance.this would be deleted; add the PR label allow-destroy to allow it"}} with input as {"plan": plan([rc("aws_db_instance.this", "aws_db_instance", ["delete"], null)]), "pr": {"labels": []}}
}

test_deleting_a_db_with_label_passes if {
	count(rules.destroy.deny) == 0 with input as {"plan": plan([rc("aws_db_instance.this", "aws_db_instance", ["delete"], null)]), "pr": {"labels": ["allow-destroy"]}}
}

test_deleting_a_log_group_needs_no_label if {
	count(rules.destroy.deny) == 0 with input as {"plan": plan([rc("aws_cloudwatch_log_group.this", "aws_cloudwatch_log_group", ["delete"], null)]), "pr": null}
}

test_untaggable_resource_is_not_checked if {
	count(rules.tags.deny) == 0 with input as {"environment": "dev", "plan": plan([rc("aws_route_table_association.a", "aws_route_table_association", ["create"], {"subnet_id": null})])}
}

test_tag_of_other_env_denied if {
	rules.tags.deny == {{"rule": "environment_tag", "address": "aws_vpc.this", "msg": "aws_vpc.this: tags_all must have Environment=dev (has staging)"}} with input as {"environment": "dev", "plan": plan([rc("aws_vpc.this", "aws_vpc", ["create"], {"tags_all": {"Environment": "staging"}})])}
}

test_disjoint_cidrs_pass if {
	count(rules.cidr.deny) == 0 with input as {"environment": "dev", "environments": [{"name": "dev", "vpc_cidr": "10.0.0.0/16"}, {"name": "staging", "vpc_cidr": "10.1.0.0/16"}]}
}

test_overlapping_cidrs_denied if {
	rules.cidr.deny == {{"rule": "vpc_cidr_overlap", "address": "network.vpc_cidr", "msg": "network.vpc_cidr 10.0.0.0/16 of dev overlaps 10.0.0.0/8 of staging"}} with input as {"environment": "dev", "environments": [{"name": "dev", "vpc_cidr": "10.0.0.0/16"}, {"name": "staging", "vpc_cidr": "10.0.0.0/8"}]}
}

test_budget_fractional_dollars if {
	rules.budget.warn == {{"rule": "budget", "address": "budget.monthly_usd", "msg": "estimated monthly cost $200.05 exceeds budget.monthly_usd $200.00 (before this change: $0.00)"}} with input as {"cost": {"before_monthly_usd": 0, "after_monthly_usd": 200.05, "budget_monthly_usd": 200, "enforce": false}}
}

test_budget_null_cost_passes if {
	count(rules.budget.warn) + count(rules.budget.deny) == 0 with input as {"cost": null}
}

test_release_forward_passes if {
	count(rules.release.deny) == 0 with input as {"release": {"version": "v1.10.0", "previous": "v1.9.3"}, "pr": null}
}

test_release_rollback_denied_without_label if {
	rules.release.deny == {{"rule": "release_rollback", "address": "version", "msg": "version v1.9.3 is older than v1.10.0; add the PR label rollback to roll back"}} with input as {"release": {"version": "v1.9.3", "previous": "v1.10.0"}, "pr": {"labels": []}}
}

test_release_prerelease_denied if {
	rules.release.deny == {{"rule": "release_semver", "address": "version", "msg": "version \"v1.2.0-rc1\" is not a release tag vMAJOR.MINOR.PATCH"}} with input as {"release": {"version": "v1.2.0-rc1", "previous": ""}}
}

# An applied stack: ids are known, so security groups are matched by id
# without looking at the configuration.
applied := plan([
	rc("aws_security_group.ecs", "aws_security_group", ["no-op"], {"id": "sg-ecs"}),
	rc("aws_security_group.rds", "aws_security_group", ["no-op"], {"id": "sg-rds"}),
	rc("aws_security_group.alb", "aws_security_group", ["no-op"], {"id": "sg-alb"}),
	rc("aws_lb.this", "aws_lb", ["no-op"], {"id": "lb", "security_groups": ["sg-alb"]}),
	rc("aws_db_instance.this", "aws_db_instance", ["no-op"], db({"id": "db", "vpc_security_group_ids": ["sg-rds"]})),
	rc("aws_subnet.private[0]", "aws_subnet", ["no-op"], {"id": "subnet-a", "map_public_ip_on_launch": false}),
	rc("aws_ecs_service.this", "aws_ecs_service", ["update"], {"id": "svc", "network_configuration": [{"assign_public_ip": false, "subnets": ["subnet-a"], "security_groups": ["sg-ecs"]}]}),
	rc("aws_vpc_security_group_ingress_rule.https", "aws_vpc_security_group_ingress_rule", ["no-op"], {"security_group_id": "sg-alb", "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 443, "to_port": 443}),
	rc("aws_vpc_security_group_ingress_rule.db", "aws_vpc_security_group_ingress_rule", ["no-op"], {"security_group_id": "sg-rds", "referenced_security_group_id": "sg-ecs", "ip_protocol": "tcp", "from_port": 5432, "to_port": 5432}),
])

test_applied_stack_passes_network_rules if {
	count(rules.network.deny) == 0 with input as {"plan": applied}
}

test_applied_stack_db_open_to_alb_and_public_subnet if {
	extra := [
		rc("aws_vpc_security_group_ingress_rule.db_alb", "aws_vpc_security_group_ingress_rule", ["create"], {"security_group_id": "sg-rds", "referenced_security_group_id": "sg-alb", "ip_protocol": "tcp", "from_port": 5432, "to_port": 5432}),
		rc("aws_security_group_rule.ssh", "aws_security_group_rule", ["create"], {"type": "ingress", "security_group_id": "sg-ecs", "cidr_blocks": ["0.0.0.0/0"], "protocol": "tcp", "from_port": 22, "to_port": 22}),
	]
	rules.network.deny == {
		{"rule": "rds_ingress_only_ecs", "address": "aws_vpc_security_group_ingress_rule.db_alb", "msg": "aws_vpc_security_group_ingress_rule.db_alb: lets aws_security_group.alb reach the RDS security group; only the ECS security group may"},
		{"rule": "sg_open_ingress", "address": "aws_security_group_rule.ssh", "msg": "aws_security_group_rule.ssh: allows tcp 22-22 from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"},
	} with input as {"plan": plan(array.concat(applied.resource_changes, extra))}
}

test_ecs_public_ip_and_unknown_subnet_denied if {
	bad := rc("aws_ecs_service.this", "aws_ecs_service", ["update"], {"network_configuration": [{"assign_public_ip": true, "subnets": ["subnet-elsewhere"], "security_groups": []}]})
	rules.network.deny == {
		{"rule": "ecs_no_public_ip", "address": "aws_ecs_service.this", "msg": "aws_ecs_service.this: network_configuration.assign_public_ip must be false"},
		{"rule": "ecs_private_subnets", "address": "aws_ecs_service.this", "msg": "aws_ecs_service.this: runs in subnet-elsewhere; services run only in private subnets"},
	} with input as {"plan": plan([bad])}
}

# In an applied stack some ids repeat across types (an ECR repository and its
# lifecycle policy are both named after the repository); that must not make
# evaluation fail with conflicting object keys.
test_ids_shared_across_types_do_not_conflict if {
	shared := [
		rc("aws_ecr_repository.this", "aws_ecr_repository", ["no-op"], {"id": "inventory-management/ui"}),
		rc("aws_ecr_lifecycle_policy.this", "aws_ecr_lifecycle_policy", ["no-op"], {"id": "inventory-management/ui"}),
	]
	count(rules.network.deny) == 0 with input as {"plan": plan(array.concat(applied.resource_changes, shared))}
}

# Protocol "-1" has no ports (null); the message says what it means.
test_all_protocols_rule_says_all_traffic if {
	open := rc("aws_vpc_security_group_ingress_rule.all", "aws_vpc_security_group_ingress_rule", ["create"], {"security_group_id": "sg-ecs", "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "-1", "from_port": null, "to_port": null})
	rules.network.deny == {{"rule": "sg_open_ingress", "address": "aws_vpc_security_group_ingress_rule.all", "msg": "aws_vpc_security_group_ingress_rule.all: allows all traffic from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"}} with input as {"plan": plan(array.concat(applied.resource_changes, [open]))}
}

test_all_protocols_legacy_rule_says_all_traffic if {
	open := rc("aws_security_group_rule.all", "aws_security_group_rule", ["create"], {"type": "ingress", "security_group_id": "sg-ecs", "cidr_blocks": ["0.0.0.0/0"], "protocol": "all", "from_port": 0, "to_port": 0})
	rules.network.deny == {{"rule": "sg_open_ingress", "address": "aws_security_group_rule.all", "msg": "aws_security_group_rule.all: allows all traffic from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"}} with input as {"plan": plan(array.concat(applied.resource_changes, [open]))}
}

# configured: plan with the root module configuration of resource blocks
# given as address -> expressions.
configured(changes, exprs) := object.union(plan(changes), {"configuration": {"root_module": {"resources": [
{"address": address, "mode": "managed", "type": split(address, ".")[0], "name": split(address, ".")[1], "expressions": e} |
	some address, e in exprs
]}}})

# What the AWS provider reads back into aws_security_group.ingress after a
# refresh: every ingress permission of the group, also those managed as
# separate rule resources or added in the console.
refreshed_ecs := rc("aws_security_group.ecs", "aws_security_group", ["no-op"], {"id": "sg-ecs", "ingress": [
	{"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": false, "protocol": "tcp", "from_port": 22, "to_port": 22},
	{"cidr_blocks": [], "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": ["sg-alb"], "self": false, "protocol": "tcp", "from_port": 0, "to_port": 65535},
]})

applied_but_ecs := [c | some c in applied.resource_changes; c.address != "aws_security_group.ecs"]

sg_config := {"aws_security_group.ecs": {"name": {"constant_value": "ecs"}}}

test_refreshed_ingress_of_a_group_without_inline_rules_is_not_checked if {
	# Drift made in the console, or a separate rule being deleted by this PR,
	# shows in the group's refreshed ingress only.
	count(rules.network.deny) == 0 with input as {"plan": configured(array.concat(applied_but_ecs, [refreshed_ecs]), sg_config)}
}

test_open_separate_rule_is_reported_once_not_again_on_its_group if {
	open := rc("aws_vpc_security_group_ingress_rule.ssh", "aws_vpc_security_group_ingress_rule", ["create"], {"security_group_id": "sg-ecs", "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 22, "to_port": 22})
	rules.network.deny == {{"rule": "sg_open_ingress", "address": "aws_vpc_security_group_ingress_rule.ssh", "msg": "aws_vpc_security_group_ingress_rule.ssh: allows tcp 22-22 from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"}} with input as {"plan": configured(array.concat(applied_but_ecs, [refreshed_ecs, open]), sg_config)}
}

test_inline_ingress_set_in_the_configuration_is_checked if {
	inline := {"aws_security_group.ecs": {"name": {"constant_value": "ecs"}, "ingress": {"constant_value": [{"cidr_blocks": ["0.0.0.0/0"], "protocol": "tcp", "from_port": 22, "to_port": 22}]}}}
	rules.network.deny == {{"rule": "sg_open_ingress", "address": "aws_security_group.ecs", "msg": "aws_security_group.ecs: allows tcp 22-22 from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"}} with input as {"plan": configured(array.concat(applied_but_ecs, [refreshed_ecs]), inline)}
}

test_inline_ingress_is_checked_when_the_configuration_is_missing if {
	# Fail closed: without the resource's configuration nothing says the
	# blocks are not inline rules.
	rules.network.deny == {{"rule": "sg_open_ingress", "address": "aws_security_group.ecs", "msg": "aws_security_group.ecs: allows tcp 22-22 from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"}} with input as {"plan": plan(array.concat(applied_but_ecs, [refreshed_ecs]))}
}

# Internet exposure is any source that is not private: a CIDR outside RFC
# 1918, the VPC's own CIDR and IPv6 ULA, or a prefix list (its entries are
# not in the plan).
vpc_100_64 := rc("aws_vpc.this", "aws_vpc", ["no-op"], {"id": "vpc-1", "cidr_block": "100.64.0.0/16"})

ecs_from(cidr) := rc("aws_vpc_security_group_ingress_rule.x", "aws_vpc_security_group_ingress_rule", ["create"], object.union(
	{"security_group_id": "sg-ecs", "ip_protocol": "tcp", "from_port": 22, "to_port": 22},
	{k: cidr | k := ["cidr_ipv4", "cidr_ipv6"][to_number(contains(cidr, ":"))]},
))

open_ssh(addr, from) := {"rule": "sg_open_ingress", "address": addr, "msg": sprintf("%s: allows tcp 22-22 from %s; only the ALB security group may accept the internet, on tcp 80 or 443", [addr, from])}

network_denies(extra) := d if {
	d := rules.network.deny with input as {"plan": plan(array.concat(array.concat(applied.resource_changes, [vpc_100_64]), extra))}
}

test_internet_ranges_other_than_the_default_route_are_denied if {
	every cidr in ["0.0.0.0/1", "128.0.0.0/1", "::/1", "203.0.113.0/24", "172.32.0.0/16", "100.64.0.0/10", "2001:db8::/32", "8.8.8.8/32"] {
		network_denies([ecs_from(cidr)]) == {open_ssh("aws_vpc_security_group_ingress_rule.x", cidr)}
	}
}

test_private_ranges_and_the_vpc_cidr_are_not_the_internet if {
	every cidr in ["10.0.0.0/8", "10.1.2.0/24", "172.16.0.0/12", "172.31.255.0/24", "192.168.0.0/16", "100.64.0.0/16", "100.64.3.0/24", "fc00::/7", "fd12:3456::/48"] {
		count(network_denies([ecs_from(cidr)])) == 0
	}
}

test_two_halves_of_the_internet_are_both_denied if {
	halves := rc("aws_security_group_rule.halves", "aws_security_group_rule", ["create"], {"type": "ingress", "security_group_id": "sg-ecs", "cidr_blocks": ["0.0.0.0/1", "128.0.0.0/1"], "protocol": "tcp", "from_port": 22, "to_port": 22})
	network_denies([halves]) == {open_ssh("aws_security_group_rule.halves", "0.0.0.0/1"), open_ssh("aws_security_group_rule.halves", "128.0.0.0/1")}
}

test_egress_rule_of_the_legacy_type_is_not_ingress if {
	out := rc("aws_security_group_rule.out", "aws_security_group_rule", ["create"], {"type": "egress", "security_group_id": "sg-ecs", "cidr_blocks": ["0.0.0.0/0"], "protocol": "-1", "from_port": 0, "to_port": 0})
	count(network_denies([out])) == 0
}

test_prefix_list_source_is_treated_as_the_internet if {
	pl := rc("aws_vpc_security_group_ingress_rule.pl", "aws_vpc_security_group_ingress_rule", ["create"], {"security_group_id": "sg-ecs", "prefix_list_id": "pl-123", "ip_protocol": "tcp", "from_port": 22, "to_port": 22})
	network_denies([pl]) == {open_ssh("aws_vpc_security_group_ingress_rule.pl", "prefix list pl-123 (its entries are not resolved)")}
}

test_prefix_list_known_only_after_apply_is_treated_as_the_internet if {
	pl := object.union(
		rc("aws_vpc_security_group_ingress_rule.pl", "aws_vpc_security_group_ingress_rule", ["create"], {"security_group_id": "sg-ecs", "prefix_list_id": null, "ip_protocol": "tcp", "from_port": 22, "to_port": 22}),
		{"change": {"after_unknown": {"prefix_list_id": true}}},
	)
	network_denies([pl]) == {open_ssh("aws_vpc_security_group_ingress_rule.pl", "a prefix list known only after apply (its entries are not resolved)")}
}

test_prefix_list_may_reach_the_alb_on_443 if {
	pl := rc("aws_vpc_security_group_ingress_rule.pl", "aws_vpc_security_group_ingress_rule", ["create"], {"security_group_id": "sg-alb", "prefix_list_id": "pl-123", "ip_protocol": "tcp", "from_port": 443, "to_port": 443})
	count(network_denies([pl])) == 0
}

test_prefix_list_reaching_rds_is_denied if {
	pl := rc("aws_security_group_rule.pl", "aws_security_group_rule", ["create"], {"type": "ingress", "security_group_id": "sg-rds", "prefix_list_ids": ["pl-123"], "protocol": "tcp", "from_port": 5432, "to_port": 5432})
	network_denies([pl]) == {
		{"rule": "rds_ingress_only_ecs", "address": "aws_security_group_rule.pl", "msg": "aws_security_group_rule.pl: lets prefix list pl-123 (its entries are not resolved) reach the RDS security group; only the ECS security group may"},
		{"rule": "sg_open_ingress", "address": "aws_security_group_rule.pl", "msg": "aws_security_group_rule.pl: allows tcp 5432-5432 from prefix list pl-123 (its entries are not resolved); only the ALB security group may accept the internet, on tcp 80 or 443"},
	}
}

test_default_security_group_open_to_the_internet_is_denied if {
	dflt := rc("aws_default_security_group.this", "aws_default_security_group", ["update"], {"id": "sg-default", "ingress": [{"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": false, "protocol": "-1", "from_port": 0, "to_port": 0}]})
	network_denies([dflt]) == {{"rule": "sg_open_ingress", "address": "aws_default_security_group.this", "msg": "aws_default_security_group.this: allows all traffic from 0.0.0.0/0; only the ALB security group may accept the internet, on tcp 80 or 443"}}
}

# Aurora and Multi-AZ clusters: storage and backups are the cluster's,
# public access is each instance's.
test_rds_cluster_compliant_passes if {
	count(rules.datastores.deny) == 0 with input as {"plan": plan([
		rc("aws_rds_cluster.this", "aws_rds_cluster", ["create"], {"engine": "aurora-postgresql", "storage_encrypted": true, "backup_retention_period": 7}),
		rc("aws_rds_cluster_instance.this", "aws_rds_cluster_instance", ["create"], {"engine": "aurora-postgresql", "publicly_accessible": false}),
	])}
}

test_rds_cluster_violations_denied if {
	rules.datastores.deny == {
		{"rule": "rds_encrypted", "address": "aws_rds_cluster.this", "msg": "aws_rds_cluster.this: storage_encrypted must be true"},
		{"rule": "rds_backup_retention", "address": "aws_rds_cluster.this", "msg": "aws_rds_cluster.this: backup_retention_period is 1; at least 7 days required"},
		{"rule": "rds_not_public", "address": "aws_rds_cluster_instance.this", "msg": "aws_rds_cluster_instance.this: publicly_accessible must be false"},
	} with input as {"plan": plan([
		rc("aws_rds_cluster.this", "aws_rds_cluster", ["create"], {"engine": "aurora-postgresql", "storage_encrypted": false, "backup_retention_period": 1}),
		rc("aws_rds_cluster_instance.this", "aws_rds_cluster_instance", ["create"], {"engine": "aurora-postgresql", "publicly_accessible": true}),
	])}
}

test_rds_cluster_left_to_defaults_is_denied if {
	# Unknown values are absent from after: AWS defaults to unencrypted,
	# one day of backups and, in a default VPC, public instances.
	rules.datastores.deny == {
		{"rule": "rds_encrypted", "address": "aws_rds_cluster.this", "msg": "aws_rds_cluster.this: storage_encrypted must be true"},
		{"rule": "rds_backup_retention", "address": "aws_rds_cluster.this", "msg": "aws_rds_cluster.this: backup_retention_period is null; at least 7 days required"},
		{"rule": "rds_not_public", "address": "aws_rds_cluster_instance.this", "msg": "aws_rds_cluster_instance.this: publicly_accessible must be false"},
	} with input as {"plan": plan([
		rc("aws_rds_cluster.this", "aws_rds_cluster", ["create"], {"engine": "aurora-postgresql"}),
		rc("aws_rds_cluster_instance.this", "aws_rds_cluster_instance", ["create"], {"engine": "aurora-postgresql"}),
	])}
}

test_valkey_replication_group_unencrypted_denied if {
	rules.datastores.deny == {
		{"rule": "redis_encrypted_at_rest", "address": "aws_elasticache_replication_group.this", "msg": "aws_elasticache_replication_group.this: at_rest_encryption_enabled must be true"},
		{"rule": "redis_encrypted_in_transit", "address": "aws_elasticache_replication_group.this", "msg": "aws_elasticache_replication_group.this: transit_encryption_enabled must be true"},
	} with input as {"plan": plan([rc("aws_elasticache_replication_group.this", "aws_elasticache_replication_group", ["create"], {"engine": "valkey", "at_rest_encryption_enabled": "false", "transit_encryption_enabled": false})])}
}

test_standalone_redis_and_valkey_clusters_are_denied if {
	# CreateCacheCluster has no at-rest encryption: only a replication group
	# encrypts Redis or Valkey at rest.
	rules.datastores.deny == {
		{"rule": "redis_encrypted_at_rest", "address": "aws_elasticache_cluster.redis", "msg": "aws_elasticache_cluster.redis: a standalone redis cluster cannot be encrypted at rest; use aws_elasticache_replication_group with at_rest_encryption_enabled = true"},
		{"rule": "redis_encrypted_at_rest", "address": "aws_elasticache_cluster.valkey", "msg": "aws_elasticache_cluster.valkey: a standalone valkey cluster cannot be encrypted at rest; use aws_elasticache_replication_group with at_rest_encryption_enabled = true"},
		{"rule": "redis_encrypted_in_transit", "address": "aws_elasticache_cluster.valkey", "msg": "aws_elasticache_cluster.valkey: transit_encryption_enabled must be true"},
	} with input as {"plan": plan([
		rc("aws_elasticache_cluster.redis", "aws_elasticache_cluster", ["create"], {"engine": "redis", "transit_encryption_enabled": true}),
		rc("aws_elasticache_cluster.valkey", "aws_elasticache_cluster", ["create"], {"engine": "valkey"}),
	])}
}

test_memcached_member_and_serverless_caches_pass if {
	# A member cluster takes its engine and encryption from its replication
	# group (checked there); ElastiCache Serverless always encrypts.
	count(rules.datastores.deny) == 0 with input as {"plan": plan([
		rc("aws_elasticache_cluster.memcached", "aws_elasticache_cluster", ["create"], {"engine": "memcached"}),
		rc("aws_elasticache_cluster.member", "aws_elasticache_cluster", ["create"], {"replication_group_id": "rg-1"}),
		rc("aws_elasticache_serverless_cache.this", "aws_elasticache_serverless_cache", ["create"], {"engine": "valkey"}),
	])}
}

test_member_cluster_of_a_group_created_in_the_same_plan_passes if {
	# The group's id is unknown until apply: the configuration says it is set.
	count(rules.datastores.deny) == 0 with input as {"plan": configured(
		[rc("aws_elasticache_cluster.member", "aws_elasticache_cluster", ["create"], {})],
		{"aws_elasticache_cluster.member": {"replication_group_id": {"references": ["aws_elasticache_replication_group.this.id", "aws_elasticache_replication_group.this"]}}},
	)}
}

test_cluster_and_serverless_security_groups_are_datastores if {
	stores := [
		rc("aws_security_group.aurora", "aws_security_group", ["no-op"], {"id": "sg-aurora"}),
		rc("aws_security_group.cache", "aws_security_group", ["no-op"], {"id": "sg-cache"}),
		rc("aws_rds_cluster.this", "aws_rds_cluster", ["no-op"], {"vpc_security_group_ids": ["sg-aurora"]}),
		rc("aws_elasticache_serverless_cache.this", "aws_elasticache_serverless_cache", ["no-op"], {"engine": "valkey", "security_group_ids": ["sg-cache"]}),
		rc("aws_vpc_security_group_ingress_rule.aurora", "aws_vpc_security_group_ingress_rule", ["create"], {"security_group_id": "sg-aurora", "referenced_security_group_id": "sg-alb", "ip_protocol": "tcp", "from_port": 5432, "to_port": 5432}),
		rc("aws_vpc_security_group_ingress_rule.cache", "aws_vpc_security_group_ingress_rule", ["create"], {"security_group_id": "sg-cache", "cidr_ipv4": "10.0.0.0/16", "ip_protocol": "tcp", "from_port": 6379, "to_port": 6379}),
	]
	rules.network.deny == {
		{"rule": "rds_ingress_only_ecs", "address": "aws_vpc_security_group_ingress_rule.aurora", "msg": "aws_vpc_security_group_ingress_rule.aurora: lets aws_security_group.alb reach the RDS security group; only the ECS security group may"},
		{"rule": "redis_ingress_only_ecs", "address": "aws_vpc_security_group_ingress_rule.cache", "msg": "aws_vpc_security_group_ingress_rule.cache: lets 10.0.0.0/16 reach the Redis security group; only the ECS security group may"},
	} with input as {"plan": plan(array.concat(applied.resource_changes, stores))}
}

destroy_denies(changes, labels) := d if {
	d := rules.destroy.deny with input as {"plan": plan(changes), "pr": {"labels": labels}}
}

test_replacing_an_ecs_service_is_denied_without_label if {
	destroy_denies([rc("aws_ecs_service.this", "aws_ecs_service", ["delete", "create"], {"capacity_provider_strategy": []})], []) == {{"rule": "protected_destroy", "address": "aws_ecs_service.this", "msg": "aws_ecs_service.this would be replaced (its tasks stop, and it comes back on terraform's first task definition, not the released one); add the PR label allow-destroy to allow it"}}
}

test_updating_an_ecs_service_in_place_needs_no_label if {
	count(destroy_denies([rc("aws_ecs_service.this", "aws_ecs_service", ["update"], {"desired_count": 1})], [])) == 0
}

test_deleting_an_ecr_repository_or_a_secret_is_denied_without_label if {
	destroy_denies(
		[
			rc("aws_ecr_repository.this", "aws_ecr_repository", ["delete"], null),
			rc("aws_secretsmanager_secret.db", "aws_secretsmanager_secret", ["delete"], null),
			rc("aws_elasticache_serverless_cache.this", "aws_elasticache_serverless_cache", ["delete"], null),
		],
		["rollback"],
	) == {
		{"rule": "protected_destroy", "address": "aws_ecr_repository.this", "msg": "aws_ecr_repository.this would be deleted (it holds the images a rollback needs); add the PR label allow-destroy to allow it"},
		{"rule": "protected_destroy", "address": "aws_secretsmanager_secret.db", "msg": "aws_secretsmanager_secret.db would be deleted (a write-only password is kept nowhere else); add the PR label allow-destroy to allow it"},
		{"rule": "protected_destroy", "address": "aws_elasticache_serverless_cache.this", "msg": "aws_elasticache_serverless_cache.this would be deleted; add the PR label allow-destroy to allow it"},
	}
}

test_deleting_an_ecr_repository_with_label_passes if {
	count(destroy_denies([rc("aws_ecr_repository.this", "aws_ecr_repository", ["delete"], null)], ["allow-destroy"])) == 0
}

# A removed block with lifecycle { destroy = false } plans "forget": the
# resource stays in AWS, unmanaged (terraform 1.7+).
forgotten(address, typ, before) := object.union(rc(address, typ, ["forget"], null), {"change": {"before": before}})

test_forgetting_a_db_is_denied_without_label if {
	d := forgotten("aws_db_instance.this", "aws_db_instance", db({"id": "db"}))
	destroy_denies([d], []) == {{"rule": "protected_destroy", "address": "aws_db_instance.this", "msg": "aws_db_instance.this would be removed from terraform state (forgotten); add the PR label allow-destroy to allow it"}}
}

test_forgetting_an_ecs_service_gives_no_replacement_reason if {
	s := forgotten("aws_ecs_service.this", "aws_ecs_service", {"id": "svc"})
	destroy_denies([s], []) == {{"rule": "protected_destroy", "address": "aws_ecs_service.this", "msg": "aws_ecs_service.this would be removed from terraform state (forgotten); add the PR label allow-destroy to allow it"}}
}

test_forgetting_a_db_with_label_passes if {
	count(destroy_denies([forgotten("aws_db_instance.this", "aws_db_instance", db({"id": "db"}))], ["allow-destroy"])) == 0
}

test_forgetting_a_log_group_needs_no_label if {
	count(destroy_denies([forgotten("aws_cloudwatch_log_group.this", "aws_cloudwatch_log_group", {"id": "lg"})], [])) == 0
}

test_a_forgotten_db_is_not_checked_as_if_it_stayed if {
	# after is null: the rules of resources that exist after the apply must
	# not read it as an unencrypted, public database.
	count(rules.datastores.deny) == 0 with input as {"plan": plan([forgotten("aws_db_instance.this", "aws_db_instance", db({"id": "db"}))])}
}

test_replacing_a_db_while_forgetting_the_old_one_is_denied if {
	# ["create", "forget"]: replaced, and the old object is left in AWS.
	destroy_denies([rc("aws_db_instance.this", "aws_db_instance", ["create", "forget"], db({}))], []) == {{"rule": "protected_destroy", "address": "aws_db_instance.this", "msg": "aws_db_instance.this would be replaced, the old one removed from terraform state (forgotten); add the PR label allow-destroy to allow it"}}
}

test_deleting_an_ecs_service_says_its_tasks_stop if {
	destroy_denies([rc("aws_ecs_service.this", "aws_ecs_service", ["delete"], null)], []) == {{"rule": "protected_destroy", "address": "aws_ecs_service.this", "msg": "aws_ecs_service.this would be deleted (its tasks stop); add the PR label allow-destroy to allow it"}}
}
