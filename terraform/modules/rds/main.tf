resource "aws_db_subnet_group" "this" {
  name        = "${var.name}-inventory"
  description = "Database subnets of ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = { Name = "${var.name}-inventory" }
}

locals {
  # "15" or "15.7" -> postgres15: parameter groups are per major version.
  parameter_group_family = "postgres${split(".", var.engine_version)[0]}"
}

# PostgreSQL before 16 accepts plaintext connections unless rds.force_ssl is on.
resource "aws_db_parameter_group" "this" {
  # The family is in the name: a major upgrade creates the new group before the
  # instance moves to it, and only then drops the old one.
  name        = "${var.name}-inventory-${local.parameter_group_family}"
  family      = local.parameter_group_family
  description = "PostgreSQL settings of ${var.name}: TLS required"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  tags = { Name = "${var.name}-inventory" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  identifier     = "${var.name}-inventory"
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage = var.storage_gb
  storage_type      = "gp3"
  storage_encrypted = true

  db_name             = "inventory"
  username            = "inventory_admin"
  password_wo         = var.master_password
  password_wo_version = var.master_password_version

  db_subnet_group_name   = aws_db_subnet_group.this.name
  parameter_group_name   = aws_db_parameter_group.this.name
  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  multi_az               = var.multi_az

  # A reviewed and applied change (class, storage, Multi-AZ) takes effect now,
  # not at the next maintenance window; otherwise the bot would report
  # "applied" while every later plan still shows the same diff.
  apply_immediately = true

  backup_retention_period    = var.backup_retention_days
  auto_minor_version_upgrade = true
  copy_tags_to_snapshot      = true
  skip_final_snapshot        = false
  # Snapshot names are unique per account and region, and a final snapshot
  # outlives its instance: a fixed name makes the second destroy of an
  # environment fail. The RDS security group's id is new with every creation
  # of the environment and stable until then (no timestamp, so no perpetual
  # diff). Trade-off: replacing only the instance, with the environment kept,
  # reuses the name and stops at the delete until the old snapshot is renamed
  # or removed; nothing is lost on that path.
  final_snapshot_identifier = "${var.name}-inventory-final-${trimprefix(var.security_group_id, "sg-")}"

  tags = { Name = "${var.name}-inventory" }
}
