//! What the emulated cloud holds, read through the AWS SDK the way a user
//! would check it with the AWS CLI: the group's instances and what they run,
//! the baked images; what a destroy should have removed is in [`super::leftovers`].

use std::fmt;

use anyhow::{Context, Result, anyhow};
use aws_sdk_ec2::error::DisplayErrorContext;
use aws_sdk_ec2::types::Filter;

use crate::MotoServer;
use crate::ec2::{amazon_image_ids, default_vpc_id};

/// The name pattern and owner of the base image `baker.toml` asks for.
pub const SOURCE_NAME: &str = "al2023-ami-2023.*-x86_64";
pub const SOURCE_OWNER: &str = "amazon";

/// SDK clients for one emulator.
pub struct Cloud {
    pub ec2: aws_sdk_ec2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub iam: aws_sdk_iam::Client,
}

/// One instance of an autoscaling group and what it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub zone: String,
    /// The launch template version it was launched from.
    pub version: String,
    pub image: String,
}

/// An autoscaling group: its configured template version and its instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub version: String,
    pub members: Vec<Member>,
}

impl Group {
    /// True when the group is configured with `version` and every instance
    /// (at least one) was launched from it and runs `image`.
    pub fn runs(&self, version: &str, image: &str) -> bool {
        self.version == version
            && !self.members.is_empty()
            && self
                .members
                .iter()
                .all(|m| m.version == version && m.image == image)
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "group {} on launch template version {}, {} instance(s):",
            self.name,
            self.version,
            self.members.len()
        )?;
        for (i, m) in self.members.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(
                f,
                "{sep} {} ({}, v{}, {})",
                m.id, m.zone, m.version, m.image
            )?;
        }
        Ok(())
    }
}

pub(super) fn aws<E>(operation: &'static str) -> impl FnOnce(E) -> anyhow::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |error| anyhow!("{operation}: {}", DisplayErrorContext(error))
}

impl Cloud {
    pub async fn connect(moto: &MotoServer) -> Cloud {
        let config = moto.sdk_config().await;
        Cloud {
            ec2: aws_sdk_ec2::Client::new(&config),
            autoscaling: aws_sdk_autoscaling::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
        }
    }

    pub async fn default_vpc(&self) -> Result<String> {
        Ok(default_vpc_id(&self.ec2).await?)
    }

    /// (id, name) of the newest Amazon image matching `baker.toml`'s
    /// `source.name`, or else of any Amazon image.
    pub async fn source_image(&self) -> Result<(String, String)> {
        let images = self
            .ec2
            .describe_images()
            .owners(SOURCE_OWNER)
            .filters(Filter::builder().name("name").values(SOURCE_NAME).build())
            .filters(
                Filter::builder()
                    .name("architecture")
                    .values("x86_64")
                    .build(),
            )
            .send()
            .await
            .map_err(aws("DescribeImages"))?;
        let newest = images
            .images()
            .iter()
            .filter_map(|image| {
                let id = image.image_id()?;
                Some((image.creation_date().unwrap_or_default(), id, image.name()))
            })
            .max();
        if let Some((_, id, name)) = newest {
            return Ok((id.to_owned(), name.unwrap_or_default().to_owned()));
        }
        let id = amazon_image_ids(&self.ec2, 1)
            .await?
            .pop()
            .context("the emulator has no Amazon images")?;
        Ok((id, "an Amazon image".to_owned()))
    }

    /// The ids of the images baker made for `app`, oldest first.
    pub async fn baked_images(&self, app: &str) -> Result<Vec<String>> {
        let images = self
            .ec2
            .describe_images()
            .owners("self")
            .filters(Filter::builder().name("tag:app").values(app).build())
            .filters(
                Filter::builder()
                    .name("tag:baked-by")
                    .values("baker")
                    .build(),
            )
            .send()
            .await
            .map_err(aws("DescribeImages"))?;
        let mut found: Vec<(String, String)> = images
            .images()
            .iter()
            .filter_map(|image| {
                let date = image.creation_date().unwrap_or_default().to_owned();
                Some((date, image.image_id()?.to_owned()))
            })
            .collect();
        found.sort();
        Ok(found.into_iter().map(|(_, id)| id).collect())
    }

    /// The autoscaling group `name` and the image each of its instances runs.
    pub async fn group(&self, name: &str) -> Result<Group> {
        let groups = self
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(aws("DescribeAutoScalingGroups"))?;
        let group = groups
            .auto_scaling_groups()
            .first()
            .with_context(|| format!("there is no autoscaling group {name}"))?;
        let version = group
            .launch_template()
            .and_then(|t| t.version())
            .unwrap_or("?")
            .to_owned();
        let mut members = Vec::new();
        for instance in group.instances() {
            let id = instance.instance_id().unwrap_or_default().to_owned();
            members.push(Member {
                image: self.image_of(&id).await?,
                zone: instance.availability_zone().unwrap_or("?").to_owned(),
                version: instance
                    .launch_template()
                    .and_then(|t| t.version())
                    .unwrap_or("?")
                    .to_owned(),
                id,
            });
        }
        members.sort_by(|a, b| (&a.zone, &a.id).cmp(&(&b.zone, &b.id)));
        Ok(Group {
            name: name.to_owned(),
            version,
            members,
        })
    }

    async fn image_of(&self, instance: &str) -> Result<String> {
        let found = self
            .ec2
            .describe_instances()
            .instance_ids(instance)
            .send()
            .await
            .map_err(aws("DescribeInstances"))?;
        found
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find_map(|i| i.image_id().map(str::to_owned))
            .with_context(|| format!("DescribeInstances knows no {instance}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, version: &str, image: &str) -> Member {
        Member {
            id: id.to_owned(),
            zone: "us-east-1a".to_owned(),
            version: version.to_owned(),
            image: image.to_owned(),
        }
    }

    #[test]
    fn a_group_runs_a_version_only_when_every_instance_does() {
        let mut group = Group {
            name: "nodeapp".to_owned(),
            version: "2".to_owned(),
            members: vec![member("i-1", "2", "ami-2"), member("i-2", "2", "ami-2")],
        };
        assert!(group.runs("2", "ami-2"));
        assert!(!group.runs("2", "ami-1"));
        group.members[1] = member("i-2", "1", "ami-1");
        assert!(!group.runs("2", "ami-2"));
        group.members.clear();
        assert!(!group.runs("2", "ami-2"), "an empty group runs nothing");
    }

    #[tokio::test]
    async fn a_fresh_emulator_has_a_source_image_and_nothing_left() {
        let moto = MotoServer::start().expect("moto starts");
        let cloud = Cloud::connect(&moto).await;
        let (id, _name) = cloud.source_image().await.expect("a source image");
        assert!(id.starts_with("ami-"), "{id}");
        let left = cloud.leftovers().await.expect("leftovers");
        assert!(left.is_empty(), "{left}");
        assert!(
            cloud
                .baked_images("nodeapp")
                .await
                .expect("images")
                .is_empty()
        );
    }
}
