variable "name" {
  description = "Environment name."
  type        = string
}

variable "subnet_ids" {
  description = "Database subnets (one per AZ)."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group that admits PostgreSQL from ECS only."
  type        = string
}

variable "engine_version" {
  type = string
}

variable "instance_class" {
  type = string
}

variable "storage_gb" {
  type = number
}

variable "backup_retention_days" {
  type = number
}

variable "multi_az" {
  type = bool
}

variable "master_password" {
  description = "Master password; ephemeral so it reaches only the write-only password_wo and never state or plans."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "master_password_version" {
  description = "Bump to push a new master_password (write-only arguments are sent only when their version changes)."
  type        = number
}
