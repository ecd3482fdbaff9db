//! What a gate lets through. A bad build on a share of the group gets that
//! share of the traffic until it leaves the load balancer's rotation; of
//! that, its error rate fails. It leaves in two steps: the gate's detection
//! (its alarm's windows, by design) and then the rollback, which replaces
//! the new instances (measured: from the rollback's start to the build's last
//! answer). The bound is
//!
//! `rate × share × error rate × (detection + removal)`.
//!
//! The detection: CloudWatch evaluates the alarm once per period, on the
//! period just ended. A build that starts taking traffic during one period
//! fills the next one whole, and that period's evaluation, at most two
//! periods later (with one evaluation period; `n + 1` with `n`), sees it;
//! then the datapoints' publication and the refresh's next look at its
//! alarms.

use std::time::Duration;

/// The gate's detection time by design.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// The alarm's period as written (60 s), and how it is shortened.
    pub window: Duration,
    pub metric_time_scale: f64,
    pub evaluation_periods: u32,
    /// The most a datapoint takes to reach CloudWatch after its request.
    pub publication: Duration,
    /// The most the refresh takes to look at its alarms again.
    pub refresh_look: Duration,
}

impl Detection {
    /// One period as it really lasts.
    pub fn period(&self) -> Duration {
        self.window.mul_f64(self.metric_time_scale)
    }

    /// From the bad build's first request to the rollback's start, at most.
    pub fn time(&self) -> Duration {
        self.period() * (self.evaluation_periods + 1) + self.publication + self.refresh_look
    }

    /// The sum, for a reader: `(1 + 1) × 3.0 s + 1.0 s + 0.2 s = 7.2 s`.
    pub fn formula(&self) -> String {
        format!(
            "({} + 1) × {:.1} s + {:.1} s + {:.1} s = {:.1} s",
            self.evaluation_periods,
            self.period().as_secs_f64(),
            self.publication.as_secs_f64(),
            self.refresh_look.as_secs_f64(),
            self.time().as_secs_f64()
        )
    }
}

/// The traffic a bad build saw, and what of it may go wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exposure {
    /// Requests per second through the load balancer.
    pub rate: u32,
    /// The share of the group on the bad build (the first checkpoint).
    pub share: f64,
    /// The share of the bad build's answers that are wrong (failed, or too slow).
    pub bad_answers: f64,
    pub detection: Detection,
    /// The rollback's start → the bad build's last answer (measured).
    pub removal: Duration,
}

impl Exposure {
    /// How long the bad build may take traffic.
    pub fn exposed(&self) -> Duration {
        self.detection.time() + self.removal
    }

    /// The most requests that may go wrong.
    pub fn bound(&self) -> usize {
        let expected =
            f64::from(self.rate) * self.share * self.bad_answers * self.exposed().as_secs_f64();
        // A hair below, so that a product that is whole in decimal stays whole.
        (expected - 1e-9).ceil().max(0.0) as usize
    }

    /// The bound, spelled out.
    pub fn formula(&self) -> String {
        format!(
            "{} = {}/s × {:.2} of the traffic × {:.2} bad answers × ({:.1} s detection + {:.1} s removal)",
            self.bound(),
            self.rate,
            self.share,
            self.bad_answers,
            self.detection.time().as_secs_f64(),
            self.removal.as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detection() -> Detection {
        Detection {
            window: Duration::from_secs(60),
            metric_time_scale: 0.05,
            evaluation_periods: 1,
            publication: Duration::from_secs(1),
            refresh_look: Duration::from_millis(200),
        }
    }

    #[test]
    fn detection_is_two_periods_then_publication_and_a_look() {
        let d = detection();
        assert_eq!(d.period(), Duration::from_secs(3));
        assert_eq!(d.time(), Duration::from_millis(7200));
        assert_eq!(d.formula(), "(1 + 1) × 3.0 s + 1.0 s + 0.2 s = 7.2 s");
    }

    #[test]
    fn the_bound_is_rate_share_error_rate_and_time() {
        let exposure = Exposure {
            rate: 40,
            share: 0.5,
            bad_answers: 0.2,
            detection: detection(),
            removal: Duration::from_millis(2800),
        };
        // 40 × 0.5 × 0.2 × 10 s = 40
        assert_eq!(exposure.bound(), 40);
        assert!(exposure.formula().starts_with("40 = 40/s × 0.50"));
    }
}
