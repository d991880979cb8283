resource "aws_db_subnet_group" "this" {
  name        = "${var.name}-inventory"
  description = "Database subnets of ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = { Name = "${var.name}-inventory" }
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
  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  multi_az               = var.multi_az

  backup_retention_period    = var.backup_retention_days
  auto_minor_version_upgrade = true
  copy_tags_to_snapshot      = true
  skip_final_snapshot        = false
  final_snapshot_identifier  = "${var.name}-inventory-final"

  tags = { Name = "${var.name}-inventory" }
}
