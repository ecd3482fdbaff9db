//! The real host: the bake proven on a booted Debian systemd machine.
//!
//! moto records SSM commands but runs none, so the provisioning plan, the
//! unit and the app are proven here: a debootstrap rootfs booted with
//! `systemd-nspawn -b` in a network namespace the test creates, provisioned
//! by `baker provision` (the ssh communicator running the plan SSM runs),
//! then snapshotted into a local image that boots and serves on its own.
//!
//! Module map:
//! - [`host`]: prerequisites (root, tools, cgroups) and running commands;
//! - [`rootfs`]: the debootstrap base tree, cached by package list;
//! - [`net`]: network namespaces and veth pairs (addresses 10.231.0.0/24,
//!   only ever inside namespaces the test created);
//! - [`machine`]: one nspawn machine on an overlay, in its own cgroup;
//! - [`lab`]: one run's directory, client namespace, SSH key, known_hosts,
//!   and ssh / HTTP / `systemd-analyze security` against machines;
//! - [`image`]: snapshotting a stopped machine into a versioned image;
//! - [`story`]: the steps the test and the benchmark share;
//! - [`sweep`]: removing what a killed run left behind;
//! - [`bench`]: the `make bench` figures;
//! - [`error`], [`RealHostError`]: what can go wrong.
//!
//! Environment: `ROUNDROBIN_REALHOST=skip` (skip, loudly), `ROUNDROBIN_REALHOST_CACHE`
//! (rootfs cache, default /var/cache/roundrobin-realhost),
//! `ROUNDROBIN_REALHOST_MIRROR` (Debian mirror), `ROUNDROBIN_BAKER` (baker binary).

pub mod bench;
pub mod error;
pub mod host;
pub mod image;
pub mod lab;
pub mod machine;
pub mod net;
pub mod rootfs;
pub mod story;
pub mod sweep;

pub use error::{RealHostError, Result};
pub use lab::Lab;
pub use machine::Machine;
