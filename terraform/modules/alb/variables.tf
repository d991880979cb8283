variable "name" {
  description = "Environment name."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  description = "Public subnets."
  type        = list(string)
}

variable "security_group_id" {
  type = string
}

variable "services" {
  description = "Public services only: the one without path_pattern is the listener's default."
  type = map(object({
    port              = number
    path_pattern      = string
    health_check_path = string
  }))
}
