//! The SDK clients, configured once from the `[aws]` section (region,
//! profile, retries) and `AWS_ENDPOINT_URL`.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use roundrobin_aws::Settings;

use crate::config::AwsConfig;
use crate::error::Error;

#[derive(Debug, Clone)]
pub struct Clients {
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub iam: aws_sdk_iam::Client,
    pub s3: aws_sdk_s3::Client,
    pub region: String,
}

impl Clients {
    pub async fn connect(aws: &AwsConfig, region_flag: Option<&str>) -> Result<Clients, Error> {
        let region = region_flag
            .filter(|r| !r.is_empty())
            .or(Some(aws.region.as_str()).filter(|r| !r.is_empty()))
            .map(str::to_string);
        let settings = Settings {
            region,
            profile: Some(aws.profile.clone()).filter(|p| !p.is_empty()),
            ..Settings::default()
        };
        let (sdk, region) = settings.load().await?;
        let retry = RetryConfig::standard()
            .with_max_attempts(aws.max_attempts.max(1))
            .with_initial_backoff(Duration::from_millis(aws.retry_initial_backoff_ms.max(1)));
        let sdk = sdk.to_builder().retry_config(retry).build();
        // A custom endpoint (an emulator, a private endpoint) has no
        // per-bucket host names.
        let s3_config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        Ok(Clients {
            autoscaling: aws_sdk_autoscaling::Client::new(&sdk),
            ec2: aws_sdk_ec2::Client::new(&sdk),
            ssm: aws_sdk_ssm::Client::new(&sdk),
            iam: aws_sdk_iam::Client::new(&sdk),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            region,
        })
    }
}

impl Clients {
    /// An EC2 client for `region`, configured as [`Clients::ec2`] is
    /// (credentials, endpoint, retries): for the image's regional copies.
    pub fn ec2_in(&self, region: &str) -> aws_sdk_ec2::Client {
        let config = self
            .ec2
            .config()
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }

    /// An autoscaling client for `region`, configured as
    /// [`Clients::autoscaling`] is: what prune asks in a copy region.
    pub fn autoscaling_in(&self, region: &str) -> aws_sdk_autoscaling::Client {
        let config = self
            .autoscaling
            .config()
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build();
        aws_sdk_autoscaling::Client::from_conf(config)
    }
}

/// The partition of a region, for ARNs of AWS managed policies.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}
