#!/bin/sh
# Imported as GROUP/POLICY: the autoscaling group's name and the policy's.
terraform import roundrobin_autoscaling_policy.requests nodeapp/requests-per-instance
