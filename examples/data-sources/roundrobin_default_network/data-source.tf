# The default VPC and one default subnet per Availability Zone.
data "roundrobin_default_network" "net" {
  min_azs = 2
}

output "vpc_id" {
  value = data.roundrobin_default_network.net.vpc_id
}

output "two_zones" {
  value = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
}
