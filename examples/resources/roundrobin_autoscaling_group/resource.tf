# Two to four servers behind the load balancer's target group; a new launch
# template version is rolled out by an instance refresh, launching the new
# instances before removing old ones, and rolled back if they are unhealthy.
data "roundrobin_default_network" "net" {}

data "roundrobin_ami" "app" {
  tags = {
    app = "nodeapp"
  }
}

resource "roundrobin_launch_template" "app" {
  name          = "nodeapp"
  image_id      = data.roundrobin_ami.app.image_id
  instance_type = "t3.micro"
}

resource "roundrobin_lb_target_group" "app" {
  name   = "nodeapp"
  port   = 3000
  vpc_id = data.roundrobin_default_network.net.vpc_id
}

resource "roundrobin_autoscaling_group" "app" {
  name                      = "nodeapp"
  min_size                  = 2
  max_size                  = 4
  desired_capacity          = 2
  vpc_zone_identifier       = data.roundrobin_default_network.net.subnet_ids
  target_group_arns         = [roundrobin_lb_target_group.app.arn]
  health_check_type         = "ELB"
  health_check_grace_period = 60
  termination_policies      = ["OldestLaunchTemplate"]

  launch_template {
    id      = roundrobin_launch_template.app.id
    version = roundrobin_launch_template.app.latest_version
  }

  rollout {
    strategy               = "instance_refresh"
    min_healthy_percentage = 100
    max_healthy_percentage = 200
    instance_warmup        = 30
    auto_rollback          = true
    wait                   = true

    # Pause at half the group for a minute, and stop (and roll back) a new
    # version whose requests fail or slow down: the gate's alarms read the
    # load balancer's metrics of the target group, which a listener of a
    # roundrobin_lb must forward to.
    checkpoints      = [50, 100]
    checkpoint_delay = "2m"
    gate {
      max_error_rate  = 0.01
      max_latency_p99 = "250ms"
      window          = "60s"
      min_requests    = 20
    }
  }

  tag {
    key                 = "Name"
    value               = "nodeapp"
    propagate_at_launch = true
  }

  timeouts {
    create = "20m"
    update = "20m"
    delete = "20m"
  }
}
