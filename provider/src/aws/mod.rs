//! AWS plumbing: one SDK configuration per configured provider, the clients
//! built from it, and the translation of AWS errors into diagnostics.

mod errors;
pub mod tags;

use aws_config::BehaviorVersion;
use aws_config::meta::region::ProvideRegion;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::retry::RetryConfig;
use aws_sdk_ec2::config::Region;
use tokio_util::sync::CancellationToken;

pub use errors::{aws_error, AwsErrorDetail};

/// Where and as whom to talk to AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// A custom endpoint for every service (an emulator, a VPC endpoint).
    pub endpoint: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "no AWS region is set: set `region` in the provider block, or AWS_REGION / \
         AWS_DEFAULT_REGION in the environment, or a region in the selected profile"
    )]
    NoRegion,
    #[error("endpoint {0:?} is not a URL (expected something like http://127.0.0.1:5000)")]
    BadEndpoint(String),
}

/// The clients every resource uses, and the signal that Terraform wants us
/// to stop (Ctrl-C): long waits watch it.
#[derive(Clone)]
pub struct Aws {
    pub region: String,
    pub ec2: aws_sdk_ec2::Client,
    pub stop: CancellationToken,
}

impl Aws {
    pub async fn connect(settings: &Settings, stop: CancellationToken) -> Result<Self, ConnectError> {
        let region = resolve_region(settings).await.ok_or(ConnectError::NoRegion)?;
        let endpoint = settings
            .endpoint
            .clone()
            .filter(|e| !e.is_empty())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok().filter(|e| !e.is_empty()));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(5));
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = endpoint {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(ConnectError::BadEndpoint(endpoint));
            }
            loader = loader.endpoint_url(endpoint);
        }
        let config = loader.load().await;
        Ok(Self {
            region,
            ec2: aws_sdk_ec2::Client::new(&config),
            stop,
        })
    }
}

/// Region from the provider block, the environment or the profile; never
/// from instance metadata (a provider run off EC2 must not wait on it).
async fn resolve_region(settings: &Settings) -> Option<String> {
    if let Some(region) = settings.region.clone().filter(|r| !r.is_empty()) {
        return Some(region);
    }
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Ok(region) = std::env::var(var)
            && !region.is_empty()
        {
            return Some(region);
        }
    }
    let mut provider = ProfileFileRegionProvider::builder();
    if let Some(profile) = &settings.profile {
        provider = provider.profile_name(profile);
    }
    provider
        .build()
        .region()
        .await
        .map(|r| r.as_ref().to_string())
}
