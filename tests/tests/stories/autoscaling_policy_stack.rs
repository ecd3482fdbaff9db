//! The stack the scaling policy stories put policies on: a group of one
//! instance behind a load balancer (listener, target group), applied without
//! policies, and looks at its policies and the alarms Auto Scaling made for
//! them.

use anyhow::{Context, Result};
use aws_sdk_autoscaling::types::{ScalingPolicy, TargetTrackingConfiguration};
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace};

use crate::support::PROVIDER;

pub(crate) const GROUP: &str = "scaled";
pub(crate) const POLICY: &str = "requests-per-instance";

/// A load balancer forwarding to a target group of a one-instance group.
fn stack(image: &str) -> String {
    format!(
        r#"{PROVIDER}
data "roundrobin_default_network" "net" {{}}

resource "roundrobin_lb" "web" {{
  name    = "scaled"
  subnets = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
}}

resource "roundrobin_lb_target_group" "app" {{
  name   = "scaled"
  port   = 80
  vpc_id = data.roundrobin_default_network.net.vpc_id
}}

resource "roundrobin_lb_listener" "http" {{
  load_balancer_arn = roundrobin_lb.web.arn
  port              = 80

  forward {{
    target_group {{
      arn = roundrobin_lb_target_group.app.arn
    }}
  }}
}}

resource "roundrobin_launch_template" "app" {{
  name          = "scaled"
  image_id      = "{image}"
  instance_type = "t3.micro"
}}

resource "roundrobin_autoscaling_group" "app" {{
  name                = "{GROUP}"
  min_size            = 1
  max_size            = 4
  vpc_zone_identifier = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
  target_group_arns   = [roundrobin_lb_target_group.app.arn]
  health_check_type   = "EC2"

  launch_template {{
    id      = roundrobin_launch_template.app.id
    version = roundrobin_launch_template.app.latest_version
  }}
}}
"#
    )
}

/// The request policy, with this target and scale-in setting.
pub(crate) fn request_policy(target: u32, disable_scale_in: bool) -> String {
    format!(
        r#"
resource "roundrobin_autoscaling_policy" "requests" {{
  autoscaling_group_name    = roundrobin_autoscaling_group.app.name
  name                      = "{POLICY}"
  predefined_metric         = "ALBRequestCountPerTarget"
  target_group_arn          = roundrobin_lb_target_group.app.arn
  target_value              = {target}
  disable_scale_in          = {disable_scale_in}
  estimated_instance_warmup = 60

  depends_on = [roundrobin_lb_listener.http]
}}
"#
    )
}

pub(crate) const CPU_POLICY: &str = r#"
resource "roundrobin_autoscaling_policy" "cpu" {
  autoscaling_group_name = roundrobin_autoscaling_group.app.name
  name                   = "cpu"
  predefined_metric      = "ASGAverageCPUUtilization"
  target_value           = 55.5
}
"#;

/// The stack applied, with the clients that look at it.
pub(crate) struct Scaled {
    pub(crate) workspace: Workspace,
    pub(crate) asg: aws_sdk_autoscaling::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    base: String,
    // Last, so the server outlives everything that talks to it.
    _moto: MotoServer,
}

impl Scaled {
    /// The stack applied, without policies.
    pub(crate) async fn applied() -> Result<Scaled> {
        let moto = MotoServer::start()?;
        let config = moto.sdk_config().await;
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let image = amazon_image_ids(&ec2, 1).await?.remove(0);
        let workspace = Workspace::new(&moto)?;
        let base = stack(&image);
        workspace.write_config(&base)?;
        workspace.apply()?;
        Ok(Scaled {
            workspace,
            asg: aws_sdk_autoscaling::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            base,
            _moto: moto,
        })
    }

    pub(crate) fn write(&self, extra: &str) -> Result<()> {
        Ok(self
            .workspace
            .write_config(&format!("{}{extra}", self.base))?)
    }

    pub(crate) async fn policy(&self, name: &str) -> Result<Option<ScalingPolicy>> {
        let out = self
            .asg
            .describe_policies()
            .auto_scaling_group_name(GROUP)
            .policy_names(name)
            .send()
            .await?;
        Ok(out.scaling_policies().first().cloned())
    }

    /// `app/LB/ID/targetgroup/TG/ID` from the two ARNs in AWS.
    pub(crate) async fn expected_label(&self) -> Result<String> {
        let lb = self
            .elb
            .describe_load_balancers()
            .names("scaled")
            .send()
            .await?;
        let lb_arn = lb
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn())
            .context("no load balancer")?
            .to_string();
        let tg = self
            .elb
            .describe_target_groups()
            .names("scaled")
            .send()
            .await?;
        let tg_arn = tg
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .context("no target group")?
            .to_string();
        let lb_part = lb_arn
            .split_once(":loadbalancer/")
            .context("load balancer ARN")?
            .1;
        let tg_part = tg_arn.rsplit_once(':').context("target group ARN")?.1;
        Ok(format!("{lb_part}/{tg_part}"))
    }

    /// Names of the alarms Auto Scaling made for the group's policies.
    pub(crate) async fn tracking_alarms(&self) -> Result<Vec<String>> {
        let out = self
            .cloudwatch
            .describe_alarms()
            .alarm_name_prefix(format!("TargetTracking-{GROUP}-"))
            .send()
            .await?;
        Ok(out
            .metric_alarms()
            .iter()
            .filter_map(|a| a.alarm_name().map(str::to_string))
            .collect())
    }
}

pub(crate) fn tracking(policy: &ScalingPolicy) -> Result<&TargetTrackingConfiguration> {
    policy
        .target_tracking_configuration()
        .context("no target tracking configuration")
}
