locals {
  tags = {
    app        = var.app_name
    managed-by = "terraform"
  }
}

# The application instances: reachable on app_port only, no SSH (they are
# managed through SSM), outbound traffic left at the AWS default (allow all).
resource "roundrobin_security_group" "instances" {
  name        = "${var.app_name}-instances"
  description = "${var.app_name} instances: ${var.app_port}/tcp from the allowed networks"

  ingress {
    description = "${var.app_name} HTTP"
    from_port   = var.app_port
    to_port     = var.app_port
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidrs
  }

  tags = local.tags
}

# What every instance boots with. A new image_id becomes a new template version.
resource "roundrobin_launch_template" "app" {
  name                   = var.app_name
  image_id               = var.image_id
  instance_type          = var.instance_type
  vpc_security_group_ids = [roundrobin_security_group.instances.id]

  # IMDSv2 only; no key pair.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  tags = local.tags
}
