//! Which files of the app directory go into the bundle:
//! - regular files, walked without following links;
//! - symlinks are kept as symlinks (npm's `node_modules/.bin` links stay
//!   links), and only when they point inside the app directory by a
//!   relative path, to something that exists: a link that leaves the
//!   directory, is absolute or dangles is an error naming it;
//! - anything else (a socket, a FIFO, a device) is an error naming it;
//! - `.bakerignore` files (gitignore syntax, in the app directory or any
//!   directory under it, as `.gitignore` files work) leave paths out, and
//!   are not shipped themselves; `.git` is never shipped;
//! - `.env*` files (secrets, as a rule) are left out unless `app.include`
//!   lists them by their path relative to the app directory.

use std::path::{Component, Path, PathBuf};

use crate::error::Error;

/// The name of the ignore files.
pub const IGNORE_FILE: &str = ".bakerignore";

/// One entry of the bundle, named relative to the app directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Entry {
    File { name: PathBuf, source: PathBuf },
    Symlink { name: PathBuf, target: PathBuf },
}

impl Entry {
    /// Its name relative to the app directory.
    pub fn name(&self) -> &Path {
        match self {
            Entry::File { name, .. } | Entry::Symlink { name, .. } => name,
        }
    }
}

/// What goes into the bundle, and the `.env*` files left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub entries: Vec<Entry>,
    pub left_out: Vec<PathBuf>,
}

/// Selects the app directory's entries, in a stable order.
pub fn select(app_dir: &Path, include: &[String]) -> Result<Selection, Error> {
    let root = std::fs::canonicalize(app_dir)
        .map_err(|e| Error::Bundle(format!("{}: {e}", app_dir.display())))?;
    let mut walk = ignore::WalkBuilder::new(app_dir);
    walk.standard_filters(false)
        .follow_links(false)
        .add_custom_ignore_filename(IGNORE_FILE)
        .filter_entry(|e| e.file_name() != ".git");
    let mut selection = Selection::default();
    for entry in walk.build() {
        let entry = entry.map_err(|e| Error::Bundle(format!("{}: {e}", app_dir.display())))?;
        let path = entry.path();
        let Ok(name) = path.strip_prefix(app_dir).map(Path::to_path_buf) else {
            continue;
        };
        let Some(kind) = entry.file_type() else {
            continue;
        };
        if name.as_os_str().is_empty() || kind.is_dir() || entry.file_name() == IGNORE_FILE {
            continue;
        }
        let is_env = entry.file_name().to_string_lossy().starts_with(".env");
        if is_env && !include.iter().any(|i| Path::new(i) == name) {
            selection.left_out.push(name);
            continue;
        }
        if kind.is_symlink() {
            let target = checked_link(path, &name, &root)?;
            selection.entries.push(Entry::Symlink { name, target });
        } else if kind.is_file() {
            selection.entries.push(Entry::File {
                name,
                source: path.to_path_buf(),
            });
        } else {
            return Err(Error::Bundle(format!(
                "{} is not a regular file, directory or symlink",
                path.display()
            )));
        }
    }
    for wanted in include {
        let shipped = selection
            .entries
            .iter()
            .any(|e| e.name() == Path::new(wanted));
        if !shipped {
            return Err(Error::Bundle(format!(
                "app.include: {wanted:?} is not a file in {} (or {IGNORE_FILE} leaves it out)",
                app_dir.display()
            )));
        }
    }
    selection.entries.sort_by(|a, b| a.name().cmp(b.name()));
    selection.left_out.sort();
    Ok(selection)
}

/// The target of the link at `path` (named `name` in the app directory),
/// when it is relative and stays inside `root`, the canonical app directory.
fn checked_link(path: &Path, name: &Path, root: &Path) -> Result<PathBuf, Error> {
    let target =
        std::fs::read_link(path).map_err(|e| Error::Bundle(format!("{}: {e}", path.display())))?;
    let leaves = || {
        Error::Bundle(format!(
            "{} is a symlink to {} outside the app directory: the bundle takes only what \
             is under it (copy the file in, or point the link inside with a relative path)",
            path.display(),
            target.display()
        ))
    };
    if target.is_absolute() || !stays_inside(name.parent().unwrap_or(Path::new("")), &target) {
        return Err(leaves());
    }
    // Through other links too: where it really ends up.
    let resolved = std::fs::canonicalize(path).map_err(|e| {
        Error::Bundle(format!(
            "{} is a symlink to {}, which does not exist: {e}",
            path.display(),
            target.display()
        ))
    })?;
    if !resolved.starts_with(root) {
        return Err(leaves());
    }
    Ok(target)
}

/// Whether `target`, relative to the directory `from` (itself relative to
/// the app directory), stays inside the app directory.
fn stays_inside(from: &Path, target: &Path) -> bool {
    let mut depth: usize = from.components().count();
    for part in target.components() {
        match part {
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
