# Servers from the last image baker made; a new image is a new template
# version, made the default.
data "roundrobin_ami" "app" {
  tags = {
    app = "nodeapp"
  }
}

resource "roundrobin_security_group" "instances" {
  name = "nodeapp-instances"
}

resource "roundrobin_instance_profile" "app" {
  name = "nodeapp-ssm"
}

resource "roundrobin_launch_template" "app" {
  name                   = "nodeapp"
  image_id               = data.roundrobin_ami.app.image_id
  instance_type          = "t3.micro"
  vpc_security_group_ids = [roundrobin_security_group.instances.id]
  iam_instance_profile   = roundrobin_instance_profile.app.name
  update_default_version = true
  user_data              = base64encode("#!/bin/sh\nsystemctl start nodeapp\n")

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  tags = {
    app = "nodeapp"
  }
}
