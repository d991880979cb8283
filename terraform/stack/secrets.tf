# Passwords come from Secrets Manager's GetRandomPassword (only the aws
# provider is available, no random provider). The database password and the
# JWT secret are ephemeral and reach only write-only arguments, so they never
# land in state or in plan files. Bump a *_version local to rotate.

locals {
  db_password_version      = 1
  jwt_secret_version       = 1
  redis_auth_token_version = 1
}

resource "aws_secretsmanager_secret" "db_password" {
  name        = "${var.name}/inventory-management/db-password"
  description = "Master password of the ${var.name} PostgreSQL instance"
}

resource "aws_secretsmanager_secret" "jwt_secret" {
  name        = "${var.name}/inventory-management/jwt-secret"
  description = "JWT signing secret of ${var.name}"
}

resource "aws_secretsmanager_secret" "redis_auth_token" {
  name        = "${var.name}/inventory-management/redis-auth-token"
  description = "AUTH token of the ${var.name} Redis replication group"
}

ephemeral "aws_secretsmanager_random_password" "db_password" {
  password_length = 32
  # RDS rejects / @ " and space in master passwords.
  exclude_characters = "/@\" '\\"
}

resource "aws_secretsmanager_secret_version" "db_password" {
  secret_id                = aws_secretsmanager_secret.db_password.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.db_password.random_password
  secret_string_wo_version = local.db_password_version
}

ephemeral "aws_secretsmanager_random_password" "jwt_secret" {
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret_version" "jwt_secret" {
  secret_id                = aws_secretsmanager_secret.jwt_secret.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.jwt_secret.random_password
  secret_string_wo_version = local.jwt_secret_version
}

# The replication group's auth_token is not write-only, so the token cannot
# stay out of state. It is generated once into the secret (write-only) and read
# back from there: the secret is the single source of truth, a re-plan reads
# the same value (no diff), and bumping the version rotates both.
ephemeral "aws_secretsmanager_random_password" "redis_auth_token" {
  password_length = 64
  # ElastiCache AUTH tokens allow printable ASCII except / " @ and space.
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret_version" "redis_auth_token" {
  secret_id                = aws_secretsmanager_secret.redis_auth_token.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.redis_auth_token.random_password
  secret_string_wo_version = local.redis_auth_token_version
}

data "aws_secretsmanager_secret_version" "redis_auth_token" {
  secret_id  = aws_secretsmanager_secret.redis_auth_token.id
  version_id = aws_secretsmanager_secret_version.redis_auth_token.version_id
}
