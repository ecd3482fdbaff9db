//! A load generator as real users make it: several clients, each with a
//! keep-alive HTTP/1.1 connection to the load balancer ([`connection`]),
//! together sending GET / at a steady total rate on threads of their own,
//! until told to stop (or a hard limit of requests). A request that fails
//! (connection error, timeout, non-2xx answer) is counted, never retried.
//! The [`Tally`] says what they saw: failures, per second how many answers
//! came from each build, and the latencies (p99).

mod connection;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use self::connection::Connection;
use super::page::Page;
use crate::http;

/// Concurrent clients, each on its own keep-alive connection.
pub const CLIENTS: usize = 4;
/// How long one request may take (connecting included) before it counts as
/// failed: far above any answer of a healthy stack, so only a hang hits it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// (seconds since start, outcome) of every request, in the order they were sent.
    pub requests: Vec<(u64, Outcome)>,
    /// How long each request of `requests` took (same order; a failed one until it failed).
    pub latencies: Vec<Duration>,
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

/// What one answer is.
fn outcome_of(status: u16, body: &str) -> Outcome {
    if (200..300).contains(&status) {
        match Page::parse(body) {
            Some(page) => Outcome::Served(page),
            None => Outcome::Other(status),
        }
    } else {
        Outcome::Other(status)
    }
}

/// One GET / on `127.0.0.1:port`, on a connection of its own.
pub fn fetch(port: u16, timeout: Duration) -> Outcome {
    match http::request("GET", port, "/", Some(timeout)) {
        Ok(reply) => outcome_of(reply.status, &reply.body),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// One request a client made: when (since the load started), what, how long.
struct Record {
    at: Duration,
    outcome: Outcome,
    latency: Duration,
}

/// A running load generator.
pub struct Load {
    stop: Arc<AtomicBool>,
    clients: Vec<JoinHandle<Vec<Record>>>,
    started: Instant,
}

impl Load {
    /// Starts [`CLIENTS`] clients that together send `rate` requests per
    /// second to `127.0.0.1:port`, each on its keep-alive connection, at most
    /// `limit` requests in all (a bound if nobody stops it).
    pub fn start(port: u16, rate: u32, limit: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        // Each client sends every `period`; their phases are spread evenly.
        let period = Duration::from_secs_f64(CLIENTS as f64 / f64::from(rate.max(1)));
        let clients = (0..CLIENTS)
            .map(|index| {
                let stop = Arc::clone(&stop);
                let sent = Arc::clone(&sent);
                let first = started + period.mul_f64(index as f64 / CLIENTS as f64);
                thread::spawn(move || client(port, first, period, limit, &stop, &sent, started))
            })
            .collect();
        Load {
            stop,
            clients,
            started,
        }
    }

    /// Stops it and returns what it saw.
    pub fn finish(self) -> Tally {
        self.stop.store(true, Ordering::Relaxed);
        let mut records: Vec<Record> = Vec::new();
        for client in self.clients {
            records.extend(client.join().unwrap_or_default());
        }
        let elapsed = self.started.elapsed();
        records.sort_by_key(|r| r.at);
        let mut tally = Tally {
            elapsed,
            ..Tally::default()
        };
        for record in records {
            tally.requests.push((record.at.as_secs(), record.outcome));
            tally.latencies.push(record.latency);
        }
        tally
    }
}

/// One client's loop: a request every `period` from `first` on its
/// connection, until stopped or `limit` requests were sent by all clients.
fn client(
    port: u16,
    first: Instant,
    period: Duration,
    limit: usize,
    stop: &AtomicBool,
    sent: &AtomicUsize,
    started: Instant,
) -> Vec<Record> {
    let mut connection = Connection::new(port);
    let mut records = Vec::new();
    let mut next = first;
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if next > now {
            thread::sleep(next - now);
            continue; // look at the stop flag again before sending
        }
        if sent.fetch_add(1, Ordering::Relaxed) >= limit {
            break;
        }
        let begun = Instant::now();
        let outcome = match connection.get("/", REQUEST_TIMEOUT) {
            Ok(answer) => outcome_of(answer.status, &answer.body),
            Err(reason) => Outcome::Failed(reason),
        };
        records.push(Record {
            at: begun - started,
            outcome,
            latency: begun.elapsed(),
        });
        // Behind schedule (a slow answer): go on from now, without a burst.
        next = (next + period).max(Instant::now());
    }
    records
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
            latencies: [1, 2, 3, 4, 900].map(Duration::from_millis).to_vec(),
            elapsed: Duration::from_secs(3),
        };
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
}
