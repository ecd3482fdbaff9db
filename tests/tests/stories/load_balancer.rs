//! The load balancer over its life: two target groups behind an ALB on two
//! default subnets, a listener whose weights move blue → green in place,
//! drift put back (`load_balancer_drift`), each resource imported, subnets in one zone refused, and
//! nothing left after destroy.
//!
//! Emulated behaviour relied on (moto 5.2): CreateLoadBalancer answering
//! `provisioning` and DescribeLoadBalancers `active` afterwards;
//! Describe/ModifyLoadBalancerAttributes and Describe/ModifyTargetGroupAttributes
//! echoing what was set; CreateListener/ModifyListener keeping a weighted
//! ForwardConfig; the default VPC's one default subnet per zone.

use anyhow::{Context, Result};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::config::Credentials;
use aws_sdk_elasticloadbalancingv2::Client as Elb;
use e2e::moto::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_changes, assert_no_crash};

/// SDK configuration for any client of this server (static test credentials).
pub async fn sdk_config(moto: &MotoServer) -> SdkConfig {
    let credentials = Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "e2e");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(moto.endpoint())
        .credentials_provider(credentials)
        .load()
        .await
}

/// Target groups `blue` and `green`, an ALB on the first two default
/// subnets and a listener sending `blue`/`green` percent of requests.
pub fn stack(blue: u32, green: u32) -> String {
    format!(
        r#"{PROVIDER}
data "roundrobin_default_network" "net" {{}}

resource "roundrobin_lb_target_group" "blue" {{
  name   = "blue"
  port   = 3000
  vpc_id = data.roundrobin_default_network.net.vpc_id

  health_check {{
    path = "/health"
  }}
}}

resource "roundrobin_lb_target_group" "green" {{
  name                 = "green"
  port                 = 3000
  vpc_id               = data.roundrobin_default_network.net.vpc_id
  deregistration_delay = 10
}}

resource "roundrobin_lb" "web" {{
  name         = "web"
  subnets      = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
  idle_timeout = 30
  tags = {{
    app = "nodeapp"
  }}
}}

resource "roundrobin_lb_listener" "http" {{
  load_balancer_arn = roundrobin_lb.web.arn
  port              = 80

  forward {{
    target_group {{
      arn    = roundrobin_lb_target_group.blue.arn
      weight = {blue}
    }}
    target_group {{
      arn    = roundrobin_lb_target_group.green.arn
      weight = {green}
    }}
  }}
}}
"#
    )
}

pub(crate) struct Applied {
    pub(crate) workspace: Workspace,
    pub(crate) elb: Elb,
    pub(crate) moto: MotoServer,
}

pub(crate) async fn apply_stack(blue: u32, green: u32) -> Result<Applied> {
    let moto = MotoServer::start()?;
    let elb = Elb::new(&sdk_config(&moto).await);
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&stack(blue, green))?;
    workspace.apply()?;
    Ok(Applied {
        workspace,
        elb,
        moto,
    })
}

pub(crate) async fn load_balancer_arn(elb: &Elb) -> Result<String> {
    let lbs = elb.describe_load_balancers().names("web").send().await?;
    lbs.load_balancers()
        .first()
        .and_then(|lb| lb.load_balancer_arn())
        .map(str::to_owned)
        .context("moto has no load balancer named web")
}

pub(crate) async fn target_group_arn(elb: &Elb, name: &str) -> Result<String> {
    let groups = elb.describe_target_groups().names(name).send().await?;
    groups
        .target_groups()
        .first()
        .and_then(|g| g.target_group_arn())
        .map(str::to_owned)
        .with_context(|| format!("moto has no target group named {name}"))
}

/// The ARN of the listener of load balancer `lb`, in moto.
pub(crate) async fn web_listener_arn(elb: &Elb, lb: &str) -> Result<String> {
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(lb)
        .send()
        .await?;
    listeners
        .listeners()
        .first()
        .and_then(|l| l.listener_arn())
        .map(str::to_owned)
        .context("the load balancer has no listener")
}

/// (target group name, weight) of the web listener's forward action, in moto.
pub(crate) async fn listener_weights(elb: &Elb) -> Result<Vec<(String, i32)>> {
    let lb = load_balancer_arn(elb).await?;
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(&lb)
        .send()
        .await?;
    let listener = listeners
        .listeners()
        .first()
        .context("the load balancer has no listener")?;
    let action = listener
        .default_actions()
        .first()
        .context("the listener has no default action")?;
    let forward = action
        .forward_config()
        .context("the default action does not forward by weight")?;
    let mut weights: Vec<(String, i32)> = forward
        .target_groups()
        .iter()
        .map(|t| {
            let arn = t.target_group_arn().unwrap_or_default();
            let name = arn.split('/').nth(1).unwrap_or(arn).to_owned();
            (name, t.weight().unwrap_or(-1))
        })
        .collect();
    weights.sort();
    Ok(weights)
}

pub(crate) fn pair(name: &str, weight: i32) -> (String, i32) {
    (name.to_owned(), weight)
}

#[tokio::test]
async fn weights_move_from_blue_to_green_in_place() -> Result<()> {
    let Applied {
        workspace,
        elb,
        moto,
    } = apply_stack(100, 0).await?;
    assert_no_changes(&workspace)?;

    let lb_arn = load_balancer_arn(&elb).await?;
    let lb = elb
        .describe_load_balancers()
        .load_balancer_arns(&lb_arn)
        .send()
        .await?;
    let zones = lb.load_balancers()[0].availability_zones();
    let mut zone_names: Vec<_> = zones.iter().filter_map(|z| z.zone_name()).collect();
    zone_names.dedup();
    assert_eq!(zone_names.len(), 2, "two zones: {zones:?}");
    let attributes = elb
        .describe_target_group_attributes()
        .target_group_arn(target_group_arn(&elb, "green").await?)
        .send()
        .await?;
    let value = |key: &str| {
        attributes
            .attributes()
            .iter()
            .find(|a| a.key() == Some(key))
            .and_then(|a| a.value())
            .map(str::to_owned)
    };
    assert_eq!(
        value("load_balancing.algorithm.type").as_deref(),
        Some("round_robin")
    );
    assert_eq!(
        value("deregistration_delay.timeout_seconds").as_deref(),
        Some("10")
    );
    assert_eq!(
        listener_weights(&elb).await?,
        [pair("blue", 100), pair("green", 0)]
    );

    workspace.write_config(&stack(50, 50))?;
    let plan = workspace.plan_detailed()?;
    assert_eq!(plan.code, Some(2), "expected a change:\n{plan}");
    assert!(
        plan.stdout
            .contains("roundrobin_lb_listener.http will be updated in-place"),
        "{plan}"
    );
    assert!(plan.stdout.contains("1 to change, 0 to destroy"), "{plan}");
    assert!(!plan.stdout.contains("must be replaced"), "{plan}");
    workspace.apply()?;
    assert_eq!(
        listener_weights(&elb).await?,
        [pair("blue", 50), pair("green", 50)]
    );
    assert_no_changes(&workspace)?;

    workspace.write_config(&stack(0, 100))?;
    workspace.apply()?;
    assert_eq!(
        listener_weights(&elb).await?,
        [pair("blue", 0), pair("green", 100)]
    );
    assert_no_changes(&workspace)?;

    workspace.destroy()?;
    assert!(
        elb.describe_load_balancers()
            .send()
            .await?
            .load_balancers()
            .is_empty(),
        "load balancers left"
    );
    assert!(
        elb.describe_target_groups()
            .send()
            .await?
            .target_groups()
            .is_empty(),
        "target groups left"
    );
    drop(moto);
    Ok(())
}

#[tokio::test]
async fn load_balancer_resources_are_imported_without_changes() -> Result<()> {
    let Applied {
        workspace,
        elb,
        moto: _moto,
    } = apply_stack(100, 0).await?;
    let lb = load_balancer_arn(&elb).await?;
    let listener = web_listener_arn(&elb, &lb).await?;
    let imports = [
        ("roundrobin_lb.web", lb.clone()),
        (
            "roundrobin_lb_target_group.blue",
            target_group_arn(&elb, "blue").await?,
        ),
        (
            "roundrobin_lb_target_group.green",
            target_group_arn(&elb, "green").await?,
        ),
        ("roundrobin_lb_listener.http", listener),
    ];
    for (address, _) in &imports {
        let removed = workspace.run(&["state", "rm", "-no-color", address])?;
        assert!(removed.success(), "{removed}");
    }
    for (address, id) in &imports {
        workspace.import(address, id)?;
    }
    let state = workspace.state_show("roundrobin_lb.web")?;
    assert!(state.stdout.contains(&lb), "{state}");
    assert_no_changes(&workspace)
}

#[tokio::test]
async fn subnets_in_one_zone_are_refused_before_anything_is_made() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let elb = Elb::new(&sdk_config(&moto).await);
    let vpc = e2e::ec2::default_vpc_id(&ec2).await?;
    let subnets = ec2
        .describe_subnets()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("availability-zone")
                .values("us-east-1a")
                .build(),
        )
        .send()
        .await?;
    let first = subnets
        .subnets()
        .first()
        .and_then(|s| s.subnet_id())
        .context("no subnet in us-east-1a")?
        .to_owned();
    let second = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("172.31.96.0/20")
        .availability_zone("us-east-1a")
        .send()
        .await?;
    let second = second
        .subnet()
        .and_then(|s| s.subnet_id())
        .context("CreateSubnet returned no id")?
        .to_owned();

    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&format!(
        r#"{PROVIDER}
resource "roundrobin_lb" "web" {{
  name    = "web"
  subnets = ["{first}", "{second}"]
}}
"#
    ))?;
    let failed = workspace.apply_expecting_failure()?;
    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(
        text.contains("Subnets must span two Availability Zones"),
        "{failed}"
    );
    assert!(text.contains("us-east-1a"), "{failed}");
    assert!(
        elb.describe_load_balancers()
            .send()
            .await?
            .load_balancers()
            .is_empty(),
        "a load balancer was made"
    );

    workspace.write_config(&format!(
        r#"{PROVIDER}
resource "roundrobin_lb" "web" {{
  name    = "web"
  subnets = ["{first}"]
}}
"#
    ))?;
    let failed = workspace.plan_expecting_failure()?;
    assert!(failed.combined().contains("Too few subnets"), "{failed}");
    Ok(())
}
