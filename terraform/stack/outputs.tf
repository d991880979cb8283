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
