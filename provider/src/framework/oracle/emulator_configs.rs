//! The configurations the emulator-backed oracle generates, one function
//! per resource, and the objects they refer to, made with the API.

use cty::Value;

use super::strategy::Dice;
use crate::aws::Aws;

pub(super) fn strings(items: &[&str]) -> Value {
    Value::list(items.iter().map(|s| Value::from(*s)))
}

pub(super) fn tags(dice: &mut Dice<'_>) -> Value {
    let all = [("app", "web"), ("tier", "front"), ("owner", "ops")];
    let picked: Vec<(&str, Value)> = all
        .iter()
        .filter(|_| dice.one_in(2))
        .map(|(k, v)| (*k, Value::from(*v)))
        .collect();
    if picked.is_empty() && dice.one_in(2) {
        Value::Null
    } else {
        Value::map(picked)
    }
}

/// A security group's configuration: rules of every kind of source the
/// emulator holds, tags, and a replace-forcing description.
pub(super) fn security_group(case: usize, dice: &mut Dice<'_>) -> Value {
    let rule = |from: i64, protocol: &str, source: &str, values: &[&str]| {
        Value::object([
            ("from_port".to_string(), Value::from(from)),
            ("to_port".to_string(), Value::from(from)),
            ("protocol".to_string(), Value::from(protocol)),
            (source.to_string(), strings(values)),
        ])
    };
    let choices = [
        rule(80, "tcp", "cidr_blocks", &["0.0.0.0/0"]),
        rule(443, "tcp", "ipv6_cidr_blocks", &["::/0"]),
        rule(22, "tcp", "cidr_blocks", &["10.0.0.0/8", "192.0.2.0/24"]),
    ];
    let ingress: Vec<Value> = choices.into_iter().filter(|_| dice.one_in(2)).collect();
    let egress = if dice.one_in(2) {
        vec![rule(0, "-1", "cidr_blocks", &["0.0.0.0/0"])]
    } else {
        Vec::new()
    };
    let description = if dice.one_in(4) { "api" } else { "web" };
    Value::object([
        ("name".to_string(), Value::from(format!("oracle-{case}"))),
        ("description".to_string(), Value::from(description)),
        ("tags".to_string(), tags(dice)),
        ("ingress".to_string(), Value::list(ingress)),
        ("egress".to_string(), Value::list(egress)),
    ])
}

/// A launch template's configuration: an image the emulator has, an
/// instance type, tags. The tags are the same in both configurations of a
/// case: the emulator's DescribeLaunchTemplates reports the tags a template
/// was created with, not those CreateTags and DeleteTags changed since
/// (AWS reports the current ones), so a tag update would fail here for the
/// emulator's sake. Tag updates are proven on the security group.
pub(super) fn launch_template(case: usize, image: &str, dice: &mut Dice<'_>) -> Value {
    let types = ["t3.micro", "t3.small"];
    let seed = [u8::try_from(case % 251).unwrap_or(0), 2, 3];
    let mut fixed = Dice::new(&seed);
    Value::object([
        ("name".to_string(), Value::from(format!("oracle-{case}"))),
        ("image_id".to_string(), Value::from(image)),
        (
            "instance_type".to_string(),
            Value::from(types[dice.pick(types.len())]),
        ),
        ("tags".to_string(), tags(&mut fixed)),
    ])
}

pub(super) fn pick<'v>(dice: &mut Dice<'_>, from: &[&'v str]) -> &'v str {
    from[dice.pick(from.len())]
}

pub(super) fn number(dice: &mut Dice<'_>, from: &[i64]) -> Value {
    Value::from(from[dice.pick(from.len())])
}

/// A target group's configuration in the default VPC, with or without a
/// health check block.
pub(super) fn target_group(case: usize, vpc: &str, dice: &mut Dice<'_>) -> Value {
    let health_check = if dice.one_in(2) {
        Value::object([
            (
                "path".to_string(),
                Value::from(pick(dice, &["/", "/health"])),
            ),
            ("interval".to_string(), number(dice, &[10, 30])),
        ])
    } else {
        Value::Null
    };
    Value::object([
        ("name".to_string(), Value::from(format!("oracle-{case}"))),
        ("port".to_string(), number(dice, &[80, 8080])),
        ("vpc_id".to_string(), Value::from(vpc)),
        (
            "deregistration_delay".to_string(),
            number(dice, &[0, 30, 300]),
        ),
        ("health_check".to_string(), health_check),
        ("tags".to_string(), tags(dice)),
    ])
}

/// A load balancer's configuration over two default subnets.
pub(super) fn load_balancer(case: usize, subnets: &[String], dice: &mut Dice<'_>) -> Value {
    Value::object([
        ("name".to_string(), Value::from(format!("oracle-{case}"))),
        (
            "subnets".to_string(),
            Value::set(subnets.iter().map(|s| Value::from(s.as_str()))),
        ),
        ("idle_timeout".to_string(), number(dice, &[60, 120])),
        ("tags".to_string(), tags(dice)),
    ])
}

/// An instance profile's configuration, with or without an extra policy.
pub(super) fn instance_profile(case: usize, dice: &mut Dice<'_>) -> Value {
    let extras = if dice.one_in(2) {
        strings(&["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    } else {
        Value::Null
    };
    Value::object([
        ("name".to_string(), Value::from(format!("oracle-{case}"))),
        ("extra_policy_arns".to_string(), extras),
        ("tags".to_string(), tags(dice)),
    ])
}

/// A listener's configuration on its own port of one load balancer,
/// forwarding to one or both of two target groups with weights.
pub(super) fn listener(case: usize, lb: &str, groups: &[String; 2], dice: &mut Dice<'_>) -> Value {
    let weighted = |arn: &str, weight: Value| {
        Value::object([
            ("arn".to_string(), Value::from(arn)),
            ("weight".to_string(), weight),
        ])
    };
    let mut targets = vec![weighted(&groups[0], number(dice, &[0, 50, 100]))];
    if dice.one_in(2) {
        targets.push(weighted(&groups[1], number(dice, &[0, 50, 100])));
    }
    let stickiness = if dice.one_in(2) {
        Value::object([
            ("enabled".to_string(), Value::from(dice.one_in(2))),
            ("duration".to_string(), number(dice, &[60, 3600])),
        ])
    } else {
        Value::Null
    };
    let port = 8000 + i64::try_from(case).unwrap_or(0);
    Value::object([
        ("load_balancer_arn".to_string(), Value::from(lb)),
        ("port".to_string(), Value::from(port)),
        (
            "forward".to_string(),
            Value::object([
                ("target_group".to_string(), Value::list(targets)),
                ("stickiness".to_string(), stickiness),
            ]),
        ),
    ])
}

/// An autoscaling group's configuration on one launch template version:
/// bounds, the desired capacity set or left out, tags.
pub(super) fn autoscaling_group(
    case: usize,
    template: &str,
    subnets: &[String],
    dice: &mut Dice<'_>,
) -> Value {
    let min = if dice.one_in(2) { 0 } else { 1 };
    let max = min + 1 + i64::try_from(dice.pick(2)).unwrap_or(0);
    let desired = if dice.one_in(2) {
        Value::from(min)
    } else {
        Value::Null
    };
    let tag = |key: &str, value: &str| {
        Value::object([
            ("key".to_string(), Value::from(key)),
            ("value".to_string(), Value::from(value)),
        ])
    };
    let tags: Vec<Value> = [tag("app", "web"), tag("tier", "front")]
        .into_iter()
        .filter(|_| dice.one_in(2))
        .collect();
    Value::object([
        ("name".to_string(), Value::from(format!("oracle-{case}"))),
        ("min_size".to_string(), Value::from(min)),
        ("max_size".to_string(), Value::from(max)),
        ("desired_capacity".to_string(), desired),
        (
            "vpc_zone_identifier".to_string(),
            Value::list(subnets.iter().map(|s| Value::from(s.as_str()))),
        ),
        ("health_check_type".to_string(), Value::from("EC2")),
        (
            "launch_template".to_string(),
            Value::object([
                ("id".to_string(), Value::from(template)),
                ("version".to_string(), Value::from("1")),
            ]),
        ),
        ("tag".to_string(), Value::list(tags)),
    ])
}

/// A launch template for the groups, made with the API.
pub(super) async fn group_template(aws: &Aws, image: &str) -> Result<String, String> {
    let out = aws
        .ec2
        .create_launch_template()
        .launch_template_name("oracle-groups")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id(image)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .build(),
        )
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(out
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .ok_or("no launch template")?
        .to_string())
}

/// The objects listeners need, made with the API: a load balancer and two
/// target groups.
pub(super) struct ListenerFixture {
    pub load_balancer: String,
    pub target_groups: [String; 2],
}

pub(super) async fn listener_fixture(
    aws: &Aws,
    vpc: &str,
    subnets: &[String],
) -> Result<ListenerFixture, String> {
    let lb = aws
        .elb
        .create_load_balancer()
        .name("oracle-listeners")
        .set_subnets(Some(subnets.to_vec()))
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let load_balancer = lb
        .load_balancers()
        .first()
        .and_then(|l| l.load_balancer_arn())
        .ok_or("no load balancer")?
        .to_string();
    let mut target_groups = [String::new(), String::new()];
    for (i, arn) in target_groups.iter_mut().enumerate() {
        let out = aws
            .elb
            .create_target_group()
            .name(format!("oracle-listeners-{i}"))
            .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
            .port(80)
            .vpc_id(vpc)
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        *arn = out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .ok_or("no target group")?
            .to_string();
    }
    Ok(ListenerFixture {
        load_balancer,
        target_groups,
    })
}

/// The default VPC and two of its subnets.
pub(super) async fn default_network(aws: &Aws) -> Result<(String, Vec<String>), String> {
    let out = aws
        .ec2
        .describe_subnets()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("default-for-az")
                .values("true")
                .build(),
        )
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let mut subnets: Vec<(String, String, String)> = out
        .subnets()
        .iter()
        .filter_map(|s| {
            Some((
                s.availability_zone()?.to_string(),
                s.subnet_id()?.to_string(),
                s.vpc_id()?.to_string(),
            ))
        })
        .collect();
    subnets.sort();
    let vpc = subnets
        .first()
        .map(|s| s.2.clone())
        .ok_or("no default subnet")?;
    Ok((vpc, subnets.into_iter().take(2).map(|s| s.1).collect()))
}
