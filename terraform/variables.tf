variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "app_name" {
  description = "Name of the application; prefixes resource names and fills the `app` tag."
  type        = string
  default     = "nodeapp"
}

variable "app_port" {
  description = "TCP port the application listens on."
  type        = number
  default     = 3000

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535
    error_message = "app_port must be a TCP port, 1-65535."
  }
}

variable "allowed_cidrs" {
  description = "Networks allowed to reach app_port on the instances."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "instance_type" {
  description = "EC2 instance type of the application instances."
  type        = string
  default     = "t3.micro"
}

# Required for now: the AMI baked for the application (`baker build` prints it).
# The roundrobin_ami data source will provide the newest baked image instead.
variable "image_id" {
  description = "AMI the instances boot from (ami-...)."
  type        = string

  validation {
    condition     = can(regex("^ami-[0-9a-f]+$", var.image_id))
    error_message = "image_id must be an AMI id such as ami-0123456789abcdef0."
  }
}
