#!/bin/sh
# Imported by the launch template's id.
terraform import roundrobin_launch_template.app lt-0123456789abcdef0
