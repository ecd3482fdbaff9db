terraform {
  required_providers {
    roundrobin = {
      source  = "roundrobin/roundrobin"
      version = "~> 0.1"
    }
  }
}

provider "roundrobin" {
  region = "eu-west-1" # or AWS_REGION / AWS_DEFAULT_REGION / the profile's region
  # profile  = "deploy"  # a named profile; credentials follow the standard AWS chain
  # endpoint = "http://127.0.0.1:5000"  # an emulator; also AWS_ENDPOINT_URL

  # Tags for every resource with a `tags` argument; its own tags win.
  default_tags {
    tags = {
      team       = "web"
      managed-by = "terraform"
    }
  }
}
