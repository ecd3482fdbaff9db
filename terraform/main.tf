# The seed's architecture done right: two instances from the baked AMI in two
# availability zones behind an application load balancer that spreads requests
# round-robin; no SSH anywhere (instances are reached through SSM); a new AMI
# rolls in through a waited, health-gated instance refresh with rollback.

locals {
  tags = merge(var.tags, {
    app        = var.app_name
    managed-by = "terraform"
  })
  image_id = data.roundrobin_ami.app.image_id

  # The port and health path the image was baked with (baker's `app-port`
  # and `health-path` tags): the load balancer routes to and checks exactly
  # what the image serves. The variables only serve images baker did not make.
  baked_port  = try(tonumber(data.roundrobin_ami.app.image_tags["app-port"]), null)
  baked_path  = try(data.roundrobin_ami.app.image_tags["health-path"], null)
  app_port    = var.app_port != null ? var.app_port : local.baked_port
  health_path = var.health_path != null ? var.health_path : local.baked_path
}

data "roundrobin_default_network" "this" {}

# The image the instances boot: the newest one baked for the app (baker tags
# every image it makes), or the one named by var.image_id. Either way its tags
# are read.
data "roundrobin_ami" "app" {
  image_id = var.image_id
  tags     = var.image_id == null ? { app = var.app_name } : null
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
  description = "${var.app_name} instances: the app port from the load balancer"
  vpc_id      = data.roundrobin_default_network.this.vpc_id

  ingress {
    description     = "${var.app_name} HTTP from the load balancer"
    from_port       = local.app_port
    to_port         = local.app_port
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
  port                          = local.app_port
  protocol                      = "HTTP"
  vpc_id                        = data.roundrobin_default_network.this.vpc_id
  load_balancing_algorithm_type = "round_robin"
  deregistration_delay          = 30

  health_check {
    path                = local.health_path
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
    matcher             = "200"
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = local.app_port != null && local.health_path != null
      error_message = "The image ${local.image_id} has no app-port / health-path tags (baker records the port and health path it bakes the app with). For an image baker did not make, set var.app_port and var.health_path."
    }
    precondition {
      condition     = var.app_port == null || local.baked_port == null || var.app_port == local.baked_port
      error_message = "app_port ${coalesce(var.app_port, 0)} differs from the port the image ${local.image_id} was baked with (${coalesce(local.baked_port, 0)}): the load balancer would route where the app does not listen. Leave app_port unset to use the image's."
    }
    precondition {
      condition     = var.health_path == null || local.baked_path == null || var.health_path == local.baked_path
      error_message = "health_path ${coalesce(var.health_path, "-")} differs from the path the image ${local.image_id} serves its health check on (${coalesce(local.baked_path, "-")}). Leave health_path unset to use the image's."
    }
  }
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
