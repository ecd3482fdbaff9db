#!/bin/sh
# Imported by the ARN.
terraform import roundrobin_lb.web arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/nodeapp/50dc6c495c0c9188
