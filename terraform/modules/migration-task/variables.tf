variable "name" {
  description = "Environment name."
  type        = string
}

variable "region" {
  type = string
}

variable "image" {
  description = "Initial image (the api-gateway image, which carries the alembic migrations)."
  type        = string
}

variable "architecture" {
  description = "x86_64 or arm64, as the api-gateway service it shares the image with."
  type        = string
}

variable "command" {
  type = list(string)
}

variable "log_group_name" {
  description = "Log group the migration output goes to (the api-gateway one)."
  type        = string
}

variable "execution_role_arn" {
  type = string
}

variable "task_role_arn" {
  type = string
}

variable "environment" {
  type = map(string)
}

variable "secrets" {
  description = "name => Secrets Manager secret ARN."
  type        = map(string)
}
