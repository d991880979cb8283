# The first eight variables are the environment spec as rendered by
# envspec.Spec.Render (docs/contracts.md): every attribute is always present,
# so the types are strict objects without optional().

variable "name" {
  description = "Environment name (dev, staging, ...)."
  type        = string
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "network" {
  type = object({
    vpc_cidr = string
    azs      = number
    nat      = string
  })

  validation {
    condition     = contains(["per_az", "single"], var.network.nat)
    error_message = "network.nat must be per_az or single."
  }
}

variable "database" {
  type = object({
    engine_version        = string
    instance_class        = string
    storage_gb            = number
    backup_retention_days = number
    multi_az              = bool
  })
}

variable "cache" {
  type = object({
    engine_version = string
    node_type      = string
    nodes          = number
  })
}

variable "autoscaling" {
  type = object({
    enabled            = bool
    min_tasks          = number
    max_tasks          = number
    cpu_target_percent = number
  })
}

variable "logs" {
  type = object({
    retention_days = number
  })
}

variable "services" {
  type = map(object({
    cpu               = number
    memory            = number
    desired_count     = number
    port              = number
    public            = bool
    path_pattern      = string
    health_check_path = string
    architecture      = string
    spot              = bool
  }))

  validation {
    condition     = contains(keys(var.services), "api-gateway")
    error_message = "services must include api-gateway: the migration task runs its image."
  }
}

variable "aws_max_retries" {
  description = "AWS provider retry budget; the runner passes 2 against the local emulator."
  type        = number
  default     = 25
}

variable "initial_image_tag" {
  description = "Image tag of the first task definitions; later images are rolled out by the release engine."
  type        = string
  default     = "latest"
}
