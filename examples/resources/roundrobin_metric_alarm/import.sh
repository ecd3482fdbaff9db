#!/bin/sh
# Imported by the alarm's name.
terraform import roundrobin_metric_alarm.errors nodeapp-error-rate
