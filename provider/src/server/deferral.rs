//! Deferred answers: when the provider block holds values Terraform learns
//! only during apply (a region taken from another resource) and Terraform
//! says it understands deferral, every read and plan answers "deferred:
//! provider configuration unknown" instead of failing, and Terraform plans
//! the rest and comes back for these in a later round. A Terraform that does
//! not allow deferral gets the error naming the unknown setting.

use tfplugin6::tfplugin6 as proto;

/// Whether this request's client understands a `deferred` answer.
pub fn allowed(capabilities: Option<&proto::ClientCapabilities>) -> bool {
    capabilities.is_some_and(|c| c.deferral_allowed)
}

/// The answer for every operation while the provider's settings are unknown.
pub fn provider_config_unknown() -> Option<proto::Deferred> {
    Some(proto::Deferred {
        reason: proto::deferred::Reason::ProviderConfigUnknown as i32,
    })
}
