//! The ResourceLabel of an ALBRequestCountPerTarget policy:
//! `app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID`, the final part of the load
//! balancer's ARN joined to the final part of the target group's ARN (Auto
//! Scaling API reference, PredefinedMetricSpecification). The provider
//! derives it from `target_group_arn` and the one load balancer that group
//! serves (DescribeTargetGroups' LoadBalancerArns).

use cty::Path;

use crate::aws::{Aws, AwsErrorDetail, aws_error};
use crate::framework::Diagnostics;

/// `app/NAME/ID` from a load balancer's ARN.
pub fn load_balancer_suffix(arn: &str) -> Option<&str> {
    let (_, suffix) = arn.split_once(":loadbalancer/")?;
    suffix.starts_with("app/").then_some(suffix)
}

/// `targetgroup/NAME/ID` from a target group's ARN.
pub fn target_group_suffix(arn: &str) -> Option<&str> {
    let (_, suffix) = arn.rsplit_once(':')?;
    suffix.starts_with("targetgroup/").then_some(suffix)
}

/// The label from the two ARNs.
pub fn from_arns(load_balancer_arn: &str, target_group_arn: &str) -> Option<String> {
    Some(format!(
        "{}/{}",
        load_balancer_suffix(load_balancer_arn)?,
        target_group_suffix(target_group_arn)?
    ))
}

/// The `targetgroup/NAME/ID` part of a label.
pub fn target_group_part(label: &str) -> Option<&str> {
    label.find("/targetgroup/").map(|at| &label[at + 1..])
}

/// Whether a label has AWS's shape: `app/NAME/ID/targetgroup/NAME/ID`.
pub fn is_well_formed(label: &str) -> bool {
    let parts: Vec<&str> = label.split('/').collect();
    parts.len() == 6
        && parts[0] == "app"
        && parts[3] == "targetgroup"
        && parts.iter().all(|p| !p.is_empty())
}

fn at_target_group(summary: &str, detail: String) -> Diagnostics {
    Diagnostics::attribute_error(Path::root().attr("target_group_arn"), summary, detail)
}

/// Reads the target group and derives the label from its load balancer.
pub async fn derive(aws: &Aws, target_group_arn: &str) -> Result<String, Diagnostics> {
    let described = aws
        .elb
        .describe_target_groups()
        .target_group_arns(target_group_arn)
        .send()
        .await;
    let groups = match described {
        Ok(out) => out.target_groups().to_vec(),
        Err(e) if e.code() == Some("TargetGroupNotFound") => Vec::new(),
        Err(e) => {
            return Err(aws_error(
                &format!("reading the target group {target_group_arn}"),
                &e,
            ));
        }
    };
    let Some(group) = groups.first() else {
        return Err(at_target_group(
            "Target group not found",
            format!("There is no target group {target_group_arn}."),
        ));
    };
    match group.load_balancer_arns() {
        [one] => from_arns(one, target_group_arn).ok_or_else(|| {
            at_target_group(
                "Not an application load balancer's target group",
                format!(
                    "ALBRequestCountPerTarget needs a target group of an application load balancer; {target_group_arn} serves {one}."
                ),
            )
        }),
        [] => Err(at_target_group(
            "Target group serves no load balancer yet",
            format!(
                "ALBRequestCountPerTarget counts the requests a load balancer sends to {target_group_arn}, but no load balancer sends it any: no listener forwards to it. Create the listener first, for example with depends_on = [roundrobin_lb_listener.NAME] in this policy."
            ),
        )),
        many => Err(at_target_group(
            "Target group serves several load balancers",
            format!(
                "{target_group_arn} serves {} load balancers; say which one's requests count by setting resource_label (app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID) instead of target_group_arn.",
                many.len()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LB: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
    const TG: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067";

    #[test]
    fn the_label_joins_the_two_arn_suffixes() {
        let label = from_arns(LB, TG).unwrap();
        assert_eq!(
            label,
            "app/web/50dc6c495c0c9188/targetgroup/web/73e2d6bc24d8a067"
        );
        assert!(is_well_formed(&label));
        assert_eq!(
            target_group_part(&label),
            Some("targetgroup/web/73e2d6bc24d8a067")
        );
    }

    #[test]
    fn a_network_load_balancer_has_no_label() {
        let nlb = LB.replace("/app/", "/net/");
        assert_eq!(from_arns(&nlb, TG), None);
    }

    #[test]
    fn malformed_labels_are_recognised() {
        assert!(!is_well_formed("app/web/1/targetgroup/web"));
        assert!(!is_well_formed("net/web/1/targetgroup/web/2"));
        assert!(!is_well_formed("app/web//targetgroup/web/2"));
    }
}
