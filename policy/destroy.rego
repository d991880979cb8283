# Deleting or replacing a resource that holds data or everything else (the
# database, Redis, the VPC, terraform's own state) needs an explicit label.
package gitops.rules.destroy

import data.gitops.lib

protected_types := {
	"aws_db_instance",
	"aws_rds_cluster",
	"aws_elasticache_cluster",
	"aws_elasticache_replication_group",
	"aws_vpc",
}

protected(rc) if rc.type in protected_types

# The state bucket is named <project>-tfstate (docs/contracts.md).
protected(rc) if {
	rc.type == "aws_s3_bucket"
	some state in [rc.change.before, rc.change.after]
	is_string(state.bucket)
	endswith(state.bucket, "-tfstate")
}

labelled(name) if name in input.pr.labels

deny contains lib.verdict("protected_destroy", rc.address, msg) if {
	some rc in input.plan.resource_changes
	rc.mode == "managed"
	"delete" in rc.change.actions
	protected(rc)
	not labelled("allow-destroy")
	what := verb(rc.change.actions)
	msg := sprintf("%s would be %s; add the PR label allow-destroy to allow it", [rc.address, what])
}

verb(actions) := "deleted" if actions == ["delete"]

verb(actions) := "replaced" if actions != ["delete"]
