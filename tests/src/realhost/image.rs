//! The local image: a stopped, provisioned machine's tree copied into a
//! versioned directory named like the AMI (`<app>-<build>-<short commit>`),
//! with what a builder leaves behind removed, so that any number of fresh
//! machines can boot from it (read-only, each under its own overlay).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{RealHostError, Result};
use super::host::{command, run};

const COPY_TIMEOUT: Duration = Duration::from_secs(600);

/// What was baked into an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bake {
    pub app: String,
    pub commit: String,
    pub build: String,
}

impl Bake {
    /// The image name, as baker's default template names the AMI:
    /// `{app}-{build}-{short_commit}` (seven characters of the commit).
    pub fn image_name(&self) -> String {
        let short: String = self.commit.chars().take(7).collect();
        format!("{}-{}-{}", self.app, self.build, short)
    }
}

/// A versioned image on disk: `<dir>/rootfs` and `<dir>/image.json`.
#[derive(Debug, Clone)]
pub struct Image {
    pub name: String,
    pub dir: PathBuf,
}

impl Image {
    pub fn rootfs(&self) -> PathBuf {
        self.dir.join("rootfs")
    }
}

/// Copies the (stopped) machine tree `root` into `images/<name>/rootfs` and
/// makes it an image: no builder key, no machine id (each boot makes its
/// own), no provisioning leftovers. Fails if an image of that name exists.
pub fn snapshot(root: &Path, images: &Path, bake: &Bake, base: &str) -> Result<Image> {
    let name = bake.image_name();
    let dir = images.join(&name);
    if dir.exists() {
        return Err(RealHostError::check(
            format!("snapshotting image {name}"),
            format!(
                "{} already exists; versions are never overwritten",
                dir.display()
            ),
        ));
    }
    let rootfs = dir.join("rootfs");
    fs::create_dir_all(&rootfs)
        .map_err(|e| RealHostError::io(format!("creating {}", rootfs.display()), e))?;
    let source = format!("{}/.", root.display());
    run(
        &format!("copying the machine tree into image {name}"),
        command(
            "cp",
            [
                "-a".as_ref(),
                "--reflink=auto".as_ref(),
                source.as_ref(),
                rootfs.as_os_str(),
            ],
        ),
        COPY_TIMEOUT,
    )?;
    scrub(&rootfs)?;
    let meta = serde_json::json!({
        "name": name,
        "app": bake.app,
        "commit": bake.commit,
        "build": bake.build,
        "base": base,
        "format": "rootfs directory, boot with systemd-nspawn -b -D <dir>/rootfs",
    });
    let text = serde_json::to_string_pretty(&meta)
        .map_err(|e| RealHostError::check("writing image.json", e.to_string()))?;
    fs::write(dir.join("image.json"), text + "\n")
        .map_err(|e| RealHostError::io(format!("writing {name}/image.json"), e))?;
    Ok(Image { name, dir })
}

/// What a baked image must not carry over from the machine it was made on.
fn scrub(rootfs: &Path) -> Result<()> {
    let remove = [
        "root/.ssh/authorized_keys",
        "var/tmp/baker",
        "var/lib/systemd/random-seed",
    ];
    for relative in remove {
        let path = rootfs.join(relative);
        let result = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(RealHostError::io(format!("removing /{relative}"), e)),
        }
    }
    let machine_id = rootfs.join("etc/machine-id");
    if machine_id.exists() {
        fs::write(&machine_id, "").map_err(|e| RealHostError::io("emptying /etc/machine-id", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_image_like_the_ami() {
        let bake = Bake {
            app: "nodeapp".into(),
            commit: "0123456789abcdef".into(),
            build: "42".into(),
        };
        assert_eq!(bake.image_name(), "nodeapp-42-0123456");
    }

    #[test]
    fn snapshot_copies_the_tree_and_scrubs_it() {
        let work = tempfile::tempdir().expect("temp dir");
        let root = work.path().join("machine");
        for dir in ["root/.ssh", "etc", "opt/nodeapp", "var/tmp/baker"] {
            fs::create_dir_all(root.join(dir)).expect("mkdir");
        }
        fs::write(
            root.join("root/.ssh/authorized_keys"),
            "ssh-ed25519 AAAA test",
        )
        .expect("key");
        fs::write(root.join("etc/machine-id"), "0123\n").expect("id");
        fs::write(root.join("opt/nodeapp/server.js"), "//").expect("app");
        let bake = Bake {
            app: "nodeapp".into(),
            commit: "abcdef0123".into(),
            build: "7".into(),
        };
        let images = work.path().join("images");
        let image = snapshot(&root, &images, &bake, "base").expect("snapshot");
        assert_eq!(image.name, "nodeapp-7-abcdef0");
        let rootfs = image.rootfs();
        assert!(rootfs.join("opt/nodeapp/server.js").is_file());
        assert!(!rootfs.join("root/.ssh/authorized_keys").exists());
        assert!(!rootfs.join("var/tmp/baker").exists());
        assert_eq!(
            fs::read_to_string(rootfs.join("etc/machine-id")).expect("id"),
            ""
        );
        let meta = fs::read_to_string(image.dir.join("image.json")).expect("meta");
        assert!(meta.contains("\"commit\": \"abcdef0123\""));
        let again = snapshot(&root, &images, &bake, "base").expect_err("no overwrite");
        assert!(again.to_string().contains("never overwritten"));
    }
}
