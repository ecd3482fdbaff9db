//! `make bench` figures of the real host: provisioning time over SSH
//! (`baker provision`), and the time from an image's boot to the first 200 on
//! `/`, plus the unit's `systemd-analyze security` exposure.

use std::time::Duration;

use super::error::Result;
use super::image::snapshot;
use super::lab::Lab;
use super::rootfs;
use super::story::{self, EXPOSURE_TARGET, UNIT};
use crate::scorecard::Scorecard;

/// Goals the figures are printed beside (the issue sets none for times,
/// so these are what a user would call fast on a small machine).
const PROVISION_TARGET: Duration = Duration::from_secs(30);
const FIRST_200_TARGET: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Figures {
    /// Whether the base rootfs came from the cache, and the time it took.
    pub rootfs_cached: bool,
    pub rootfs: Duration,
    /// nspawn start to the first successful ssh login (base rootfs).
    pub boot_to_ssh: Duration,
    /// `baker provision` over SSH, wall time.
    pub provision: Duration,
    /// Copying the stopped machine into a versioned image.
    pub snapshot: Duration,
    /// nspawn start of the image to the first 200 on `/`.
    pub image_first_200: Duration,
    pub exposure: f64,
}

/// Boots a machine, provisions it, snapshots it, boots the image; tears
/// everything down before returning.
pub fn run() -> Result<Figures> {
    let base = rootfs::ensure()?;
    let mut lab = Lab::new()?;
    let bake = story::test_bake("bench");

    let mut builder = lab.machine("rr-bench", &base.path)?;
    let boot_to_ssh = story::boot(&lab, &mut builder)?;
    let pinned = story::HostKey::Fingerprint(story::host_fingerprint(&base.path)?);
    let (_, provision) = story::provision(&lab, &builder, &bake, &pinned)?;
    let exposure = lab.exposure(&builder, UNIT)?;
    story::stop(&mut builder)?;
    let started = std::time::Instant::now();
    let image = snapshot(builder.root(), &lab.images(), &bake, &base.key)?;
    let snapshot_took = started.elapsed();
    drop(builder);

    let mut from_image = lab.machine("rr-bench-img", &image.rootfs())?;
    let (image_first_200, page) = story::boot_to_first_200(&lab, &mut from_image)?;
    story::check_page(&page, "rr-bench-img", &bake)?;
    drop(from_image);
    drop(lab);

    Ok(Figures {
        rootfs_cached: !base.built,
        rootfs: base.took,
        boot_to_ssh,
        provision,
        snapshot: snapshot_took,
        image_first_200,
        exposure,
    })
}

impl Figures {
    /// Prints the figures beside their goals on `card`.
    pub fn score(&self, card: &mut Scorecard) {
        let secs = |d: Duration| format!("{:.2} s", d.as_secs_f64());
        let cache = if self.rootfs_cached {
            "cached"
        } else {
            "debootstrap"
        };
        card.heading("real host (systemd-nspawn machine, Debian bookworm)");
        card.context(&format!("base rootfs ready ({cache})"), &secs(self.rootfs));
        card.context("machine start → ssh login", &secs(self.boot_to_ssh));
        card.goal(
            "provisioning over SSH (baker provision)",
            &secs(self.provision),
            &format!("≤ {}", secs(PROVISION_TARGET)),
            self.provision <= PROVISION_TARGET,
        );
        card.context("snapshot into a versioned image", &secs(self.snapshot));
        card.goal(
            "image boot → first 200 on /",
            &secs(self.image_first_200),
            &format!("≤ {}", secs(FIRST_200_TARGET)),
            self.image_first_200 <= FIRST_200_TARGET,
        );
        card.goal(
            "systemd-analyze security exposure (nodeapp)",
            &format!("{:.1}", self.exposure),
            &format!("≤ {EXPOSURE_TARGET}"),
            self.exposure <= EXPOSURE_TARGET,
        );
    }
}
