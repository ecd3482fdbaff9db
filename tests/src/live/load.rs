//! A load generator as real users make it: several clients, each with a
//! keep-alive HTTP/1.1 connection to the load balancer ([`connection`]),
//! together sending GET / at a total rate ([`pace`]) that can change while
//! they run (a ramp), on threads of their own, until told to stop (or a hard
//! limit of requests). A request that fails (connection error, timeout,
//! non-2xx answer) is counted, never retried. The [`Tally`] says what they
//! saw: failures, per second how many answers came from each build, and the
//! latencies (p99).

mod connection;
mod pace;
mod tally;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use self::connection::Connection;
use self::pace::Pace;
pub use self::tally::Tally;
use super::page::Page;
use crate::http;

/// Concurrent clients, each on its own keep-alive connection.
pub const CLIENTS: usize = 4;
/// How long one request may take (connecting included) before it counts as
/// failed: far above any answer of a healthy stack, so only a hang hits it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a client sleeps before it looks at the stop flag again.
const NAP: Duration = Duration::from_millis(50);

/// One request's outcome.
#[derive(Debug, Clone)]
pub enum Outcome {
    Served(Page),
    /// A 2xx answer that is not the app's page, or an answer that is not 2xx.
    Other(u16),
    Failed(String),
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
    pace: Arc<Pace>,
    clients: Vec<JoinHandle<Vec<Record>>>,
    started: Instant,
    started_at: SystemTime,
}

impl Load {
    /// Starts [`CLIENTS`] clients that together send `rate` requests per
    /// second to `127.0.0.1:port`, each on its keep-alive connection, at most
    /// `limit` requests in all (a bound if nobody stops it).
    pub fn start(port: u16, rate: u32, limit: usize) -> Load {
        Load::with_clients(port, rate, CLIENTS, limit)
    }

    /// As [`Load::start`] with `clients` clients: enough to keep the rate
    /// when answers are slow (rate × latency of them are busy at once).
    pub fn with_clients(port: u16, rate: u32, clients: usize, limit: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let pace = Arc::new(Pace::new(rate, limit));
        let started = Instant::now();
        let started_at = SystemTime::now();
        let clients = (0..clients.max(1))
            .map(|_| {
                let stop = Arc::clone(&stop);
                let pace = Arc::clone(&pace);
                thread::spawn(move || client(port, &pace, &stop, started))
            })
            .collect();
        Load {
            stop,
            pace,
            clients,
            started,
            started_at,
        }
    }

    /// From now on, `rate` requests per second in all.
    pub fn set_rate(&self, rate: u32) {
        self.pace.set_rate(rate, self.started.elapsed());
    }

    /// How long it has been running.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Stops it and returns what it saw.
    pub fn finish(self) -> Tally {
        self.stop.store(true, Ordering::Relaxed);
        let mut records: Vec<Record> = Vec::new();
        let clients = self.clients.len();
        for client in self.clients {
            records.extend(client.join().unwrap_or_default());
        }
        let elapsed = self.started.elapsed();
        records.sort_by_key(|r| r.at);
        let mut tally = Tally {
            elapsed,
            rates: self.pace.rates(),
            started_at: Some(self.started_at),
            clients,
            ..Tally::default()
        };
        for record in records {
            tally.requests.push((record.at.as_secs(), record.outcome));
            tally.latencies.push(record.latency);
            tally.sent.push(record.at);
        }
        tally
    }
}

/// One client's loop: takes the next due time from the pace, waits for it
/// and sends on its connection, until stopped or the pace's limit is reached.
fn client(port: u16, pace: &Pace, stop: &AtomicBool, started: Instant) -> Vec<Record> {
    let mut connection = Connection::new(port);
    let mut records = Vec::new();
    'requests: while !stop.load(Ordering::Relaxed) {
        let Some(due) = pace.next_due(started.elapsed()) else {
            break;
        };
        loop {
            let now = started.elapsed();
            if now >= due {
                break;
            }
            if stop.load(Ordering::Relaxed) {
                break 'requests;
            }
            thread::sleep((due - now).min(NAP));
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
    }
    records
}
