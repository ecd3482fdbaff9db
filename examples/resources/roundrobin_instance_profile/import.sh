#!/bin/sh
# Imported by the instance profile's name (also its role's).
terraform import roundrobin_instance_profile.app nodeapp-ssm
