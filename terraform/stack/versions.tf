terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # Partial configuration: the runner passes bucket, key (<env>/terraform.tfstate),
  # region, dynamodb_table and, against the emulator, endpoints at init.
  backend "s3" {}
}

provider "aws" {
  region      = var.region
  max_retries = var.aws_max_retries

  default_tags {
    tags = {
      Environment = var.name
      Project     = "inventory-management"
      ManagedBy   = "gitops"
    }
  }
}
