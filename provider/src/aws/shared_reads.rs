//! Answers one AWS call gave for several resources, kept for a moment so the
//! next resource's refresh need not ask again.
//!
//! ELB's DescribeTags takes up to 20 ARNs: a target group's refresh learns
//! the load balancers it serves (DescribeTargetGroups names them) and reads
//! their tags in the same call; the load balancer's refresh, a moment later
//! in the same Terraform run, uses them instead of a call of its own.
//!
//! An answer is used once, only while fresh, and never across a write: each
//! tag write bumps the resource's generation before and after it, and an
//! answer is kept only when no write began or ended while it was in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::tags::Tags;

/// How long a shared answer may stand in for a call of one's own.
pub const FRESH_FOR: Duration = Duration::from_secs(10);

#[derive(Debug, Default, Clone)]
pub struct SharedTags {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    answers: HashMap<String, (Instant, Tags)>,
    generation: HashMap<String, u64>,
}

/// The generations of some ARNs when a read began.
#[derive(Debug)]
pub struct Ticket(Vec<(String, u64)>);

impl SharedTags {
    /// Takes the tags another read learned for `arn`, if still fresh.
    pub fn take(&self, arn: &str) -> Option<Tags> {
        let mut inner = self.inner.lock().ok()?;
        let (at, tags) = inner.answers.remove(arn)?;
        (at.elapsed() < FRESH_FOR).then_some(tags)
    }

    /// Notes the generations of `arns` before a read that may share them.
    pub fn ticket(&self, arns: &[String]) -> Ticket {
        let generation = |arn: &String| {
            self.inner
                .lock()
                .ok()
                .and_then(|i| i.generation.get(arn).copied())
                .unwrap_or(0)
        };
        Ticket(arns.iter().map(|a| (a.clone(), generation(a))).collect())
    }

    /// Keeps what the read found for the ARNs of `ticket`, unless a write to
    /// one of them began or ended meanwhile.
    pub fn keep(&self, ticket: Ticket, found: impl Fn(&str) -> Tags) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let now = Instant::now();
        for (arn, seen) in ticket.0 {
            if inner.generation.get(&arn).copied().unwrap_or(0) == seen {
                let tags = found(&arn);
                inner.answers.insert(arn, (now, tags));
            }
        }
    }

    /// Called before and after every tag write to `arn`: a shared answer
    /// for it is dropped, and one in flight is not kept.
    pub fn written(&self, arn: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.answers.remove(arn);
            *inner.generation.entry(arn.to_string()).or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(value: &str) -> Tags {
        [("env".to_string(), value.to_string())].into()
    }

    #[test]
    fn an_answer_is_used_once() {
        let shared = SharedTags::default();
        let ticket = shared.ticket(&["lb".into()]);
        shared.keep(ticket, |_| tags("prod"));
        assert_eq!(shared.take("lb"), Some(tags("prod")));
        assert_eq!(shared.take("lb"), None);
    }

    #[test]
    fn a_write_during_the_read_means_the_answer_is_not_kept() {
        let shared = SharedTags::default();
        let ticket = shared.ticket(&["lb".into()]);
        shared.written("lb");
        shared.keep(ticket, |_| tags("old"));
        assert_eq!(shared.take("lb"), None);
    }

    #[test]
    fn a_write_after_the_read_drops_the_answer() {
        let shared = SharedTags::default();
        let ticket = shared.ticket(&["lb".into()]);
        shared.keep(ticket, |_| tags("old"));
        shared.written("lb");
        assert_eq!(shared.take("lb"), None);
    }

    #[test]
    fn a_read_begun_after_a_write_is_kept() {
        let shared = SharedTags::default();
        shared.written("lb");
        let ticket = shared.ticket(&["lb".into()]);
        shared.keep(ticket, |_| tags("new"));
        assert_eq!(shared.take("lb"), Some(tags("new")));
    }
}
