variable "name" {
  description = "Environment name."
  type        = string
}

variable "subnet_ids" {
  description = "Database subnets (one per AZ)."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group that admits Redis from ECS only."
  type        = string
}

variable "engine_version" {
  type = string
}

variable "node_type" {
  type = string
}

variable "nodes" {
  description = "Number of cache clusters (1 primary + replicas)."
  type        = number
}

variable "auth_token" {
  description = "Redis AUTH token (requires transit encryption)."
  type        = string
  sensitive   = true
}
