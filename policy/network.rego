# Network exposure: services run in private subnets without public IPs; only
# the ALB accepts traffic from the internet, and only on 80/443; the data
# stores accept connections only from the ECS services' security group.
#
# Security groups are identified by their base address
# (module.security.aws_security_group.rds) and found from what uses them
# (the ALB, the ECS services, the RDS instances and clusters, the Redis
# groups, clusters and serverless caches), not by name.
package gitops.rules.network

import data.gitops.lib
import data.gitops.rules.datastores

# ingress: one entry per ingress permission, whichever resource declares it.
# prefix_lists names the prefix lists it admits: their entries are not in the
# plan, so they are sources policy cannot resolve.
ingress contains r if {
	some rc in lib.of_type("aws_vpc_security_group_ingress_rule")
	a := lib.after(rc)
	r := {
		"address": rc.address,
		"targets": lib.points_to(rc, "security_group_id"),
		"cidrs": {c | some k in ["cidr_ipv4", "cidr_ipv6"]; c := a[k]; is_string(c)},
		"sources": lib.points_to(rc, "referenced_security_group_id"),
		"prefix_lists": prefix_lists([object.get(a, "prefix_list_id", null)], object.get(unknown(rc), "prefix_list_id", false)),
		"protocol": object.get(a, "ip_protocol", null),
		"from": object.get(a, "from_port", null),
		"to": object.get(a, "to_port", null),
	}
}

ingress contains r if {
	some rc in lib.of_type("aws_security_group_rule")
	a := lib.after(rc)
	a.type == "ingress"
	targets := lib.points_to(rc, "security_group_id")
	r := {
		"address": rc.address,
		"targets": targets,
		"cidrs": {c | some k in ["cidr_blocks", "ipv6_cidr_blocks"]; some c in object.get(a, k, [])},
		"sources": (lib.points_to(rc, "source_security_group_id") | {t | a.self == true; some t in targets}),
		"prefix_lists": prefix_lists(object.get(a, "prefix_list_ids", []), object.get(unknown(rc), "prefix_list_ids", false)),
		"protocol": object.get(a, "protocol", null),
		"from": object.get(a, "from_port", null),
		"to": object.get(a, "to_port", null),
	}
}

# Inline ingress blocks of a group count only when its configuration writes
# them. Once a group exists, the AWS provider reads every permission of the
# group back into ingress, also those of the separate rule resources and
# those added in the console: checking them would report each rule twice,
# deny removing an open rule (the refreshed group still lists it until the
# apply) and block every PR for drift the PR did not make.
ingress contains r if {
	some t in ["aws_security_group", "aws_default_security_group"]
	some rc in lib.of_type(t)
	inline_ingress(rc)
	some i, block in object.get(lib.after(rc), "ingress", [])
	me := lib.base(rc.address)
	r := {
		"address": rc.address,
		"targets": {me},
		"cidrs": {c | some k in ["cidr_blocks", "ipv6_cidr_blocks"]; some c in object.get(block, k, [])},
		"sources": ({object.get(lib.id_to_base, id, id) | some id in object.get(block, "security_groups", [])} | {me | block.self == true}),
		"prefix_lists": prefix_lists(object.get(block, "prefix_list_ids", []), object.get(unknown(rc), ["ingress", i, "prefix_list_ids"], false)),
		"protocol": object.get(block, "protocol", null),
		"from": object.get(block, "from_port", null),
		"to": object.get(block, "to_port", null),
	}
}

unknown(rc) := object.get(rc.change, "after_unknown", {})

# prefix_lists describes the prefix lists of ids (null when unknown) and of
# an after_unknown marker (true, or a list with true for unknown elements).
prefix_lists(ids, marker) := {sprintf("prefix list %s (its entries are not resolved)", [id]) |
	some id in ids
	is_string(id)
} | {"a prefix list known only after apply (its entries are not resolved)" | any_true(marker)}

any_true(marker) if marker == true

any_true(marker) if {
	is_array(marker)
	true in marker
}

inline_ingress(rc) if "ingress" in object.keys(lib.resource_config(rc).expressions)

# Without the resource's configuration (a plan of a module nested deeper than
# lib.config_modules reads) nothing says the blocks are not inline: fail closed.
inline_ingress(rc) if not lib.resource_config(rc)

alb_sgs := union({lib.list_points_to(rc, ["security_groups"]) | some rc in lib.of_type("aws_lb")})

ecs_sgs := union({lib.list_points_to(rc, ["network_configuration", 0, "security_groups"]) | some rc in lib.of_type("aws_ecs_service")})

rds_sgs := union({lib.list_points_to(rc, ["vpc_security_group_ids"]) |
	some t in ["aws_db_instance", "aws_rds_cluster"]
	some rc in lib.of_type(t)
})

# A member aws_elasticache_cluster lists no groups of its own (they are its
# replication group's); a memcached cache is not Redis.
redis_sgs := union({lib.list_points_to(rc, ["security_group_ids"]) |
	some t in ["aws_elasticache_replication_group", "aws_elasticache_cluster", "aws_elasticache_serverless_cache"]
	some rc in lib.of_type(t)
	datastores.redis_like(rc)
})

# Internet exposure is any source that is not provably private, not only
# 0.0.0.0/0 and ::/0: 0.0.0.0/1 with 128.0.0.0/1, ::/1 or a public range
# admit the internet as well. Private IPv4 is RFC 1918 and the VPC's own
# CIDR (which need not be RFC 1918); private IPv6 is ULA (fc00::/7).
private_ipv4 := {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} | {c |
	some rc in lib.of_type("aws_vpc")
	c := lib.after(rc).cidr_block
	is_string(c)
}

internet(cidr) if {
	not contains(cidr, ":")
	not inside_any(private_ipv4, cidr)
}

internet(cidr) if {
	contains(cidr, ":")
	not net.cidr_contains("fc00::/7", cidr)
}

inside_any(nets, cidr) if {
	some n in nets
	net.cidr_contains(n, cidr)
}

# exposures lists what of r may be the internet: public CIDRs and prefix lists.
exposures(r) := {c | some c in r.cidrs; internet(c)} | r.prefix_lists

deny contains lib.verdict("sg_open_ingress", r.address, msg) if {
	some r in ingress
	some who in exposures(r)
	not alb_web_port(r)
	msg := sprintf(
		"%s: allows %s from %s; only the ALB security group may accept the internet, on tcp 80 or 443",
		[r.address, ports(r), who],
	)
}

alb_web_port(r) if {
	count(r.targets) > 0
	count(r.targets - alb_sgs) == 0
	r.protocol in {"tcp", "6"}
	r.from == r.to
	r.from in {80, 443}
}

# Protocol "-1" (written "all" in aws_security_group_rule) is every protocol
# and port; its ports are null or 0 and mean nothing.
ports(r) := "all traffic" if {
	r.protocol in {"-1", "all"}
} else := sprintf("%v %v-%v", [r.protocol, r.from, r.to])

# not_from_ecs lists what, besides the ECS security group, a rule admits.
not_from_ecs(r) := ((r.cidrs | r.prefix_lists) | {s | some s in r.sources; not s in ecs_sgs}) | {"an unresolved source" |
	count(r.cidrs) == 0
	count(r.sources) == 0
	count(r.prefix_lists) == 0
}

deny contains lib.verdict("rds_ingress_only_ecs", r.address, msg) if {
	some r in ingress
	count(r.targets & rds_sgs) > 0
	some who in not_from_ecs(r)
	msg := sprintf("%s: lets %s reach the RDS security group; only the ECS security group may", [r.address, who])
}

deny contains lib.verdict("redis_ingress_only_ecs", r.address, msg) if {
	some r in ingress
	count(r.targets & redis_sgs) > 0
	some who in not_from_ecs(r)
	msg := sprintf("%s: lets %s reach the Redis security group; only the ECS security group may", [r.address, who])
}

deny contains lib.verdict("ecs_no_public_ip", rc.address, msg) if {
	some rc in lib.of_type("aws_ecs_service")
	not no_public_ip(rc)
	msg := sprintf("%s: network_configuration.assign_public_ip must be false", [rc.address])
}

no_public_ip(rc) if {
	ncs := lib.after(rc).network_configuration
	count(ncs) > 0
	every nc in ncs {
		nc.assign_public_ip == false
	}
}

subnets := {lib.base(rc.address) | some rc in lib.of_type("aws_subnet")}

public_subnets contains lib.base(rc.address) if {
	some rc in lib.of_type("aws_subnet")
	rc.name == "public"
}

public_subnets contains lib.base(rc.address) if {
	some rc in lib.of_type("aws_subnet")
	lib.after(rc).map_public_ip_on_launch == true
}

private_subnet(s) if {
	s in subnets
	not s in public_subnets
}

deny contains lib.verdict("ecs_private_subnets", rc.address, msg) if {
	some rc in lib.of_type("aws_ecs_service")
	bad := {s | some s in lib.list_points_to(rc, ["network_configuration", 0, "subnets"]); not private_subnet(s)}
	count(bad) > 0
	msg := sprintf("%s: runs in %s; services run only in private subnets", [rc.address, concat(", ", sort(bad))])
}

deny contains lib.verdict("ecs_private_subnets", rc.address, msg) if {
	some rc in lib.of_type("aws_ecs_service")
	count(lib.list_points_to(rc, ["network_configuration", 0, "subnets"])) == 0
	msg := sprintf("%s: cannot tell which subnets it runs in; services run only in private subnets", [rc.address])
}
