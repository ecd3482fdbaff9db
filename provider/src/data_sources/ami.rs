//! data `roundrobin_ami`: the newest image that matches the owners, a name
//! pattern and tags, such as the last one `baker build` made.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, Image};
use cty::{Path, Type, Value};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::aws::tags::{self, Tags};
use crate::aws::{Aws, aws_error};
use crate::framework::{Attribute, Block, DataSource, Diagnostics, Schema};

pub struct AmiDataSource;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ami {
    pub id: Option<String>,
    pub image_id: Option<String>,
    pub name: Option<String>,
    pub creation_date: Option<String>,
    pub owners: Option<Vec<String>>,
    pub name_regex: Option<String>,
    pub tags: Option<Tags>,
    pub image_tags: Option<Tags>,
    pub most_recent: Option<bool>,
}

#[async_trait]
impl DataSource for AmiDataSource {
    type Model = Ami;

    fn type_name(&self) -> &'static str {
        "roundrobin_ami"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("The newest machine image owned by `owners` whose name matches `name_regex` and which has all of `tags`.")
                .attribute(Attribute::computed("id", Type::String).describe("Id of the image."))
                .attribute(Attribute::optional_computed("image_id", Type::String).describe("Id of the image (`ami-…`). Set, that one image is looked up (whoever owns it; `owners` is then not used), so its tags can be read: the app's port and health path that baker records."))
                .attribute(Attribute::computed("name", Type::String).describe("Name of the image."))
                .attribute(Attribute::computed("creation_date", Type::String).describe("When the image was created (ISO 8601)."))
                .attribute(Attribute::defaulted("owners", Type::list(Type::String), Value::List(vec!["self".into()])).describe("Account ids or aliases (`self`, `amazon`) of the image's owner."))
                .attribute(Attribute::optional("name_regex", Type::String).describe("A regular expression the image's name must match (anywhere in the name; anchor it with `^…$`)."))
                .attribute(Attribute::optional_computed("tags", Type::map(Type::String)).describe("Tags the image must have, all of them. Left out, the image's tags."))
                .attribute(Attribute::computed("image_tags", Type::map(Type::String)).describe("All tags of the image (`commit`, `build`, …)."))
                .attribute(Attribute::defaulted("most_recent", Type::Bool, true).describe("Take the newest of several matching images; `false` makes several matches an error.")),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(pattern) = config.get_attr("name_regex").and_then(Value::as_str)
            && let Err(e) = Regex::new(pattern)
        {
            diags.push_attribute_error(
                Path::root().attr("name_regex"),
                "Invalid regular expression",
                format!("name_regex {pattern:?} is not a valid regular expression: {e}"),
            );
        }
        if config
            .get_attr("owners")
            .and_then(Value::as_elements)
            .is_some_and(<[Value]>::is_empty)
        {
            diags.push_attribute_error(
                Path::root().attr("owners"),
                "No owners",
                "owners needs at least one account id or alias, such as \"self\".",
            );
        }
    }

    async fn read(&self, aws: &Aws, config: Ami) -> Result<Ami, Diagnostics> {
        let owners = config
            .owners
            .clone()
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| vec!["self".into()]);
        let wanted_tags = config.tags.clone().unwrap_or_default();
        let regex = match config.name_regex.as_deref().map(Regex::new).transpose() {
            Ok(r) => r,
            Err(e) => {
                return Err(Diagnostics::attribute_error(
                    Path::root().attr("name_regex"),
                    "Invalid regular expression",
                    e.to_string(),
                ));
            }
        };
        let filters: Vec<Filter> = wanted_tags
            .iter()
            .map(|(k, v)| Filter::builder().name(format!("tag:{k}")).values(v).build())
            .collect();
        let by_id = config.image_id.clone().filter(|id| !id.is_empty());
        let pages = aws
            .ec2
            .describe_images()
            .set_image_ids(by_id.clone().map(|id| vec![id]))
            .set_owners(by_id.is_none().then(|| owners.clone()))
            .set_filters((!filters.is_empty()).then_some(filters))
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| match &by_id {
                Some(id) => aws_error(&format!("looking up image {id}"), &e),
                None => aws_error(
                    &format!("listing images owned by {}", owners.join(", ")),
                    &e,
                ),
            })?;
        let mut matching: Vec<Image> = pages
            .iter()
            .flat_map(|page| page.images())
            .filter(|image| {
                regex
                    .as_ref()
                    .is_none_or(|r| r.is_match(image.name().unwrap_or_default()))
            })
            .filter(|image| has_all(&tags::from_ec2(image.tags()), &wanted_tags))
            .cloned()
            .collect();
        matching.sort_by(|a, b| b.creation_date().cmp(&a.creation_date()));
        let Some(image) = matching.first() else {
            return Err(Diagnostics::error(
                "No image matches",
                match &by_id {
                    Some(id) => format!(
                        "Image {id} does not exist or does not match {}.",
                        describe_filter(&[], config.name_regex.as_deref(), &wanted_tags)
                    ),
                    None => format!(
                        "No image matches {}.",
                        describe_filter(&owners, config.name_regex.as_deref(), &wanted_tags)
                    ),
                },
            ));
        };
        let most_recent = config.most_recent.unwrap_or(true);
        if matching.len() > 1 && !most_recent {
            return Err(Diagnostics::error(
                "Several images match",
                format!(
                    "{} images match {}; set most_recent = true to take the newest, or narrow the filter.",
                    matching.len(),
                    describe_filter(&owners, config.name_regex.as_deref(), &wanted_tags)
                ),
            ));
        }
        let image_tags = tags::from_ec2(image.tags());
        let id = image.image_id().map(str::to_string);
        Ok(Ami {
            id: id.clone(),
            image_id: id,
            name: image.name().map(str::to_string),
            creation_date: image.creation_date().map(str::to_string),
            owners: Some(owners),
            tags: Some(if config.tags.is_some() {
                wanted_tags
            } else {
                image_tags.clone()
            }),
            image_tags: Some(image_tags),
            name_regex: config.name_regex,
            most_recent: Some(most_recent),
        })
    }
}

fn has_all(tags: &Tags, wanted: &Tags) -> bool {
    wanted.iter().all(|(k, v)| tags.get(k) == Some(v))
}

/// The filter in words, for the "nothing matches" error.
fn describe_filter(
    owners: &[String],
    name_regex: Option<&str>,
    tags: &BTreeMap<String, String>,
) -> String {
    let mut parts = Vec::new();
    if !owners.is_empty() {
        parts.push(format!("owners [{}]", owners.join(", ")));
    }
    if let Some(r) = name_regex {
        parts.push(format!("name_regex {r:?}"));
    }
    if !tags.is_empty() {
        let pairs: Vec<String> = tags.iter().map(|(k, v)| format!("{k} = {v:?}")).collect();
        parts.push(format!("tags {{ {} }}", pairs.join(", ")));
    }
    if parts.is_empty() {
        return "the filter".into();
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_regex_is_reported_on_its_attribute() {
        let config = Value::object([
            ("name_regex".to_string(), Value::from("nodeapp-(")),
            ("owners".to_string(), Value::Null),
        ]);
        let mut diags = Diagnostics::new();
        AmiDataSource.validate(&config, &mut diags);
        assert_eq!(diags.0[0].path, Some(Path::root().attr("name_regex")));
    }

    #[test]
    fn the_filter_is_named_in_words() {
        let tags: Tags = [("app".to_string(), "nodeapp".to_string())].into();
        let text = describe_filter(&["self".into()], Some("^nodeapp-"), &tags);
        assert_eq!(
            text,
            "owners [self], name_regex \"^nodeapp-\", tags { app = \"nodeapp\" }"
        );
    }
}
