output "service_name" {
  value = aws_ecs_service.this.name
}

# The revision terraform registered (the service may run a later one of the
# release engine's; aws_ecs_service ignores task_definition).
output "task_definition_arn" {
  value = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  value = aws_ecs_task_definition.this.family
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.this.name
}
