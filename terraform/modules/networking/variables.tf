variable "name" {
  description = "Environment name, used in resource names and Name tags."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC (/16 to /24)."
  type        = string
}

variable "azs" {
  description = "Number of availability zones to spread the subnets over."
  type        = number
}

variable "nat" {
  description = "per_az: one NAT gateway per AZ; single: one NAT gateway shared by every private subnet."
  type        = string
}
