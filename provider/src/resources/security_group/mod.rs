//! `roundrobin_security_group`: a VPC security group with its ingress and
//! egress rules. Leaving out `egress` keeps AWS's default allow-all egress.

mod rule_changes;
mod rules;
mod schema;
#[cfg(test)]
mod shaping;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType, SecurityGroup as AwsGroup};
use cty::{Path, Value};
use serde::{Deserialize, Serialize};

use crate::aws::consistency::Made;
use crate::aws::ownership::{Existing, already_exists, is_duplicate};
use crate::aws::tags::{self, Tags};
use crate::aws::wait::{Backoff, WaitError, until};
use crate::aws::{Aws, AwsErrorDetail, aws_error, read_after_write};
use crate::resources::existing;

const TYPE_NAME: &str = "roundrobin_security_group";
use crate::framework::{
    ApplyError, ApplyResult, Diagnostics, Resource, Schema, Timeouts, null_as_default,
};
use rule_changes::{Change, Direction, apply_rules};
pub use rules::Rule;
use rules::{grants_from_aws, rebuild};

pub struct SecurityGroupResource;

/// How long a delete waits for the group's last users to let go.
const DELETE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5 * 60);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: Option<String>,
    pub arn: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub name: String,
    pub description: Option<String>,
    pub vpc_id: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub ingress: Vec<Rule>,
    #[serde(deserialize_with = "null_as_default")]
    pub egress: Vec<Rule>,
    pub tags: Option<Tags>,
    pub timeouts: Option<Timeouts>,
}

impl SecurityGroup {
    fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }
}

#[async_trait]
impl Resource for SecurityGroupResource {
    type Model = SecurityGroup;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    #[cfg(test)]
    fn shape_generated_config(&self, config: &mut Value, dice: &mut crate::framework::Dice<'_>) {
        shaping::shape(config, dice);
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for block in ["ingress", "egress"] {
            let rules = config
                .get_attr(block)
                .and_then(Value::as_elements)
                .unwrap_or(&[]);
            for (i, rule) in rules.iter().enumerate() {
                let here = Path::root()
                    .attr(block)
                    .index(i64::try_from(i).unwrap_or(i64::MAX));
                schema::validate_rule(rule, &here, diags);
            }
        }
    }

    async fn create(&self, aws: &Aws, planned: SecurityGroup) -> ApplyResult<SecurityGroup> {
        let vpc_id = match planned.vpc_id.clone() {
            Some(vpc) => vpc,
            None => default_vpc(aws).await?,
        };
        let description = planned
            .description
            .clone()
            .unwrap_or_else(|| schema::DEFAULT_DESCRIPTION.into());
        let taken = |id: &str| {
            let kind = "security group";
            already_exists(&Existing::named(kind, TYPE_NAME, &planned.name, id))
        };
        if let Some(id) = existing::security_group(aws, &vpc_id, &planned.name).await? {
            return Err(taken(&id).into());
        }
        let tags = planned.tags.clone().unwrap_or_default();
        let created = aws
            .ec2
            .create_security_group()
            .group_name(&planned.name)
            .description(&description)
            .vpc_id(&vpc_id)
            .set_tag_specifications(
                tags::tag_specification(ResourceType::SecurityGroup, &tags).map(|t| vec![t]),
            )
            .send()
            .await;
        // The name is taken atomically in its VPC: a group made since the
        // look-up fails the create, which then names it.
        let created = match created {
            Ok(created) => created,
            Err(e) if is_duplicate(e.code()) => {
                let id = existing::security_group(aws, &vpc_id, &planned.name).await?;
                return Err(taken(id.as_deref().unwrap_or("ID")).into());
            }
            Err(e) => {
                let what = format!("creating security group {:?}", planned.name);
                return Err(aws_error(&what, &e).into());
            }
        };
        let id = created.group_id().unwrap_or_default().to_string();
        let made = SecurityGroup {
            id: Some(id.clone()),
            vpc_id: Some(vpc_id),
            description: Some(description),
            ..planned.clone()
        };
        // From here on the group exists: failures report it so Terraform keeps
        // it (tainted) instead of losing track of it.
        let outcome = async {
            let none = [];
            let default_egress = [Rule::allow_all_egress()];
            let egress_now: &[Rule] = if planned.egress.is_empty() {
                &none
            } else {
                &default_egress
            };
            // The group is new: AWS may not know it for a few seconds yet.
            let change = Change {
                id: &id,
                made: Made::ThisApply,
            };
            apply_rules(aws, change, &[], &planned.ingress, Direction::Ingress).await?;
            if !planned.egress.is_empty() {
                apply_rules(aws, change, egress_now, &planned.egress, Direction::Egress).await?;
            }
            let what = format!("security group {id}");
            let group = read_after_write(aws, &what, || describe(aws, &id)).await?;
            Ok::<_, Diagnostics>(from_aws(aws, &group, &planned))
        }
        .await;
        outcome.map_err(|d| ApplyError::partial(made, d))
    }

    async fn read(
        &self,
        aws: &Aws,
        current: SecurityGroup,
    ) -> Result<Option<SecurityGroup>, Diagnostics> {
        let group = describe(aws, current.id()).await?;
        Ok(group.map(|g| from_aws(aws, &g, &current)))
    }

    async fn update(
        &self,
        aws: &Aws,
        prior: SecurityGroup,
        planned: SecurityGroup,
    ) -> ApplyResult<SecurityGroup> {
        let id = prior.id().to_string();
        let change = Change {
            id: &id,
            made: Made::Earlier,
        };
        let step = async {
            apply_rules(
                aws,
                change,
                &prior.ingress,
                &planned.ingress,
                Direction::Ingress,
            )
            .await?;
            let effective = |rules: &[Rule]| {
                if rules.is_empty() {
                    vec![Rule::allow_all_egress()]
                } else {
                    rules.to_vec()
                }
            };
            apply_rules(
                aws,
                change,
                &effective(&prior.egress),
                &effective(&planned.egress),
                Direction::Egress,
            )
            .await?;
            tags::update_ec2(
                &aws.ec2,
                &id,
                &prior.tags.clone().unwrap_or_default(),
                &planned.tags.clone().unwrap_or_default(),
            )
            .await
            .map_err(crate::aws::tag_error)?;
            let group = describe(aws, &id).await?.ok_or_else(|| {
                Diagnostics::error(
                    "Security group vanished",
                    format!("{id} disappeared while it was being updated."),
                )
            })?;
            Ok::<_, Diagnostics>(from_aws(aws, &group, &planned))
        };
        step.await
            .map_err(|d| ApplyError::partial(prior.clone(), d))
    }

    async fn delete(&self, aws: &Aws, state: SecurityGroup) -> Result<(), Diagnostics> {
        let id = state.id();
        let timeout = Timeouts::get(&state.timeouts, "delete", DELETE_TIMEOUT);
        // Network interfaces of terminated instances let go of a group a
        // little after the instances are gone: retry DependencyViolation.
        let deleted = until(Backoff::new(timeout), &aws.stop, || async move {
            match aws.ec2.delete_security_group().group_id(id).send().await {
                Ok(_) => Ok(Some(())),
                Err(e) if e.code() == Some("InvalidGroup.NotFound") => Ok(Some(())),
                Err(e) if e.code() == Some("DependencyViolation") => Ok(None),
                Err(e) => Err(aws_error(&format!("deleting security group {id}"), &e)),
            }
        })
        .await;
        match deleted {
            Ok(()) => Ok(()),
            Err(WaitError::Failed(d)) => Err(d),
            Err(WaitError::Stopped) => Err(Diagnostics::error(
                "Interrupted",
                format!("Stopped while waiting to delete {id}."),
            )),
            Err(WaitError::TimedOut(t)) => Err(Diagnostics::error(
                "Security group still in use",
                format!(
                    "{id} was still used by other resources (network interfaces or rules of other groups) after {t:?}; remove those first, or raise timeouts.delete."
                ),
            )),
        }
    }

    fn import(&self, id: &str) -> Result<SecurityGroup, Diagnostics> {
        if !id.starts_with("sg-") {
            return Err(Diagnostics::error(
                "Invalid import id",
                format!(
                    "Import a security group by its id, like sg-0123456789abcdef0; got {id:?}."
                ),
            ));
        }
        Ok(SecurityGroup {
            id: Some(id.to_string()),
            ..SecurityGroup::default()
        })
    }
}

async fn describe(aws: &Aws, id: &str) -> Result<Option<AwsGroup>, Diagnostics> {
    match aws
        .ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.security_groups().first().cloned()),
        Err(e)
            if matches!(
                e.code(),
                Some("InvalidGroup.NotFound" | "InvalidGroupId.NotFound")
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(aws_error(&format!("reading security group {id}"), &e)),
    }
}

async fn default_vpc(aws: &Aws) -> Result<String, Diagnostics> {
    let out = aws
        .ec2
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .map_err(|e| aws_error("looking up the default VPC", &e))?;
    out.vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .map(str::to_string)
        .ok_or_else(|| {
            Diagnostics::attribute_error(
                Path::root().attr("vpc_id"),
                "No default VPC",
                format!("Region {} has no default VPC; set vpc_id.", aws.region),
            )
        })
}

/// The model of what AWS has, with rule blocks rebuilt against `known`.
fn from_aws(aws: &Aws, group: &AwsGroup, known: &SecurityGroup) -> SecurityGroup {
    let id = group.group_id().unwrap_or_default().to_string();
    let owner = group.owner_id().unwrap_or_default();
    let egress_grants = grants_from_aws(group.ip_permissions_egress());
    let default_only = egress_grants == Rule::allow_all_egress().grants();
    let egress = if known.egress.is_empty() && default_only {
        Vec::new()
    } else {
        rebuild(&known.egress, egress_grants)
    };
    SecurityGroup {
        arn: Some(
            group
                .security_group_arn()
                .map(str::to_string)
                .unwrap_or_else(|| {
                    format!(
                        "arn:{}:ec2:{}:{owner}:security-group/{id}",
                        aws.partition(),
                        aws.region
                    )
                }),
        ),
        id: Some(id),
        name: group.group_name().unwrap_or_default().to_string(),
        description: group.description().map(str::to_string),
        vpc_id: group.vpc_id().map(str::to_string),
        ingress: rebuild(&known.ingress, grants_from_aws(group.ip_permissions())),
        egress,
        tags: Some(tags::from_ec2(group.tags())),
        timeouts: known.timeouts.clone(),
    }
}
