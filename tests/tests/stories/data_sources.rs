//! The data sources: the newest image baked for the app, a clear error when
//! none matches, and the default network's subnets one per zone.
//!
//! Emulated behaviour relied on (moto 5.2): RunInstances and CreateImage with
//! image tags; DescribeImages with `Owners = self` and `tag:` filters, and a
//! CreationDate to the second (so the two images are made a second apart);
//! the default VPC with one default subnet in each of us-east-1a … 1f.

use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_crash, eventually};

/// How many of the account's images a `tag:app` filter lists for `app`.
async fn tagged_images(ec2: &Client, app: &str) -> Result<usize> {
    let listed = ec2
        .describe_images()
        .owners("self")
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:app")
                .values(app)
                .build(),
        )
        .send()
        .await
        .context("DescribeImages")?;
    Ok(listed.images().len())
}

/// Bakes an image named `name` from a fresh instance, tagged `app = app`.
async fn bake(ec2: &Client, base: &str, name: &str, app: &str) -> Result<String> {
    let run = ec2
        .run_instances()
        .image_id(base)
        .min_count(1)
        .max_count(1)
        .send()
        .await?;
    let instance = run
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .context("RunInstances returned no instance")?;
    let tags = TagSpecification::builder()
        .resource_type(ResourceType::Image)
        .tags(Tag::builder().key("app").value(app).build())
        .tags(Tag::builder().key("commit").value(name).build())
        .build();
    let image = ec2
        .create_image()
        .instance_id(instance)
        .name(name)
        .tag_specifications(tags)
        .send()
        .await?;
    image
        .image_id()
        .map(str::to_owned)
        .context("CreateImage returned no id")
}

fn lookup(filter: &str) -> String {
    format!(
        r#"{PROVIDER}
data "roundrobin_ami" "app" {{
{filter}
}}

output "image_id" {{
  value = data.roundrobin_ami.app.image_id
}}

output "commit" {{
  value = data.roundrobin_ami.app.image_tags["commit"]
}}
"#
    )
}

fn output(workspace: &Workspace, name: &str) -> Result<String> {
    let outputs = workspace.output_json()?;
    outputs[name]["value"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no output {name}: {outputs}"))
}

#[tokio::test]
async fn the_newest_image_with_the_apps_tags_is_found() -> Result<()> {
    let moto = MotoServer::start()?;
    let ec2 = moto.ec2_client().await;
    let base = amazon_image_ids(&ec2, 1).await?.remove(0);
    bake(&ec2, &base, "nodeapp-1-aaaaaaa", "nodeapp").await?;
    // CreationDate has whole seconds: the next image must be a second newer.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let newest = bake(&ec2, &base, "nodeapp-2-bbbbbbb", "nodeapp").await?;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    bake(&ec2, &base, "otherapp-1-ccccccc", "otherapp").await?;
    // A tag-filtered list may miss an image for a while after it is made
    // (EC2's eventual consistency; the realism mode shows it): a user's next
    // step comes once the images show, as here.
    for (app, count) in [("nodeapp", 2), ("otherapp", 1)] {
        eventually("the baked images listed by their tag", || async {
            let listed = tagged_images(&ec2, app).await?;
            anyhow::ensure!(listed == count, "{listed} of {count} {app} images listed");
            Ok(())
        })
        .await?;
    }

    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&lookup("  tags = {\n    app = \"nodeapp\"\n  }"))?;
    workspace.apply()?;
    assert_eq!(output(&workspace, "image_id")?, newest);
    assert_eq!(output(&workspace, "commit")?, "nodeapp-2-bbbbbbb");

    workspace.write_config(&lookup("  name_regex = \"^nodeapp-1-\""))?;
    workspace.apply()?;
    assert_ne!(output(&workspace, "image_id")?, newest);
    assert_eq!(output(&workspace, "commit")?, "nodeapp-1-aaaaaaa");

    workspace.write_config(&lookup(
        "  name_regex  = \"^nodeapp-\"\n  most_recent = false",
    ))?;
    let failed = workspace.plan_expecting_failure()?;
    assert!(failed.combined().contains("2 images match"), "{failed}");

    workspace.write_config(&lookup("  name_regex = \"^nodeapp-\""))?;
    workspace.destroy()?;
    Ok(())
}

#[tokio::test]
async fn no_matching_image_is_an_error_naming_the_filter() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&lookup("  tags = {\n    app = \"nodeapp\"\n  }"))?;
    let failed = workspace.plan_expecting_failure()?;
    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(text.contains("No image matches"), "{failed}");
    assert!(text.contains("owners [self]"), "{failed}");
    assert!(text.contains("app = \"nodeapp\""), "{failed}");

    workspace.write_config(&lookup("  name_regex = \"nodeapp-(\""))?;
    let failed = workspace.plan_expecting_failure()?;
    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(text.contains("Invalid regular expression"), "{failed}");
    assert!(text.contains("name_regex"), "{failed}");
    Ok(())
}

#[tokio::test]
async fn the_default_network_has_one_subnet_per_zone() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    let config = |min_azs: u32| {
        format!(
            r#"{PROVIDER}
data "roundrobin_default_network" "net" {{
  min_azs = {min_azs}
}}

output "net" {{
  value = data.roundrobin_default_network.net
}}
"#
        )
    };
    workspace.write_config(&config(2))?;
    workspace.apply()?;
    let outputs = workspace.output_json()?;
    let net = &outputs["net"]["value"];
    let zones: Vec<&str> = net["availability_zones"]
        .as_array()
        .context("zones")?
        .iter()
        .filter_map(|z| z.as_str())
        .collect();
    let subnets = net["subnet_ids"].as_array().context("subnets")?;
    assert_eq!(
        zones,
        [
            "us-east-1a",
            "us-east-1b",
            "us-east-1c",
            "us-east-1d",
            "us-east-1e",
            "us-east-1f"
        ]
    );
    assert_eq!(subnets.len(), zones.len());
    assert!(
        net["vpc_id"]
            .as_str()
            .is_some_and(|v| v.starts_with("vpc-")),
        "{net}"
    );

    let ec2 = moto.ec2_client().await;
    let first = subnets[0].as_str().context("subnet id")?;
    let described = ec2.describe_subnets().subnet_ids(first).send().await?;
    assert_eq!(
        described.subnets()[0].availability_zone(),
        Some("us-east-1a")
    );

    workspace.write_config(&config(7))?;
    let failed = workspace.plan_expecting_failure()?;
    assert!(
        failed.combined().contains("Too few Availability Zones"),
        "{failed}"
    );
    assert!(failed.combined().contains("at least 7"), "{failed}");

    // Default subnets deleted: the default VPC is named, with the way out.
    for subnet in subnets {
        let id = subnet.as_str().context("subnet id")?;
        ec2.delete_subnet().subnet_id(id).send().await?;
    }
    workspace.write_config(&config(2))?;
    let failed = workspace.plan_expecting_failure()?;
    assert!(
        failed.combined().contains("has no default subnet"),
        "{failed}"
    );
    assert!(
        failed.combined().contains("create-default-subnet"),
        "{failed}"
    );
    Ok(())
}
