//! The reference docs cannot drift from the schema: every resource and data
//! source has a page, and the page names each of its attributes and blocks.

use std::path::PathBuf;

use roundrobin_provider::framework::Block;
use roundrobin_provider::{data_sources, resources};

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

/// Names in `block` (recursively) that the page does not mention as `name`.
fn missing_names(block: &Block, page: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let mentioned = |name: &str| page.contains(&format!("`{name}`"));
    for attr in &block.attributes {
        if !mentioned(attr.name) {
            missing.push(attr.name.to_string());
        }
    }
    for nested in &block.blocks {
        if !mentioned(nested.name) {
            missing.push(nested.name.to_string());
        }
        missing.extend(
            missing_names(&nested.block, page)
                .into_iter()
                .map(|n| format!("{}.{n}", nested.name)),
        );
    }
    missing
}

fn check(kind: &str, type_name: &str, block: &Block) -> Option<String> {
    let short = type_name.trim_start_matches("roundrobin_");
    let path = docs_dir().join(kind).join(format!("{short}.md"));
    let Ok(page) = std::fs::read_to_string(&path) else {
        return Some(format!("{type_name}: no page at {}", path.display()));
    };
    // The registry's front matter (between `---` lines) comes before the title.
    let body = page
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(page.as_str(), |(_, body)| body.trim_start());
    if !body.starts_with(&format!("# {type_name}")) {
        return Some(format!(
            "{type_name}: {} must start with `# {type_name}`",
            path.display()
        ));
    }
    let missing = missing_names(block, &page);
    (!missing.is_empty()).then(|| {
        format!(
            "{type_name}: {} does not mention {missing:?}",
            path.display()
        )
    })
}

#[test]
fn every_resource_and_data_source_has_a_page_naming_all_its_attributes() {
    let mut problems: Vec<String> = resources::all()
        .iter()
        .filter_map(|r| check("resources", r.type_name(), &r.schema().block))
        .collect();
    problems.extend(
        data_sources::all()
            .iter()
            .filter_map(|d| check("data-sources", d.type_name(), &d.schema().block)),
    );
    assert!(
        problems.is_empty(),
        "docs out of date:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_page_belongs_to_a_resource_or_data_source() {
    let names: Vec<String> = resources::all()
        .iter()
        .map(|r| r.type_name().to_string())
        .chain(
            data_sources::all()
                .iter()
                .map(|d| d.type_name().to_string()),
        )
        .collect();
    for kind in ["resources", "data-sources"] {
        let Ok(entries) = std::fs::read_dir(docs_dir().join(kind)) else {
            continue;
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().to_string();
            let type_name = format!("roundrobin_{}", file.trim_end_matches(".md"));
            assert!(
                names.contains(&type_name),
                "docs/{kind}/{file} documents no {type_name}"
            );
        }
    }
}
