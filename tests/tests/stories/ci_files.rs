//! The application's pipelines (.travis.yml and the GitHub Actions workflow)
//! are valid YAML and use only our tools, Node.js and Terraform: baker bakes,
//! terraform rolls out, nothing calls Packer.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, ensure};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The YAML file as JSON, parsed by PyYAML (installed with moto).
fn load_yaml(path: &str) -> Result<serde_json::Value> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = Command::new(python)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(repo().join(path))
        .output()
        .context("running python3 to parse YAML")?;
    ensure!(
        out.status.success(),
        "{path} is not valid YAML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// Every shell line the pipeline runs.
fn commands(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| commands(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| commands(v, out)),
        _ => {}
    }
}

fn check_pipeline(path: &str) -> Result<()> {
    let pipeline = load_yaml(path)?;
    let mut lines = Vec::new();
    commands(&pipeline, &mut lines);
    let text = lines.join("\n");
    for needed in ["baker build", "terraform apply", "make install", "npm test"] {
        ensure!(text.contains(needed), "{path} never runs `{needed}`");
    }
    ensure!(
        !text.to_lowercase().contains("packer"),
        "{path} still uses Packer"
    );
    ensure!(
        !text.contains("AKIA"),
        "{path} holds what looks like an access key"
    );
    Ok(())
}

#[test]
fn the_travis_pipeline_bakes_with_baker_and_rolls_out_with_terraform() -> Result<()> {
    check_pipeline(".travis.yml")
}

#[test]
fn the_github_workflow_does_the_same() -> Result<()> {
    check_pipeline(".github/workflows/deploy.yml")
}
