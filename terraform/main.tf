# The seed's architecture done right: two instances from the baked AMI in two
# availability zones behind an application load balancer that spreads requests
# round-robin; no SSH anywhere (instances are reached through SSM); a new AMI
# rolls in through a waited, health-gated instance refresh with rollback.

locals {
  tags = merge(var.tags, {
    app        = var.app_name
    managed-by = "terraform"
  })
  image_id = var.image_id != null ? var.image_id : data.roundrobin_ami.app[0].image_id
}

data "roundrobin_default_network" "this" {}

# The newest image baked for the app (baker tags every image it makes).
data "roundrobin_ami" "app" {
  count = var.image_id == null ? 1 : 0
  tags  = { app = var.app_name }
}

# The load balancer: HTTP from the allowed networks.
resource "roundrobin_security_group" "alb" {
  name        = "${var.app_name}-alb"
  description = "${var.app_name} load balancer: HTTP from the allowed networks"
  vpc_id      = data.roundrobin_default_network.this.vpc_id

  ingress {
    description = "HTTP"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidrs
  }

  tags = local.tags
}

# The instances: the app port from the load balancer only; no SSH.
resource "roundrobin_security_group" "instances" {
  name        = "${var.app_name}-instances"
  description = "${var.app_name} instances: ${var.app_port}/tcp from the load balancer"
  vpc_id      = data.roundrobin_default_network.this.vpc_id

  ingress {
    description     = "${var.app_name} HTTP from the load balancer"
    from_port       = var.app_port
    to_port         = var.app_port
    protocol        = "tcp"
    security_groups = [roundrobin_security_group.alb.id]
  }

  tags = local.tags
}

# Lets the SSM agent register, so `baker exec` and `aws ssm start-session` work.
resource "roundrobin_instance_profile" "app" {
  name = "${var.app_name}-instances"
  tags = local.tags
}

# What every instance boots with. A new AMI is a new template version.
resource "roundrobin_launch_template" "app" {
  name                   = var.app_name
  image_id               = local.image_id
  instance_type          = var.instance_type
  vpc_security_group_ids = [roundrobin_security_group.instances.id]
  iam_instance_profile   = roundrobin_instance_profile.app.name

  # IMDSv2 only; no key pair.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  tags = local.tags
}

resource "roundrobin_lb_target_group" "app" {
  name                          = var.app_name
  port                          = var.app_port
  protocol                      = "HTTP"
  vpc_id                        = data.roundrobin_default_network.this.vpc_id
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

  tags = local.tags
}

resource "roundrobin_lb" "app" {
  name            = var.app_name
  subnets         = slice(data.roundrobin_default_network.this.subnet_ids, 0, 2)
  security_groups = [roundrobin_security_group.alb.id]
  tags            = local.tags
}

resource "roundrobin_lb_listener" "http" {
  load_balancer_arn = roundrobin_lb.app.arn
  port              = 80
  protocol          = "HTTP"

  forward {
    target_group {
      arn    = roundrobin_lb_target_group.app.arn
      weight = 100
    }
  }
}

resource "roundrobin_autoscaling_group" "app" {
  name                = var.app_name
  min_size            = var.min_size
  desired_capacity    = var.desired_capacity
  max_size            = var.max_size
  vpc_zone_identifier = slice(data.roundrobin_default_network.this.subnet_ids, 0, 2)
  target_group_arns   = [roundrobin_lb_target_group.app.arn]
  health_check_type   = "ELB"

  launch_template {
    id      = roundrobin_launch_template.app.id
    version = roundrobin_launch_template.app.latest_version
  }

  rollout {
    strategy               = "instance_refresh"
    min_healthy_percentage = 100
    max_healthy_percentage = 200
    instance_warmup        = 30
  }

  tag {
    key                 = "Name"
    value               = var.app_name
    propagate_at_launch = true
  }

  dynamic "tag" {
    for_each = local.tags
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  timeouts {
    update = var.rollout_timeout
  }

  depends_on = [roundrobin_lb_listener.http]
}
