//! Counting what exists in the emulator, through the SDK, to prove that a
//! build leaves nothing behind.

use std::fmt;

use aws_sdk_ec2::types::Filter;

use super::Emulator;

/// The emulator's account.
const ACCOUNT: &str = "123456789012";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Leftovers {
    /// Instances that are not terminated.
    pub instances: Vec<String>,
    /// Security groups other than the default ones.
    pub security_groups: Vec<String>,
    pub roles: Vec<String>,
    pub instance_profiles: Vec<String>,
    pub buckets: Vec<String>,
    pub objects: Vec<String>,
    /// Images and snapshots owned by the account.
    pub images: Vec<String>,
    pub snapshots: Vec<String>,
}

impl fmt::Display for Leftovers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:#?}")
    }
}

impl Leftovers {
    /// True when nothing but the images (and their snapshots) is left.
    pub fn only_images(&self) -> bool {
        self.instances.is_empty()
            && self.security_groups.is_empty()
            && self.roles.is_empty()
            && self.instance_profiles.is_empty()
            && self.buckets.is_empty()
            && self.objects.is_empty()
    }

    pub fn nothing(&self) -> bool {
        self.only_images() && self.images.is_empty() && self.snapshots.is_empty()
    }

    pub async fn count(emulator: &Emulator) -> Leftovers {
        let sdk = emulator.sdk().await;
        let ec2 = aws_sdk_ec2::Client::new(&sdk);
        let iam = aws_sdk_iam::Client::new(&sdk);
        let s3 = emulator.s3().await;

        let states = ["pending", "running", "stopping", "stopped", "shutting-down"];
        let instances = ec2
            .describe_instances()
            .filters(
                Filter::builder()
                    .name("instance-state-name")
                    .set_values(Some(states.map(String::from).to_vec()))
                    .build(),
            )
            .send()
            .await
            .expect("DescribeInstances");
        let groups = ec2
            .describe_security_groups()
            .send()
            .await
            .expect("DescribeSecurityGroups");
        let roles = iam.list_roles().send().await.expect("ListRoles");
        let profiles = iam
            .list_instance_profiles()
            .send()
            .await
            .expect("ListInstanceProfiles");
        let buckets = s3.list_buckets().send().await.expect("ListBuckets");
        let mut objects = Vec::new();
        for bucket in buckets.buckets() {
            let name = bucket.name().unwrap_or_default();
            let listed = s3
                .list_objects_v2()
                .bucket(name)
                .send()
                .await
                .expect("ListObjectsV2");
            objects.extend(
                listed
                    .contents()
                    .iter()
                    .map(|o| format!("{name}/{}", o.key().unwrap_or_default())),
            );
        }
        let images = ec2
            .describe_images()
            .owners("self")
            .send()
            .await
            .expect("DescribeImages");
        let snapshots = ec2
            .describe_snapshots()
            .owner_ids("self")
            .send()
            .await
            .expect("DescribeSnapshots");

        Leftovers {
            instances: instances
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter_map(|i| i.instance_id().map(String::from))
                .collect(),
            security_groups: groups
                .security_groups()
                .iter()
                .filter(|g| g.group_name() != Some("default"))
                .filter_map(|g| g.group_id().map(String::from))
                .collect(),
            // Roles of AWS services (moto may list some) are not baker's.
            roles: roles
                .roles()
                .iter()
                .map(|r| r.role_name().to_string())
                .filter(|n| !n.starts_with("AWSServiceRole"))
                .collect(),
            instance_profiles: profiles
                .instance_profiles()
                .iter()
                .map(|p| p.instance_profile_name().to_string())
                .collect(),
            buckets: buckets
                .buckets()
                .iter()
                .filter_map(|b| b.name().map(String::from))
                .collect(),
            objects,
            images: images
                .images()
                .iter()
                .filter_map(|i| i.image_id().map(String::from))
                .collect(),
            // Checked here too: the emulator also lists the snapshots behind
            // its public images for `self`.
            snapshots: snapshots
                .snapshots()
                .iter()
                .filter(|s| s.owner_id() == Some(ACCOUNT))
                .filter_map(|s| s.snapshot_id().map(String::from))
                .collect(),
        }
    }
}
