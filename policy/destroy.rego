# Deleting or replacing a resource that holds data or everything else (the
# database, Redis, the VPC, terraform's own state), or that cannot be
# recreated as it was (images, write-only secrets, a running service), needs
# an explicit label.
package gitops.rules.destroy

import data.gitops.lib

protected_types := {
	"aws_db_instance",
	"aws_rds_cluster",
	"aws_elasticache_cluster",
	"aws_elasticache_replication_group",
	"aws_elasticache_serverless_cache",
	"aws_vpc",
	"aws_ecr_repository",
	"aws_secretsmanager_secret",
	"aws_ecs_service",
}

# why says what is lost, where that is not plain from the type.
why := {
	"aws_ecr_repository": "it holds the images a rollback needs",
	# The secret's value is set through a write-only argument
	# (secret_string_wo): neither state nor plan has a copy.
	"aws_secretsmanager_secret": "a write-only password is kept nowhere else",
	"aws_ecs_service": "its tasks stop",
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
	some action in rc.change.actions
	gone[action]
	protected(rc)
	not labelled("allow-destroy")
	msg := sprintf("%s would be %s%s; add the PR label allow-destroy to allow it", [rc.address, verb(rc.change.actions), because(rc)])
}

# gone: terraform deletes the object or stops managing it. "forget" comes
# from a removed block with lifecycle { destroy = false } (terraform 1.7+):
# the object stays in AWS, but terraform no longer manages, protects or
# recreates it. ["create", "forget"] replaces an object and forgets the old one.
gone := {"delete", "forget"}

# A forgotten object loses nothing in AWS (also when a new one replaces it),
# so the type's reason does not apply.
because(rc) := "" if {
	"forget" in rc.change.actions
} else := sprintf(" (%s)", [replaced_service]) if {
	rc.type == "aws_ecs_service"
	"create" in rc.change.actions
} else := sprintf(" (%s)", [why[rc.type]]) if {
	why[rc.type]
} else := ""

# aws_ecs_service ignores task_definition changes (the release engine owns
# them), so a replacement starts on the revision terraform first registered.
# Provider 5.100 replaces the service when its capacity provider changes
# (toggling spot in the ecs-service module).
replaced_service := "its tasks stop, and it comes back on terraform's first task definition, not the released one"

verb(actions) := "deleted" if {
	actions == ["delete"]
} else := "removed from terraform state (forgotten)" if {
	actions == ["forget"]
} else := "replaced, the old one removed from terraform state (forgotten)" if {
	"forget" in actions
} else := "replaced"
