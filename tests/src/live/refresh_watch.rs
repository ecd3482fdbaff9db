//! The instance refresh, watched while a `terraform apply` runs it: every
//! change of its status, reason and percentage, with the wall-clock time it
//! was first seen, and when it was first seen rolling back. The watcher runs
//! on a thread of its own (with its own SDK client) beside the blocking
//! apply, and looks every [`POLL`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};

use crate::MotoServer;

/// How often the watcher looks.
pub const POLL: Duration = Duration::from_millis(100);
/// A bound on the watcher if nobody stopped it: an hour of looks.
const LOOK_LIMIT: usize = 36_000;

/// One state of the refresh, as first seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub at: SystemTime,
    pub id: String,
    pub status: String,
    pub percentage: i32,
    pub reason: String,
}

impl Seen {
    /// `InProgress 50% Checkpoint 1 of 2 reached...`
    pub fn line(&self) -> String {
        format!(
            "{} {}% {}",
            self.status,
            self.percentage,
            self.reason.trim()
        )
        .trim_end()
        .to_owned()
    }
}

/// Everything the refresh showed.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub seen: Vec<Seen>,
}

impl Timeline {
    /// When a refresh was first seen rolling back.
    pub fn rollback_seen(&self) -> Option<SystemTime> {
        self.seen
            .iter()
            .find(|s| s.status.starts_with("Rollback"))
            .map(|s| s.at)
    }

    /// The checkpoints the refresh paused at (their lines), in order.
    pub fn checkpoints(&self) -> Vec<&Seen> {
        self.seen
            .iter()
            .filter(|s| s.reason.starts_with("Checkpoint"))
            .collect()
    }

    /// Its lines, with the time since `since`.
    pub fn lines(&self, since: SystemTime) -> Vec<String> {
        self.seen
            .iter()
            .map(|s| {
                let after = s.at.duration_since(since).unwrap_or_default();
                format!("t+{:>5.1}s  refresh {}", after.as_secs_f64(), s.line())
            })
            .collect()
    }
}

/// Runs `work` (a blocking apply) while watching `group`'s instance
/// refreshes; refreshes already there before are left out.
pub fn during<T>(
    moto: &MotoServer,
    group: &str,
    work: impl FnOnce() -> T,
) -> (T, Result<Timeline>) {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| watch(moto, group, &stop));
        let result = work();
        stop.store(true, Ordering::Relaxed);
        let timeline = watcher
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the refresh watcher panicked")));
        (result, timeline)
    })
}

fn watch(moto: &MotoServer, group: &str, stop: &AtomicBool) -> Result<Timeline> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("a runtime for the refresh watcher")?;
    runtime.block_on(async {
        let client = aws_sdk_autoscaling::Client::new(&moto.sdk_config().await);
        let before = refreshes(&client, group).await?;
        let old: Vec<String> = before.into_iter().map(|s| s.id).collect();
        let mut timeline = Timeline::default();
        for _ in 0..LOOK_LIMIT {
            let done = stop.load(Ordering::Relaxed);
            // A look that fails (the emulator busy) is only a missed look.
            if let Ok(now) = refreshes(&client, group).await {
                for state in now.into_iter().filter(|s| !old.contains(&s.id)) {
                    let last = timeline.seen.iter().rev().find(|s| s.id == state.id);
                    let changed = last.is_none_or(|l| {
                        (&l.status, l.percentage, &l.reason)
                            != (&state.status, state.percentage, &state.reason)
                    });
                    if changed {
                        timeline.seen.push(state);
                    }
                }
            }
            if done {
                break; // one last look after the apply ended
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(timeline)
    })
}

async fn refreshes(client: &aws_sdk_autoscaling::Client, group: &str) -> Result<Vec<Seen>> {
    let answer = client
        .describe_instance_refreshes()
        .auto_scaling_group_name(group)
        .send()
        .await
        .context("DescribeInstanceRefreshes")?;
    let at = SystemTime::now();
    Ok(answer
        .instance_refreshes()
        .iter()
        .map(|r| Seen {
            at,
            id: r.instance_refresh_id().unwrap_or_default().to_owned(),
            status: r.status().map(|s| s.as_str()).unwrap_or("?").to_owned(),
            percentage: r.percentage_complete().unwrap_or(0),
            reason: r.status_reason().unwrap_or_default().to_owned(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(at: u64, status: &str, reason: &str) -> Seen {
        Seen {
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(at),
            id: "r".into(),
            status: status.into(),
            percentage: 50,
            reason: reason.into(),
        }
    }

    #[test]
    fn the_timeline_finds_checkpoints_and_the_rollback() {
        let timeline = Timeline {
            seen: vec![
                seen(1, "InProgress", ""),
                seen(2, "InProgress", "Checkpoint 1 of 2 reached at 50 percent"),
                seen(5, "RollbackInProgress", "alarm"),
            ],
        };
        assert_eq!(timeline.checkpoints().len(), 1);
        assert_eq!(
            timeline.rollback_seen(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(5))
        );
        assert_eq!(
            timeline.lines(SystemTime::UNIX_EPOCH)[1],
            "t+  2.0s  refresh InProgress 50% Checkpoint 1 of 2 reached at 50 percent"
        );
    }
}
