//! A genuinely broken build of the app for the failed-rollout stage: a copy
//! of `app/` whose server listens on 127.0.0.1 only. baker's health check on
//! the builder (a request to 127.0.0.1) passes, so the image is made, but on
//! the fleet the load balancer's checks reach the instance's private address
//! and are refused: a real defect of the kind that ships, not a label.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};

/// The line of app/server.js that binds the listening socket.
const LISTEN: &str = "server.listen(cfg.port, () => {";
const LISTEN_LOOPBACK_ONLY: &str = "server.listen(cfg.port, '127.0.0.1', () => {";

/// Copies `app` into `into/app` with the loopback-only bind; returns the copy.
pub fn loopback_only_copy(app: &Path, into: &Path) -> Result<PathBuf> {
    let copy = into.join("app");
    copy_dir(app, &copy)?;
    let server = copy.join("server.js");
    let text = std::fs::read_to_string(&server)
        .with_context(|| format!("reading {}", server.display()))?;
    ensure!(
        text.contains(LISTEN),
        "app/server.js no longer has `{LISTEN}`; update the broken build"
    );
    std::fs::write(&server, text.replacen(LISTEN, LISTEN_LOOPBACK_ONLY, 1))
        .with_context(|| format!("writing {}", server.display()))?;
    Ok(copy)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "node_modules" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_listens_on_loopback_only() {
        let app = crate::demo::repo_root().join("app");
        let dir = tempfile::tempdir().expect("tempdir");
        let copy = loopback_only_copy(&app, dir.path()).expect("a copy");
        let server = std::fs::read_to_string(copy.join("server.js")).expect("server.js");
        assert!(server.contains(LISTEN_LOOPBACK_ONLY));
        assert!(copy.join("package.json").is_file());
    }
}
