data "aws_caller_identity" "current" {}

locals {
  registry = "${data.aws_caller_identity.current.account_id}.dkr.ecr.${var.region}.amazonaws.com"
  images   = { for svc in keys(var.services) : svc => "${local.registry}/inventory-management/${svc}:${var.initial_image_tag}" }

  public_services = { for k, s in var.services : k => s if s.public }

  container_environment = {
    ENVIRONMENT = var.name
    DB_HOST     = module.rds.address
    DB_PORT     = tostring(module.rds.port)
    DB_NAME     = module.rds.db_name
    DB_USER     = module.rds.username
    REDIS_HOST  = module.elasticache.primary_endpoint
    REDIS_PORT  = tostring(module.elasticache.port)
    REDIS_TLS   = "true"
  }
  # The version resources' ARN is the secret's ARN, but referring to it makes
  # every task definition wait until each secret has a value: a task started
  # before that would fail to resolve its secrets.
  container_secrets = {
    DB_PASSWORD      = aws_secretsmanager_secret_version.db_password.arn
    JWT_SECRET       = aws_secretsmanager_secret_version.jwt_secret.arn
    REDIS_AUTH_TOKEN = aws_secretsmanager_secret_version.redis_auth_token.arn
  }
}

module "networking" {
  source = "../modules/networking"

  name     = var.name
  vpc_cidr = var.network.vpc_cidr
  azs      = var.network.azs
  nat      = var.network.nat
}

module "security" {
  source = "../modules/security"

  name   = var.name
  vpc_id = module.networking.vpc_id
}

module "rds" {
  source = "../modules/rds"

  name                    = var.name
  subnet_ids              = module.networking.database_subnet_ids
  security_group_id       = module.security.rds_security_group_id
  engine_version          = var.database.engine_version
  instance_class          = var.database.instance_class
  storage_gb              = var.database.storage_gb
  backup_retention_days   = var.database.backup_retention_days
  multi_az                = var.database.multi_az
  master_password         = ephemeral.aws_secretsmanager_random_password.db_password.random_password
  master_password_version = local.db_password_version
}

module "elasticache" {
  source = "../modules/elasticache"

  name              = var.name
  subnet_ids        = module.networking.database_subnet_ids
  security_group_id = module.security.redis_security_group_id
  engine_version    = var.cache.engine_version
  node_type         = var.cache.node_type
  nodes             = var.cache.nodes
  auth_token        = data.aws_secretsmanager_secret_version.redis_auth_token.secret_string
}

module "alb" {
  source = "../modules/alb"

  name              = var.name
  vpc_id            = module.networking.vpc_id
  subnet_ids        = module.networking.public_subnet_ids
  security_group_id = module.security.alb_security_group_id
  services = { for k, s in local.public_services : k => {
    port              = s.port
    path_pattern      = s.path_pattern
    health_check_path = s.health_check_path
  } }
}

module "ecs_cluster" {
  source = "../modules/ecs-cluster"

  name   = var.name
  vpc_id = module.networking.vpc_id
  secret_arns = [
    aws_secretsmanager_secret.db_password.arn,
    aws_secretsmanager_secret.jwt_secret.arn,
    aws_secretsmanager_secret.redis_auth_token.arn,
  ]
}

module "ecs_service" {
  source   = "../modules/ecs-service"
  for_each = var.services

  name               = var.name
  service            = each.key
  region             = var.region
  image              = local.images[each.key]
  cpu                = each.value.cpu
  memory             = each.value.memory
  architecture       = each.value.architecture
  port               = each.value.port
  desired_count      = each.value.desired_count
  spot               = each.value.spot
  public             = each.value.public
  target_group_arn   = each.value.public ? module.alb.target_group_arns[each.key] : ""
  cluster_arn        = module.ecs_cluster.cluster_arn
  cluster_name       = module.ecs_cluster.cluster_name
  subnet_ids         = module.networking.private_subnet_ids
  security_group_id  = module.security.ecs_security_group_id
  namespace_id       = module.ecs_cluster.namespace_id
  execution_role_arn = module.ecs_cluster.execution_role_arn
  task_role_arn      = module.ecs_cluster.task_role_arn
  log_retention_days = var.logs.retention_days
  environment        = merge(local.container_environment, { SERVICE_NAME = each.key })
  secrets            = local.container_secrets
  autoscaling        = var.autoscaling
}

module "migration_task" {
  source = "../modules/migration-task"

  name               = var.name
  region             = var.region
  image              = local.images["api-gateway"]
  architecture       = var.services["api-gateway"].architecture
  command            = ["alembic", "upgrade", "head"]
  log_group_name     = module.ecs_service["api-gateway"].log_group_name
  execution_role_arn = module.ecs_cluster.execution_role_arn
  task_role_arn      = module.ecs_cluster.task_role_arn
  environment        = merge(local.container_environment, { SERVICE_NAME = "migrate" })
  secrets            = local.container_secrets
}
