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

/// The tags of one ELB resource: those another refresh read for it a moment
/// ago, or one DescribeTags.
pub async fn read_tags(aws: &Aws, arn: &str) -> Result<Tags, Diagnostics> {
    if let Some(tags) = aws.shared_tags.take(arn) {
        return Ok(tags);
    }
    read_tags_sharing(aws, arn, &[]).await
}

/// The tags of `arn`, read in one call with those of `others` (at most 19:
/// DescribeTags takes 20 ARNs), which are kept for their own refresh.
pub async fn read_tags_sharing(
    aws: &Aws,
    arn: &str,
    others: &[String],
) -> Result<Tags, Diagnostics> {
    let others: Vec<String> = others
        .iter()
        .filter(|o| o.as_str() != arn)
        .take(19)
        .cloned()
        .collect();
    let ticket = aws.shared_tags.ticket(&others);
    let out = aws
        .elb
        .describe_tags()
        .set_resource_arns(Some(
            std::iter::once(arn.to_string())
                .chain(others.iter().cloned())
                .collect(),
        ))
        .send()
        .await
        .map_err(|e| aws_error(&format!("reading the tags of {arn}"), &e))?;
    let of = |wanted: &str| -> Tags {
        out.tag_descriptions()
            .iter()
            .filter(|d| d.resource_arn() == Some(wanted))
            .flat_map(|d| d.tags())
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect()
    };
    let answered = |wanted: &str| {
        out.tag_descriptions()
            .iter()
            .any(|d| d.resource_arn() == Some(wanted))
    };
    if others.iter().all(|o| answered(o)) {
        aws.shared_tags.keep(ticket, of);
    }
    Ok(of(arn))
}

/// Applies the tag difference to one ELB resource.
pub async fn update_tags(aws: &Aws, arn: &str, old: &Tags, new: &Tags) -> Result<(), Diagnostics> {
    let (upsert, remove) = tags::diff(old, new);
    aws.shared_tags.written(arn);
    let result = write_tags(aws, arn, upsert, remove).await;
    aws.shared_tags.written(arn);
    result
}

async fn write_tags(
    aws: &Aws,
    arn: &str,
    upsert: Tags,
    remove: Vec<String>,
) -> Result<(), Diagnostics> {
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
