//! What a run of the load generator saw: every request's second, outcome and
//! latency, the rates it was asked for, and the views the stories print
//! (failures, builds in the order they answered, the per-second table).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::Outcome;

/// What a run of the load generator saw.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// (seconds since start, outcome) of every request, in the order they were sent.
    pub requests: Vec<(u64, Outcome)>,
    /// How long each request of `requests` took (same order; a failed one until it failed).
    pub latencies: Vec<Duration>,
    /// When each request of `requests` was sent, since the start (same order).
    pub sent: Vec<Duration>,
    /// The rates asked for, and since when.
    pub rates: Vec<(Duration, u32)>,
    /// The wall-clock time of the start.
    pub started_at: Option<SystemTime>,
    /// How many clients sent the requests.
    pub clients: usize,
    pub elapsed: Duration,
}

impl Tally {
    pub fn total(&self) -> usize {
        self.requests.len()
    }

    /// Connection errors, timeouts and non-2xx answers, with their second and reason.
    pub fn failures(&self) -> Vec<(u64, String)> {
        self.requests
            .iter()
            .filter_map(|(second, outcome)| match outcome {
                Outcome::Failed(reason) => Some((*second, reason.clone())),
                Outcome::Other(status) if !(200..300).contains(status) => {
                    Some((*second, format!("HTTP {status}")))
                }
                _ => None,
            })
            .collect()
    }

    /// Requests per second over the whole run.
    pub fn rate(&self) -> f64 {
        self.total() as f64 / self.elapsed.as_secs_f64().max(0.001)
    }

    /// The 99th percentile of the requests' latencies (nearest rank), failed
    /// requests included; `None` without requests.
    pub fn p99(&self) -> Option<Duration> {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = (sorted.len() * 99).div_ceil(100);
        sorted.get(rank.checked_sub(1)?).copied()
    }

    /// Requests that took longer than `limit`.
    pub fn slower_than(&self, limit: Duration) -> usize {
        self.latencies.iter().filter(|l| **l > limit).count()
    }

    /// Builds in the order they were first seen.
    pub fn builds(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for (_, outcome) in &self.requests {
            if let Outcome::Served(page) = outcome
                && !seen.contains(&page.build)
            {
                seen.push(page.build.clone());
            }
        }
        seen
    }

    /// The build of a request: the page's, or for a failed request or an
    /// answer that is not the page, none.
    fn build_of(outcome: &Outcome) -> Option<&str> {
        match outcome {
            Outcome::Served(page) => Some(page.build.as_str()),
            _ => None,
        }
    }

    /// When `build` first and last answered, since the start (`None`: never).
    pub fn span_of(&self, build: &str) -> Option<(Duration, Duration)> {
        let times: Vec<Duration> = self
            .requests
            .iter()
            .zip(&self.sent)
            .filter(|((_, outcome), _)| Self::build_of(outcome) == Some(build))
            .map(|(_, at)| *at)
            .collect();
        Some((*times.first()?, *times.last()?))
    }

    /// The wall-clock time of a moment of the run, given since the start.
    pub fn wall_clock(&self, since_start: Duration) -> Option<SystemTime> {
        self.started_at.map(|start| start + since_start)
    }

    /// The rate asked for at a moment of the run.
    pub fn rate_asked_at(&self, at: Duration) -> Option<u32> {
        self.rates
            .iter()
            .take_while(|(since, _)| *since <= at)
            .last()
            .map(|(_, rate)| *rate)
    }

    /// Per second: answers per build (and failures under "failed").
    pub fn per_second(&self) -> BTreeMap<u64, BTreeMap<String, usize>> {
        let mut table: BTreeMap<u64, BTreeMap<String, usize>> = BTreeMap::new();
        for (second, outcome) in &self.requests {
            let key = match outcome {
                Outcome::Served(page) => format!("build {}", page.build),
                Outcome::Other(status) if (200..300).contains(status) => format!("HTTP {status}"),
                _ => "failed".to_owned(),
            };
            *table.entry(*second).or_default().entry(key).or_default() += 1;
        }
        table
    }

    /// The per-second table as lines, failures first (only where there are
    /// some): `t+ 12s  40 requests  failed: 1  build 1: 18  build 2: 21`.
    pub fn table_lines(&self) -> Vec<String> {
        self.per_second()
            .iter()
            .map(|(second, counts)| {
                let requests: usize = counts.values().sum();
                let mut cells = vec![format!("{requests:>3} requests")];
                if let Some(failed) = counts.get("failed") {
                    cells.push(format!("failed: {failed}"));
                }
                cells.extend(
                    counts
                        .iter()
                        .filter(|(k, _)| k.as_str() != "failed")
                        .map(|(k, n)| format!("{k}: {n}")),
                );
                format!("t+{second:>3}s  {}", cells.join("  "))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::page::Page;

    fn served(build: &str) -> Outcome {
        Outcome::Served(Page {
            host: "h".into(),
            commit: "c".into(),
            build: build.into(),
        })
    }

    fn sample() -> Tally {
        Tally {
            requests: vec![
                (0, served("1")),
                (0, served("1")),
                (1, served("2")),
                (1, Outcome::Other(503)),
                (2, Outcome::Failed("refused".into())),
            ],
            latencies: [1, 2, 3, 4, 900].map(Duration::from_millis).to_vec(),
            sent: [0, 500, 1000, 1500, 2000]
                .map(Duration::from_millis)
                .to_vec(),
            rates: vec![(Duration::ZERO, 2), (Duration::from_secs(2), 8)],
            started_at: Some(SystemTime::UNIX_EPOCH),
            clients: 2,
            elapsed: Duration::from_secs(3),
        }
    }

    #[test]
    fn the_tally_counts_failures_and_builds_per_second() {
        let tally = sample();
        assert_eq!(tally.failures().len(), 2);
        assert_eq!(tally.p99(), Some(Duration::from_millis(900)));
        assert_eq!(Tally::default().p99(), None);
        let lines = tally.table_lines();
        assert_eq!(lines[0], "t+  0s    2 requests  build 1: 2");
        assert_eq!(lines[1], "t+  1s    2 requests  failed: 1  build 2: 1");
        assert_eq!(tally.builds(), ["1", "2"]);
        assert_eq!(tally.per_second()[&0]["build 1"], 2);
        assert_eq!(tally.per_second()[&1]["failed"], 1);
    }

    #[test]
    fn a_build_span_the_rate_asked_and_slow_requests_are_read() {
        let tally = sample();
        let ms = Duration::from_millis;
        assert_eq!(tally.span_of("1"), Some((ms(0), ms(500))));
        assert_eq!(tally.span_of("2"), Some((ms(1000), ms(1000))));
        assert_eq!(tally.span_of("3"), None);
        assert_eq!(tally.rate_asked_at(ms(1999)), Some(2));
        assert_eq!(tally.rate_asked_at(ms(2000)), Some(8));
        assert_eq!(tally.slower_than(ms(3)), 2);
        assert_eq!(
            tally.wall_clock(ms(1000)),
            Some(SystemTime::UNIX_EPOCH + ms(1000))
        );
    }
}
