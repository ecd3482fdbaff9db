//! The provider's view of AWS: the clients built from the provider block,
//! the stop signal, and AWS errors as diagnostics. The plumbing itself is in
//! the shared `roundrobin-aws` crate.

pub mod alarms;
pub mod consistency;
pub mod ownership;
pub mod shared_reads;

use roundrobin_aws::{ConnectError, Settings};
use tokio_util::sync::CancellationToken;

use crate::framework::Diagnostics;

pub use consistency::read_after_write;
pub use roundrobin_aws::tags;
pub use roundrobin_aws::{AwsErrorDetail, wait};

/// The clients every resource uses, and the signal that Terraform wants us
/// to stop (Ctrl-C): long waits watch it.
#[derive(Clone)]
pub struct Aws {
    pub region: String,
    pub ec2: aws_sdk_ec2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub iam: aws_sdk_iam::Client,
    /// Alarms and metrics (gated rollouts, scaling policies, user alarms).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub stop: CancellationToken,
    /// The provider block's `default_tags` (`None`: unknown while planning).
    pub default_tags: crate::framework::default_tags::DefaultTags,
    /// ELB tags one call read for several resources (see [`shared_reads`]).
    pub shared_tags: shared_reads::SharedTags,
}

impl Aws {
    /// The ARN partition of the configured region (`aws`, `aws-cn`, ...).
    pub fn partition(&self) -> &'static str {
        roundrobin_aws::partition::of_region(&self.region)
    }

    pub async fn connect(
        settings: &Settings,
        stop: CancellationToken,
    ) -> Result<Self, ConnectError> {
        let (config, region) = settings.load().await?;
        Ok(Self {
            region,
            ec2: aws_sdk_ec2::Client::new(&config),
            autoscaling: aws_sdk_autoscaling::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            stop,
            default_tags: Some(Default::default()),
            shared_tags: Default::default(),
        })
    }
}

/// A diagnostic for a failed AWS call: `what` says what we were doing.
pub fn aws_error(what: &str, err: &impl AwsErrorDetail) -> Diagnostics {
    Diagnostics::error(format!("AWS error while {what}"), err.describe())
}

/// A diagnostic for a failed tag update.
pub fn tag_error(detail: String) -> Diagnostics {
    Diagnostics::error("AWS error while updating tags", detail)
}
