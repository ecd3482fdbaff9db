//! Two working directories with the same names in one account (staging and
//! production of one app, say): the second apply takes over nothing. Every
//! create of a name that exists fails, naming the object and the import
//! that would manage it; the import it names works; and destroying the
//! second directory leaves the first stack whole.
//!
//! Emulated behaviour relied on: ELBv2's idempotent creates answering the
//! existing object or a Duplicate error (emulator/elbv2/idempotent_creates.py);
//! DescribeLoadBalancers/DescribeTargetGroups by name answering
//! LoadBalancerNotFound/TargetGroupNotFound; DescribeListeners of a load
//! balancer; DescribeLaunchTemplates by name; DescribeAutoScalingGroups by
//! name; DescribeSecurityGroups filtered by group-name and vpc-id.

use anyhow::{Context, Result};
use aws_sdk_autoscaling::Client as Autoscaling;
use aws_sdk_elasticloadbalancingv2::Client as Elb;
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_changes, assert_no_crash, security_group_named};

/// A stack whose every name is fixed: two directories with this config
/// ask for the same objects.
fn stack(image: &str) -> String {
    format!(
        r#"{PROVIDER}
data "roundrobin_default_network" "net" {{}}

resource "roundrobin_security_group" "web" {{
  name = "shared-web"
}}

resource "roundrobin_lb_target_group" "web" {{
  name   = "shared-web"
  port   = 3000
  vpc_id = data.roundrobin_default_network.net.vpc_id
}}

resource "roundrobin_lb" "web" {{
  name    = "shared-web"
  subnets = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
}}

resource "roundrobin_lb_listener" "http" {{
  load_balancer_arn = roundrobin_lb.web.arn
  port              = 80

  forward {{
    target_group {{
      arn = roundrobin_lb_target_group.web.arn
    }}
  }}
}}

resource "roundrobin_launch_template" "web" {{
  name                   = "shared-web"
  image_id               = "{image}"
  instance_type          = "t3.micro"
  vpc_security_group_ids = [roundrobin_security_group.web.id]
}}

resource "roundrobin_autoscaling_group" "web" {{
  name                = "shared-web"
  min_size            = 1
  max_size            = 1
  vpc_zone_identifier = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
  health_check_type   = "EC2"

  launch_template {{
    id      = roundrobin_launch_template.web.id
    version = roundrobin_launch_template.web.latest_version
  }}
}}
"#
    )
}

/// The objects the first stack's security group, load balancer and target
/// group do not reach: a template and a group of the first stack's names
/// (on a template of another name), and a listener on the first stack's
/// load balancer's port.
fn second_wave(image: &str, load_balancer_arn: &str, target_group_arn: &str) -> String {
    format!(
        r#"{PROVIDER}
data "roundrobin_default_network" "net" {{}}

resource "roundrobin_lb_listener" "http" {{
  load_balancer_arn = "{load_balancer_arn}"
  port              = 80

  forward {{
    target_group {{
      arn = "{target_group_arn}"
    }}
  }}
}}

resource "roundrobin_launch_template" "web" {{
  name          = "shared-web"
  image_id      = "{image}"
  instance_type = "t3.micro"
}}

resource "roundrobin_launch_template" "other" {{
  name          = "other-web"
  image_id      = "{image}"
  instance_type = "t3.micro"
}}

resource "roundrobin_autoscaling_group" "web" {{
  name                = "shared-web"
  min_size            = 1
  max_size            = 1
  vpc_zone_identifier = slice(data.roundrobin_default_network.net.subnet_ids, 0, 2)
  health_check_type   = "EC2"

  launch_template {{
    id      = roundrobin_launch_template.other.id
    version = roundrobin_launch_template.other.latest_version
  }}
}}
"#
    )
}

/// The ARNs of the first stack's load balancer, target group and listener.
async fn first_stack_arns(elb: &Elb) -> Result<(String, String, String)> {
    let lb = elb
        .describe_load_balancers()
        .names("shared-web")
        .send()
        .await?
        .load_balancers()
        .first()
        .and_then(|l| l.load_balancer_arn())
        .map(str::to_owned)
        .context("no load balancer shared-web")?;
    let tg = elb
        .describe_target_groups()
        .names("shared-web")
        .send()
        .await?
        .target_groups()
        .first()
        .and_then(|t| t.target_group_arn())
        .map(str::to_owned)
        .context("no target group shared-web")?;
    let listener = elb
        .describe_listeners()
        .load_balancer_arn(&lb)
        .send()
        .await?
        .listeners()
        .first()
        .and_then(|l| l.listener_arn())
        .map(str::to_owned)
        .context("no listener on shared-web")?;
    Ok((lb, tg, listener))
}

fn assert_names_import(output: &e2e::Output, type_name: &str, id: &str) {
    let text = output.combined();
    let command = format!("terraform import '{type_name}.NAME' '{id}'");
    let block = format!("to = {type_name}.NAME");
    assert!(
        text.contains(&command) && text.contains(&block),
        "expected the import of {id} to be named:\n{output}"
    );
}

#[tokio::test]
async fn a_second_directory_with_the_same_names_takes_over_nothing() -> Result<()> {
    let moto = MotoServer::start()?;
    let config = moto.sdk_config().await;
    let (ec2, elb) = (aws_sdk_ec2::Client::new(&config), Elb::new(&config));
    let autoscaling = Autoscaling::new(&config);
    let image = amazon_image_ids(&ec2, 1).await?.remove(0);

    let first = Workspace::new(&moto)?;
    first.write_config(&stack(&image))?;
    first.apply()?;
    let (lb, tg, listener) = first_stack_arns(&elb).await?;
    let group_id = security_group_named(&ec2, "shared-web")
        .await?
        .group_id()
        .map(str::to_owned)
        .context("the first stack's group has no id")?;

    // The same config in another directory: the objects with no dependency
    // are tried first, and each names its import.
    let second = Workspace::new(&moto)?;
    second.write_config(&stack(&image))?;
    let failed = second.apply_expecting_failure()?;
    assert_no_crash(&failed);
    assert_names_import(&failed, "roundrobin_security_group", &group_id);
    assert_names_import(&failed, "roundrobin_lb", &lb);
    assert_names_import(&failed, "roundrobin_lb_target_group", &tg);

    // The objects behind those: a template, a group and a listener port.
    let third = Workspace::new(&moto)?;
    third.write_config(&second_wave(&image, &lb, &tg))?;
    let failed = third.apply_expecting_failure()?;
    assert_no_crash(&failed);
    assert_names_import(&failed, "roundrobin_lb_listener", &listener);
    assert_names_import(&failed, "roundrobin_autoscaling_group", "shared-web");
    let template = failed.combined();
    assert!(
        template.contains("terraform import 'roundrobin_launch_template.NAME' 'lt-"),
        "expected the template's import to be named:\n{failed}"
    );

    // Their destroys delete only what they made.
    second.destroy()?;
    third.destroy()?;
    assert_eq!(first_stack_arns(&elb).await?, (lb.clone(), tg, listener));
    let groups = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("shared-web")
        .send()
        .await?;
    assert_eq!(
        groups.auto_scaling_groups().len(),
        1,
        "the first stack's group is gone"
    );
    security_group_named(&ec2, "shared-web").await?;
    assert_no_changes(&first)?;

    // The import the error named works: the second directory can manage the
    // first stack's load balancer.
    second.import("roundrobin_lb.web", &lb)?;
    second.run(&["state", "rm", "roundrobin_lb.web"])?;
    first.destroy()?;
    Ok(())
}
