//! The docs and examples a registry publishes: every page has the registry's
//! front matter and names every attribute and block of its schema (the schema
//! as Terraform gets it from GetProviderSchema, `terraform providers schema
//! -json`), every resource and data source has its examples in the registry's
//! layout, and every example passes `terraform validate` with the provider we
//! built. No moto: validate makes no AWS call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use e2e::Workspace;
use e2e::provider_binary::{PROVIDER_SOURCE, provider_dir};
use serde_json::Value;

/// Never contacted.
const NO_ENDPOINT: &str = "http://127.0.0.1:9";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The provider's schemas as Terraform reads them from the provider.
fn schema() -> Result<Value> {
    let workspace = Workspace::with_provider_dir(NO_ENDPOINT, &provider_dir()?)?;
    workspace.write_config(&std::fs::read_to_string(
        repo().join("examples/provider/provider.tf"),
    )?)?;
    let output = workspace.run(&["providers", "schema", "-json"])?;
    ensure!(output.success(), "providers schema failed:\n{output}");
    let all: Value = serde_json::from_str(&output.stdout)?;
    all.pointer(&format!(
        "/provider_schemas/{}",
        PROVIDER_SOURCE.replace('/', "~1")
    ))
    .cloned()
    .context("the schema has no entry for our provider")
}

/// `(kind, type name, block)` of every resource and data source.
fn types(schema: &Value) -> Result<Vec<(&'static str, String, Value)>> {
    let mut all = Vec::new();
    for (kind, key) in [
        ("resources", "resource_schemas"),
        ("data-sources", "data_source_schemas"),
    ] {
        let schemas = schema
            .get(key)
            .and_then(Value::as_object)
            .with_context(|| format!("no {key}"))?;
        for (name, entry) in schemas {
            all.push((kind, name.clone(), entry["block"].clone()));
        }
    }
    ensure!(!all.is_empty(), "the provider has no resources");
    Ok(all)
}

/// Dotted paths of the attributes and nested blocks of `block`.
fn names(block: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    let attributes = block.get("attributes").and_then(Value::as_object);
    for name in attributes.into_iter().flat_map(|a| a.keys()) {
        out.push((format!("{prefix}{name}"), name.clone()));
    }
    let blocks = block.get("block_types").and_then(Value::as_object);
    for (name, nested) in blocks.into_iter().flat_map(|b| b.iter()) {
        out.push((format!("{prefix}{name}"), name.clone()));
        names(&nested["block"], &format!("{prefix}{name}."), out);
    }
}

/// The front matter's `key: value` lines (a `|-` value is its indented lines).
fn front_matter(page: &str) -> Option<BTreeMap<String, String>> {
    let (matter, _) = page.strip_prefix("---\n")?.split_once("\n---\n")?;
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut current = None;
    for line in matter.lines() {
        match (line.strip_prefix("  "), &current) {
            (Some(more), Some(key)) => {
                let value = fields.entry(String::clone(key)).or_default();
                value.push_str(more.trim());
            }
            _ => {
                let (key, value) = line.split_once(':')?;
                let value = value.trim().trim_matches('"');
                let value = if value == "|-" { "" } else { value };
                fields.insert(key.trim().to_owned(), value.to_owned());
                current = Some(key.trim().to_owned());
            }
        }
    }
    Some(fields)
}

/// What is wrong with the page documenting `block` at `path`.
fn page_problems(path: &Path, block: &Value, required_matter: &[&str]) -> Vec<String> {
    let shown = path
        .strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string();
    let Ok(page) = std::fs::read_to_string(path) else {
        return vec![format!("{shown}: missing")];
    };
    let mut problems = Vec::new();
    match front_matter(&page) {
        None => problems.push(format!("{shown}: no front matter")),
        Some(fields) => {
            for key in required_matter {
                if fields.get(*key).is_none_or(|v| v.is_empty()) {
                    problems.push(format!("{shown}: front matter lacks `{key}`"));
                }
            }
        }
    }
    let mut all = Vec::new();
    names(block, "", &mut all);
    for (dotted, name) in all {
        if !page.contains(&format!("`{name}`")) {
            problems.push(format!("{shown}: `{dotted}` is not documented"));
        }
    }
    problems
}

#[test]
fn every_page_has_front_matter_and_documents_every_attribute() -> Result<()> {
    let schema = schema()?;
    let mut problems = Vec::new();
    for (kind, name, block) in types(&schema)? {
        let short = name.trim_start_matches("roundrobin_");
        let path = repo().join("docs").join(kind).join(format!("{short}.md"));
        problems.extend(page_problems(
            &path,
            &block,
            &["page_title", "subcategory", "description"],
        ));
    }
    problems.extend(page_problems(
        &repo().join("docs/index.md"),
        &schema["provider"]["block"],
        &["page_title", "description"],
    ));
    ensure!(problems.is_empty(), "docs:\n{}", problems.join("\n"));
    Ok(())
}

/// The example files every type needs, by the registry's layout.
fn example_files(kind: &str, name: &str) -> Vec<PathBuf> {
    let dir = repo().join("examples").join(kind).join(name);
    match kind {
        "resources" => vec![dir.join("resource.tf"), dir.join("import.sh")],
        _ => vec![dir.join("data-source.tf")],
    }
}

/// `terraform validate` of the example directory `dir`, with the provider
/// block of examples/provider beside its files.
fn validate(dir: &Path) -> Result<()> {
    let workspace = Workspace::with_provider_dir(NO_ENDPOINT, &provider_dir()?)?;
    workspace.copy_config_from(dir)?;
    let provider = repo().join("examples/provider/provider.tf");
    if !dir.join("provider.tf").is_file() {
        workspace.write_file("provider.tf", &std::fs::read_to_string(provider)?)?;
    }
    let output = workspace.run(&["validate", "-no-color"])?;
    if !output.success() {
        bail!("{}: terraform validate failed:\n{output}", dir.display());
    }
    Ok(())
}

/// The `TYPE.NAME` that import.sh imports into must be declared in resource.tf.
fn import_problems(name: &str) -> Result<Vec<String>> {
    let dir = repo().join("examples/resources").join(name);
    let script = std::fs::read_to_string(dir.join("import.sh"))?;
    let config = std::fs::read_to_string(dir.join("resource.tf"))?;
    let mut problems = Vec::new();
    let imports: Vec<&str> = script
        .lines()
        .filter_map(|line| line.trim().strip_prefix("terraform import "))
        .collect();
    if imports.is_empty() {
        problems.push(format!("{name}/import.sh imports nothing"));
    }
    for import in imports {
        let address = import.split_whitespace().next().unwrap_or_default();
        let declared = address.split_once('.').is_some_and(|(ty, label)| {
            ty == name && config.contains(&format!("resource \"{ty}\" \"{label}\""))
        });
        if !declared {
            problems.push(format!(
                "{name}/import.sh imports into {address}, which resource.tf does not declare"
            ));
        }
    }
    Ok(problems)
}

#[test]
fn every_type_has_registry_examples_and_every_example_validates() -> Result<()> {
    let schema = schema()?;
    let mut problems = Vec::new();
    let mut dirs = vec![repo().join("examples/provider")];
    for (kind, name, _) in types(&schema)? {
        for file in example_files(kind, &name) {
            if !file.is_file() {
                problems.push(format!("{} is missing", file.display()));
            }
        }
        if kind == "resources" && repo().join("examples/resources").join(&name).is_dir() {
            problems.extend(import_problems(&name)?);
        }
        dirs.push(repo().join("examples").join(kind).join(&name));
    }
    // No example of a type the provider does not have.
    for kind in ["resources", "data-sources"] {
        for entry in std::fs::read_dir(repo().join("examples").join(kind))? {
            let path = entry?.path();
            if !dirs.contains(&path) {
                problems.push(format!("{} is no type of the provider", path.display()));
            }
        }
    }
    ensure!(problems.is_empty(), "examples:\n{}", problems.join("\n"));
    for dir in dirs {
        validate(&dir)?;
    }
    Ok(())
}
