//! Installing like a real provider: the debug provider packaged by the same
//! code as `make dist`, served as a provider network mirror over HTTPS on
//! loopback (a CA made here, trusted through `SSL_CERT_FILE`), is installed
//! by a plain `terraform init`; the lock file records its hashes and
//! `terraform providers lock -net-mirror` agrees; a tampered archive is
//! refused. No moto: nothing here calls AWS.

use anyhow::{Context, Result, ensure};
use e2e::dist::{self, Platform, Release};
use e2e::provider_binary::PROVIDER_SOURCE;
use e2e::provider_mirror::{Archive, MirrorLayout, MirrorServer, TestCa};
use e2e::{Output, Workspace};

/// Never contacted: `terraform init` and `validate` make no AWS call.
const NO_ENDPOINT: &str = "http://127.0.0.1:9";

fn config() -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    roundrobin = {{
      source  = "roundrobin/roundrobin"
      version = "= {}"
    }}
  }}
}}

provider "roundrobin" {{
  region = "us-east-1"
}}
"#,
        dist::VERSION
    )
}

/// Terraform installs from the mirror and nowhere else.
fn mirror_cli_config(url: &str) -> String {
    format!("provider_installation {{\n  network_mirror {{\n    url = \"{url}\"\n  }}\n}}\n")
}

/// The packaged provider (see `packaged`).
fn package() -> Result<&'static Release> {
    Ok(&crate::packaged::release()?.1)
}

/// The release's zip, served as `bytes`, listed with its true `zh:` hash
/// when `with_hashes`.
fn mirror_of(release: &Release, bytes: Vec<u8>, with_hashes: bool) -> Result<MirrorLayout> {
    let file_name = release
        .provider_zip
        .file_name()
        .context("the zip has a name")?
        .to_string_lossy()
        .into_owned();
    let archive = Archive {
        version: dist::VERSION.to_owned(),
        platform: Platform::host()?.to_string(),
        file_name,
        bytes,
        hashes: if with_hashes {
            vec![release.zip_hash.clone()]
        } else {
            Vec::new()
        },
    };
    Ok(MirrorLayout::new(PROVIDER_SOURCE, &[archive]))
}

/// A workspace whose terraform installs from `mirror` and trusts `ca`.
fn workspace(mirror: &MirrorServer, ca: &TestCa) -> Result<Workspace> {
    let mut workspace = Workspace::with_cli_config(NO_ENDPOINT, &mirror_cli_config(&mirror.url()))?;
    let ca_file = workspace.path().join("test-ca.pem");
    std::fs::write(&ca_file, ca.ca_pem())?;
    workspace.set_env("SSL_CERT_FILE", &ca_file.to_string_lossy());
    workspace.remove_env("SSL_CERT_DIR");
    workspace.write_config(&config())?;
    Ok(workspace)
}

/// The hashes of the lock file's one provider entry, sorted.
fn locked_hashes(workspace: &Workspace) -> Result<Vec<String>> {
    let lock = std::fs::read_to_string(workspace.path().join(".terraform.lock.hcl"))
        .context("reading .terraform.lock.hcl")?;
    ensure!(
        lock.contains(&format!("provider \"{PROVIDER_SOURCE}\""))
            && lock.contains(&format!("version     = \"{}\"", dist::VERSION)),
        "the lock file does not pin {PROVIDER_SOURCE} {}:\n{lock}",
        dist::VERSION
    );
    let mut hashes: Vec<String> = lock
        .lines()
        .map(|line| line.trim().trim_end_matches(',').trim_matches('"'))
        .filter(|line| line.starts_with("h1:") || line.starts_with("zh:"))
        .map(str::to_owned)
        .collect();
    hashes.sort();
    Ok(hashes)
}

fn init(workspace: &Workspace) -> Result<Output> {
    Ok(workspace.run(&["init", "-no-color", "-input=false"])?)
}

#[test]
fn a_plain_init_installs_the_packaged_provider_from_a_network_mirror() -> Result<()> {
    let release = package()?;
    let zip = std::fs::read(&release.provider_zip)?;
    let ca = TestCa::new()?;
    let mirror = MirrorServer::start(mirror_of(release, zip, true)?, &ca)?;

    let workspace = workspace(&mirror, &ca)?;
    let output = init(&workspace)?;
    ensure!(output.success(), "terraform init failed:\n{output}");
    ensure!(
        output.stdout.contains(&format!(
            "Installing roundrobin/roundrobin v{}",
            dist::VERSION
        )),
        "init did not install from the mirror:\n{output}\nrequests: {:#?}",
        mirror.requests()
    );
    let platform = Platform::host()?;
    let installed = workspace.path().join(format!(
        ".terraform/providers/{PROVIDER_SOURCE}/{}/{platform}/{}",
        dist::VERSION,
        dist::provider_binary_name(dist::VERSION)
    ));
    ensure!(installed.is_file(), "{} is missing", installed.display());

    // The lock file knows the package by the hash of its contents, the one
    // computed at packaging time. (Terraform adds the `zh:` hashes a source
    // lists only when that source's checksums are signed, as a registry's
    // are; a network mirror's are not, so its `zh:` served only to check
    // the download.)
    let hashes = locked_hashes(&workspace)?;
    ensure!(
        hashes == [release.package_hash.clone()],
        "the lock file holds {hashes:?}, expected {} (h1 of the packaged binary)",
        release.package_hash
    );

    // The installed provider runs: validate loads its schema and checks the
    // provider block, with no dev_overrides anywhere.
    let validate = workspace.run(&["validate", "-no-color"])?;
    ensure!(validate.success(), "validate failed:\n{validate}");

    // `providers lock` from the mirror alone, in a workspace that never
    // installed anything, writes the same hashes.
    let fresh = self::workspace(&mirror, &ca)?;
    let lock = fresh.run(&[
        "providers",
        "lock",
        "-no-color",
        &format!("-net-mirror={}", mirror.url()),
        &format!("-platform={platform}"),
    ])?;
    ensure!(lock.success(), "terraform providers lock failed:\n{lock}");
    let fresh_hashes = locked_hashes(&fresh)?;
    ensure!(
        fresh_hashes == hashes,
        "providers lock wrote {fresh_hashes:?}, init wrote {hashes:?}"
    );
    Ok(())
}

/// One byte of the compressed binary changed.
fn tampered(mut zip: Vec<u8>) -> Vec<u8> {
    let middle = zip.len() / 2;
    if let Some(byte) = zip.get_mut(middle) {
        *byte ^= 0xff;
    }
    zip
}

#[test]
fn a_tampered_archive_is_refused_against_the_mirrors_checksum() -> Result<()> {
    let release = package()?;
    let zip = tampered(std::fs::read(&release.provider_zip)?);
    let ca = TestCa::new()?;
    let mirror = MirrorServer::start(mirror_of(release, zip, true)?, &ca)?;

    let workspace = workspace(&mirror, &ca)?;
    let output = init(&workspace)?;
    eprintln!("terraform init with a tampered archive:\n{output}");
    ensure!(
        !output.success(),
        "init accepted a tampered archive:\n{output}"
    );
    ensure!(
        output.stderr.contains("checksum") || output.stderr.contains("doesn't match"),
        "init failed for another reason than the checksum:\n{output}"
    );
    ensure!(
        !workspace
            .path()
            .join(".terraform/providers")
            .join(PROVIDER_SOURCE)
            .exists(),
        "the tampered provider was unpacked"
    );
    Ok(())
}

#[test]
fn a_tampered_archive_is_refused_against_the_lock_file() -> Result<()> {
    let release = package()?;
    let zip = std::fs::read(&release.provider_zip)?;
    let ca = TestCa::new()?;

    // A first init from the true archive writes the lock file.
    let honest = MirrorServer::start(mirror_of(release, zip, true)?, &ca)?;
    let workspace = workspace(&honest, &ca)?;
    let first = init(&workspace)?;
    ensure!(first.success(), "terraform init failed:\n{first}");
    drop(honest);

    // Later, a mirror that lists no hashes serves another package under the
    // same name, a well-formed zip: only the lock file stands between it and
    // the machine.
    std::fs::remove_dir_all(workspace.path().join(".terraform"))?;
    let forged_zip = dist::zip::single_executable(
        &dist::provider_binary_name(dist::VERSION),
        b"#!/bin/sh\necho forged\n",
    )?;
    let forged = MirrorServer::start(mirror_of(release, forged_zip, false)?, &ca)?;
    workspace.write_file("terraform.rc", &mirror_cli_config(&forged.url()))?;
    let output = init(&workspace)?;
    eprintln!("terraform init with a tampered archive and a lock file:\n{output}");
    ensure!(
        !output.success(),
        "init accepted a tampered archive:\n{output}"
    );
    ensure!(
        output
            .stderr
            .contains("checksums previously recorded in the dependency lock file")
            || output.stderr.contains("checksum"),
        "init failed for another reason than the lock file's checksums:\n{output}"
    );
    Ok(())
}
