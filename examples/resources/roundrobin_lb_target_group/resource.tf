# The app's instances on port 3000, checked on /health.
data "roundrobin_default_network" "net" {}

resource "roundrobin_lb_target_group" "app" {
  name                          = "nodeapp"
  port                          = 3000
  protocol                      = "HTTP"
  vpc_id                        = data.roundrobin_default_network.net.vpc_id
  load_balancing_algorithm_type = "round_robin"
  deregistration_delay          = 30

  health_check {
    path                = "/health"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
    matcher             = "200"
  }

  tags = {
    app = "nodeapp"
  }
}
