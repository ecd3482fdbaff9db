//! The application's pipelines (.travis.yml and the GitHub Actions workflow)
//! are valid YAML and use only our tools, Node.js and Terraform: baker bakes,
//! terraform rolls out, nothing calls Packer. They install released binaries
//! by version, checked against the release's checksums, and compile nothing.
//! The release workflow packages every platform with `make dist`.

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
    for needed in [
        "baker build",
        "terraform apply",
        ".ci/install-release.sh \"$ROUNDROBIN_VERSION\"",
        "npm test",
    ] {
        ensure!(text.contains(needed), "{path} never runs `{needed}`");
    }
    for compiles in ["make install", "cargo ", "rustup"] {
        ensure!(
            !text.contains(compiles),
            "{path} builds from source (`{compiles}`) instead of installing a release"
        );
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

#[test]
fn the_install_script_checks_the_release_checksums_before_unpacking() -> Result<()> {
    let script = std::fs::read_to_string(repo().join(".ci/install-release.sh"))?;
    let check = script
        .find("sha256sum -c")
        .context("install-release.sh never runs sha256sum -c")?;
    let unpack = script
        .find("tar -xzf")
        .context("install-release.sh never unpacks baker")?;
    ensure!(
        check < unpack,
        "baker is unpacked before its checksum is checked"
    );
    ensure!(
        script.contains("gpg --batch --verify"),
        "no signature check"
    );
    let syntax = Command::new("sh")
        .arg("-n")
        .arg(repo().join(".ci/install-release.sh"))
        .output()?;
    ensure!(
        syntax.status.success(),
        "install-release.sh: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    Ok(())
}

#[test]
fn the_release_workflow_packages_every_platform_with_make_dist() -> Result<()> {
    let path = ".github/workflows/release.yml";
    let workflow = load_yaml(path)?;
    // YAML 1.1 reads the key `on` as true.
    let trigger = workflow.get("on").or_else(|| workflow.get("true"));
    let tags = trigger
        .and_then(|on| on.pointer("/push/tags"))
        .context("release.yml is not triggered by pushed tags")?;
    ensure!(tags == &serde_json::json!(["v*"]), "tags: {tags}");

    let matrix = workflow
        .pointer("/jobs/build/strategy/matrix/include")
        .and_then(|m| m.as_array())
        .context("release.yml has no build matrix")?;
    let mut platforms: Vec<&str> = matrix
        .iter()
        .filter_map(|entry| entry.get("platform").and_then(|p| p.as_str()))
        .collect();
    platforms.sort();
    let mut released = e2e::dist::RELEASED.to_vec();
    released.sort();
    ensure!(
        platforms == released,
        "the matrix builds {platforms:?}, the release declares {released:?}"
    );

    let mut lines = Vec::new();
    commands(&workflow, &mut lines);
    let text = lines.join("\n");
    for needed in [
        "make dist DIST_PROFILE=dist",
        "sha256sum -c",
        "--detach-sign",
        "gh release create",
    ] {
        ensure!(text.contains(needed), "{path} never runs `{needed}`");
    }
    Ok(())
}
