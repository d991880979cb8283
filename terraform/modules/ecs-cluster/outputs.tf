output "cluster_name" {
  value = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  # The capacity providers must be attached before a service may use them.
  value      = aws_ecs_cluster.this.arn
  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

output "namespace_id" {
  value = aws_service_discovery_private_dns_namespace.this.id
}

output "execution_role_arn" {
  value      = aws_iam_role.execution.arn
  depends_on = [aws_iam_role_policy_attachment.execution, aws_iam_role_policy.execution_secrets]
}

output "task_role_arn" {
  value = aws_iam_role.task.arn
}
