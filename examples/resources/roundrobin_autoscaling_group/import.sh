#!/bin/sh
# Imported by the group's name.
terraform import roundrobin_autoscaling_group.app nodeapp
