variable "name" {
  description = "Environment name."
  type        = string
}

variable "vpc_id" {
  description = "VPC the security groups belong to."
  type        = string
}
