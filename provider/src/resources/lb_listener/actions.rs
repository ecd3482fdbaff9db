//! The listener's default action (exactly one of `forward`,
//! `fixed_response` and `redirect`) and its protocol's settings (an HTTPS
//! listener has its certificate and security policy, an HTTP one neither).

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum};
use cty::{Path, Value};

use super::Listener;
use super::fixed_response::{self, FixedResponse};
use super::forward::Forward;
use super::redirect::Redirect;
use crate::framework::{Diagnostics, Plan};

/// The blocks that each make one kind of default action.
const ACTION_BLOCKS: [&str; 3] = ["forward", "fixed_response", "redirect"];

/// The default action the listener's configuration describes.
pub fn default_action(listener: &Listener) -> Action {
    if let Some(fixed) = &listener.fixed_response {
        return fixed.to_action();
    }
    if let Some(redirect) = &listener.redirect {
        return redirect.to_action();
    }
    listener.forward.clone().unwrap_or_default().to_action()
}

/// The action kinds this resource models, as ELBv2 names them.
pub fn is_modelled(kind: &ActionTypeEnum) -> bool {
    matches!(
        kind,
        ActionTypeEnum::Forward | ActionTypeEnum::FixedResponse | ActionTypeEnum::Redirect
    )
}

/// Fills the action blocks of `listener` from AWS's default action.
pub fn read_into(listener: &mut Listener, actions: &[Action], prior: &Listener) {
    listener.forward = None;
    listener.fixed_response = None;
    listener.redirect = None;
    let Some(action) = actions.first() else {
        return;
    };
    match action.r#type() {
        Some(ActionTypeEnum::Forward) => {
            let known = prior.forward.clone().unwrap_or_default();
            listener.forward = Some(Forward::from_aws(action, &known));
        }
        Some(ActionTypeEnum::FixedResponse) => {
            listener.fixed_response = FixedResponse::from_aws(action);
        }
        Some(ActionTypeEnum::Redirect) => listener.redirect = Redirect::from_aws(action),
        _ => {}
    }
}

/// Exactly one action block; a fixed response's status code; HTTPS with a
/// certificate and HTTP without (CreateListener reference: "[HTTPS and TLS
/// listeners] The default certificate for the listener. You must provide
/// exactly one certificate.").
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let present: Vec<&str> = ACTION_BLOCKS
        .into_iter()
        .filter(|name| config.get_attr(name).is_some_and(|v| !v.is_null()))
        .collect();
    let unknown = ACTION_BLOCKS
        .iter()
        .any(|name| config.get_attr(name).is_some_and(Value::is_unknown));
    if present.len() != 1 && !unknown {
        let (summary, detail) = if present.is_empty() {
            (
                "Missing default action",
                "A listener needs one default action: a forward block naming at least one target_group, a fixed_response block or a redirect block.".to_string(),
            )
        } else {
            (
                "More than one default action",
                format!(
                    "A listener has one default action; this one has {}. Keep one of them.",
                    present.join(" and ")
                ),
            )
        };
        diags.push_attribute_error(
            Path::root().attr(present.get(1).copied().unwrap_or("forward")),
            summary,
            detail,
        );
    }
    if let Some(code) = config
        .get_attr("fixed_response")
        .and_then(|f| f.get_attr("status_code"))
        .and_then(Value::as_str)
        && !fixed_response::is_status_code(code)
    {
        diags.push_attribute_error(
            Path::root().attr("fixed_response").attr("status_code"),
            "Invalid status code",
            format!("A fixed response answers with a status code 2XX, 4XX or 5XX; got {code:?}."),
        );
    }
    validate_protocol(config, diags);
}

fn validate_protocol(config: &Value, diags: &mut Diagnostics) {
    let protocol = match config.get_attr("protocol") {
        Some(v) if v.is_unknown() => return,
        Some(v) => v.as_str().unwrap_or("HTTP"),
        None => "HTTP",
    };
    let set = |name: &str| config.get_attr(name).is_some_and(|v| !v.is_null());
    let certificate = Path::root().attr("certificate_arn");
    match protocol {
        "HTTPS" if !set("certificate_arn") => diags.push_attribute_error(
            certificate,
            "Missing certificate",
            "An HTTPS listener needs certificate_arn: the ARN of an ACM certificate or an IAM server certificate for its domain.",
        ),
        "HTTPS" => {}
        _ => {
            for name in ["certificate_arn", "ssl_policy"] {
                if set(name) {
                    diags.push_attribute_error(
                        Path::root().attr(name),
                        "Only for HTTPS",
                        format!("{name} applies to HTTPS listeners only; this one is {protocol}."),
                    );
                }
            }
        }
    }
}

/// `ssl_policy` when the configuration leaves it out: none for HTTP; for
/// HTTPS, the one the listener has (ModifyListener keeps it when none is
/// sent), or whichever AWS chooses for a new HTTPS listener: unknown until
/// the apply.
pub fn plan_ssl_policy(prior: &Value, config: &Value, plan: &mut Plan) {
    if config.get_attr("ssl_policy").is_some_and(|v| !v.is_null()) || plan.planned.is_null() {
        return;
    }
    let planned_protocol = plan.planned.get_attr("protocol").cloned();
    let prior_protocol = prior.get_attr("protocol").and_then(Value::as_str);
    let prior_policy = prior.get_attr("ssl_policy").filter(|v| !v.is_null());
    let policy = match planned_protocol.as_ref().and_then(Value::as_str) {
        Some("HTTPS") => match (prior_protocol, prior_policy) {
            (Some("HTTPS"), Some(kept)) => kept.clone(),
            _ => Value::Unknown,
        },
        Some(_) => Value::Null,
        None => Value::Unknown,
    };
    if let Value::Object(fields) = &mut plan.planned {
        fields.insert("ssl_policy".into(), policy);
    }
}
