# PostgreSQL (RDS) and Redis (ElastiCache) hold the application's data:
# encrypted, backed up, never reachable from the internet.
#
# Every resource type that can hold them is checked, not only the two the
# stack uses today: an Aurora or Multi-AZ cluster keeps storage and backups
# on aws_rds_cluster and public access on each aws_rds_cluster_instance.
# Values unknown until apply are absent from the plan, so a rule that needs
# a value denies when it is absent (AWS's defaults are the unsafe ones).
package gitops.rules.datastores

import data.gitops.lib

# storage_types: where storage encryption and backup retention are set.
storage_types := ["aws_db_instance", "aws_rds_cluster"]

# endpoint_types: where publicly_accessible is set.
endpoint_types := ["aws_db_instance", "aws_rds_cluster_instance"]

deny contains lib.verdict("rds_encrypted", rc.address, msg) if {
	some t in storage_types
	some rc in lib.of_type(t)
	not lib.after(rc).storage_encrypted == true
	msg := sprintf("%s: storage_encrypted must be true", [rc.address])
}

deny contains lib.verdict("rds_backup_retention", rc.address, msg) if {
	some t in storage_types
	some rc in lib.of_type(t)
	days := object.get(lib.after(rc), "backup_retention_period", null)
	not backup_ok(days)
	msg := sprintf("%s: backup_retention_period is %v; at least 7 days required", [rc.address, days])
}

backup_ok(days) if {
	is_number(days)
	days >= 7
}

deny contains lib.verdict("rds_not_public", rc.address, msg) if {
	some t in endpoint_types
	some rc in lib.of_type(t)
	not lib.after(rc).publicly_accessible == false
	msg := sprintf("%s: publicly_accessible must be false", [rc.address])
}

# The AWS provider 5.x types these flags as bool; 6.x as "true"/"false".
enabled(v) if v == true

enabled(v) if v == "true"

# redis_like: the engine is Redis OSS or Valkey (its fork, same protocol and
# the same encryption settings). An engine not known yet counts: the
# replication group's default is redis.
# (object.get: OPA hoists a plain reference out of the negation, so an
# absent engine would make the negation undefined rather than true.)
redis_like(rc) if not is_string(object.get(lib.after(rc), "engine", null))

redis_like(rc) if lower(lib.after(rc).engine) in {"redis", "valkey"}

engine(rc) := lower(e) if {
	e := lib.after(rc).engine
	is_string(e)
} else := "redis"

# member: an aws_elasticache_cluster added to a replication group takes its
# engine and encryption from the group, which is checked itself. The group's
# id is unknown when the group is created in the same plan; the configuration
# still says it is set.
member(rc) if is_string(lib.after(rc).replication_group_id)

member(rc) if "replication_group_id" in object.keys(lib.resource_config(rc).expressions)

# standalone: the Redis or Valkey clusters that are not part of a group.
standalone contains rc if {
	some rc in lib.of_type("aws_elasticache_cluster")
	redis_like(rc)
	not member(rc)
}

deny contains lib.verdict("redis_encrypted_at_rest", rc.address, msg) if {
	some rc in lib.of_type("aws_elasticache_replication_group")
	redis_like(rc)
	not enabled(object.get(lib.after(rc), "at_rest_encryption_enabled", null))
	msg := sprintf("%s: at_rest_encryption_enabled must be true", [rc.address])
}

# CreateCacheCluster has no at-rest encryption setting: only a replication
# group encrypts Redis or Valkey at rest.
deny contains lib.verdict("redis_encrypted_at_rest", rc.address, msg) if {
	some rc in standalone
	msg := sprintf(
		"%s: a standalone %v cluster cannot be encrypted at rest; use aws_elasticache_replication_group with at_rest_encryption_enabled = true",
		[rc.address, engine(rc)],
	)
}

deny contains lib.verdict("redis_encrypted_in_transit", rc.address, msg) if {
	some rc in array.concat(lib.of_type("aws_elasticache_replication_group"), [c | some c in standalone])
	redis_like(rc)
	not enabled(object.get(lib.after(rc), "transit_encryption_enabled", null))
	msg := sprintf("%s: transit_encryption_enabled must be true", [rc.address])
}

# aws_elasticache_serverless_cache needs no encryption rule: ElastiCache
# Serverless always encrypts at rest and in transit. Its security groups are
# checked with the others (network.rego).
