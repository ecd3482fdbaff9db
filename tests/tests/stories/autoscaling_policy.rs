//! Target tracking policies on a group behind a load balancer: one on the
//! requests per instance the load balancer counts (its resource label
//! derived from the target group and its load balancer), one on CPU. They
//! are created, plan no change, change in place, are imported (generated
//! configuration and `terraform import`), refused on bad input with the
//! attribute named, never take over a policy made elsewhere, and are
//! destroyed with the alarms Auto Scaling made for them.
//!
//! Emulated behaviour relied on: PutScalingPolicy / DescribePolicies /
//! DeletePolicy with TargetTrackingConfiguration, the ResourceLabel checked
//! against the group's target groups, the TargetTracking-…-AlarmHigh/Low
//! alarms in DescribeAlarms (CloudWatch over RPC v2 CBOR), deleted with the
//! policy.

use anyhow::{Context, Result};
use aws_sdk_autoscaling::types::{
    MetricType, PredefinedMetricSpecification, ScalingPolicy, TargetTrackingConfiguration,
};
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_changes, assert_no_crash, eventually};

const GROUP: &str = "scaled";
const POLICY: &str = "requests-per-instance";

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
fn request_policy(target: u32, disable_scale_in: bool) -> String {
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

const CPU_POLICY: &str = r#"
resource "roundrobin_autoscaling_policy" "cpu" {
  autoscaling_group_name = roundrobin_autoscaling_group.app.name
  name                   = "cpu"
  predefined_metric      = "ASGAverageCPUUtilization"
  target_value           = 55.5
}
"#;

struct Scaled {
    workspace: Workspace,
    asg: aws_sdk_autoscaling::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    base: String,
    // Last, so the server outlives everything that talks to it.
    _moto: MotoServer,
}

impl Scaled {
    /// The stack applied, without policies.
    async fn applied() -> Result<Scaled> {
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

    fn write(&self, extra: &str) -> Result<()> {
        Ok(self
            .workspace
            .write_config(&format!("{}{extra}", self.base))?)
    }

    async fn policy(&self, name: &str) -> Result<Option<ScalingPolicy>> {
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
    async fn expected_label(&self) -> Result<String> {
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
    async fn tracking_alarms(&self) -> Result<Vec<String>> {
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

fn tracking(policy: &ScalingPolicy) -> Result<&TargetTrackingConfiguration> {
    policy
        .target_tracking_configuration()
        .context("no target tracking configuration")
}

fn state_attribute(workspace: &Workspace, address: &str, name: &str) -> Result<serde_json::Value> {
    let state = workspace.show_json()?;
    let resources = state
        .pointer("/values/root_module/resources")
        .and_then(|r| r.as_array())
        .context("no resources in state")?;
    resources
        .iter()
        .find(|r| r["address"] == address)
        .map(|r| r["values"][name].clone())
        .with_context(|| format!("{address} not in state"))
}

#[tokio::test]
async fn policies_are_created_changed_in_place_and_destroyed_with_their_alarms() -> Result<()> {
    let scaled = Scaled::applied().await?;
    scaled.write(&format!("{}{CPU_POLICY}", request_policy(100, false)))?;
    scaled.workspace.apply()?;

    let requests = scaled.policy(POLICY).await?.context("no request policy")?;
    let config = tracking(&requests)?;
    let predefined = config
        .predefined_metric_specification()
        .context("no predefined metric")?;
    assert_eq!(
        predefined.predefined_metric_type(),
        Some(&MetricType::AlbRequestCountPerTarget)
    );
    let label = scaled.expected_label().await?;
    assert_eq!(predefined.resource_label(), Some(label.as_str()));
    assert_eq!(config.target_value(), Some(100.0));
    assert_eq!(config.disable_scale_in(), Some(false));
    assert_eq!(requests.estimated_instance_warmup(), Some(60));
    let cpu = scaled.policy("cpu").await?.context("no CPU policy")?;
    assert_eq!(tracking(&cpu)?.target_value(), Some(55.5));

    let address = "roundrobin_autoscaling_policy.requests";
    assert_eq!(
        state_attribute(&scaled.workspace, address, "resource_label")?,
        serde_json::json!(label)
    );
    let alarm_arns = state_attribute(&scaled.workspace, address, "alarm_arns")?;
    let alarm_arns = alarm_arns.as_array().context("alarm_arns not a list")?;
    assert_eq!(alarm_arns.len(), 2, "{alarm_arns:?}");
    assert_eq!(scaled.tracking_alarms().await?.len(), 4);
    assert_no_changes(&scaled.workspace)?;

    // Deleted behind Terraform's back: planned again.
    scaled
        .asg
        .delete_policy()
        .auto_scaling_group_name(GROUP)
        .policy_name("cpu")
        .send()
        .await?;
    let gone = scaled.workspace.plan_detailed()?;
    assert!(gone.stdout.contains("1 to add, 0 to change"), "{gone}");
    scaled.workspace.apply()?;
    assert!(scaled.policy("cpu").await?.is_some());

    scaled.write(&format!("{}{CPU_POLICY}", request_policy(250, true)))?;
    let changed = scaled.workspace.apply()?;
    assert!(
        changed.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{changed}"
    );
    let requests = scaled.policy(POLICY).await?.context("no request policy")?;
    assert_eq!(tracking(&requests)?.target_value(), Some(250.0));
    assert_eq!(tracking(&requests)?.disable_scale_in(), Some(true));
    assert_no_changes(&scaled.workspace)?;

    scaled.write("")?;
    scaled.workspace.apply()?;
    assert!(scaled.policy(POLICY).await?.is_none());
    assert!(scaled.policy("cpu").await?.is_none());
    assert_eq!(scaled.tracking_alarms().await?, Vec::<String>::new());
    Ok(())
}

#[tokio::test]
async fn a_policy_imports_by_group_and_name_without_changes() -> Result<()> {
    let scaled = Scaled::applied().await?;
    scaled.write(&request_policy(120, false))?;
    scaled.workspace.apply()?;
    let address = "roundrobin_autoscaling_policy.requests";
    let id = format!("{GROUP}/{POLICY}");

    // An import block and a generated configuration (with the label).
    scaled.workspace.run(&["state", "rm", address])?;
    scaled.write(&format!(
        "\nimport {{\n  to = {address}\n  id = \"{id}\"\n}}\n"
    ))?;
    let generated = eventually("the policy visible to an import", || async {
        let out = scaled.workspace.run(&[
            "plan",
            "-generate-config-out=generated.tf",
            "-no-color",
            "-input=false",
        ])?;
        if out.success() {
            Ok(out)
        } else {
            let _ = std::fs::remove_file(scaled.workspace.path().join("generated.tf"));
            Err(anyhow::anyhow!("{out}"))
        }
    })
    .await?;
    let text = std::fs::read_to_string(scaled.workspace.path().join("generated.tf"))?;
    assert!(text.contains("resource_label"), "{generated}\n{text}");
    let plan = scaled.workspace.plan()?;
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}\n{text}"
    );
    scaled.workspace.apply()?;
    assert_no_changes(&scaled.workspace)?;

    // terraform import, into a configuration that names the label itself.
    scaled.workspace.run(&["state", "rm", address])?;
    std::fs::remove_file(scaled.workspace.path().join("generated.tf"))?;
    let label = scaled.expected_label().await?;
    let with_label = request_policy(120, false).replace(
        "target_group_arn          = roundrobin_lb_target_group.app.arn",
        &format!("resource_label            = \"{label}\""),
    );
    scaled.write(&with_label)?;
    scaled.workspace.import(address, &id)?;
    assert_no_changes(&scaled.workspace)?;

    let bad = scaled
        .workspace
        .run(&["import", "-no-color", address, POLICY])?;
    assert!(!bad.success());
    assert_no_crash(&bad);
    assert!(bad.combined().contains("GROUP/POLICY"), "{bad}");
    Ok(())
}

#[tokio::test]
async fn a_policy_made_elsewhere_is_not_taken_over() -> Result<()> {
    let scaled = Scaled::applied().await?;
    let spec = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::AsgAverageCpuUtilization)
        .build();
    scaled
        .asg
        .put_scaling_policy()
        .auto_scaling_group_name(GROUP)
        .policy_name("cpu")
        .policy_type("TargetTrackingScaling")
        .target_tracking_configuration(
            TargetTrackingConfiguration::builder()
                .predefined_metric_specification(spec)
                .target_value(80.0)
                .build(),
        )
        .send()
        .await?;
    scaled.write(CPU_POLICY)?;
    let failed = scaled.workspace.apply_expecting_failure()?;
    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(
        text.contains("scaling policy \"cpu\" already exists"),
        "{failed}"
    );
    assert!(
        text.contains(&format!(
            "terraform import 'roundrobin_autoscaling_policy.NAME' '{GROUP}/cpu'"
        )),
        "{failed}"
    );
    let kept = scaled.policy("cpu").await?.context("the policy is gone")?;
    assert_eq!(tracking(&kept)?.target_value(), Some(80.0));
    Ok(())
}

#[tokio::test]
async fn bad_policies_are_refused_at_plan_time_on_their_attribute() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    let cases = [
        (
            r#"predefined_metric = "ALBRequestCountPerTarget""#,
            "Missing target group",
        ),
        (
            r#"predefined_metric = "ASGAverageCPUUtilization"
  target_group_arn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1""#,
            "target_group_arn not used by ASGAverageCPUUtilization",
        ),
        (
            r#"predefined_metric = "ALBRequestCountPerTarget"
  resource_label    = "app/web/1""#,
            "Invalid resource label",
        ),
        (
            r#"predefined_metric = "ALBRequestCountPerTarget"
  resource_label    = "app/web/1/targetgroup/web/2"
  target_group_arn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/2""#,
            "Conflicting resource label",
        ),
        (
            r#"predefined_metric = "RequestsPerSecond""#,
            "Invalid value for predefined_metric",
        ),
    ];
    for (settings, error) in cases {
        workspace.write_config(&format!(
            r#"{PROVIDER}
resource "roundrobin_autoscaling_policy" "bad" {{
  autoscaling_group_name = "web"
  name                   = "bad"
  target_value           = 100
  {settings}
}}
"#
        ))?;
        let failed = workspace.plan_expecting_failure()?;
        assert_no_crash(&failed);
        assert!(failed.combined().contains(error), "{error}:\n{failed}");
    }
    workspace.write_config(&format!(
        r#"{PROVIDER}
resource "roundrobin_autoscaling_policy" "bad" {{
  autoscaling_group_name = "web"
  name                   = "bad"
  target_value           = 0
  predefined_metric      = "ASGAverageCPUUtilization"
}}
"#
    ))?;
    let failed = workspace.plan_expecting_failure()?;
    assert!(
        failed
            .combined()
            .contains("target_value must be greater than 0"),
        "{failed}"
    );
    Ok(())
}
