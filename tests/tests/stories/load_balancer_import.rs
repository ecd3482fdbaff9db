//! A load balancer, its target group and an HTTP listener forwarding to it,
//! made with the API, import together through the round trip without
//! changes.
//!
//! Emulated behaviour relied on: ELBv2 load balancers in the default
//! subnets, target groups, and listeners forwarding (moto).

use anyhow::{Context, Result};
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
use e2e::MotoServer;

use crate::import_round_trip::{importing, load_balancer_and_target_group_by_hand, round_trip};
use crate::support::eventually;

/// A load balancer, a target group and an HTTP listener forwarding to it,
/// all made with the API, import together (listeners of the other kinds:
/// `listener_import`).
#[tokio::test]
async fn load_balancer_target_group_and_listener_import_together() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&moto.sdk_config().await);
    let (lb, tg) = load_balancer_and_target_group_by_hand(&ec2, &elb).await?;
    let listener = |port: i32, action: Action| {
        let elb = elb.clone();
        let lb = lb.clone();
        async move {
            let out = eventually("the new load balancer taking a listener", || async {
                Ok(elb
                    .create_listener()
                    .load_balancer_arn(&lb)
                    .protocol(ProtocolEnum::Http)
                    .port(port)
                    .default_actions(action.clone())
                    .send()
                    .await?)
            })
            .await?;
            let arn = out
                .listeners()
                .first()
                .and_then(|l| l.listener_arn())
                .context("no listener")?
                .to_string();
            anyhow::Ok(arn)
        }
    };
    let forward = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(&tg)
        .build();
    let web = listener(80, forward).await?;

    let workspace = importing(
        &moto,
        &[
            ("roundrobin_lb.imported", &lb),
            ("roundrobin_lb_target_group.imported", &tg),
            ("roundrobin_lb_listener.imported", &web),
        ],
    )?;
    round_trip(&workspace, 3).await?;

    Ok(())
}
