locals {
  default_service = one([for k, s in var.services : k if s.path_pattern == ""])
  # Rule priorities follow the sorted service names, so they are stable across plans.
  routed = { for i, k in sort([for k, s in var.services : k if s.path_pattern != ""]) : k => {
    priority     = 100 + i
    path_pattern = var.services[k].path_pattern
  } }
}

resource "aws_lb" "this" {
  name               = "${var.name}-inventory"
  internal           = false
  load_balancer_type = "application"
  security_groups    = [var.security_group_id]
  subnets            = var.subnet_ids

  drop_invalid_header_fields = true

  tags = { Name = "${var.name}-inventory" }
}

resource "aws_lb_target_group" "this" {
  for_each = var.services

  # Target group names are limited to 32 characters.
  name        = substr("${var.name}-${each.key}", 0, 32)
  port        = each.value.port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  deregistration_delay = 30

  health_check {
    path                = each.value.health_check_path
    matcher             = "200-399"
    interval            = 30
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = { Name = "${var.name}-${each.key}" }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  dynamic "default_action" {
    for_each = local.default_service == null ? [] : [local.default_service]
    content {
      type             = "forward"
      target_group_arn = aws_lb_target_group.this[default_action.value].arn
    }
  }

  dynamic "default_action" {
    for_each = local.default_service == null ? ["none"] : []
    content {
      type = "fixed-response"
      fixed_response {
        content_type = "text/plain"
        message_body = "not found"
        status_code  = "404"
      }
    }
  }
}

resource "aws_lb_listener_rule" "this" {
  for_each = local.routed

  listener_arn = aws_lb_listener.http.arn
  priority     = each.value.priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }

  condition {
    path_pattern {
      values = [each.value.path_pattern]
    }
  }
}
