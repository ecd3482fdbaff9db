# A canary release: 90% of requests to blue, 10% to green. Moving the weights
# updates the listener in place.
data "roundrobin_default_network" "net" {}

resource "roundrobin_lb" "web" {
  name    = "nodeapp"
  subnets = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
}

resource "roundrobin_lb_target_group" "blue" {
  name   = "nodeapp-blue"
  port   = 3000
  vpc_id = data.roundrobin_default_network.net.vpc_id
}

resource "roundrobin_lb_target_group" "green" {
  name   = "nodeapp-green"
  port   = 3000
  vpc_id = data.roundrobin_default_network.net.vpc_id
}

resource "roundrobin_lb_listener" "http" {
  load_balancer_arn = roundrobin_lb.web.arn
  port              = 80
  protocol          = "HTTP"

  forward {
    target_group {
      arn    = roundrobin_lb_target_group.blue.arn
      weight = 90
    }
    target_group {
      arn    = roundrobin_lb_target_group.green.arn
      weight = 10
    }

    stickiness {
      enabled  = false
      duration = 3600
    }
  }
}
