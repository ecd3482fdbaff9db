//! `roundrobin_lb_listener`: a port of a load balancer, HTTP or HTTPS (with
//! its certificate and security policy), whose default action forwards to
//! one or more target groups with weights, so that blue/green and canary
//! shifts (100/0 → 50/50 → 0/100) are in-place updates, or answers with a
//! fixed response or a redirect.

mod actions;
mod fixed_response;
mod forward;
mod read;
mod redirect;
#[cfg(test)]
mod shaping;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{Certificate, ProtocolEnum};
use cty::{Path, Type, Value};
use serde::{Deserialize, Serialize};

use crate::aws::ownership::{
    Existing, already_exists, create_token, drop_elb_token, elb_made_by_us, is_duplicate,
    not_made_by_us, token_tag,
};
use crate::aws::{Aws, AwsErrorDetail, aws_error, read_after_write};
use crate::framework::{
    ApplyError, ApplyResult, Attribute, Block, Diagnostics, NestedBlock, Plan, Resource, Schema,
    Validator, null_as_default,
};
use crate::resources::existing;
pub use fixed_response::FixedResponse;
pub use forward::{Forward, Stickiness, WeightedTargetGroup};
use read::read_listener;
pub use redirect::Redirect;

pub struct ListenerResource;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Listener {
    pub id: Option<String>,
    pub arn: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub load_balancer_arn: String,
    pub port: Option<i64>,
    pub protocol: Option<String>,
    pub certificate_arn: Option<String>,
    pub ssl_policy: Option<String>,
    pub forward: Option<Forward>,
    pub fixed_response: Option<FixedResponse>,
    pub redirect: Option<Redirect>,
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

    fn is_https(&self) -> bool {
        self.protocol.as_deref() == Some("HTTPS")
    }

    /// The default certificate, for an HTTPS listener.
    fn certificates(&self) -> Option<Vec<Certificate>> {
        let arn = self.certificate_arn.as_ref().filter(|_| self.is_https())?;
        Some(vec![Certificate::builder().certificate_arn(arn).build()])
    }

    /// The security policy asked for, for an HTTPS listener.
    fn ssl_policy(&self) -> Option<String> {
        self.ssl_policy.clone().filter(|_| self.is_https())
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
                "A listener of an application load balancer: forwarding to weighted target groups, or answering with a fixed response or a redirect.",
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
                    .validate(Validator::OneOf(&["HTTP", "HTTPS"]))
                    .describe("Protocol of the listener: `HTTP` or `HTTPS`."),
            )
            .attribute(
                Attribute::optional("certificate_arn", Type::String)
                    .validate(Validator::Prefix("arn:"))
                    .describe("HTTPS only: ARN of the default certificate (ACM, or an IAM server certificate)."),
            )
            .attribute(
                Attribute::optional_computed("ssl_policy", Type::String)
                    .describe("HTTPS only: the security policy (protocols and ciphers). Left out, the one AWS chooses for a new listener, or the one the listener has."),
            )
            .block(NestedBlock::single("forward", forward::block()))
            .block(NestedBlock::single("fixed_response", fixed_response::block()))
            .block(NestedBlock::single("redirect", redirect::block())),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        actions::validate(config, diags);
        forward::validate(config, diags);
    }

    fn modify_plan(&self, prior: &Value, config: &Value, plan: &mut Plan) {
        actions::plan_ssl_policy(prior, config, plan);
    }

    #[cfg(test)]
    fn shape_generated_config(&self, config: &mut Value, dice: &mut crate::framework::Dice<'_>) {
        shaping::shape(config, dice);
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
            .set_certificates(planned.certificates())
            .set_ssl_policy(planned.ssl_policy())
            .default_actions(actions::default_action(&planned))
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
                .set_certificates(planned.certificates())
                .set_ssl_policy(planned.ssl_policy())
                .default_actions(actions::default_action(&planned))
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
