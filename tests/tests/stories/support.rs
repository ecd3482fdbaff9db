//! What the stories share: the configurations they write, a stack that is
//! already applied, and readable views of what moto holds.

use anyhow::{Context, Result};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, LaunchTemplate, ResponseLaunchTemplateData, SecurityGroup, Tag};
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Output, Workspace};

/// Names the web stack gives its resources.
pub const GROUP: &str = "web";
pub const TEMPLATE: &str = "web-servers";

/// The provider as most stories configure it: the endpoint comes from `AWS_ENDPOINT_URL`.
pub const PROVIDER: &str = r#"
terraform {
  required_providers {
    roundrobin = { source = "roundrobin/roundrobin" }
  }
}

provider "roundrobin" {
  region = "us-east-1"
}
"#;

/// A firewall open on port 80 and a launch template for servers behind it.
pub fn web_stack(image_id: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "roundrobin_security_group" "web" {{
  name        = "{GROUP}"
  description = "web servers"

  ingress {{
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}

  tags = {{
    app = "nodeapp"
  }}
}}

resource "roundrobin_launch_template" "web" {{
  name                   = "{TEMPLATE}"
  image_id               = "{image_id}"
  instance_type          = "t3.micro"
  vpc_security_group_ids = [roundrobin_security_group.web.id]

  metadata_options {{
    http_tokens = "required"
  }}

  tags = {{
    app = "nodeapp"
  }}
}}
"#
    )
}

/// A moto server, a workspace talking to it and the web stack applied there
/// with the first of two Amazon images.
pub struct AppliedStack {
    pub workspace: Workspace,
    pub ec2: Client,
    pub images: Vec<String>,
    // Last, so the server outlives everything that talks to it.
    pub moto: MotoServer,
}

impl AppliedStack {
    pub async fn start() -> Result<AppliedStack> {
        let moto = MotoServer::start()?;
        let ec2 = moto.ec2_client().await;
        let workspace = Workspace::new(&moto)?;
        let images = amazon_image_ids(&ec2, 2).await?;
        workspace.write_config(&web_stack(&images[0]))?;
        workspace.apply()?;
        Ok(AppliedStack {
            workspace,
            ec2,
            images,
            moto,
        })
    }
}

/// A second plan must find nothing to do: the provider read back exactly what it wrote.
pub fn assert_no_changes(workspace: &Workspace) -> Result<()> {
    let plan = workspace.plan_detailed()?;
    assert_eq!(plan.code, Some(0), "expected no changes:\n{plan}");
    Ok(())
}

/// A failure must be a diagnostic, not the provider falling over.
pub fn assert_no_crash(output: &Output) {
    let text = output.combined().to_lowercase();
    for marker in ["panic", "crash", "plugin exited", "plugin did not respond"] {
        assert!(!text.contains(marker), "found {marker:?}:\n{output}");
    }
}

/// An ingress rule flattened to what a story compares: protocol, ports, source.
pub type Rule = (String, i32, i32, String);

pub fn tcp_from(port: i32, cidr: &str) -> Rule {
    ("tcp".to_owned(), port, port, cidr.to_owned())
}

/// Every (protocol, from, to, source) the group lets in.
pub fn ingress_rules(group: &SecurityGroup) -> Vec<Rule> {
    let mut rules = Vec::new();
    for permission in group.ip_permissions() {
        let protocol = permission.ip_protocol().unwrap_or_default().to_owned();
        let from = permission.from_port().unwrap_or(-1);
        let to = permission.to_port().unwrap_or(-1);
        let cidrs = permission.ip_ranges().iter().filter_map(|r| r.cidr_ip());
        let groups = permission
            .user_id_group_pairs()
            .iter()
            .filter_map(|pair| pair.group_id());
        for source in cidrs.chain(groups) {
            rules.push((protocol.clone(), from, to, source.to_owned()));
        }
    }
    rules.sort();
    rules
}

pub fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|tag| tag.key() == Some(key))
        .and_then(Tag::value)
}

/// The security group with that name; an error when there is none.
pub async fn security_group_named(ec2: &Client, name: &str) -> Result<SecurityGroup> {
    let groups = ec2
        .describe_security_groups()
        .filters(Filter::builder().name("group-name").values(name).build())
        .send()
        .await?;
    groups
        .security_groups()
        .first()
        .cloned()
        .with_context(|| format!("moto has no security group named {name}"))
}

/// The launch template with that name, if moto has one.
pub async fn launch_template_named(ec2: &Client, name: &str) -> Result<Option<LaunchTemplate>> {
    let templates = ec2
        .describe_launch_templates()
        .filters(
            Filter::builder()
                .name("launch-template-name")
                .values(name)
                .build(),
        )
        .send()
        .await?;
    Ok(templates.launch_templates().first().cloned())
}

/// Version numbers of a launch template, ascending.
pub async fn template_versions(ec2: &Client, template_id: &str) -> Result<Vec<i64>> {
    let versions = ec2
        .describe_launch_template_versions()
        .launch_template_id(template_id)
        .send()
        .await?;
    let mut numbers: Vec<i64> = versions
        .launch_template_versions()
        .iter()
        .filter_map(|version| version.version_number())
        .collect();
    numbers.sort_unstable();
    Ok(numbers)
}

/// The launch data of one version of a template.
pub async fn template_data(
    ec2: &Client,
    template_id: &str,
    version: i64,
) -> Result<ResponseLaunchTemplateData> {
    let versions = ec2
        .describe_launch_template_versions()
        .launch_template_id(template_id)
        .versions(version.to_string())
        .send()
        .await?;
    versions
        .launch_template_versions()
        .first()
        .and_then(|version| version.launch_template_data())
        .cloned()
        .with_context(|| format!("moto has no version {version} of {template_id}"))
}

/// Runs `check` until it succeeds, for at most 30 s: AWS is eventually
/// consistent (and so is the emulator in its realism mode), so a resource a
/// story made by hand may be invisible to Describe/Get for a few seconds, as
/// it would be to a user in the console.
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    eventually_within(what, std::time::Duration::from_secs(30), check).await
}

/// Runs `check` every 250 ms until it succeeds, for at most `bound`; the
/// last error, named by `what`, if it never does.
pub async fn eventually_within<T, F, Fut>(
    what: &str,
    bound: std::time::Duration,
    mut check: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let started = std::time::Instant::now();
    loop {
        match check().await {
            Ok(value) => return Ok(value),
            Err(error) if started.elapsed() > bound => {
                return Err(error.context(format!("{what} after {} s", bound.as_secs())));
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(250)).await,
        }
    }
}
