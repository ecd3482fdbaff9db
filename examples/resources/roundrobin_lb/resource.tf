# An internet-facing load balancer in two zones of the default VPC.
data "roundrobin_default_network" "net" {}

resource "roundrobin_security_group" "alb" {
  name = "nodeapp-alb"

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "roundrobin_lb" "web" {
  name            = "nodeapp"
  internal        = false
  subnets         = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
  security_groups = [roundrobin_security_group.alb.id]
  idle_timeout    = 60

  tags = {
    app = "nodeapp"
  }

  timeouts {
    create = "15m"
    delete = "15m"
  }
}
