//! Packaging one platform's binaries into the release directory, then the
//! checksums, the manifest and (with a key) the signature over every archive
//! of the version found there.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{
    BAKER, DistError, Platform, baker_archive_name, baker_sums_name, manifest, manifest_name,
    package_hash, provider_binary_name, provider_zip_name, sums_file, sums_name, tarball, zip,
    zip_hash,
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
    /// The GnuPG home holding that key; `None` leaves gpg its default.
    pub gpg_home: Option<PathBuf>,
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
    /// The provider's checksums: its zip archives and the manifest.
    pub sums: PathBuf,
    pub signature: Option<PathBuf>,
    /// baker's checksums, when baker archives were packaged.
    pub baker_sums: Option<PathBuf>,
    pub baker_signature: Option<PathBuf>,
}

/// Packages `inputs` and (re)writes the version's checksums and signatures,
/// over every archive of the version in the directory.
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

    // The provider's checksums list only what Terraform may install: every
    // line of a signed checksums file becomes a `zh:` hash in the users'
    // lock files. baker's archives have checksums of their own.
    let provider_prefix = format!("{}_{version}_", super::PROVIDER);
    let provider_files = release_files(&inputs.out, |name| {
        name.starts_with(&provider_prefix)
            && (name.ends_with(".zip") || name == manifest_name(version))
    })?;
    let sums = inputs.out.join(sums_name(version));
    let signature = write_sums(inputs, &sums, &provider_files)?;

    let baker_prefix = format!("{BAKER}_{version}_");
    let baker_files = release_files(&inputs.out, |name| {
        name.starts_with(&baker_prefix) && name.ends_with(".tar.gz")
    })?;
    let (baker_sums, baker_signature) = if baker_files.is_empty() {
        (None, None)
    } else {
        let path = inputs.out.join(baker_sums_name(version));
        let signature = write_sums(inputs, &path, &baker_files)?;
        (Some(path), signature)
    };

    Ok(Release {
        provider_zip,
        zip_hash,
        package_hash,
        baker_archive,
        manifest: manifest_path,
        sums,
        signature,
        baker_sums,
        baker_signature,
    })
}

/// Writes the checksums of `names` (files in the release directory) to
/// `path` and, with a key, signs them; returns the signature's path.
fn write_sums(
    inputs: &Inputs,
    path: &Path,
    names: &[String],
) -> Result<Option<PathBuf>, DistError> {
    let mut files = Vec::new();
    for name in names {
        files.push((name.as_str(), read(&inputs.out.join(name))?));
    }
    let text = sums_file(files.iter().map(|(n, c)| (*n, c.as_slice())));
    write(path, text.as_bytes())?;

    let signature = signature_path(path);
    match &inputs.gpg_key {
        Some(key) => {
            sign(path, &signature, key, inputs.gpg_home.as_deref())?;
            Ok(Some(signature))
        }
        None => {
            // A signature of earlier checksums would no longer match.
            remove_if_present(&signature)?;
            Ok(None)
        }
    }
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

/// The names of the files in `dir` that `wanted` picks, sorted.
fn release_files(dir: &Path, wanted: impl Fn(&str) -> bool) -> Result<Vec<String>, DistError> {
    let context = || format!("listing {}", dir.display());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DistError::io(context(), e))? {
        let entry = entry.map_err(|e| DistError::io(context(), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if wanted(&name) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// `FILE.sig`, where the registry looks for the checksums' signature.
pub fn signature_path(sums: &Path) -> PathBuf {
    let mut name = sums.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// A detached binary signature of `file` by `key`, the form the registry
/// verifies; `gpg_home` is the GnuPG home holding the key (default gpg's).
pub fn sign(
    file: &Path,
    signature: &Path,
    key: &str,
    gpg_home: Option<&Path>,
) -> Result<(), DistError> {
    let failed = |detail: String| DistError::Signing {
        file: file.to_owned(),
        key: key.to_owned(),
        detail,
    };
    let mut gpg = Command::new("gpg");
    if let Some(home) = gpg_home {
        gpg.env("GNUPGHOME", home);
    }
    let output = gpg
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
