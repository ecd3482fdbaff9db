//! Installing as from the public registry: the packaged provider, its
//! SHA256SUMS signed with a GPG key made here, served by the provider
//! registry protocol over HTTPS on loopback (a test CA; a CLI `host` block
//! sends `registry.terraform.io`'s provider service there). A plain
//! `terraform init` checks the signature and records both the `h1:` hash of
//! the package and the `zh:` hashes of the signed checksums; `terraform
//! providers lock` agrees; checksums signed by another key are refused; and
//! `terraform providers mirror` writes the layout the network mirror of
//! `network_mirror` serves. No moto.

use anyhow::{Context, Result, ensure};
use e2e::dist::{self, Platform, Release};
use e2e::provider_binary::PROVIDER_SOURCE;
use e2e::provider_mirror::registry::{RegistryRelease, registry_cli_config, registry_layout};
use e2e::provider_mirror::{MirrorLayout, MirrorServer, TestCa, TestSigningKey};
use e2e::{Output, Workspace};

/// Never contacted: `terraform init` makes no AWS call.
const NO_ENDPOINT: &str = "http://127.0.0.1:9";

fn config() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    roundrobin = {{\n      source  = \"roundrobin/roundrobin\"\n      version = \"= {}\"\n    }}\n  }}\n}}\n",
        dist::VERSION
    )
}

fn file_name(path: &std::path::Path) -> Result<String> {
    Ok(path
        .file_name()
        .context("a file name")?
        .to_string_lossy()
        .into_owned())
}

/// The release's checksums signed by `signer`, announced with `announced`'s
/// public key.
fn registry_release(
    release: &Release,
    signer: &TestSigningKey,
    announced: &TestSigningKey,
) -> Result<RegistryRelease> {
    let scratch = tempfile::tempdir()?;
    let signature = scratch.path().join("SHA256SUMS.sig");
    dist::sign(
        &release.sums,
        &signature,
        signer.fingerprint(),
        Some(signer.home()),
    )?;
    let zip = std::fs::read(&release.provider_zip)?;
    Ok(RegistryRelease {
        namespace: "roundrobin".into(),
        type_name: "roundrobin".into(),
        version: dist::VERSION.into(),
        platform: Platform::host()?.to_string(),
        zip_name: file_name(&release.provider_zip)?,
        zip_sha256: dist::sha256_hex(&zip),
        zip,
        sums_name: file_name(&release.sums)?,
        sums: std::fs::read(&release.sums)?,
        signature: std::fs::read(&signature)?,
        key_id: announced.key_id().to_owned(),
        public_key: announced.public_key()?,
    })
}

/// A registry on loopback serving `release`, and a workspace whose terraform
/// installs from it.
fn serve(release: &RegistryRelease, ca: &TestCa) -> Result<(MirrorServer, Workspace)> {
    let server = MirrorServer::start(MirrorLayout::default(), ca)?;
    server.set_layout(registry_layout(&server.url(), release));
    let hostname = PROVIDER_SOURCE.split('/').next().context("a hostname")?;
    let mut workspace =
        Workspace::with_cli_config(NO_ENDPOINT, &registry_cli_config(hostname, &server.url()))?;
    let ca_file = workspace.path().join("test-ca.pem");
    std::fs::write(&ca_file, ca.ca_pem())?;
    workspace.set_env("SSL_CERT_FILE", &ca_file.to_string_lossy());
    workspace.remove_env("SSL_CERT_DIR");
    workspace.write_config(&config())?;
    Ok((server, workspace))
}

fn init(workspace: &Workspace) -> Result<Output> {
    Ok(workspace.run(&["init", "-no-color", "-input=false"])?)
}

/// The lock file's hashes for our provider, sorted.
fn locked_hashes(workspace: &Workspace) -> Result<Vec<String>> {
    let lock = std::fs::read_to_string(workspace.path().join(".terraform.lock.hcl"))
        .context("reading .terraform.lock.hcl")?;
    let mut hashes: Vec<String> = lock
        .lines()
        .map(|line| line.trim().trim_end_matches(',').trim_matches('"'))
        .filter(|line| line.starts_with("h1:") || line.starts_with("zh:"))
        .map(str::to_owned)
        .collect();
    hashes.sort();
    Ok(hashes)
}

#[test]
fn init_checks_the_signature_and_locks_the_signed_checksums() -> Result<()> {
    let (_, release) = crate::packaged::release()?;
    let key = TestSigningKey::new()?;
    let ca = TestCa::new()?;
    let (server, workspace) = serve(&registry_release(release, &key, &key)?, &ca)?;

    let output = init(&workspace)?;
    ensure!(
        output.success(),
        "terraform init failed:\n{output}\nrequests: {:#?}",
        server.requests()
    );
    ensure!(
        output.stdout.contains("self-signed") && output.stdout.contains(key.key_id()),
        "init did not report the signature by our key {}:\n{output}",
        key.key_id()
    );

    // The package's h1, and the zh of every file the signed checksums list:
    // this platform's zip and the manifest (as for a provider on the public
    // registry), nothing of baker's.
    let hashes = locked_hashes(&workspace)?;
    let manifest = format!(
        "zh:{}",
        dist::sha256_hex(&std::fs::read(&release.manifest)?)
    );
    let mut expected = vec![
        release.package_hash.clone(),
        release.zip_hash.clone(),
        manifest,
    ];
    expected.sort();
    ensure!(
        hashes == expected,
        "the lock file holds {hashes:?}, expected {expected:?}"
    );

    // `providers lock` asks the same registry and writes the same hashes.
    let (_second_server, fresh) = serve(&registry_release(release, &key, &key)?, &ca)?;
    let platform = Platform::host()?;
    let lock = fresh.run(&[
        "providers",
        "lock",
        "-no-color",
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

#[test]
fn checksums_signed_by_another_key_are_refused() -> Result<()> {
    let (_, release) = crate::packaged::release()?;
    let signer = TestSigningKey::new()?;
    let announced = TestSigningKey::new()?;
    let ca = TestCa::new()?;
    let (_server, workspace) = serve(&registry_release(release, &signer, &announced)?, &ca)?;

    let output = init(&workspace)?;
    eprintln!("terraform init with checksums signed by another key:\n{output}");
    ensure!(
        !output.success(),
        "init accepted a foreign signature:\n{output}"
    );
    ensure!(
        output.combined().contains("signature"),
        "init failed for another reason than the signature:\n{output}"
    );
    Ok(())
}

/// Every file under `dir`, by path relative to it.
fn files_under(dir: &std::path::Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir)?.to_string_lossy().into_owned();
                found.push(relative);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// `terraform providers mirror` (which always downloads from the origin
/// registry) writes the layout the network mirror of `network_mirror`
/// serves: the same paths, the zip unchanged.
#[test]
fn terraform_providers_mirror_writes_the_network_mirrors_layout() -> Result<()> {
    let (_, release) = crate::packaged::release()?;
    let zip = std::fs::read(&release.provider_zip)?;
    let key = TestSigningKey::new()?;
    let ca = TestCa::new()?;
    let (_server, workspace) = serve(&registry_release(release, &key, &key)?, &ca)?;
    let platform = Platform::host()?;

    let copy = workspace.path().join("copy");
    let output = workspace.run(&[
        "providers",
        "mirror",
        "-no-color",
        &format!("-platform={platform}"),
        &copy.to_string_lossy(),
    ])?;
    ensure!(
        output.success(),
        "terraform providers mirror failed:\n{output}"
    );

    // The paths the network mirror serves (see MirrorLayout), the zip
    // unchanged, and the version document naming it by the same relative URL.
    let zip_name = dist::provider_zip_name(dist::VERSION, &platform);
    let expected: Vec<String> = [
        format!("{PROVIDER_SOURCE}/{}.json", dist::VERSION),
        format!("{PROVIDER_SOURCE}/index.json"),
        format!("{PROVIDER_SOURCE}/{zip_name}"),
    ]
    .into_iter()
    .collect();
    let mut expected = expected;
    expected.sort();
    let written = files_under(&copy)?;
    ensure!(
        written == expected,
        "providers mirror wrote {written:?}, the mirror serves {expected:?}"
    );
    ensure!(
        std::fs::read(copy.join(PROVIDER_SOURCE).join(&zip_name))? == zip,
        "providers mirror changed the zip"
    );
    let version: serde_json::Value = serde_json::from_slice(&std::fs::read(
        copy.join(PROVIDER_SOURCE)
            .join(format!("{}.json", dist::VERSION)),
    )?)?;
    ensure!(
        version.pointer(&format!("/archives/{platform}/url")) == Some(&serde_json::json!(zip_name)),
        "providers mirror's {}.json: {version}",
        dist::VERSION
    );
    Ok(())
}
