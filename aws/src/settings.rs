//! Where and as whom to talk to AWS.

use aws_config::meta::region::ProvideRegion;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// A custom endpoint for every service (an emulator, a private endpoint);
    /// `AWS_ENDPOINT_URL` when not set.
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

impl Settings {
    /// The SDK configuration and the region it uses.
    pub async fn load(&self) -> Result<(SdkConfig, String), ConnectError> {
        let region = self.resolve_region().await.ok_or(ConnectError::NoRegion)?;
        let endpoint = self.endpoint.clone().filter(|e| !e.is_empty()).or_else(|| {
            std::env::var("AWS_ENDPOINT_URL")
                .ok()
                .filter(|e| !e.is_empty())
        });
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(5));
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = endpoint {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(ConnectError::BadEndpoint(endpoint));
            }
            loader = loader.endpoint_url(endpoint);
        }
        Ok((loader.load().await, region))
    }

    /// Region from the settings, the environment or the profile; never from
    /// instance metadata (a tool run off EC2 must not wait on it).
    async fn resolve_region(&self) -> Option<String> {
        if let Some(region) = self.region.clone().filter(|r| !r.is_empty()) {
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
        if let Some(profile) = &self.profile {
            provider = provider.profile_name(profile);
        }
        provider
            .build()
            .region()
            .await
            .map(|r| r.as_ref().to_string())
    }
}
