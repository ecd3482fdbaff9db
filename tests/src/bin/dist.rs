//! `make dist`: packages the built provider and baker into the release
//! directory in the layout of Terraform's registry (see `e2e::dist`).
//!
//! Usage: dist --provider PATH [--baker PATH] [--out DIR] [--platform OS_ARCH]
//! With `GPG_KEY_ID` set, the checksums are signed with that key.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use e2e::dist::{self, Inputs, Platform};

fn main() -> Result<()> {
    let mut provider = None;
    let mut baker = None;
    let mut out = PathBuf::from("dist");
    let mut platform = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--provider" => provider = Some(PathBuf::from(value()?)),
            "--baker" => baker = Some(PathBuf::from(value()?)),
            "--out" => out = PathBuf::from(value()?),
            "--platform" => platform = Some(Platform::parse(&value()?)?),
            other => bail!(
                "unknown argument {other:?}; usage: dist --provider PATH [--baker PATH] \
                 [--out DIR] [--platform OS_ARCH]"
            ),
        }
    }
    let inputs = Inputs {
        provider: provider.context("--provider PATH is required")?,
        baker,
        platform: match platform {
            Some(platform) => platform,
            None => Platform::host()?,
        },
        version: dist::VERSION.to_owned(),
        out,
        gpg_key: std::env::var("GPG_KEY_ID").ok().filter(|k| !k.is_empty()),
        gpg_home: None,
    };
    let release = dist::package(&inputs)?;

    println!("{}", release.provider_zip.display());
    println!("  {}", release.zip_hash);
    println!("  {}", release.package_hash);
    if let Some(baker) = &release.baker_archive {
        println!("{}", baker.display());
    }
    println!("{}", release.manifest.display());
    println!("{}", release.sums.display());
    if let Some(sums) = &release.baker_sums {
        println!("{}", sums.display());
    }
    match &release.signature {
        Some(signature) => {
            println!("{}", signature.display());
            if let Some(signature) = &release.baker_signature {
                println!("{}", signature.display());
            }
        }
        None => println!("(not signed: set GPG_KEY_ID to sign the checksums)"),
    }
    Ok(())
}
