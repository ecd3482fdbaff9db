output "security_group_id" {
  description = "Security group of the application instances."
  value       = roundrobin_security_group.instances.id
}

output "launch_template_id" {
  description = "Launch template the instances boot from."
  value       = roundrobin_launch_template.app.id
}

output "launch_template_latest_version" {
  description = "Newest version of the launch template."
  value       = roundrobin_launch_template.app.latest_version
}
