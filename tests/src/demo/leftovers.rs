//! Everything `terraform destroy` and baker's cleanup should have removed,
//! listed by kind through the AWS SDK: what `make demo` checks at its end.

use std::fmt;

use anyhow::Result;
use aws_sdk_ec2::types::InstanceStateName;

use super::cloud::{Cloud, aws};

/// Everything `terraform destroy` (and baker's cleanup) should have removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leftovers {
    pub instances: Vec<String>,
    pub autoscaling_groups: Vec<String>,
    pub load_balancers: Vec<String>,
    pub target_groups: Vec<String>,
    pub launch_templates: Vec<String>,
    pub security_groups: Vec<String>,
    pub roles: Vec<String>,
    pub instance_profiles: Vec<String>,
}

impl Leftovers {
    fn kinds(&self) -> [(&'static str, &Vec<String>); 8] {
        [
            ("instances (not terminated)", &self.instances),
            ("autoscaling groups", &self.autoscaling_groups),
            ("load balancers", &self.load_balancers),
            ("target groups", &self.target_groups),
            ("launch templates", &self.launch_templates),
            ("non-default security groups", &self.security_groups),
            ("IAM roles", &self.roles),
            ("instance profiles", &self.instance_profiles),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.kinds().iter().all(|(_, items)| items.is_empty())
    }
}

impl fmt::Display for Leftovers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .kinds()
            .iter()
            .map(|(kind, items)| match items.len() {
                0 => format!("0 {kind}"),
                n => format!("{n} {kind} {items:?}"),
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

impl Cloud {
    /// What is left of everything terraform and baker create.
    pub async fn leftovers(&self) -> Result<Leftovers> {
        let reservations = self
            .ec2
            .describe_instances()
            .send()
            .await
            .map_err(aws("DescribeInstances"))?;
        let instances = reservations
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter(|i| i.state().and_then(|s| s.name()) != Some(&InstanceStateName::Terminated))
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect();

        let groups = self
            .autoscaling
            .describe_auto_scaling_groups()
            .send()
            .await
            .map_err(aws("DescribeAutoScalingGroups"))?;
        let autoscaling_groups = groups
            .auto_scaling_groups()
            .iter()
            .filter_map(|g| g.auto_scaling_group_name().map(str::to_owned))
            .collect();

        let balancers = self
            .elb
            .describe_load_balancers()
            .send()
            .await
            .map_err(aws("DescribeLoadBalancers"))?;
        let load_balancers = balancers
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.load_balancer_name().map(str::to_owned))
            .collect();

        let targets = self
            .elb
            .describe_target_groups()
            .send()
            .await
            .map_err(aws("DescribeTargetGroups"))?;
        let target_groups = targets
            .target_groups()
            .iter()
            .filter_map(|tg| tg.target_group_name().map(str::to_owned))
            .collect();

        let templates = self
            .ec2
            .describe_launch_templates()
            .send()
            .await
            .map_err(aws("DescribeLaunchTemplates"))?;
        let launch_templates = templates
            .launch_templates()
            .iter()
            .filter_map(|t| t.launch_template_name().map(str::to_owned))
            .collect();

        let security = self
            .ec2
            .describe_security_groups()
            .send()
            .await
            .map_err(aws("DescribeSecurityGroups"))?;
        let security_groups = security
            .security_groups()
            .iter()
            .filter(|g| g.group_name() != Some("default"))
            .map(|g| {
                format!(
                    "{} ({})",
                    g.group_name().unwrap_or("?"),
                    g.group_id().unwrap_or("?")
                )
            })
            .collect();

        let roles = self
            .iam
            .list_roles()
            .send()
            .await
            .map_err(aws("ListRoles"))?
            .roles()
            .iter()
            .map(|r| r.role_name().to_owned())
            .collect();
        let instance_profiles = self
            .iam
            .list_instance_profiles()
            .send()
            .await
            .map_err(aws("ListInstanceProfiles"))?
            .instance_profiles()
            .iter()
            .map(|p| p.instance_profile_name().to_owned())
            .collect();

        Ok(Leftovers {
            instances,
            autoscaling_groups,
            load_balancers,
            target_groups,
            launch_templates,
            security_groups,
            roles,
            instance_profiles,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_listed_by_kind() {
        let mut left = Leftovers::default();
        assert!(left.is_empty());
        assert!(
            left.to_string()
                .starts_with("0 instances (not terminated), ")
        );
        left.roles.push("nodeapp-instances".to_owned());
        assert!(!left.is_empty());
        assert!(
            left.to_string()
                .contains("1 IAM roles [\"nodeapp-instances\"]")
        );
    }
}
