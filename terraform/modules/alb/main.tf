locals {
  default_service = one([for k, s in var.services : k if s.path_pattern == ""])

  # A rule's priority comes from its service's name alone (a hash into
  # 1..50000), so adding or removing a public service never moves another
  # service's rule. Two names landing on the same number are caught at plan
  # time by the precondition on the rules.
  routed = { for k, s in var.services : k => {
    priority     = parseint(substr(sha1(k), 0, 8), 16) % 50000 + 1
    path_pattern = s.path_pattern
  } if s.path_pattern != "" }

  # Target group names: at most 32 characters, letters, digits and hyphens,
  # no hyphen at either end, unique in the region. The port is in the name
  # because a port change replaces the group, and the replacement has to exist
  # (create_before_destroy) while the listener still forwards to the old one.
  # Too long a name keeps a prefix and adds a hash of the service name, so two
  # long names cannot collide.
  target_group_names = { for k, s in var.services : k => (
    length("${var.name}-${k}-${s.port}") <= 32
    ? "${var.name}-${k}-${s.port}"
    : "${replace(substr("${var.name}-${k}", 0, 24 - length(tostring(s.port))), "/-+$/", "")}-${substr(sha1(k), 0, 6)}-${s.port}"
  ) }
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

  name        = local.target_group_names[each.key]
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

  lifecycle {
    create_before_destroy = true
  }
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

  lifecycle {
    precondition {
      condition     = length(distinct([for r in values(local.routed) : r.priority])) == length(local.routed)
      error_message = "Two public services hash to the same listener rule priority; rename one of them."
    }
  }
}
