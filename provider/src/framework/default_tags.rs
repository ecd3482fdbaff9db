//! `default_tags` in the provider block and `tags_all` on every resource with
//! a `tags` map, as in the AWS provider: the resource is tagged with the
//! provider's default tags merged with its own (its own win), `tags_all`
//! shows that merge, and `tags` keeps only what the configuration says.
//! Tags whose key begins with `aws:` belong to AWS and are ignored.
//!
//! This sits around the resources, not in them: for the apply, the
//! resource sees `tags_all` as its `tags` (so it writes and diffs every tag);
//! its result is turned back into `tags` and `tags_all`.

use std::collections::BTreeMap;

use cty::{Type, Value};

use super::schema::{Attribute, Block};

/// The provider's default tags: `None` while they are unknown (planning
/// with a value Terraform learns during apply).
pub type DefaultTags = Option<BTreeMap<String, String>>;

pub const TAGS: &str = "tags";
pub const TAGS_ALL: &str = "tags_all";

/// True for a block whose resource takes part: it has a `tags` map.
pub fn applies_to(block: &Block) -> bool {
    block
        .attribute_named(TAGS)
        .is_some_and(|a| a.ty == Type::map(Type::String))
}

/// The block with its computed `tags_all` attribute added.
pub fn with_tags_all(block: Block) -> Block {
    if !applies_to(&block) || block.attribute_named(TAGS_ALL).is_some() {
        return block;
    }
    block.attribute(
        Attribute::computed(TAGS_ALL, Type::map(Type::String)).describe(
            "Every tag of the resource: the provider's `default_tags` merged with `tags` (which win).",
        ),
    )
}

fn is_aws_key(key: &str) -> bool {
    key.starts_with("aws:")
}

/// A `tags`-like map as tags: null is none, unknown is `None`, `aws:` keys
/// are left out (AWS reserves them).
pub fn tag_map(value: Option<&Value>) -> Option<BTreeMap<String, String>> {
    match value {
        None | Some(Value::Null) => Some(BTreeMap::new()),
        Some(v) if !v.is_wholly_known() => None,
        Some(v) => Some(
            v.as_map()?
                .iter()
                .filter(|(k, _)| !is_aws_key(k))
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect(),
        ),
    }
}

fn map_value(tags: &BTreeMap<String, String>) -> Value {
    Value::Map(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

fn set(value: &mut Value, name: &str, to: Value) {
    if let Value::Object(fields) = value {
        fields.insert(name.to_string(), to);
    }
}

/// Plans `tags_all`: the merge when both sides are known, else unknown.
pub fn plan(defaults: &DefaultTags, planned: &mut Value) {
    if planned.is_null() {
        return;
    }
    let merged = match (defaults, tag_map(planned.get_attr(TAGS))) {
        (Some(defaults), Some(own)) => {
            let mut all = defaults.clone();
            all.extend(own);
            map_value(&all)
        }
        _ => Value::Unknown,
    };
    set(planned, TAGS_ALL, merged);
}

/// The value a resource sees during apply: every tag in `tags`.
pub fn for_apply(value: &Value) -> Value {
    let mut seen = value.clone();
    if let Some(all) = value.get_attr(TAGS_ALL).filter(|v| v.is_wholly_known()) {
        set(&mut seen, TAGS, all.clone());
    }
    seen
}

/// The state after an apply that succeeded: `tags` as planned, `tags_all`
/// what the resource wrote.
pub fn after_apply(planned: &Value, state: &mut Value) {
    if state.is_null() {
        return;
    }
    let all = tag_map(state.get_attr(TAGS)).unwrap_or_default();
    set(state, TAGS_ALL, map_value(&all));
    set(
        state,
        TAGS,
        planned.get_attr(TAGS).cloned().unwrap_or(Value::Null),
    );
}

/// The state read from the cloud (or left by a failed apply): `tags_all` is
/// every tag found; `tags` drops the default tags that hold their default
/// value, unless the configuration had them itself (they were in `tags`).
pub fn after_read(defaults: &DefaultTags, prior: &Value, state: &mut Value) {
    if state.is_null() {
        return;
    }
    let all = tag_map(state.get_attr(TAGS)).unwrap_or_default();
    let own_before = tag_map(prior.get_attr(TAGS)).unwrap_or_default();
    // Unknown defaults (the provider block set from a value not known yet)
    // cannot tell a default tag from one of the resource's own: the prior
    // split is kept, the resource's own keys with the values AWS has, and
    // every other tag is left to `tags_all`, so that no provider tag moves
    // into `tags` (which would plan its removal).
    let own: BTreeMap<String, String> = all
        .iter()
        .filter(|(k, v)| {
            own_before.contains_key(*k)
                || defaults
                    .as_ref()
                    .is_some_and(|defaults| defaults.get(*k) != Some(*v))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    set(state, TAGS_ALL, map_value(&all));
    let prior_tags = prior.get_attr(TAGS);
    let tags = if own.is_empty() && prior_tags.is_none_or(Value::is_null) {
        Value::Null
    } else {
        map_value(&own)
    };
    set(state, TAGS, tags);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Value {
        map_value(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn object(tags_value: Value) -> Value {
        Value::object([
            (TAGS.to_string(), tags_value),
            (TAGS_ALL.to_string(), Value::Null),
        ])
    }

    fn defaults(pairs: &[(&str, &str)]) -> DefaultTags {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn the_resource_tags_win_over_the_defaults() {
        let mut planned = object(tags(&[("env", "prod"), ("app", "web")]));
        plan(&defaults(&[("env", "dev"), ("team", "ops")]), &mut planned);
        assert!(
            planned
                .get_attr(TAGS_ALL)
                .is_some_and(|v| v.semantic_eq(&tags(&[
                    ("app", "web"),
                    ("env", "prod"),
                    ("team", "ops")
                ])))
        );
    }

    #[test]
    fn unknown_defaults_or_tags_make_tags_all_unknown() {
        let mut planned = object(tags(&[("app", "web")]));
        plan(&None, &mut planned);
        assert!(planned.get_attr(TAGS_ALL).is_some_and(Value::is_unknown));
        let mut planned = object(Value::Unknown);
        plan(&defaults(&[]), &mut planned);
        assert!(planned.get_attr(TAGS_ALL).is_some_and(Value::is_unknown));
    }

    #[test]
    fn a_read_splits_the_cloud_tags_and_ignores_aws_ones() {
        let prior = object(tags(&[("app", "web")]));
        let mut read = object(tags(&[
            ("app", "web"),
            ("team", "ops"),
            ("aws:cloudformation:stack-name", "x"),
            ("extra", "by-hand"),
        ]));
        after_read(&defaults(&[("team", "ops")]), &prior, &mut read);
        assert!(
            read.get_attr(TAGS)
                .is_some_and(|v| v.semantic_eq(&tags(&[("app", "web"), ("extra", "by-hand")])))
        );
        assert!(
            read.get_attr(TAGS_ALL)
                .is_some_and(|v| v.semantic_eq(&tags(&[
                    ("app", "web"),
                    ("extra", "by-hand"),
                    ("team", "ops")
                ])))
        );
    }

    #[test]
    fn a_default_changed_by_hand_shows_as_the_resource_own_tag() {
        let prior = object(Value::Null);
        let mut read = object(tags(&[("team", "someone-else")]));
        after_read(&defaults(&[("team", "ops")]), &prior, &mut read);
        assert!(
            read.get_attr(TAGS)
                .is_some_and(|v| v.semantic_eq(&tags(&[("team", "someone-else")])))
        );
    }

    #[test]
    fn a_read_with_unknown_defaults_keeps_the_prior_split() {
        let prior = object(tags(&[("app", "web")]));
        let mut read = object(tags(&[("app", "web2"), ("team", "ops")]));
        after_read(&None, &prior, &mut read);
        assert!(
            read.get_attr(TAGS)
                .is_some_and(|v| v.semantic_eq(&tags(&[("app", "web2")])))
        );
        assert!(
            read.get_attr(TAGS_ALL)
                .is_some_and(|v| v.semantic_eq(&tags(&[("app", "web2"), ("team", "ops")])))
        );
        let prior = object(Value::Null);
        let mut read = object(tags(&[("team", "ops")]));
        after_read(&None, &prior, &mut read);
        assert!(read.get_attr(TAGS).is_some_and(Value::is_null));
    }

    #[test]
    fn apply_sees_every_tag_and_returns_the_planned_tags() {
        let mut planned = object(tags(&[("app", "web")]));
        plan(&defaults(&[("team", "ops")]), &mut planned);
        let seen = for_apply(&planned);
        assert!(
            seen.get_attr(TAGS)
                .is_some_and(|v| v.semantic_eq(&tags(&[("app", "web"), ("team", "ops")])))
        );
        let mut state = seen.clone();
        after_apply(&planned, &mut state);
        assert!(state.semantic_eq(&planned));
    }
}
