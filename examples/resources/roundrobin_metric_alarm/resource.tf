# Two alarms on the load balancer's metrics of the app's target group: one on a
# single metric (p99 latency), one with metric math (the share of requests
# answered with a 5xx). An autoscaling group names them in rollout.alarms, so
# a new version that trips either is stopped and rolled back.
data "roundrobin_default_network" "net" {}

resource "roundrobin_lb" "web" {
  name    = "nodeapp"
  subnets = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
}

resource "roundrobin_lb_target_group" "app" {
  name   = "nodeapp"
  port   = 3000
  vpc_id = data.roundrobin_default_network.net.vpc_id
}

resource "roundrobin_metric_alarm" "slow" {
  alarm_name          = "nodeapp-latency-p99"
  alarm_description   = "p99 response time of the app above 250 ms"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0.25
  unit                = "Seconds"
  treat_missing_data  = "notBreaching"

  dimensions = {
    LoadBalancer = roundrobin_lb.web.arn_suffix
    TargetGroup  = roundrobin_lb_target_group.app.arn_suffix
  }

  tags = {
    app = "nodeapp"
  }
}

resource "roundrobin_metric_alarm" "errors" {
  alarm_name          = "nodeapp-error-rate"
  alarm_description   = "more than 1% of requests answered with a 5xx"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0.01
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "rate"
    expression  = "FILL(errors, 0) / requests"
    label       = "5xx per request"
    return_data = true
  }

  metric_query {
    id          = "errors"
    return_data = false

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions = {
        LoadBalancer = roundrobin_lb.web.arn_suffix
        TargetGroup  = roundrobin_lb_target_group.app.arn_suffix
      }
    }
  }

  metric_query {
    id          = "requests"
    return_data = false

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      unit        = "Count"
      dimensions = {
        LoadBalancer = roundrobin_lb.web.arn_suffix
        TargetGroup  = roundrobin_lb_target_group.app.arn_suffix
      }
    }
  }
}
