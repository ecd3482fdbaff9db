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
  description = "TCP port the application listens on. Left null, the image's `app-port` tag (baker records the port it baked the app with); set it only for an image baker did not make."
  type        = number
  default     = null

  validation {
    condition     = var.app_port == null ? true : (var.app_port >= 1 && var.app_port <= 65535)
    error_message = "app_port must be a TCP port, 1-65535."
  }
}

variable "health_path" {
  description = "Path the application answers its health check on. Left null, the image's `health-path` tag; set it only for an image baker did not make."
  type        = string
  default     = null

  validation {
    condition     = var.health_path == null || startswith(coalesce(var.health_path, "/"), "/")
    error_message = "health_path must start with /."
  }
}

variable "allowed_cidrs" {
  description = "Networks allowed to reach the load balancer on port 80."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "instance_type" {
  description = "EC2 instance type of the application instances."
  type        = string
  default     = "t3.micro"
}

# The AMI the instances boot from. Left null, the newest image tagged
# app = app_name (what `baker build` makes) is used.
variable "image_id" {
  description = "AMI the instances boot from (ami-...); null for the newest baked image of the app."
  type        = string
  default     = null

  validation {
    condition     = var.image_id == null || can(regex("^ami-[0-9a-f]+$", var.image_id))
    error_message = "image_id must be an AMI id such as ami-0123456789abcdef0."
  }
}

variable "min_size" {
  description = "Fewest instances the group runs."
  type        = number
  default     = 2
}

variable "desired_capacity" {
  description = "Instances the group runs normally (two AZs: at least 2)."
  type        = number
  default     = 2
}

variable "max_size" {
  description = "Most instances the group runs; 2x desired leaves room for rollouts."
  type        = number
  default     = 4
}

variable "rollout_timeout" {
  description = "How long a rollout of a new AMI may take before it is rolled back."
  type        = string
  default     = "15m"
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
