//! Packaging one platform's binaries into the release directory, then the
//! checksums, the manifest and (with a key) the signature over every archive
//! of the version found there.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{
    BAKER, DistError, Platform, baker_archive_name, manifest, manifest_name, package_hash,
    provider_binary_name, provider_zip_name, sums_file, sums_name, tarball, zip, zip_hash,
};

/// What to package.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The built provider binary (release for `make dist`, debug in tests).
    pub provider: PathBuf,
    /// The built baker binary; `None` packages the provider alone.
    pub baker: Option<PathBuf>,
    pub platform: Platform,
    pub version: String,
    /// The release directory; created when missing.
    pub out: PathBuf,
    /// A GPG key id to sign the checksums with.
    pub gpg_key: Option<String>,
}

/// The files written, and the hashes Terraform will know the provider by.
#[derive(Debug, Clone)]
pub struct Release {
    pub provider_zip: PathBuf,
    /// `zh:` hash of the zip archive.
    pub zip_hash: String,
    /// `h1:` hash of the archive's contents.
    pub package_hash: String,
    pub baker_archive: Option<PathBuf>,
    pub manifest: PathBuf,
    pub sums: PathBuf,
    pub signature: Option<PathBuf>,
}

/// Packages `inputs` and (re)writes the version's checksums and signature.
pub fn package(inputs: &Inputs) -> Result<Release, DistError> {
    let version = &inputs.version;
    std::fs::create_dir_all(&inputs.out)
        .map_err(|e| DistError::io(format!("creating {}", inputs.out.display()), e))?;

    check_version(&inputs.provider, version)?;
    let binary = read(&inputs.provider)?;
    let inner_name = provider_binary_name(version);
    let archive = zip::single_executable(&inner_name, &binary)?;
    let provider_zip = inputs
        .out
        .join(provider_zip_name(version, &inputs.platform));
    write(&provider_zip, &archive)?;
    let zip_hash = zip_hash(&archive);
    let package_hash = package_hash([(inner_name.as_str(), binary.as_slice())]);
    drop((binary, archive));

    let baker_archive = match &inputs.baker {
        Some(baker) => {
            check_version(baker, version)?;
            let archive = tarball::single_executable(BAKER, &read(baker)?)?;
            let path = inputs
                .out
                .join(baker_archive_name(version, &inputs.platform));
            write(&path, &archive)?;
            Some(path)
        }
        None => None,
    };

    let manifest_path = inputs.out.join(manifest_name(version));
    write(&manifest_path, manifest().as_bytes())?;

    let sums = inputs.out.join(sums_name(version));
    let mut files = Vec::new();
    for name in release_files(&inputs.out, version)? {
        let contents = read(&inputs.out.join(&name))?;
        files.push((name, contents));
    }
    let text = sums_file(files.iter().map(|(n, c)| (n.as_str(), c.as_slice())));
    write(&sums, text.as_bytes())?;

    let signature_path = signature_path(&sums);
    let signature = match &inputs.gpg_key {
        Some(key) => {
            sign(&sums, &signature_path, key)?;
            Some(signature_path)
        }
        None => {
            // A signature of earlier checksums would no longer match.
            remove_if_present(&signature_path)?;
            None
        }
    };

    Ok(Release {
        provider_zip,
        zip_hash,
        package_hash,
        baker_archive,
        manifest: manifest_path,
        sums,
        signature,
    })
}

/// `binary --version` must print `version` as its last word.
fn check_version(binary: &Path, version: &str) -> Result<(), DistError> {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|e| DistError::io(format!("running {} --version", binary.display()), e))?;
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let said = printed.split_whitespace().last();
    if output.status.success() && said == Some(version) {
        Ok(())
    } else {
        Err(DistError::VersionMismatch {
            binary: binary.to_owned(),
            printed,
            expected: version.to_owned(),
        })
    }
}

/// The archives of `version` and its manifest in `dir`, by name.
fn release_files(dir: &Path, version: &str) -> Result<Vec<String>, DistError> {
    let context = || format!("listing {}", dir.display());
    let provider_prefix = format!("{}_{version}_", super::PROVIDER);
    let baker_prefix = format!("{BAKER}_{version}_");
    let manifest = manifest_name(version);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DistError::io(context(), e))? {
        let entry = entry.map_err(|e| DistError::io(context(), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_release_file = (name.starts_with(&provider_prefix) && name.ends_with(".zip"))
            || (name.starts_with(&baker_prefix) && name.ends_with(".tar.gz"))
            || name == manifest;
        if is_release_file {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn signature_path(sums: &Path) -> PathBuf {
    let mut name = sums.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// A detached binary signature, the form the registry verifies.
fn sign(file: &Path, signature: &Path, key: &str) -> Result<(), DistError> {
    let failed = |detail: String| DistError::Signing {
        file: file.to_owned(),
        key: key.to_owned(),
        detail,
    };
    let output = Command::new("gpg")
        .args(["--batch", "--yes", "--local-user", key, "--output"])
        .arg(signature)
        .arg("--detach-sign")
        .arg(file)
        .output()
        .map_err(|e| failed(format!("could not run gpg: {e}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(failed(String::from_utf8_lossy(&output.stderr).into_owned()))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, DistError> {
    std::fs::read(path).map_err(|e| DistError::io(format!("reading {}", path.display()), e))
}

fn write(path: &Path, contents: &[u8]) -> Result<(), DistError> {
    std::fs::write(path, contents)
        .map_err(|e| DistError::io(format!("writing {}", path.display()), e))
}

fn remove_if_present(path: &Path) -> Result<(), DistError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(DistError::io(format!("removing {}", path.display()), e))
        }
        _ => Ok(()),
    }
}
