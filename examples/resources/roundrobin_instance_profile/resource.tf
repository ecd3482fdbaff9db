# An instance profile whose role EC2 may assume, with Session Manager access.
resource "roundrobin_instance_profile" "app" {
  name              = "nodeapp-ssm"
  extra_policy_arns = ["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"]

  tags = {
    app = "nodeapp"
  }
}
