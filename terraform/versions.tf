terraform {
  required_version = ">= 1.5"

  required_providers {
    roundrobin = {
      source = "roundrobin/roundrobin"
    }
  }
}

provider "roundrobin" {
  region = var.region
}
