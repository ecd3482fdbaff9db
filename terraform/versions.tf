terraform {
  required_version = ">= 1.5"

  # State for CI (Travis, GitHub Actions): keep it in S3 with locking, so
  # that every pipeline run sees the stack the previous one left. Create the
  # bucket once, then uncomment and run `terraform init -migrate-state`.
  #
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "nodeapp/terraform.tfstate"
  #   region       = "us-east-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }

  required_providers {
    roundrobin = {
      source = "roundrobin/roundrobin"
    }
  }
}

provider "roundrobin" {
  region = var.region
}
