# A load balancer open on port 80, and instances reachable from it only.
resource "roundrobin_security_group" "alb" {
  name        = "nodeapp-alb"
  description = "HTTP from anywhere"

  ingress {
    description = "HTTP from anywhere"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    app = "nodeapp"
  }
}

resource "roundrobin_security_group" "instances" {
  name = "nodeapp-instances"

  ingress {
    description     = "the app, from the load balancer only"
    from_port       = 3000
    to_port         = 3000
    protocol        = "tcp"
    security_groups = [roundrobin_security_group.alb.id]
  }

  egress {
    description = "HTTPS out, for SSM and packages"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  timeouts {
    delete = "15m"
  }
}
