output "alb_url" {
  description = "Where the application answers."
  value       = "http://${roundrobin_lb.app.dns_name}/"
}

output "ami_id" {
  description = "AMI the instances run."
  value       = local.image_id
}

output "commit" {
  description = "Commit the AMI was baked from (its `commit` tag), when known."
  value       = lookup(data.roundrobin_ami.app.image_tags, "commit", "unknown")
}

output "app_port" {
  description = "Port the load balancer routes to: the one the image was baked with."
  value       = local.app_port
}

output "launch_template_id" {
  description = "Launch template the instances boot from."
  value       = roundrobin_launch_template.app.id
}

output "launch_template_version" {
  description = "Launch template version the group runs."
  value       = roundrobin_autoscaling_group.app.launch_template.version
}

output "asg_name" {
  description = "Name of the autoscaling group (for `baker exec` and the AWS console)."
  value       = roundrobin_autoscaling_group.app.name
}

output "security_group_id" {
  description = "Security group of the application instances."
  value       = roundrobin_security_group.instances.id
}
