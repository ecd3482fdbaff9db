#!/bin/sh
# Imported by the security group's id.
terraform import roundrobin_security_group.alb sg-0123456789abcdef0
