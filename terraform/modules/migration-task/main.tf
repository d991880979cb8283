# A one-off task the release engine runs (ECS RunTask) before rolling the
# services; it is never a service. The release engine registers revisions with
# the release image; this one only provides the family and its settings.
resource "aws_ecs_task_definition" "this" {
  family                   = "${var.name}-inventory-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn

  # A rollback reruns an earlier release's migration revision, so terraform
  # never deregisters one: a replaced revision stays ACTIVE.
  skip_destroy = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = upper(var.architecture) == "ARM64" ? "ARM64" : "X86_64"
  }

  container_definitions = jsonencode([{
    name        = "migrate"
    image       = var.image
    essential   = true
    command     = var.command
    environment = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
    secrets     = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_name
        awslogs-region        = var.region
        awslogs-stream-prefix = "migrate"
      }
    }
  }])
}
