//! The live story: the stack on real machines (systemd-nspawn) behind a load
//! balancer that really balances (HAProxy), through the emulator's live mode.
//!
//! - [`cloud`]: the emulator started with `--machines nspawn`; where its load
//!   balancers listen; what this machine must have.
//! - [`load`]: a load generator and the tally of what it saw.
//! - [`page`]: one answer of the app (host, commit, build).
//! - [`broken_app`]: genuinely broken builds of the app (refused, failing, slow).
//! - [`baker_exec`]: `baker exec` against the live emulator.
//! - [`identity`]: every instance its own machine id, journal and host.
//! - [`launch`]: launch → healthy, timed (for `make bench`).
//! - [`host_leftovers`]: what of the live emulator is still on the host.
//! - [`chaos`]: an app stopped and a machine killed under load; the group heals.
//! - [`fleet`]: the group's instances beside their target health, as chaos watches them.
//! - [`health_gated`]: v2 rolled out, a broken build rolled back (health checks alone).
//! - [`gated_stack`]: the example stack's rollout with checkpoints and a gate.
//! - [`gate_bound`]: what a gate lets through (detection time, the bound).
//! - [`refresh_watch`]: the instance refresh watched while an apply runs it.
//! - [`gated_rollouts`]: a good build through the gate (and every gated apply's helpers).
//! - [`gate_stops`]: a failing and a slow build stopped by the gate, within its bound.
//! - [`scaling`]: load ramps up, the group scales out and back in.
//! - [`stages`]: which stages run (`ROUNDROBIN_LIVE_STAGES`).
//! - [`story`]: the stages (`make demo-live`, and the `live` test).

pub mod baker_exec;
pub mod broken_app;
pub mod chaos;
pub mod cloud;
pub mod fleet;
pub mod gate_bound;
pub mod gate_stops;
pub mod gated_rollouts;
pub mod gated_stack;
pub mod health_gated;
pub mod host_leftovers;
pub mod identity;
pub mod launch;
pub mod load;
pub mod page;
pub mod refresh_watch;
pub mod scaling;
pub mod stages;
pub mod story;
