#!/bin/sh
# Imported by the ARN.
terraform import roundrobin_lb_target_group.app arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nodeapp/73e2d6bc24d8a067
