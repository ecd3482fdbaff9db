//! Tags as maps, the way Terraform users write them.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

pub type Tags = BTreeMap<String, String>;

/// Tag specifications for a create call; none when there are no tags.
pub fn tag_specification(resource: ResourceType, tags: &Tags) -> Option<TagSpecification> {
    (!tags.is_empty()).then(|| {
        TagSpecification::builder()
            .resource_type(resource)
            .set_tags(Some(to_ec2(tags)))
            .build()
    })
}

pub fn to_ec2(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub fn from_ec2(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// What to add or change, and which keys to remove, to go from `old` to `new`.
pub fn diff(old: &Tags, new: &Tags) -> (Tags, Vec<String>) {
    let upsert = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    (upsert, remove)
}

/// Applies the tag difference to one EC2 resource; the error is described.
pub async fn update_ec2(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    old: &Tags,
    new: &Tags,
) -> Result<(), String> {
    use crate::AwsErrorDetail as _;
    let (upsert, remove) = diff(old, new);
    if !remove.is_empty() {
        let keys = remove
            .iter()
            .map(|k| Tag::builder().key(k).build())
            .collect();
        ec2.delete_tags()
            .resources(id)
            .set_tags(Some(keys))
            .send()
            .await
            .map_err(|e| format!("removing tags from {id}: {}", e.describe()))?;
    }
    if !upsert.is_empty() {
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(to_ec2(&upsert)))
            .send()
            .await
            .map_err(|e| format!("tagging {id}: {}", e.describe()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_changes_and_removals() {
        let old: Tags = [("a".into(), "1".into()), ("b".into(), "2".into())].into();
        let new: Tags = [("a".into(), "1".into()), ("c".into(), "3".into())].into();
        let (upsert, remove) = diff(&old, &new);
        assert_eq!(upsert, [("c".to_string(), "3".to_string())].into());
        assert_eq!(remove, vec!["b".to_string()]);
    }
}
