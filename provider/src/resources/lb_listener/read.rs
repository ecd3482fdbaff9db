//! Reading a listener back from AWS, and refusing the import of one this
//! resource cannot describe in full.

use aws_sdk_elasticloadbalancingv2::types::Listener as AwsListener;

use super::{Listener, actions};
use crate::aws::{Aws, AwsErrorDetail, aws_error};
use crate::framework::Diagnostics;

pub async fn read_listener(aws: &Aws, known: &Listener) -> Result<Option<Listener>, Diagnostics> {
    let arn = known.arn();
    let listener = match aws.elb.describe_listeners().listener_arns(arn).send().await {
        Ok(out) => out.listeners().first().cloned(),
        Err(e) if matches!(e.code(), Some("ListenerNotFound" | "LoadBalancerNotFound")) => None,
        Err(e) => return Err(aws_error(&format!("reading listener {arn}"), &e)),
    };
    let importing = known.load_balancer_arn.is_empty();
    if importing && let Some(l) = &listener {
        refuse_unmodelled(l)?;
    }
    Ok(listener.map(|l| from_aws(&l, known)))
}

/// An import of a listener this resource cannot describe in full is refused,
/// so that nothing (a second certificate list, an authentication step, a
/// protocol other than HTTP/HTTPS) is lost: this resource models HTTP and
/// HTTPS listeners with one default action that forwards, answers with a
/// fixed response, or redirects.
fn refuse_unmodelled(listener: &AwsListener) -> Result<(), Diagnostics> {
    let arn = listener.listener_arn().unwrap_or_default();
    let protocol = listener.protocol().map(|p| p.as_str()).unwrap_or("HTTP");
    let actions: Vec<&str> = listener
        .default_actions()
        .iter()
        .map(|a| a.r#type().map_or("unknown", |t| t.as_str()))
        .collect();
    let modelled = listener
        .default_actions()
        .iter()
        .all(|a| a.r#type().is_some_and(actions::is_modelled));
    let mut reasons = Vec::new();
    if !matches!(protocol, "HTTP" | "HTTPS") {
        reasons.push(format!(
            "it listens with {protocol}, and roundrobin_lb_listener manages HTTP and HTTPS listeners only"
        ));
    }
    if actions.len() != 1 || !modelled {
        reasons.push(format!(
            "its default actions are [{}], and roundrobin_lb_listener manages one default action: forward, fixed-response or redirect",
            actions.join(", ")
        ));
    }
    if reasons.is_empty() {
        return Ok(());
    }
    Err(Diagnostics::error(
        "Listener cannot be imported",
        format!(
            "Listener {arn} is not imported because {}. Importing it would drop those settings on the next apply. Keep managing it outside Terraform, or change it to one default action first.",
            reasons.join("; and ")
        ),
    ))
}

/// The listener as AWS has it; target groups in the order `known` lists
/// them, so that a refresh reports only real changes.
fn from_aws(listener: &AwsListener, known: &Listener) -> Listener {
    let arn = listener.listener_arn().unwrap_or(known.arn()).to_string();
    let protocol = listener.protocol().map(|p| p.as_str().to_string());
    let https = protocol.as_deref() == Some("HTTPS");
    // An HTTP listener has neither (DescribeListeners may still name a policy).
    let certificate_arn = listener
        .certificates()
        .iter()
        .find(|c| c.is_default() != Some(false))
        .and_then(|c| c.certificate_arn())
        .filter(|_| https)
        .map(str::to_string);
    let ssl_policy = listener.ssl_policy().filter(|_| https).map(str::to_string);
    let mut read = Listener {
        id: Some(arn.clone()),
        arn: Some(arn),
        load_balancer_arn: listener.load_balancer_arn().unwrap_or_default().to_string(),
        port: listener.port().map(i64::from),
        protocol,
        certificate_arn,
        ssl_policy,
        ..Listener::default()
    };
    actions::read_into(&mut read, listener.default_actions(), known);
    read
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Resource;
    use crate::resources::lb_listener::{Forward, ListenerResource, WeightedTargetGroup};
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, ForwardActionConfig,
        ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
        TargetGroupStickinessConfig, TargetGroupTuple,
    };
    use cty::{Path, Value};

    fn group(arn: &str, weight: i32) -> TargetGroupTuple {
        TargetGroupTuple::builder()
            .target_group_arn(arn)
            .weight(weight)
            .build()
    }

    #[test]
    fn target_groups_keep_the_configured_order_and_absent_stickiness() {
        let forward = ForwardActionConfig::builder()
            .target_groups(group("arn:tg/green", 50))
            .target_groups(group("arn:tg/blue", 50))
            .target_group_stickiness_config(
                TargetGroupStickinessConfig::builder()
                    .enabled(false)
                    .build(),
            )
            .build();
        let aws = AwsListener::builder()
            .listener_arn("arn:l")
            .port(80)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .forward_config(forward)
                    .build(),
            )
            .build();
        let wanted = |arn: &str| WeightedTargetGroup {
            arn: arn.into(),
            weight: Some(100),
        };
        let known = Listener {
            forward: Some(Forward {
                target_group: vec![wanted("arn:tg/blue"), wanted("arn:tg/green")],
                stickiness: None,
            }),
            ..Listener::default()
        };
        let read = from_aws(&aws, &known).forward.expect("forward");
        assert_eq!(read.target_group[0].arn, "arn:tg/blue");
        assert_eq!(read.target_group[1].weight, Some(50));
        assert_eq!(read.stickiness, None);
    }

    #[test]
    fn a_listener_without_target_groups_is_refused() {
        let forward = Value::object([
            ("target_group".to_string(), Value::List(vec![])),
            ("stickiness".to_string(), Value::Null),
        ]);
        let config = Value::object([("forward".to_string(), forward)]);
        let mut diags = Diagnostics::new();
        ListenerResource.validate(&config, &mut diags);
        assert_eq!(
            diags.0[0].path,
            Some(Path::root().attr("forward").attr("target_group"))
        );
    }

    fn listener_with(action: Action, protocol: ProtocolEnum) -> AwsListener {
        AwsListener::builder()
            .listener_arn("arn:l")
            .port(443)
            .protocol(protocol)
            .ssl_policy("ELBSecurityPolicy-2016-08")
            .certificates(Certificate::builder().certificate_arn("arn:cert").build())
            .default_actions(action)
            .build()
    }

    #[test]
    fn a_redirect_reads_with_the_parts_aws_leaves_out_as_the_requests_own() {
        let redirect = Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol("HTTPS")
                    .port("443")
                    .status_code(RedirectActionStatusCodeEnum::Http301)
                    .build(),
            )
            .build();
        let read = from_aws(
            &listener_with(redirect, ProtocolEnum::Http),
            &Listener::default(),
        );
        let redirect = read.redirect.expect("a redirect");
        assert_eq!(redirect.status_code, "HTTP_301");
        assert_eq!(redirect.protocol.as_deref(), Some("HTTPS"));
        assert_eq!(redirect.host.as_deref(), Some("#{host}"));
        assert_eq!(redirect.path.as_deref(), Some("/#{path}"));
        assert!(read.forward.is_none() && read.fixed_response.is_none());
        // An HTTP listener has no certificate or policy, whatever AWS says.
        assert_eq!((read.certificate_arn, read.ssl_policy), (None, None));
    }

    #[test]
    fn an_https_fixed_response_reads_with_its_certificate_and_policy() {
        let fixed = Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code("503")
                    .content_type("text/plain")
                    .build(),
            )
            .build();
        let aws = listener_with(fixed, ProtocolEnum::Https);
        assert!(refuse_unmodelled(&aws).is_ok());
        let read = from_aws(&aws, &Listener::default());
        assert_eq!(read.certificate_arn.as_deref(), Some("arn:cert"));
        assert_eq!(
            read.ssl_policy.as_deref(),
            Some("ELBSecurityPolicy-2016-08")
        );
        let fixed = read.fixed_response.expect("a fixed response");
        assert_eq!(fixed.status_code, "503");
        assert_eq!(fixed.message_body, None);
    }

    #[test]
    fn an_authenticating_listener_is_refused_with_its_actions() {
        let authenticate = Action::builder()
            .r#type(ActionTypeEnum::AuthenticateOidc)
            .build();
        let aws = listener_with(authenticate, ProtocolEnum::Https);
        let refused = refuse_unmodelled(&aws).expect_err("refused");
        assert!(
            refused.0[0].detail.contains("authenticate-oidc"),
            "{refused:?}"
        );
    }

    fn config(fields: &[(&str, Value)]) -> Value {
        Value::object(fields.iter().map(|(k, v)| ((*k).to_string(), v.clone())))
    }

    fn errors(config: &Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        ListenerResource.validate(config, &mut diags);
        diags.0.iter().map(|d| d.summary.clone()).collect()
    }

    #[test]
    fn one_default_action_and_https_with_a_certificate() {
        let fixed = config(&[("status_code", Value::from("503"))]);
        let redirect = config(&[("status_code", Value::from("HTTP_301"))]);
        assert_eq!(errors(&config(&[])), ["Missing default action"]);
        assert_eq!(
            errors(&config(&[
                ("fixed_response", fixed.clone()),
                ("redirect", redirect)
            ])),
            ["More than one default action"]
        );
        let https = |certificate: Value| {
            config(&[
                ("protocol", Value::from("HTTPS")),
                ("certificate_arn", certificate),
                ("fixed_response", fixed.clone()),
            ])
        };
        assert_eq!(errors(&https(Value::Null)), ["Missing certificate"]);
        assert!(errors(&https(Value::from("arn:cert"))).is_empty());
        let http = config(&[
            ("certificate_arn", Value::from("arn:cert")),
            ("fixed_response", fixed),
        ]);
        assert_eq!(errors(&http), ["Only for HTTPS"]);
        let bad = config(&[(
            "fixed_response",
            config(&[("status_code", Value::from("302"))]),
        )]);
        assert_eq!(errors(&bad), ["Invalid status code"]);
    }

    #[test]
    fn an_unset_ssl_policy_is_kept_unknown_or_none_by_protocol() {
        let planned = |prior: &Value, protocol: &str| {
            let mut plan = crate::framework::Plan {
                planned: config(&[
                    ("protocol", Value::from(protocol)),
                    ("ssl_policy", Value::Null),
                ]),
                requires_replace: Vec::new(),
            };
            let unset = config(&[("ssl_policy", Value::Null)]);
            actions::plan_ssl_policy(prior, &unset, &mut plan);
            plan.planned
                .get_attr("ssl_policy")
                .cloned()
                .unwrap_or(Value::Null)
        };
        assert!(planned(&Value::Null, "HTTPS").is_unknown());
        assert!(planned(&Value::Null, "HTTP").is_null());
        let https = config(&[
            ("protocol", Value::from("HTTPS")),
            ("ssl_policy", Value::from("P")),
        ]);
        assert_eq!(planned(&https, "HTTPS").as_str(), Some("P"));
        let http = config(&[
            ("protocol", Value::from("HTTP")),
            ("ssl_policy", Value::Null),
        ]);
        assert!(planned(&http, "HTTPS").is_unknown());
    }
}
