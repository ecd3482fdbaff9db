//! What the emulated cloud holds, seen through the EC2 API: the facts stories
//! check after terraform has run.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Filter;

use crate::error::{HarnessError, Result};

/// The ids of `count` distinct Amazon-owned images (moto ships over a thousand),
/// in a stable order.
pub async fn amazon_image_ids(ec2: &Client, count: usize) -> Result<Vec<String>> {
    let images = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .map_err(|e| HarnessError::aws("DescribeImages", e))?;
    let mut ids: Vec<String> = images
        .images()
        .iter()
        .filter_map(|image| image.image_id().map(str::to_owned))
        .collect();
    ids.sort();
    ids.dedup();
    if ids.len() < count {
        return Err(HarnessError::Aws {
            operation: "DescribeImages",
            message: format!(
                "wanted {count} Amazon images, the emulator has {}",
                ids.len()
            ),
        });
    }
    ids.truncate(count);
    Ok(ids)
}

/// The id of the region's default VPC.
pub async fn default_vpc_id(ec2: &Client) -> Result<String> {
    let vpcs = ec2
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .map_err(|e| HarnessError::aws("DescribeVpcs", e))?;
    vpcs.vpcs()
        .iter()
        .find_map(|vpc| vpc.vpc_id().map(str::to_owned))
        .ok_or_else(|| HarnessError::Aws {
            operation: "DescribeVpcs",
            message: "no default VPC".to_owned(),
        })
}

/// What Terraform may have created: security groups other than the `default`
/// group every VPC has, and launch templates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// `name (id)` of each non-default security group.
    pub security_groups: Vec<String>,
    /// `name (id)` of each launch template.
    pub launch_templates: Vec<String>,
}

impl Inventory {
    pub async fn take(ec2: &Client) -> Result<Inventory> {
        let groups = ec2
            .describe_security_groups()
            .send()
            .await
            .map_err(|e| HarnessError::aws("DescribeSecurityGroups", e))?;
        let security_groups = groups
            .security_groups()
            .iter()
            .filter(|group| group.group_name() != Some("default"))
            .map(|group| label(group.group_name(), group.group_id()))
            .collect();

        let templates = ec2
            .describe_launch_templates()
            .send()
            .await
            .map_err(|e| HarnessError::aws("DescribeLaunchTemplates", e))?;
        let launch_templates = templates
            .launch_templates()
            .iter()
            .map(|template| {
                label(
                    template.launch_template_name(),
                    template.launch_template_id(),
                )
            })
            .collect();

        Ok(Inventory {
            security_groups,
            launch_templates,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.security_groups.is_empty() && self.launch_templates.is_empty()
    }
}

impl std::fmt::Display for Inventory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} security group(s) {:?}, {} launch template(s) {:?}",
            self.security_groups.len(),
            self.security_groups,
            self.launch_templates.len(),
            self.launch_templates
        )
    }
}

fn label(name: Option<&str>, id: Option<&str>) -> String {
    format!("{} ({})", name.unwrap_or("?"), id.unwrap_or("?"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MotoServer;

    #[tokio::test]
    async fn a_fresh_cloud_is_empty_and_has_images_to_boot() {
        let moto = MotoServer::start().expect("moto starts");
        let ec2 = moto.ec2_client().await;

        let inventory = Inventory::take(&ec2).await.expect("inventory");
        assert!(inventory.is_empty(), "{inventory}");

        let images = amazon_image_ids(&ec2, 2).await.expect("images");
        assert_eq!(images.len(), 2);
        assert_ne!(images[0], images[1]);
        assert!(
            default_vpc_id(&ec2)
                .await
                .expect("default vpc")
                .starts_with("vpc-")
        );
    }
}
