output "dns_name" {
  value = aws_lb.this.dns_name
}

output "arn" {
  value = aws_lb.this.arn
}

# ECS refuses a target group that no load balancer uses yet, so the ARNs are
# handed out only once the listener and its rules exist.
output "target_group_arns" {
  value      = { for k, tg in aws_lb_target_group.this : k => tg.arn }
  depends_on = [aws_lb_listener.http, aws_lb_listener_rule.this]
}
