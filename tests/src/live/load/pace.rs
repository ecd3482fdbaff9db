//! When each request of the load is due. The clients share one pace: each
//! takes the next due time, waits for it and sends, so the total rate is the
//! one asked for whatever each answer takes (a slow answer holds one client;
//! the others keep the pace). The rate can change while the load runs (a
//! ramp); a load that fell behind (every client busy) goes on from now,
//! without a burst to catch up.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The shared pace of one load.
#[derive(Debug)]
pub struct Pace {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    rate: u32,
    /// When the next request is due, since the load started.
    next: Duration,
    issued: usize,
    limit: usize,
    /// Every rate asked for and since when (the first one at zero).
    rates: Vec<(Duration, u32)>,
}

impl Pace {
    /// `rate` requests per second from the start, `limit` requests at most.
    pub fn new(rate: u32, limit: usize) -> Pace {
        Pace {
            state: Mutex::new(State {
                rate,
                next: Duration::ZERO,
                issued: 0,
                limit,
                rates: vec![(Duration::ZERO, rate)],
            }),
        }
    }

    /// The due time of one more request, given the time now (both since the
    /// load started); `None` once `limit` requests were handed out.
    pub fn next_due(&self, now: Duration) -> Option<Duration> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.issued >= state.limit {
            return None;
        }
        state.issued += 1;
        let due = state.next.max(now);
        state.next = due + gap(state.rate);
        Some(due)
    }

    /// From `now` on, `rate` requests per second.
    pub fn set_rate(&self, rate: u32, now: Duration) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // The next request keeps its turn unless the new rate makes it sooner.
        state.next = state.next.min(now + gap(rate));
        state.rate = rate;
        state.rates.push((now, rate));
    }

    /// Every rate asked for, and since when.
    pub fn rates(&self) -> Vec<(Duration, u32)> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.rates.clone()
    }
}

/// The time between two requests at `rate` per second (none: a long pause).
fn gap(rate: u32) -> Duration {
    if rate == 0 {
        Duration::from_secs(3600)
    } else {
        Duration::from_secs_f64(1.0 / f64::from(rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn requests_are_due_at_the_rate_and_the_limit_ends_them() {
        let pace = Pace::new(10, 3);
        assert_eq!(pace.next_due(MS(0)), Some(MS(0)));
        assert_eq!(pace.next_due(MS(0)), Some(MS(100)));
        assert_eq!(pace.next_due(MS(0)), Some(MS(200)));
        assert_eq!(pace.next_due(MS(0)), None);
    }

    #[test]
    fn a_load_behind_schedule_goes_on_from_now_without_a_burst() {
        let pace = Pace::new(10, 10);
        assert_eq!(pace.next_due(MS(0)), Some(MS(0)));
        assert_eq!(pace.next_due(MS(750)), Some(MS(750)));
        assert_eq!(pace.next_due(MS(750)), Some(MS(850)));
    }

    #[test]
    fn a_new_rate_applies_from_now_and_is_recorded() {
        let pace = Pace::new(1, 10);
        assert_eq!(pace.next_due(MS(0)), Some(MS(0)));
        pace.set_rate(20, MS(100));
        assert_eq!(pace.next_due(MS(100)), Some(MS(150)));
        assert_eq!(pace.next_due(MS(100)), Some(MS(200)));
        assert_eq!(pace.rates(), [(MS(0), 1), (MS(100), 20)]);
    }
}
