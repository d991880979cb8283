# PostgreSQL (RDS) and Redis (ElastiCache) hold the application's data:
# encrypted, backed up, never reachable from the internet.
package gitops.rules.datastores

import data.gitops.lib

deny contains lib.verdict("rds_encrypted", rc.address, msg) if {
	some rc in lib.of_type("aws_db_instance")
	not lib.after(rc).storage_encrypted == true
	msg := sprintf("%s: storage_encrypted must be true", [rc.address])
}

deny contains lib.verdict("rds_backup_retention", rc.address, msg) if {
	some rc in lib.of_type("aws_db_instance")
	days := object.get(lib.after(rc), "backup_retention_period", null)
	not backup_ok(days)
	msg := sprintf("%s: backup_retention_period is %v; at least 7 days required", [rc.address, days])
}

backup_ok(days) if {
	is_number(days)
	days >= 7
}

deny contains lib.verdict("rds_not_public", rc.address, msg) if {
	some rc in lib.of_type("aws_db_instance")
	not lib.after(rc).publicly_accessible == false
	msg := sprintf("%s: publicly_accessible must be false", [rc.address])
}

# The AWS provider 5.x types these flags as bool; 6.x as "true"/"false".
enabled(v) if v == true

enabled(v) if v == "true"

deny contains lib.verdict("redis_encrypted_at_rest", rc.address, msg) if {
	some rc in lib.of_type("aws_elasticache_replication_group")
	not enabled(object.get(lib.after(rc), "at_rest_encryption_enabled", null))
	msg := sprintf("%s: at_rest_encryption_enabled must be true", [rc.address])
}

deny contains lib.verdict("redis_encrypted_in_transit", rc.address, msg) if {
	some t in ["aws_elasticache_replication_group", "aws_elasticache_cluster"]
	some rc in lib.of_type(t)
	object.get(lib.after(rc), "engine", "redis") == "redis"
	not enabled(object.get(lib.after(rc), "transit_encryption_enabled", null))
	msg := sprintf("%s: transit_encryption_enabled must be true", [rc.address])
}
