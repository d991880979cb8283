resource "aws_elasticache_subnet_group" "this" {
  name        = "${var.name}-inventory"
  description = "Cache subnets of ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = { Name = "${var.name}-inventory" }
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = "${var.name}-inventory"
  description          = "Redis for ${var.name} inventory-management"

  engine             = "redis"
  engine_version     = var.engine_version
  node_type          = var.node_type
  num_cache_clusters = var.nodes
  port               = 6379

  # Failover needs a replica to fail over to.
  automatic_failover_enabled = var.nodes > 1
  multi_az_enabled           = var.nodes > 1

  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = var.auth_token

  # A reviewed and applied node type or engine change takes effect now, not at
  # the next maintenance window (every plan would show it again until then).
  apply_immediately = true

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [var.security_group_id]

  tags = { Name = "${var.name}-inventory" }
}
