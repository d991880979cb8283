# Rules are separate aws_vpc_security_group_*_rule resources (not inline blocks)
# so that each rule has its own address and id, and policy can check them one by one.

resource "aws_security_group" "alb" {
  name = "${var.name}-inventory-alb"
  # Only HTTP is open (there is no HTTPS listener); the description still says
  # HTTPS because changing it would replace the group under the running ALB.
  description = "Public load balancer: HTTP/HTTPS from anywhere"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-inventory-alb" }
}

resource "aws_security_group" "ecs" {
  name        = "${var.name}-inventory-ecs"
  description = "ECS tasks: only from the load balancer and from each other"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-inventory-ecs" }
}

resource "aws_security_group" "rds" {
  name        = "${var.name}-inventory-rds"
  description = "PostgreSQL: only from ECS tasks"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-inventory-rds" }
}

resource "aws_security_group" "redis" {
  name        = "${var.name}-inventory-redis"
  description = "Redis: only from ECS tasks"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-inventory-redis" }
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from anywhere"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_ecs" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To ECS tasks"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.ecs.id
}

resource "aws_vpc_security_group_ingress_rule" "ecs_from_alb" {
  security_group_id            = aws_security_group.ecs.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_ingress_rule" "ecs_from_self" {
  security_group_id            = aws_security_group.ecs.id
  description                  = "Service to service"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.ecs.id
}

# Tasks pull images, read secrets and call AWS APIs through the NAT gateways.
resource "aws_vpc_security_group_egress_rule" "ecs_all" {
  security_group_id = aws_security_group.ecs.id
  description       = "Outbound to anywhere"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "rds_from_ecs" {
  security_group_id            = aws_security_group.rds.id
  description                  = "PostgreSQL from ECS tasks"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.ecs.id
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_ecs" {
  security_group_id            = aws_security_group.redis.id
  description                  = "Redis from ECS tasks"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.ecs.id
}
