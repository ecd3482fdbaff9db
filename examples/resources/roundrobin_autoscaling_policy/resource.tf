# The group grows and shrinks to keep about 100 requests per minute on each
# instance, counted by the load balancer for the group's target group. The
# group leaves desired_capacity out: the policy owns it.
data "roundrobin_default_network" "net" {}

data "roundrobin_ami" "app" {
  tags = {
    app = "nodeapp"
  }
}

resource "roundrobin_lb" "web" {
  name    = "nodeapp"
  subnets = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
}

resource "roundrobin_lb_target_group" "app" {
  name   = "nodeapp"
  port   = 3000
  vpc_id = data.roundrobin_default_network.net.vpc_id
}

resource "roundrobin_lb_listener" "http" {
  load_balancer_arn = roundrobin_lb.web.arn
  port              = 80

  forward {
    target_group {
      arn = roundrobin_lb_target_group.app.arn
    }
  }
}

resource "roundrobin_launch_template" "app" {
  name          = "nodeapp"
  image_id      = data.roundrobin_ami.app.image_id
  instance_type = "t3.micro"
}

resource "roundrobin_autoscaling_group" "app" {
  name                = "nodeapp"
  min_size            = 2
  max_size            = 8
  vpc_zone_identifier = data.roundrobin_default_network.net.subnet_ids
  target_group_arns   = [roundrobin_lb_target_group.app.arn]
  health_check_type   = "ELB"

  launch_template {
    id      = roundrobin_launch_template.app.id
    version = roundrobin_launch_template.app.latest_version
  }
}

resource "roundrobin_autoscaling_policy" "requests" {
  autoscaling_group_name    = roundrobin_autoscaling_group.app.name
  name                      = "requests-per-instance"
  predefined_metric         = "ALBRequestCountPerTarget"
  target_group_arn          = roundrobin_lb_target_group.app.arn
  target_value              = 100
  estimated_instance_warmup = 60
  disable_scale_in          = false

  # The resource label names the load balancer that forwards to the target
  # group: the listener must exist first.
  depends_on = [roundrobin_lb_listener.http]
}

resource "roundrobin_autoscaling_policy" "cpu" {
  autoscaling_group_name = roundrobin_autoscaling_group.app.name
  name                   = "cpu"
  predefined_metric      = "ASGAverageCPUUtilization"
  target_value           = 60
}
