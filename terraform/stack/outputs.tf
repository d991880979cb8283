# The applied spec, so that a plan's prior state tells which spec values were
# last applied (docs/contracts.md).
output "spec" {
  value = {
    name        = var.name
    region      = var.region
    network     = var.network
    database    = var.database
    cache       = var.cache
    autoscaling = var.autoscaling
    logs        = var.logs
    services    = var.services
  }
}

output "alb_dns_name" {
  value = module.alb.dns_name
}

output "ecs_cluster_name" {
  value = module.ecs_cluster.cluster_name
}

output "migration_task_family" {
  value = module.migration_task.family
}

output "ecr_repository_urls" {
  value = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

# What the release engine needs to register revisions, RunTask the migration
# and UpdateService: terraform's own revisions (a rollback may target them),
# and the task network.
output "cluster_name" {
  value = module.ecs_cluster.cluster_name
}

output "task_definition_arns" {
  value = { for k, m in module.ecs_service : k => m.task_definition_arn }
}

output "task_definition_families" {
  value = { for k, m in module.ecs_service : k => m.task_definition_family }
}

output "migration_task_definition_arn" {
  value = module.migration_task.task_definition_arn
}

output "private_subnet_ids" {
  value = module.networking.private_subnet_ids
}

output "ecs_security_group_id" {
  value = module.security.ecs_security_group_id
}
