# `terraform test` for the example stack: plans, then applies the stack and
# checks what it made, then destroys it (terraform test always does). It uses
# the newest image baked for the app (tagged app = nodeapp, with the app-port
# and health-path tags baker records), so bake one first; against AWS this
# creates and deletes real resources. The project's stories run it against the
# local emulator.

run "plan_routes_to_the_port_the_image_was_baked_with" {
  command = plan

  assert {
    condition     = output.app_port == tonumber(data.roundrobin_ami.app.image_tags["app-port"])
    error_message = "The load balancer must route to the port the image was baked with."
  }

  assert {
    condition     = roundrobin_lb_target_group.app.health_check.path == data.roundrobin_ami.app.image_tags["health-path"]
    error_message = "The health check must ask the path the image serves it on."
  }

  assert {
    condition     = roundrobin_launch_template.app.metadata_options.http_tokens == "required"
    error_message = "Instances must accept IMDSv2 only."
  }

  assert {
    condition     = length(roundrobin_autoscaling_group.app.vpc_zone_identifier) == 2
    error_message = "The group must span two subnets (two availability zones)."
  }
}

run "apply_makes_the_stack" {
  assert {
    condition     = startswith(output.security_group_id, "sg-")
    error_message = "The instances' security group was not made."
  }

  assert {
    condition     = startswith(output.launch_template_id, "lt-")
    error_message = "The launch template was not made."
  }

  assert {
    condition     = output.launch_template_version == "1"
    error_message = "A new stack runs the first version of its launch template."
  }

  assert {
    condition     = output.ami_id == data.roundrobin_ami.app.image_id
    error_message = "The instances must boot the image the data source found."
  }

  assert {
    condition     = output.alb_url == "http://${roundrobin_lb.app.dns_name}/"
    error_message = "The application's URL is the load balancer's DNS name."
  }

  assert {
    condition     = output.asg_name == var.app_name
    error_message = "The group is named after the app."
  }

  assert {
    condition     = roundrobin_lb_listener.http.forward.target_group[0].arn == roundrobin_lb_target_group.app.arn
    error_message = "The listener must forward to the app's target group."
  }
}
