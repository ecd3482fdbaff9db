//! What `rollout.gate` becomes: CloudWatch metric-math alarms on the
//! Application Load Balancer metrics of the group's target groups.
//!
//! Dimensions follow AWS's "CloudWatch metrics for your Application Load
//! Balancer": RequestCount, HTTPCode_Target_5XX_Count and TargetResponseTime
//! exist per {TargetGroup, LoadBalancer}; HTTPCode_ELB_5XX_Count only per
//! {LoadBalancer} (and per zone), so the load balancer's own 5xx answers are
//! counted for the whole load balancer: a load balancer shared with other
//! target groups can make the gate stricter, never laxer. Load balancers
//! publish a count only when it is nonzero, hence `FILL(m, 0)`; fewer than
//! `min_requests` requests make the expression's `IF` drop the datapoint
//! ("Metric math syntax and functions"), and missing data is not breaching:
//! no verdict. The exact definitions are pinned by the tests below.

use super::rollout_config::Gate;

pub const ALARM_NAME_PREFIX: &str = "roundrobin-gate-";
const ERROR_RATE_SUFFIX: &str = "-error-rate";
const LATENCY_SUFFIX: &str = "-latency-p99";
/// The longer of the two suffixes, for the name length check.
pub const LONGEST_ALARM_SUFFIX: &str = LATENCY_SUFFIX;
pub const NAMESPACE: &str = "AWS/ApplicationELB";
/// PutMetricAlarm accepts at most 10 entries in `Metrics`.
const MAX_QUERIES: usize = 10;

/// A target group with its load balancer, as CloudWatch's dimensions name
/// them (`targetgroup/NAME/ID`, `app/NAME/ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub target_group: String,
    pub load_balancer: String,
}

impl Target {
    /// From the ARNs: the dimension values are the ARNs' resource parts.
    pub fn from_arns(target_group_arn: &str, load_balancer_arn: &str) -> Self {
        let resource = |arn: &str| arn.rsplit(':').next().unwrap_or(arn).to_string();
        let load_balancer = resource(load_balancer_arn);
        Self {
            target_group: resource(target_group_arn),
            load_balancer: load_balancer
                .strip_prefix("loadbalancer/")
                .unwrap_or(&load_balancer)
                .to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Metric {
        name: &'static str,
        dimensions: Vec<(&'static str, String)>,
        stat: &'static str,
    },
    Expression(String),
}

/// One entry of the alarm's `Metrics` (a MetricDataQuery).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub id: String,
    pub source: Source,
    pub return_data: bool,
    pub label: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ErrorRate,
    LatencyP99,
}

/// An alarm the gate creates: `GreaterThanThreshold`, one period of
/// `window` seconds, 1 of 1 datapoints, missing data not breaching.
#[derive(Debug, Clone, PartialEq)]
pub struct GateAlarm {
    pub name: String,
    pub kind: Kind,
    pub description: String,
    pub threshold: f64,
    pub period: i32,
    pub queries: Vec<Query>,
}

impl GateAlarm {
    /// A figure of this alarm as a person reads it.
    pub fn show(&self, value: f64) -> String {
        match self.kind {
            Kind::ErrorRate => format!("{:.2}% of requests failed", value * 100.0),
            Kind::LatencyP99 => format!("p99 latency {:.0}ms", value * 1000.0),
        }
    }
    pub fn show_threshold(&self) -> String {
        match self.kind {
            Kind::ErrorRate => format!("max_error_rate {}", self.threshold),
            Kind::LatencyP99 => format!("max_latency_p99 {:.0}ms", self.threshold * 1000.0),
        }
    }
}

/// The alarms for `gate` on a group's targets, or why there can be none.
pub fn alarms(group: &str, gate: &Gate, targets: &[Target]) -> Result<Vec<GateAlarm>, String> {
    if targets.is_empty() {
        return Err("the group has no target group behind a load balancer to measure".into());
    }
    let period = i32::try_from(gate.window_secs()).map_err(|_| "window too long".to_string())?;
    let min = gate.min_requests();
    let mut made = Vec::new();
    if let Some(rate) = gate.max_error_rate {
        made.push(error_rate(group, targets, min, rate, period));
    }
    if let Some(latency) = gate.max_latency_secs() {
        made.push(latency_p99(group, targets, min, latency, period));
    }
    if let Some(big) = made.iter().find(|a| a.queries.len() > MAX_QUERIES) {
        return Err(format!(
            "alarm {} would need {} metrics and expressions, more than CloudWatch's {MAX_QUERIES}: the gate covers at most 4 target groups behind one load balancer",
            big.name,
            big.queries.len()
        ));
    }
    Ok(made)
}

fn by_target(t: &Target) -> Vec<(&'static str, String)> {
    vec![
        ("LoadBalancer", t.load_balancer.clone()),
        ("TargetGroup", t.target_group.clone()),
    ]
}

fn stat(
    id: String,
    name: &'static str,
    dims: Vec<(&'static str, String)>,
    s: &'static str,
) -> Query {
    Query {
        id,
        source: Source::Metric {
            name,
            dimensions: dims,
            stat: s,
        },
        return_data: false,
        label: None,
    }
}

/// `FILL(a, 0) + FILL(b, 0)`, parenthesised when there are several terms.
fn filled_sum(ids: &[String]) -> String {
    let terms: Vec<String> = ids.iter().map(|id| format!("FILL({id}, 0)")).collect();
    match terms.as_slice() {
        [one] => one.clone(),
        _ => format!("({})", terms.join(" + ")),
    }
}

fn request_queries(targets: &[Target]) -> (Vec<Query>, Vec<String>) {
    let ids: Vec<String> = (0..targets.len()).map(|i| format!("req_{i}")).collect();
    let queries = targets
        .iter()
        .zip(&ids)
        .map(|(t, id)| stat(id.clone(), "RequestCount", by_target(t), "Sum"))
        .collect();
    (queries, ids)
}

fn error_rate(group: &str, targets: &[Target], min: i64, rate: f64, period: i32) -> GateAlarm {
    let (mut queries, requests) = request_queries(targets);
    let mut errors = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let id = format!("tgt5xx_{i}");
        queries.push(stat(
            id.clone(),
            "HTTPCode_Target_5XX_Count",
            by_target(t),
            "Sum",
        ));
        errors.push(id);
    }
    let mut balancers: Vec<&str> = Vec::new();
    for t in targets {
        if !balancers.contains(&t.load_balancer.as_str()) {
            balancers.push(&t.load_balancer);
        }
    }
    for (j, lb) in balancers.iter().enumerate() {
        let id = format!("elb5xx_{j}");
        let dims = vec![("LoadBalancer", (*lb).to_string())];
        queries.push(stat(id.clone(), "HTTPCode_ELB_5XX_Count", dims, "Sum"));
        errors.push(id);
    }
    let total = filled_sum(&requests);
    queries.push(Query {
        id: "error_rate".into(),
        source: Source::Expression(format!(
            "IF({total} >= {min}, {} / {total})",
            filled_sum(&errors)
        )),
        return_data: true,
        label: Some("5xx answers per request"),
    });
    GateAlarm {
        name: format!("{ALARM_NAME_PREFIX}{group}{ERROR_RATE_SUFFIX}"),
        kind: Kind::ErrorRate,
        description: format!(
            "Rollout gate of autoscaling group {group}: 5xx answers per request. Created and deleted by terraform-provider-roundrobin around each rollout."
        ),
        threshold: rate,
        period,
        queries,
    }
}

fn latency_p99(group: &str, targets: &[Target], min: i64, seconds: f64, period: i32) -> GateAlarm {
    let (mut queries, requests) = request_queries(targets);
    let mut latencies = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let id = format!("p99_{i}");
        queries.push(stat(id.clone(), "TargetResponseTime", by_target(t), "p99"));
        latencies.push(id);
    }
    let worst = match latencies.as_slice() {
        [one] => one.clone(),
        _ => format!("MAX([{}])", latencies.join(", ")),
    };
    queries.push(Query {
        id: "latency_p99".into(),
        source: Source::Expression(format!("IF({} >= {min}, {worst})", filled_sum(&requests))),
        return_data: true,
        label: Some("TargetResponseTime p99 (seconds)"),
    });
    GateAlarm {
        name: format!("{ALARM_NAME_PREFIX}{group}{LATENCY_SUFFIX}"),
        kind: Kind::LatencyP99,
        description: format!(
            "Rollout gate of autoscaling group {group}: TargetResponseTime p99. Created and deleted by terraform-provider-roundrobin around each rollout."
        ),
        threshold: seconds,
        period,
        queries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        Gate {
            max_error_rate: Some(0.01),
            max_latency_p99: Some("250ms".into()),
            window: Some("60s".into()),
            min_requests: Some(20),
        }
    }

    fn target(n: u32) -> Target {
        Target::from_arns(
            &format!(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg{n}/abc{n}"
            ),
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
        )
    }

    fn expression(alarm: &GateAlarm) -> &str {
        match alarm.queries.last().map(|q| &q.source) {
            Some(Source::Expression(e)) => e,
            other => panic!("no expression last: {other:?}"),
        }
    }

    #[test]
    fn dimensions_are_the_arns_resource_parts() {
        assert_eq!(
            target(1),
            Target {
                target_group: "targetgroup/tg1/abc1".into(),
                load_balancer: "app/web/50dc6c495c0c9188".into(),
            }
        );
    }

    #[test]
    fn one_target_group_gives_the_documented_alarms() {
        let made = alarms("web", &gate(), &[target(1)]).expect("alarms");
        assert_eq!(made.len(), 2);
        let errors = &made[0];
        assert_eq!(errors.name, "roundrobin-gate-web-error-rate");
        assert_eq!(errors.threshold, 0.01);
        assert_eq!(errors.period, 60);
        assert_eq!(
            expression(errors),
            "IF(FILL(req_0, 0) >= 20, (FILL(tgt5xx_0, 0) + FILL(elb5xx_0, 0)) / FILL(req_0, 0))"
        );
        let elb = errors
            .queries
            .iter()
            .find(|q| q.id == "elb5xx_0")
            .expect("elb5xx_0");
        assert_eq!(
            elb.source,
            Source::Metric {
                name: "HTTPCode_ELB_5XX_Count",
                dimensions: vec![("LoadBalancer", "app/web/50dc6c495c0c9188".into())],
                stat: "Sum",
            }
        );
        assert_eq!(errors.queries.iter().filter(|q| q.return_data).count(), 1);
        let latency = &made[1];
        assert_eq!(latency.name, "roundrobin-gate-web-latency-p99");
        assert_eq!(latency.threshold, 0.25);
        assert_eq!(expression(latency), "IF(FILL(req_0, 0) >= 20, p99_0)");
    }

    #[test]
    fn several_target_groups_sum_requests_and_take_the_worst_latency() {
        let made = alarms("web", &gate(), &[target(1), target(2)]).expect("alarms");
        assert_eq!(
            expression(&made[0]),
            "IF((FILL(req_0, 0) + FILL(req_1, 0)) >= 20, (FILL(tgt5xx_0, 0) + FILL(tgt5xx_1, 0) + FILL(elb5xx_0, 0)) / (FILL(req_0, 0) + FILL(req_1, 0)))"
        );
        assert_eq!(
            expression(&made[1]),
            "IF((FILL(req_0, 0) + FILL(req_1, 0)) >= 20, MAX([p99_0, p99_1]))"
        );
    }

    #[test]
    fn too_many_target_groups_are_refused() {
        let many: Vec<Target> = (0..5).map(target).collect();
        let refused = alarms("web", &gate(), &many).expect_err("refused");
        assert!(refused.contains("at most 4 target groups"), "{refused}");
        assert!(alarms("web", &gate(), &[]).is_err());
    }

    #[test]
    fn figures_read_as_people_say_them() {
        let made = alarms("web", &gate(), &[target(1)]).expect("alarms");
        assert_eq!(made[0].show(0.2), "20.00% of requests failed");
        assert_eq!(made[1].show(0.4), "p99 latency 400ms");
        assert_eq!(made[1].show_threshold(), "max_latency_p99 250ms");
    }
}
