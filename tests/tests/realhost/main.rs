//! The bake proven on a real host (issue: app, hardened unit, ssh
//! communicator, local image). One story, in order, because each step
//! builds on the last; everything it made is torn down on every exit path
//! (each piece is owned by a value whose drop removes it).
//!
//! Needs root, systemd-nspawn, debootstrap, iproute2, ssh and curl; without
//! them it fails and says what is missing. `ROUNDROBIN_REALHOST=skip` skips
//! it on purpose, loudly.

use std::io::Write as _;
use std::time::Instant;

use e2e::realhost::host::{preflight, skip_requested};
use e2e::realhost::image::snapshot;
use e2e::realhost::story::{self, EXPOSURE_TARGET, HostKey, PORT, RESTART_BOUND, UNIT};
use e2e::realhost::{Lab, Result, rootfs};

fn step(started: Instant, what: &str) {
    println!("[{:>6.1} s] {what}", started.elapsed().as_secs_f64());
}

#[test]
fn bake_provision_and_image_on_a_real_host() -> Result<()> {
    if let Some(reason) = skip_requested() {
        // Straight to the file descriptor: the test harness does not capture
        // this, so the skip shows in every run's output.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!!!!!!! real host SKIPPED: {reason} !!!!!!!!!!\n"
        );
        return Ok(());
    }
    preflight()?;
    let t = Instant::now();

    let base = rootfs::ensure()?;
    let origin = if base.built {
        "built with debootstrap"
    } else {
        "from the cache"
    };
    step(
        t,
        &format!("base rootfs {} ({origin})", base.path.display()),
    );

    let mut lab = Lab::new()?;
    let bake = story::test_bake("17");
    let mut web = lab.machine("rr-web", &base.path)?;
    let to_ssh = story::boot(&lab, &mut web)?;
    step(t, &format!("rr-web booted, ssh after {to_ssh:.1?}"));

    // baker refuses a host whose key it cannot verify, before logging in.
    let wrong = HostKey::Fingerprint("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into());
    let (refused, _) = story::provision_any(&lab, &web, &bake, &wrong)?;
    assert!(
        !refused.success() && refused.stderr.contains("HOST KEY MISMATCH"),
        "a wrong pinned host key must be refused:\n{refused}"
    );
    let untouched = lab.ssh_any(&web, "test -e /opt/nodeapp || test -e /var/tmp/baker")?;
    assert!(
        !untouched.success(),
        "nothing is installed when the host key is refused"
    );
    step(
        t,
        "baker refused a wrong host key fingerprint; nothing installed",
    );

    // baker's ssh communicator runs the provisioning plan SSM would run.
    let known_hosts = HostKey::KnownHosts(lab.known_hosts().to_path_buf());
    let (output, took) = story::provision(&lab, &web, &bake, &known_hosts)?;
    step(t, &format!("baker provision (known_hosts) took {took:.1?}"));
    for needle in ["enabled and started", "/health answers 200"] {
        assert!(
            output.combined().contains(needle),
            "baker's output lacks {needle:?}:\n{output}"
        );
    }
    // Again, pinned by fingerprint: provisioning an existing host is repeatable.
    let pinned = HostKey::Fingerprint(story::host_fingerprint(&base.path)?);
    let (_, again) = story::provision(&lab, &web, &bake, &pinned)?;
    step(
        t,
        &format!("baker provision again (pinned fingerprint) took {again:.1?}"),
    );

    story::check_service(&lab, &web)?;
    let page = lab.get(&web, PORT, "/")?;
    assert_eq!(page.status, 200, "GET /: {}", page.body);
    story::check_page(&page, "rr-web", &bake)?;
    let health = lab.get(&web, PORT, "/health")?;
    let json: serde_json::Value = serde_json::from_str(&health.body)
        .map_err(|e| e2e::realhost::RealHostError::check("/health JSON", e.to_string()))?;
    assert_eq!(json["commit"], bake.commit.as_str(), "{json}");
    assert_eq!(json["build"], bake.build.as_str(), "{json}");
    assert!(json["uptime"].is_number(), "{json}");
    step(
        t,
        "service active and enabled; / and /health over the veth show host, commit, build",
    );

    let exposure = lab.exposure(&web, UNIT)?;
    step(
        t,
        &format!("systemd-analyze security {UNIT}: exposure {exposure:.1}"),
    );
    assert!(
        exposure <= EXPOSURE_TARGET,
        "exposure {exposure} is above {EXPOSURE_TARGET}"
    );

    let gone = story::kill_and_recover(&lab, &web)?;
    step(
        t,
        &format!("kill -9 of node: page back after {gone:.1?} (bound {RESTART_BOUND:?})"),
    );

    let back = story::reboot(&lab, &mut web)?;
    story::check_service(&lab, &web)?;
    let (_, page) = lab.wait_ok(&web, PORT, "/", story::BOOT_TIMEOUT)?;
    story::check_page(&page, "rr-web", &bake)?;
    step(
        t,
        &format!(
            "reboot: boot {} up after {back:.1?}, service back",
            web.boots()
        ),
    );

    story::stop(&mut web)?;
    let image = snapshot(web.root(), &lab.images(), &bake, &base.key)?;
    drop(web);
    step(
        t,
        &format!("rr-web stopped, image {} snapshotted", image.name),
    );
    assert_eq!(image.name, bake.image_name());

    let mut a = lab.machine("rr-img-a", &image.rootfs())?;
    let mut b = lab.machine("rr-img-b", &image.rootfs())?;
    let (first_a, page_a) = story::boot_to_first_200(&lab, &mut a)?;
    let (first_b, page_b) = story::boot_to_first_200(&lab, &mut b)?;
    story::check_page(&page_a, "rr-img-a", &bake)?;
    story::check_page(&page_b, "rr-img-b", &bake)?;
    for machine in [&a, &b] {
        story::check_outbound_blocked(&lab, machine)?;
        story::check_service(&lab, machine)?;
    }
    step(
        t,
        &format!(
            "two machines from {}: first 200 after {first_a:.1?} and {first_b:.1?}, \
             each its own host name, commit {}, no outbound route",
            image.name, bake.commit
        ),
    );
    drop(a);
    step(t, "rr-img-a powered off and removed");
    drop(b);
    step(t, "rr-img-b powered off and removed");
    drop(lab);
    step(t, "torn down");
    Ok(())
}
