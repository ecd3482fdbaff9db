//! Reading EC2 as the tests look at it: tags as a map.

use std::collections::BTreeMap;

/// EC2 tags as a map of key to value.
pub fn tags(list: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    list.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}
