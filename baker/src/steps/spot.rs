//! A spot builder (Packer's `spot_price` / `spot_instance_types`): the launch
//! step's RunInstances asks for the spot market (one-time, terminated on
//! interruption) for each allowed instance type in turn; when AWS has no
//! spot capacity for any of them, it falls back to on-demand (unless
//! `builder.spot_fallback = false`), saying so. The cleanup cancels the
//! spot request AWS made (a one-time request also closes with its instance).

use std::fmt;
use std::future::Future;

use aws_sdk_ec2::operation::run_instances::RunInstancesOutput;
use aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder;
use aws_sdk_ec2::types::{
    InstanceInterruptionBehavior, InstanceMarketOptionsRequest, MarketType, SpotInstanceType,
    SpotMarketOptions,
};
use roundrobin_aws::AwsErrorDetail;

use super::{BuildState, Ctx};
use crate::config::BuilderConfig;
use crate::config::spot::{SpotPrice, instance_types};
use crate::error::StepError;

/// AWS's answers that mean "no capacity for this request now": the next
/// instance type (or the on-demand fallback) is tried.
pub const UNAVAILABLE: &[&str] = &[
    "InsufficientInstanceCapacity",
    "InsufficientCapacity",
    "UnfulfillableCapacity",
    "SpotMaxPriceTooLow",
    "MaxSpotInstanceCountExceeded",
];

/// Whether an AWS error code is one of [`UNAVAILABLE`].
pub fn unavailable(code: Option<&str>) -> bool {
    code.is_some_and(|c| UNAVAILABLE.contains(&c))
}

/// One RunInstances the launch may make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Its place in the order; tokens of later attempts get it as a suffix.
    pub index: usize,
    pub instance_type: String,
    /// `Some`: the spot market, at this price.
    pub spot: Option<SpotPrice>,
    /// An on-demand attempt after spot ones.
    pub fallback: bool,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.spot, self.fallback) {
            (Some(_), _) => write!(f, "{}, spot", self.instance_type),
            (None, true) => write!(f, "{}, on-demand", self.instance_type),
            (None, false) => write!(f, "{}", self.instance_type),
        }
    }
}

/// The launches to try, in order: on-demand `instance_type` alone, or spot
/// for each allowed type and then (with `spot_fallback`) on-demand for each.
pub fn attempts(builder: &BuilderConfig) -> Result<Vec<Attempt>, StepError> {
    // Checked before the first AWS call; read again here.
    let price = SpotPrice::parse(&builder.spot_price)
        .map_err(|message| StepError::unexpected(format!("builder.spot_price: {message}")))?;
    if !price.is_spot() {
        return Ok(vec![Attempt {
            index: 0,
            instance_type: builder.instance_type.clone(),
            spot: None,
            fallback: false,
        }]);
    }
    let types = instance_types(builder);
    let spot = types.iter().map(|t| (t, Some(price.clone())));
    let on_demand = types
        .iter()
        .filter(|_| builder.spot_fallback)
        .map(|t| (t, None));
    Ok(spot
        .chain(on_demand)
        .enumerate()
        .map(|(index, (t, spot))| Attempt {
            index,
            instance_type: t.clone(),
            fallback: spot.is_none(),
            spot,
        })
        .collect())
}

/// `request` as this attempt sends it: its type and market, and a client
/// token of its own (a retried call still returns the same instance).
pub fn apply(request: RunInstancesFluentBuilder, attempt: &Attempt) -> RunInstancesFluentBuilder {
    let mut request = request.instance_type(attempt.instance_type.as_str().into());
    if let Some(token) = request.get_client_token().clone()
        && attempt.index > 0
    {
        // At most 64 characters, as AWS takes them.
        let suffix = format!("-{}", attempt.index);
        let keep = 64usize.saturating_sub(suffix.len());
        let token: String = token.chars().take(keep).collect();
        request = request.client_token(format!("{token}{suffix}"));
    }
    if let Some(price) = &attempt.spot {
        let max_price = match price {
            SpotPrice::Max(max) => Some(max.clone()),
            // No MaxPrice: AWS caps the price at the on-demand price.
            SpotPrice::Auto | SpotPrice::OnDemand => None,
        };
        request = request.instance_market_options(
            InstanceMarketOptionsRequest::builder()
                .market_type(MarketType::Spot)
                .spot_options(
                    SpotMarketOptions::builder()
                        .set_max_price(max_price)
                        .spot_instance_type(SpotInstanceType::OneTime)
                        .instance_interruption_behavior(InstanceInterruptionBehavior::Terminate)
                        .build(),
                )
                .build(),
        );
    }
    request
}

/// Makes the attempts in order until one launches; `send` answers
/// `Ok(Err(detail))` when AWS had no capacity for it. Returns the answer and
/// the attempt that got it.
pub async fn launch<'a, F, Fut>(
    ctx: &Ctx,
    attempts: &'a [Attempt],
    mut send: F,
) -> Result<(RunInstancesOutput, &'a Attempt), StepError>
where
    F: FnMut(&'a Attempt) -> Fut,
    Fut: Future<Output = Result<Result<RunInstancesOutput, String>, StepError>>,
{
    let mut refused: Vec<String> = Vec::new();
    let mut previous: Option<&Attempt> = None;
    for attempt in attempts {
        if let Some(before) = previous {
            let why = refused.last().map(String::as_str).unwrap_or_default();
            if attempt.fallback && before.spot.is_some() {
                ctx.progress.info(&format!(
                    "no spot capacity ({}): falling back to on-demand {} (builder.spot_fallback)",
                    refused.join("; "),
                    attempt.instance_type
                ));
            } else {
                ctx.progress
                    .info(&format!("{why}; trying {attempt} instead"));
            }
        }
        match send(attempt).await? {
            Ok(out) => return Ok((out, attempt)),
            Err(detail) => refused.push(format!("{attempt}: {detail}")),
        }
        previous = Some(attempt);
    }
    let spot_only = attempts.iter().all(|a| a.spot.is_some());
    Err(StepError::Aws {
        action: "RunInstances",
        detail: format!(
            "{}{}",
            refused.join("; "),
            if spot_only {
                " (no on-demand fallback: builder.spot_fallback = false)"
            } else {
                ""
            }
        ),
    })
}

/// The spot request behind the launched builder, if AWS made one.
pub fn request_of(out: &RunInstancesOutput) -> Option<String> {
    out.instances()
        .first()
        .and_then(|i| i.spot_instance_request_id())
        .map(str::to_string)
}

/// Whether AWS launched the builder in the spot market.
pub fn is_spot(out: &RunInstancesOutput) -> bool {
    out.instances().first().and_then(|i| i.instance_lifecycle())
        == Some(&aws_sdk_ec2::types::InstanceLifecycleType::Spot)
}

/// Cancels the builder's spot request, if there is one. A one-time request
/// closes when its instance is terminated (which the cleanup does next), so
/// a failure here is a warning, not something left behind.
pub async fn cancel_request(ctx: &Ctx, state: &mut BuildState, step: &str) {
    let Some(id) = state.spot_request.clone() else {
        return;
    };
    let result = ctx
        .aws
        .ec2
        .cancel_spot_instance_requests()
        .spot_instance_request_ids(&id)
        .send()
        .await;
    match result {
        Ok(_) => ctx
            .progress
            .info(&format!("cleanup ({step}): cancelled spot request {id}")),
        Err(e) if e.code() == Some("InvalidSpotInstanceRequestID.NotFound") => {}
        Err(e) => ctx.progress.info(&format!(
            "cleanup ({step}): warning: CancelSpotInstanceRequests {id}: {} (the one-time \
             request closes when its instance is terminated)",
            e.describe()
        )),
    }
    state.spot_request = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(builder: &BuilderConfig) -> Vec<String> {
        attempts(builder)
            .expect("attempts")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn on_demand_is_one_attempt() {
        assert_eq!(labels(&BuilderConfig::default()), vec!["t3.micro"]);
    }

    #[test]
    fn spot_tries_each_type_then_falls_back_unless_told_not_to() {
        let mut builder = BuilderConfig {
            spot_price: "0.05".into(),
            spot_instance_types: vec!["t3.small".into(), "t3a.small".into()],
            ..BuilderConfig::default()
        };
        assert_eq!(
            labels(&builder),
            vec![
                "t3.small, spot",
                "t3a.small, spot",
                "t3.small, on-demand",
                "t3a.small, on-demand"
            ]
        );
        let all = attempts(&builder).expect("attempts");
        assert_eq!(all[0].spot, Some(SpotPrice::Max("0.05".into())));
        assert_eq!(
            all.iter().map(|a| a.index).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        builder.spot_fallback = false;
        assert_eq!(labels(&builder), vec!["t3.small, spot", "t3a.small, spot"]);
    }

    #[test]
    fn capacity_codes_are_told_from_other_errors() {
        assert!(unavailable(Some("InsufficientInstanceCapacity")));
        assert!(unavailable(Some("SpotMaxPriceTooLow")));
        assert!(!unavailable(Some("UnauthorizedOperation")));
        assert!(!unavailable(None));
    }
}
