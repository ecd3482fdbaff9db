//! The app and its unit packed as one tar.gz: `app/…` and `unit/<name>`.
//! What of the app directory goes in is [`select`]'s choice (regular files
//! and symlinks that stay inside, `.bakerignore`, no `.env*` unless
//! `app.include` lists it).
//!
//! Entries are sorted and carry no owner or time, so the same files give
//! the same bytes (and the same delivery command).

pub mod select;

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub bytes: Vec<u8>,
    /// How many files it holds.
    pub files: usize,
    /// `.env*` files left out (relative to the app directory).
    pub left_out: Vec<PathBuf>,
}

/// Packs `app_dir` under `app/` and `unit` as `unit/<its file name>`;
/// `include` lists the `.env*` files to ship all the same.
pub fn pack(app_dir: &Path, unit: &Path, include: &[String]) -> Result<Bundle, Error> {
    let unit_name = unit_file_name(unit)?;
    let selection = select::select(app_dir, include)?;
    let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::best()));
    let app = Path::new("app");
    for entry in &selection.entries {
        match entry {
            select::Entry::File { name, source } => append(&mut tar, source, &app.join(name))?,
            select::Entry::Symlink { name, target } => {
                append_link(&mut tar, &app.join(name), target)?;
            }
        }
    }
    append(&mut tar, unit, &Path::new("unit").join(&unit_name))?;
    let count = selection.entries.len() + 1;
    let encoder = tar
        .into_inner()
        .map_err(|e| Error::Bundle(format!("finishing the archive: {e}")))?;
    let bytes = encoder
        .finish()
        .map_err(|e| Error::Bundle(format!("compressing: {e}")))?;
    Ok(Bundle {
        bytes,
        files: count,
        left_out: selection.left_out,
    })
}

/// The line that names the `.env*` files left out, if any.
pub fn left_out_note(bundle: &Bundle) -> Option<String> {
    if bundle.left_out.is_empty() {
        return None;
    }
    let names: Vec<String> = bundle
        .left_out
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    Some(format!(
        "left out of the bundle: {} (.env files stay home unless app.include lists them)",
        names.join(", ")
    ))
}

/// `nodeapp.service` for `systemd/nodeapp.service`.
pub fn unit_file_name(unit: &Path) -> Result<String, Error> {
    unit.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| Error::Bundle(format!("{} has no file name", unit.display())))
}

/// A symlink entry, as `ln -s target name` makes it.
fn append_link<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &Path,
    target: &Path,
) -> Result<(), Error> {
    let mut header = tar::Header::new_gnu();
    header.set_size(0);
    header.set_mode(0o777);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Symlink);
    tar.append_link(&mut header, name, target)
        .map_err(|e| Error::Bundle(format!("adding the link {}: {e}", name.display())))
}

fn append<W: Write>(tar: &mut tar::Builder<W>, source: &Path, name: &Path) -> Result<(), Error> {
    let data = std::fs::read(source)
        .map_err(|e| Error::Bundle(format!("reading {}: {e}", source.display())))?;
    let executable = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(source).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    };
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(if executable { 0o755 } else { 0o644 });
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, name, data.as_slice())
        .map_err(|e| Error::Bundle(format!("adding {}: {e}", source.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_app_and_unit_the_same_way_twice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = dir.path().join("app");
        std::fs::create_dir_all(app.join("lib")).expect("mkdir");
        std::fs::create_dir_all(app.join(".git")).expect("mkdir");
        std::fs::write(app.join("server.js"), "console.log(1)").expect("write");
        std::fs::write(app.join("lib/x.js"), "x").expect("write");
        std::fs::write(app.join(".git/HEAD"), "ref").expect("write");
        let unit = dir.path().join("nodeapp.service");
        std::fs::write(&unit, "[Service]\n").expect("write");

        let first = pack(&app, &unit, &[]).expect("packs");
        assert_eq!(first, pack(&app, &unit, &[]).expect("packs again"));
        assert_eq!(first.files, 3);

        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(first.bytes.as_slice()));
        let mut names: Vec<String> = archive
            .entries()
            .expect("entries")
            .map(|e| {
                e.expect("entry")
                    .path()
                    .expect("path")
                    .display()
                    .to_string()
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["app/lib/x.js", "app/server.js", "unit/nodeapp.service"]
        );
    }
}
