//! SIGINT, SIGTERM and SIGHUP as cancellation: the first one stops the build
//! (its cleanups still run); a second one also cuts the cleanups' waits
//! short (their delete calls are still made, and what is left is listed).
//!
//! SIGHUP is what a build gets when the SSH session or the CI agent it runs
//! under goes away; it is handled like the others, and baker's later writes
//! to the lost terminal are dropped (see [`crate::output`]).

use std::sync::{Arc, OnceLock};

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::output::stderr_line;

#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// Cancelled by the first signal.
    pub stop: CancellationToken,
    /// Cancelled by the second signal.
    pub cleanup_stop: CancellationToken,
    received: Arc<OnceLock<&'static str>>,
}

impl Signals {
    /// Starts listening (needs a tokio runtime).
    pub fn install() -> std::io::Result<Signals> {
        let signals = Signals::default();
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let mut hangup = signal(SignalKind::hangup())?;
        let listener = signals.clone();
        tokio::spawn(async move {
            loop {
                let name = tokio::select! {
                    Some(()) = interrupt.recv() => "SIGINT",
                    Some(()) = terminate.recv() => "SIGTERM",
                    Some(()) = hangup.recv() => "SIGHUP",
                    else => return,
                };
                if listener.stop.is_cancelled() {
                    tracing::warn!("{name} again: cutting the cleanup waits short");
                    listener.cleanup_stop.cancel();
                } else {
                    let _ = listener.received.set(name);
                    stderr_line(&format!(
                        "baker: {name} received, cleaning up (send it again to stop waiting)"
                    ));
                    listener.stop.cancel();
                }
            }
        });
        Ok(signals)
    }

    /// The first signal received, if any.
    pub fn received(&self) -> Option<&'static str> {
        self.received.get().copied()
    }
}
