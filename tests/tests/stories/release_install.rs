//! The pipelines' install step: `.ci/install-release.sh VERSION` fetches a
//! release (here from a `file://` directory laid out as GitHub's release
//! downloads are), checks it against its SHA256SUMS, installs baker and puts
//! the provider's zip where a plain `terraform init` finds it; a release whose
//! archive does not match its checksum installs nothing. No moto.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, ensure};
use e2e::Workspace;
use e2e::dist::{self, Release};
use e2e::provider_binary::PROVIDER_SOURCE;

/// Never contacted: `terraform init` makes no AWS call.
const NO_ENDPOINT: &str = "http://127.0.0.1:9";

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `releases/vVERSION/` holding the release's files.
fn publish(release: &Release, releases: &Path) -> Result<()> {
    let dir = releases.join(format!("v{}", dist::VERSION));
    std::fs::create_dir_all(&dir)?;
    let baker = release
        .baker_archive
        .as_ref()
        .context("baker was packaged")?;
    let baker_sums = release.baker_sums.as_ref().context("baker's checksums")?;
    for file in [
        &release.provider_zip,
        baker,
        &release.manifest,
        &release.sums,
        baker_sums,
    ] {
        let name = file.file_name().context("a file name")?;
        std::fs::copy(file, dir.join(name))?;
    }
    Ok(())
}

/// Runs the install script with `home` as HOME.
fn install(releases: &Path, home: &Path) -> Result<std::process::Output> {
    Ok(Command::new("sh")
        .arg(repo().join(".ci/install-release.sh"))
        .arg(dist::VERSION)
        .env("HOME", home)
        .env_remove("BIN_DIR")
        .env_remove("ROUNDROBIN_RELEASE_KEY")
        .env(
            "ROUNDROBIN_RELEASES",
            format!("file://{}", releases.display()),
        )
        .output()?)
}

#[test]
fn the_install_script_installs_a_checked_release_that_terraform_init_finds() -> Result<()> {
    let (_, release) = crate::packaged::release()?;
    let scratch = tempfile::tempdir()?;
    let releases = scratch.path().join("releases");
    publish(release, &releases)?;
    let home = scratch.path().join("home");

    let output = install(&releases, &home)?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    ensure!(
        output.status.success(),
        "install-release.sh failed:\n{printed}"
    );
    ensure!(
        printed.contains(&format!("baker {}", dist::VERSION)),
        "the installed baker does not say its version:\n{printed}"
    );

    // A plain init, with no CLI configuration: Terraform's implied local
    // mirror under ~/.terraform.d/plugins has the provider.
    let mut workspace = Workspace::with_cli_config(NO_ENDPOINT, "")?;
    workspace.set_env("HOME", &home.to_string_lossy());
    workspace.write_config(&format!(
        "terraform {{\n  required_providers {{\n    roundrobin = {{\n      source  = \"roundrobin/roundrobin\"\n      version = \"= {}\"\n    }}\n  }}\n}}\n",
        dist::VERSION
    ))?;
    let init = workspace.run(&["init", "-no-color", "-input=false"])?;
    ensure!(init.success(), "terraform init failed:\n{init}");
    let lock = std::fs::read_to_string(workspace.path().join(".terraform.lock.hcl"))?;
    ensure!(
        lock.contains(&format!("provider \"{PROVIDER_SOURCE}\""))
            && lock.contains(&release.package_hash),
        "the lock file does not hold {}:\n{lock}",
        release.package_hash
    );
    Ok(())
}

#[test]
fn a_release_that_does_not_match_its_checksums_installs_nothing() -> Result<()> {
    let (_, release) = crate::packaged::release()?;
    let scratch = tempfile::tempdir()?;
    let releases = scratch.path().join("releases");
    publish(release, &releases)?;
    let baker = releases
        .join(format!("v{}", dist::VERSION))
        .join(dist::baker_archive_name(
            dist::VERSION,
            &dist::Platform::host()?,
        ));
    let mut bytes = std::fs::read(&baker)?;
    bytes.extend_from_slice(b"appended");
    std::fs::write(&baker, bytes)?;
    let home = scratch.path().join("home");

    let output = install(&releases, &home)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        !output.status.success(),
        "a tampered release installed:\n{stdout}"
    );
    ensure!(
        stdout.contains("FAILED"),
        "sha256sum did not name the mismatch:\n{stdout}"
    );
    ensure!(
        !home.join(".local/bin/baker").exists(),
        "baker was installed"
    );
    ensure!(
        !home.join(".terraform.d").exists(),
        "the provider was installed"
    );
    Ok(())
}
