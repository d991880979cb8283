variable "name" {
  description = "Environment name."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the Cloud Map private DNS namespace."
  type        = string
}

variable "secret_arns" {
  description = "Secrets Manager secrets the task execution role may read to inject into containers."
  type        = list(string)
}
