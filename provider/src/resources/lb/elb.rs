//! What every ELB resource shares: tags and ARN suffixes.

use aws_sdk_elasticloadbalancingv2::types::Tag;

use crate::aws::tags::{self, Tags};
use crate::aws::{Aws, aws_error};
use crate::framework::Diagnostics;

/// What follows `marker` in an ELB ARN (`app/web/50dc…` after `:loadbalancer/`).
pub fn arn_suffix(arn: &str, marker: &str) -> String {
    arn.split_once(marker)
        .map(|(_, rest)| rest)
        .unwrap_or(arn)
        .to_string()
}

/// Tags as the ELB API takes them.
pub fn to_elb(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of one ELB resource.
pub async fn read_tags(aws: &Aws, arn: &str) -> Result<Tags, Diagnostics> {
    let out = aws
        .elb
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .map_err(|e| aws_error(&format!("reading the tags of {arn}"), &e))?;
    Ok(out
        .tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect())
}

/// Applies the tag difference to one ELB resource.
pub async fn update_tags(aws: &Aws, arn: &str, old: &Tags, new: &Tags) -> Result<(), Diagnostics> {
    let (upsert, remove) = tags::diff(old, new);
    if !remove.is_empty() {
        aws.elb
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| aws_error(&format!("removing tags from {arn}"), &e))?;
    }
    if !upsert.is_empty() {
        aws.elb
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(to_elb(&upsert)))
            .send()
            .await
            .map_err(|e| aws_error(&format!("tagging {arn}"), &e))?;
    }
    Ok(())
}
