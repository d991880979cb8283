variable "name" {
  description = "Environment name."
  type        = string
}

variable "service" {
  description = "Service name (key of services in the environment spec)."
  type        = string
}

variable "region" {
  description = "Region of the log group, for the awslogs driver."
  type        = string
}

variable "image" {
  description = "Initial container image; later images are the release engine's (task_definition is ignored on the service)."
  type        = string
}

variable "cpu" {
  type = number
}

variable "memory" {
  type = number
}

variable "architecture" {
  description = "x86_64 or arm64."
  type        = string
}

variable "port" {
  type = number
}

variable "desired_count" {
  type = number
}

variable "spot" {
  description = "Run on FARGATE_SPOT instead of FARGATE."
  type        = bool
}

variable "public" {
  description = "Registered in target_group_arn behind the ALB."
  type        = bool
}

variable "target_group_arn" {
  description = "ALB target group; used only when public."
  type        = string
}

variable "cluster_arn" {
  type = string
}

variable "cluster_name" {
  type = string
}

variable "subnet_ids" {
  description = "Private subnets for the tasks."
  type        = list(string)
}

variable "security_group_id" {
  type = string
}

variable "namespace_id" {
  description = "Cloud Map namespace the service registers in as <service>.<env>.inventory.local."
  type        = string
}

variable "execution_role_arn" {
  type = string
}

variable "task_role_arn" {
  type = string
}

variable "log_retention_days" {
  type = number
}

variable "environment" {
  description = "Plain environment variables of the container."
  type        = map(string)
}

variable "secrets" {
  description = "Container environment variables resolved from Secrets Manager: name => secret ARN."
  type        = map(string)
}

variable "autoscaling" {
  description = "CPU target tracking between min_tasks and max_tasks when enabled."
  type = object({
    enabled            = bool
    min_tasks          = number
    max_tasks          = number
    cpu_target_percent = number
  })
}
