#!/bin/sh
# Imported by the ARN.
terraform import roundrobin_lb_listener.http arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/nodeapp/50dc6c495c0c9188/f2f7dc8efc522ab2
