//! `roundrobin_lb_listener`: a port of a load balancer whose default action
//! forwards to one or more target groups with weights, so that blue/green
//! and canary shifts (100/0 → 50/50 → 0/100) are in-place updates.

mod forward;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    ActionTypeEnum, Listener as AwsListener, ProtocolEnum,
};
use cty::{Path, Type, Value};
use serde::{Deserialize, Serialize};

use crate::aws::ownership::{
    Existing, already_exists, create_token, drop_elb_token, elb_made_by_us, is_duplicate,
    not_made_by_us, token_tag,
};
use crate::aws::{Aws, AwsErrorDetail, aws_error, read_after_write};
use crate::framework::{
    ApplyError, ApplyResult, Attribute, Block, Diagnostics, NestedBlock, Resource, Schema,
    Validator, null_as_default,
};
use crate::resources::existing;
pub use forward::{Forward, Stickiness, WeightedTargetGroup};

pub struct ListenerResource;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Listener {
    pub id: Option<String>,
    pub arn: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub load_balancer_arn: String,
    pub port: Option<i64>,
    pub protocol: Option<String>,
    pub forward: Option<Forward>,
}

impl Listener {
    fn arn(&self) -> &str {
        self.arn
            .as_deref()
            .or(self.id.as_deref())
            .unwrap_or_default()
    }

    fn port(&self) -> Option<i32> {
        self.port.and_then(|p| i32::try_from(p).ok())
    }

    fn protocol(&self) -> ProtocolEnum {
        ProtocolEnum::from(self.protocol.as_deref().unwrap_or("HTTP"))
    }
}

#[async_trait]
impl Resource for ListenerResource {
    type Model = Listener;

    fn type_name(&self) -> &'static str {
        "roundrobin_lb_listener"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(
                "A listener of an application load balancer, forwarding to weighted target groups.",
            )
            .attribute(
                Attribute::computed("id", Type::String)
                    .stable()
                    .describe("ARN of the listener."),
            )
            .attribute(
                Attribute::computed("arn", Type::String)
                    .stable()
                    .describe("ARN of the listener."),
            )
            .attribute(
                Attribute::required("load_balancer_arn", Type::String)
                    .requires_replace()
                    .validate(Validator::Prefix("arn:"))
                    .describe("ARN of the load balancer. Changing it creates a new listener."),
            )
            .attribute(
                Attribute::required("port", Type::Number)
                    .validate(Validator::IntBetween(1, 65535))
                    .describe("Port the load balancer listens on."),
            )
            .attribute(
                Attribute::defaulted("protocol", Type::String, "HTTP")
                    .validate(Validator::OneOf(&["HTTP"]))
                    .describe("Protocol of the listener: `HTTP`."),
            )
            .block(NestedBlock::single("forward", forward::block())),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        forward::validate(config, diags);
    }

    async fn create(&self, aws: &Aws, planned: Listener) -> ApplyResult<Listener> {
        let lb = planned.load_balancer_arn.as_str();
        let Some(port) = planned.port() else {
            let path = Path::root().attr("port");
            let why = "A listener needs a port between 1 and 65535.";
            return Err(Diagnostics::attribute_error(path, "Invalid port", why).into());
        };
        let port_text = port.to_string();
        if let Some(arn) = existing::listener(aws, lb, port).await? {
            return Err(already_exists(&taken(&port_text, &arn)).into());
        }
        let token = create_token();
        let out = aws
            .elb
            .create_listener()
            .load_balancer_arn(lb)
            .port(port)
            .protocol(planned.protocol())
            .default_actions(planned.forward.clone().unwrap_or_default().to_action())
            .tags(token_tag(&token))
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if is_duplicate(e.code()) => {
                let arn = existing::listener(aws, lb, port).await?;
                let arn = arn.as_deref().unwrap_or("ARN");
                return Err(not_made_by_us(&taken(&port_text, arn)).into());
            }
            Err(e) => {
                return Err(aws_error(&format!("creating a listener on {lb}"), &e).into());
            }
        };
        let arn = out
            .listeners()
            .first()
            .and_then(|l| l.listener_arn())
            .unwrap_or_default()
            .to_string();
        // ELBv2 answers an existing listener on the port with the same
        // settings as if it were new: only one with our token is ours.
        if !elb_made_by_us(aws, &arn, &token).await? {
            return Err(not_made_by_us(&taken(&port_text, &arn)).into());
        }
        if let Err(d) = drop_elb_token(aws, &arn).await {
            let made = Listener {
                id: Some(arn.clone()),
                arn: Some(arn.clone()),
                ..planned.clone()
            };
            return Err(ApplyError::partial(made, d));
        }
        let made = Listener {
            id: Some(arn.clone()),
            arn: Some(arn.clone()),
            ..planned.clone()
        };
        let what = format!("listener {arn}");
        match read_after_write(aws, &what, || read_listener(aws, &made)).await {
            Ok(state) => Ok(state),
            Err(d) => Err(ApplyError::partial(made, d)),
        }
    }

    async fn read(&self, aws: &Aws, current: Listener) -> Result<Option<Listener>, Diagnostics> {
        read_listener(aws, &current).await
    }

    async fn update(&self, aws: &Aws, prior: Listener, planned: Listener) -> ApplyResult<Listener> {
        let arn = prior.arn().to_string();
        let step = async {
            aws.elb
                .modify_listener()
                .listener_arn(&arn)
                .set_port(planned.port())
                .protocol(planned.protocol())
                .default_actions(planned.forward.clone().unwrap_or_default().to_action())
                .send()
                .await
                .map_err(|e| aws_error(&format!("changing listener {arn}"), &e))?;
            let known = Listener {
                id: Some(arn.clone()),
                arn: Some(arn.clone()),
                ..planned.clone()
            };
            read_listener(aws, &known).await?.ok_or_else(|| {
                Diagnostics::error(
                    "Listener vanished",
                    format!("{arn} disappeared while it was being updated."),
                )
            })
        };
        step.await
            .map_err(|d| ApplyError::partial(prior.clone(), d))
    }

    async fn delete(&self, aws: &Aws, state: Listener) -> Result<(), Diagnostics> {
        let arn = state.arn();
        match aws.elb.delete_listener().listener_arn(arn).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ListenerNotFound") => Ok(()),
            Err(e) => Err(aws_error(&format!("deleting listener {arn}"), &e)),
        }
    }

    fn import(&self, id: &str) -> Result<Listener, Diagnostics> {
        if !(id.starts_with("arn:") && id.contains(":listener/")) {
            return Err(Diagnostics::error(
                "Invalid import id",
                format!(
                    "Import a listener by its ARN, like arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2; got {id:?}."
                ),
            ));
        }
        Ok(Listener {
            id: Some(id.to_string()),
            arn: Some(id.to_string()),
            ..Listener::default()
        })
    }
}

/// A listener on the port exists already; its import takes its ARN.
fn taken<'a>(port: &'a str, arn: &'a str) -> Existing<'a> {
    Existing {
        kind: "listener on port",
        name: port,
        type_name: "roundrobin_lb_listener",
        import_id: arn,
        path: Path::root().attr("port"),
    }
}

async fn read_listener(aws: &Aws, known: &Listener) -> Result<Option<Listener>, Diagnostics> {
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
/// so that no certificate, fixed response or redirect is lost: this
/// resource models HTTP listeners whose one default action forwards.
fn refuse_unmodelled(listener: &AwsListener) -> Result<(), Diagnostics> {
    let arn = listener.listener_arn().unwrap_or_default();
    let protocol = listener.protocol().map(|p| p.as_str()).unwrap_or("HTTP");
    let actions: Vec<&str> = listener
        .default_actions()
        .iter()
        .map(|a| a.r#type().map_or("unknown", |t| t.as_str()))
        .collect();
    let mut reasons = Vec::new();
    if protocol != "HTTP" {
        let certificates = if listener.certificates().is_empty() {
            String::new()
        } else {
            " with a certificate".to_string()
        };
        reasons.push(format!("it listens with {protocol}{certificates}, and roundrobin_lb_listener manages HTTP listeners only"));
    }
    if actions != ["forward"] {
        reasons.push(format!(
            "its default actions are [{}], and roundrobin_lb_listener manages one forward action only",
            actions.join(", ")
        ));
    }
    if reasons.is_empty() {
        return Ok(());
    }
    Err(Diagnostics::error(
        "Listener cannot be imported",
        format!(
            "Listener {arn} is not imported because {}. Importing it would drop those settings on the next apply. Keep managing it outside Terraform, or change it to an HTTP listener forwarding to target groups first.",
            reasons.join("; and ")
        ),
    ))
}

/// The listener as AWS has it; target groups in the order `known` lists
/// them, so that a refresh reports only real changes.
fn from_aws(listener: &AwsListener, known: &Listener) -> Listener {
    let action = listener
        .default_actions()
        .iter()
        .find(|a| a.r#type() == Some(&ActionTypeEnum::Forward));
    let forward =
        action.map(|action| Forward::from_aws(action, &known.forward.clone().unwrap_or_default()));
    let arn = listener.listener_arn().unwrap_or(known.arn()).to_string();
    Listener {
        id: Some(arn.clone()),
        arn: Some(arn),
        load_balancer_arn: listener.load_balancer_arn().unwrap_or_default().to_string(),
        port: listener.port().map(i64::from),
        protocol: listener.protocol().map(|p| p.as_str().to_string()),
        forward,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ForwardActionConfig, TargetGroupStickinessConfig, TargetGroupTuple,
    };
    use cty::Path;

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
}
