//! A load generator: GET / through the load balancer at a steady rate on a
//! thread of its own, until told to stop (or a hard limit of requests), and
//! what it saw: failures (connection errors and non-2xx answers) and, per
//! second, how many answers came from each build.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::page::Page;
use crate::http;

/// One request's outcome.
#[derive(Debug, Clone)]
pub enum Outcome {
    Served(Page),
    /// A 2xx answer that is not the app's page.
    Other(u16),
    Failed(String),
}

/// What a run of the load generator saw.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// (seconds since start, outcome) of every request.
    pub requests: Vec<(u64, Outcome)>,
    pub elapsed: Duration,
}

impl Tally {
    pub fn total(&self) -> usize {
        self.requests.len()
    }

    /// Connection errors and non-2xx answers, with their second and reason.
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

    /// The per-second table as lines: `t+12s  build 1: 18  build 2: 7`.
    pub fn table_lines(&self) -> Vec<String> {
        self.per_second()
            .iter()
            .map(|(second, counts)| {
                let cells: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
                format!("t+{second:>3}s  {}", cells.join("  "))
            })
            .collect()
    }
}

/// One GET / on `127.0.0.1:port`.
pub fn fetch(port: u16, timeout: Duration) -> Outcome {
    match http::request("GET", port, "/", Some(timeout)) {
        Ok(reply) if (200..300).contains(&reply.status) => match Page::parse(&reply.body) {
            Some(page) => Outcome::Served(page),
            None => Outcome::Other(reply.status),
        },
        Ok(reply) => Outcome::Other(reply.status),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// A running load generator.
pub struct Load {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Tally>,
}

impl Load {
    /// Starts sending `rate` requests per second to `127.0.0.1:port`, at
    /// most `limit` requests in all (a bound if nobody stops it).
    pub fn start(port: u16, rate: u32, limit: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let period = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
        let handle = thread::spawn(move || {
            let started = Instant::now();
            let mut tally = Tally::default();
            let mut next = started;
            while !flag.load(Ordering::Relaxed) && tally.requests.len() < limit {
                let outcome = fetch(port, Duration::from_secs(10));
                tally.requests.push((started.elapsed().as_secs(), outcome));
                next += period;
                let now = Instant::now();
                if next > now {
                    thread::sleep(next - now);
                } else {
                    next = now;
                }
            }
            tally.elapsed = started.elapsed();
            tally
        });
        Load { stop, handle }
    }

    /// Stops it and returns what it saw.
    pub fn finish(self) -> Tally {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(build: &str) -> Outcome {
        Outcome::Served(Page {
            host: "h".into(),
            commit: "c".into(),
            build: build.into(),
        })
    }

    #[test]
    fn the_tally_counts_failures_and_builds_per_second() {
        let tally = Tally {
            requests: vec![
                (0, served("1")),
                (0, served("1")),
                (1, served("2")),
                (1, Outcome::Other(503)),
                (2, Outcome::Failed("refused".into())),
            ],
            elapsed: Duration::from_secs(3),
        };
        assert_eq!(tally.failures().len(), 2);
        assert_eq!(tally.builds(), ["1", "2"]);
        assert_eq!(tally.per_second()[&0]["build 1"], 2);
        assert_eq!(tally.per_second()[&1]["failed"], 1);
    }
}
