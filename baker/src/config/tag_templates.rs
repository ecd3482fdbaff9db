//! Template variables in tag values (`image.tags`, `image.snapshot_tags`,
//! `builder.run_tags`, `builder.run_volume_tags`), as in Packer's tags: the
//! placeholders of the image name (`{build}`, `{commit}`, `{short_commit}`,
//! `{timestamp}`, `{app}`), with the same syntax (`{{` / `}}` for literal
//! braces); an unknown placeholder is an error naming it.

use std::collections::BTreeMap;

use super::Config;
use crate::error::Problem;
use crate::template;

/// AWS's longest tag value.
const MAX_VALUE: usize = 256;

/// The tag tables whose values are templates, by key prefix.
fn tables(config: &mut Config) -> [(&'static str, &mut BTreeMap<String, String>); 4] {
    [
        ("image.tags", &mut config.image.tags),
        ("image.snapshot_tags", &mut config.image.snapshot_tags),
        ("builder.run_tags", &mut config.builder.run_tags),
        (
            "builder.run_volume_tags",
            &mut config.builder.run_volume_tags,
        ),
    ]
}

/// Packer's spelling of a placeholder (`{{timestamp}}`), which in baker's
/// syntax is a literal brace: said, rather than tagged as written.
fn packer_spelling(value: &str) -> Option<String> {
    template::PLACEHOLDERS.iter().find_map(|p| {
        let packer = [format!("{{{{{p}}}}}"), format!("{{{{ {p} }}}}"), format!("{{{{.{p}}}}}")];
        packer
            .iter()
            .any(|spelling| value.contains(spelling.as_str()))
            .then(|| format!("`{{{{{p}}}}}` is Packer's spelling: baker writes `{{{p}}}` (`{{{{` is a literal brace)"))
    })
}

/// Renders every tag value with `values`, in place; the problems name the
/// tag (`image.tags.team: …`).
pub fn render(config: &mut Config, values: &BTreeMap<&str, String>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (table, tags) in tables(config) {
        for (key, value) in tags.iter_mut() {
            let field = format!("{table}.{key}");
            if let Some(message) = packer_spelling(value) {
                problems.push(Problem::new(field, message));
                continue;
            }
            match template::render(value, values) {
                Ok(rendered) if rendered.chars().count() > MAX_VALUE => {
                    problems.push(Problem::new(
                        field,
                        format!(
                            "renders to {} characters: tag values are at most {MAX_VALUE}",
                            rendered.chars().count()
                        ),
                    ))
                }
                Ok(rendered) => *value = rendered,
                Err(message) => problems.push(Problem::new(field, message)),
            }
        }
    }
    problems
}

/// [`render`] on a copy with sample values, for the checks.
pub fn check(config: &Config) -> Vec<Problem> {
    let values = template::values(
        &config.app.name,
        "123",
        "0123456789abcdef0123456789abcdef01234567",
        "0123456",
        1_700_000_000,
    );
    render(&mut config.clone(), &values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_render_and_unknown_placeholders_are_named() {
        let mut config = Config::default();
        config
            .image
            .tags
            .insert("release".into(), "{app}-{build}".into());
        config
            .image
            .snapshot_tags
            .insert("from".into(), "commit {short_commit} {{x}}".into());
        let values = template::values("web", "7", "abcdef0123", "abcdef0", 1);
        assert!(render(&mut config, &values).is_empty());
        assert_eq!(config.image.tags["release"], "web-7");
        assert_eq!(config.image.snapshot_tags["from"], "commit abcdef0 {x}");

        let mut config = Config::default();
        config
            .builder
            .run_tags
            .insert("owner".into(), "{user}".into());
        config
            .builder
            .run_volume_tags
            .insert("when".into(), "{{timestamp}}".into());
        let problems = check(&config);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].field, "builder.run_tags.owner");
        assert!(problems[0].message.contains("{user}"), "{problems:?}");
        assert_eq!(problems[1].field, "builder.run_volume_tags.when");
        assert!(
            problems[1].message.contains("Packer's spelling"),
            "{problems:?}"
        );
    }
}
