//! The tfplugin6 Provider service: each RPC decodes its values, calls the
//! framework or the resource, and encodes the answer. User mistakes and AWS
//! errors come back as diagnostics; no RPC answers with a gRPC error status.

mod convert;
mod created_at;
mod data_source_rpcs;
mod deferral;
mod provider_config;
mod resource_rpcs;

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use tfplugin6::tfplugin6::{self as proto, provider_server::Provider};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::aws::Aws;
use crate::framework::{Diagnostics, DynDataSource, DynResource};
use crate::{data_sources, resources};

type Reply<T> = Result<Response<T>, Status>;

pub struct ProviderService {
    resources: HashMap<&'static str, Box<dyn DynResource>>,
    data_sources: HashMap<&'static str, Box<dyn DynDataSource>>,
    aws: RwLock<Option<Aws>>,
    /// The provider block held unknown settings and Terraform allowed
    /// deferral: reads and plans answer "deferred" (see [`deferral`]).
    deferred: AtomicBool,
    stop: CancellationToken,
}

impl ProviderService {
    pub fn new(shutdown: CancellationToken) -> Self {
        Self {
            resources: resources::all()
                .into_iter()
                .map(|r| (r.type_name(), r))
                .collect(),
            data_sources: data_sources::all()
                .into_iter()
                .map(|d| (d.type_name(), d))
                .collect(),
            aws: RwLock::new(None),
            deferred: AtomicBool::new(false),
            stop: shutdown.child_token(),
        }
    }

    fn resource(&self, type_name: &str) -> Result<&dyn DynResource, Diagnostics> {
        self.resources
            .get(type_name)
            .map(|r| r.as_ref())
            .ok_or_else(|| {
                Diagnostics::error(
                    "Unknown resource type",
                    format!("This provider has no resource type {type_name:?}."),
                )
            })
    }

    fn data_source(&self, type_name: &str) -> Result<&dyn DynDataSource, Diagnostics> {
        self.data_sources
            .get(type_name)
            .map(|d| d.as_ref())
            .ok_or_else(|| {
                Diagnostics::error(
                    "Unknown data source",
                    format!("This provider has no data source {type_name:?}."),
                )
            })
    }

    /// True when this request is to be answered "deferred".
    fn defers(&self, capabilities: Option<&proto::ClientCapabilities>) -> bool {
        self.deferred.load(Ordering::Relaxed) && deferral::allowed(capabilities)
    }

    fn aws(&self) -> Result<Aws, Diagnostics> {
        if self.deferred.load(Ordering::Relaxed) {
            return Err(provider_config::unknown_settings_error());
        }
        self.aws
            .read()
            .ok()
            .and_then(|guard| guard.clone())
            .ok_or_else(|| {
                Diagnostics::error(
                    "Provider not configured",
                    "Terraform called the provider before configuring it. This is a bug in Terraform or the provider.",
                )
            })
    }
}

fn ok<T>(value: T) -> Reply<T> {
    Ok(Response::new(value))
}

fn unsupported(what: &str) -> Vec<proto::Diagnostic> {
    convert::diagnostics(Diagnostics::error(
        format!("{what} not supported"),
        format!("The roundrobin provider does not support {what}."),
    ))
}

#[tonic::async_trait]
impl Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<proto::get_metadata::Request>,
    ) -> Reply<proto::get_metadata::Response> {
        ok(proto::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .resources
                .keys()
                .map(|name| proto::get_metadata::ResourceMetadata {
                    type_name: name.to_string(),
                })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|name| proto::get_metadata::DataSourceMetadata {
                    type_name: name.to_string(),
                })
                .collect(),
            ..Default::default()
        })
    }

    async fn get_provider_schema(
        &self,
        _: Request<proto::get_provider_schema::Request>,
    ) -> Reply<proto::get_provider_schema::Response> {
        ok(proto::get_provider_schema::Response {
            provider: Some(convert::schema(&provider_config::schema())),
            resource_schemas: self
                .resources
                .iter()
                .map(|(name, r)| (name.to_string(), convert::schema(r.schema())))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(name, d)| (name.to_string(), convert::schema(d.schema())))
                .collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        })
    }

    async fn validate_provider_config(
        &self,
        request: Request<proto::validate_provider_config::Request>,
    ) -> Reply<proto::validate_provider_config::Response> {
        let ty = provider_config::schema().value_type();
        let diags = match convert::decode(request.get_ref().config.as_ref(), &ty) {
            Ok(config) => provider_config::validate(&config),
            Err(d) => d,
        };
        ok(proto::validate_provider_config::Response {
            diagnostics: convert::diagnostics(diags),
        })
    }

    async fn configure_provider(
        &self,
        request: Request<proto::configure_provider::Request>,
    ) -> Reply<proto::configure_provider::Response> {
        let req = request.get_ref();
        let ty = provider_config::schema().value_type();
        let result = match convert::decode(req.config.as_ref(), &ty) {
            Ok(config)
                if provider_config::has_unknown_settings(&config)
                    && deferral::allowed(req.client_capabilities.as_ref()) =>
            {
                self.deferred.store(true, Ordering::Relaxed);
                Ok(None)
            }
            Ok(config) => provider_config::connect(&config, self.stop.clone())
                .await
                .map(Some),
            Err(d) => Err(d),
        };
        let diags = match result {
            Ok(aws) => {
                if let (Some(aws), Ok(mut slot)) = (aws, self.aws.write()) {
                    *slot = Some(aws);
                }
                Diagnostics::new()
            }
            Err(d) => d,
        };
        ok(proto::configure_provider::Response {
            diagnostics: convert::diagnostics(diags),
        })
    }

    async fn validate_resource_config(
        &self,
        request: Request<proto::validate_resource_config::Request>,
    ) -> Reply<proto::validate_resource_config::Response> {
        let req = request.get_ref();
        let diags = match self.resource(&req.type_name) {
            Ok(r) => match convert::decode(req.config.as_ref(), r.value_type()) {
                Ok(config) => r.validate(&config),
                Err(d) => d,
            },
            Err(d) => d,
        };
        ok(proto::validate_resource_config::Response {
            diagnostics: convert::diagnostics(diags),
        })
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<proto::validate_data_resource_config::Request>,
    ) -> Reply<proto::validate_data_resource_config::Response> {
        let req = request.get_ref();
        let diags = match self.data_source(&req.type_name) {
            Ok(d) => match convert::decode(req.config.as_ref(), d.value_type()) {
                Ok(config) => d.validate(&config),
                Err(diags) => diags,
            },
            Err(diags) => diags,
        };
        ok(proto::validate_data_resource_config::Response {
            diagnostics: convert::diagnostics(diags),
        })
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<proto::upgrade_resource_state::Request>,
    ) -> Reply<proto::upgrade_resource_state::Response> {
        resource_rpcs::upgrade_resource_state(self, request).await
    }

    async fn read_resource(
        &self,
        request: Request<proto::read_resource::Request>,
    ) -> Reply<proto::read_resource::Response> {
        resource_rpcs::read_resource(self, request).await
    }

    async fn plan_resource_change(
        &self,
        request: Request<proto::plan_resource_change::Request>,
    ) -> Reply<proto::plan_resource_change::Response> {
        resource_rpcs::plan_resource_change(self, request).await
    }

    async fn apply_resource_change(
        &self,
        request: Request<proto::apply_resource_change::Request>,
    ) -> Reply<proto::apply_resource_change::Response> {
        resource_rpcs::apply_resource_change(self, request).await
    }

    async fn import_resource_state(
        &self,
        request: Request<proto::import_resource_state::Request>,
    ) -> Reply<proto::import_resource_state::Response> {
        resource_rpcs::import_resource_state(self, request).await
    }

    async fn move_resource_state(
        &self,
        _: Request<proto::move_resource_state::Request>,
    ) -> Reply<proto::move_resource_state::Response> {
        ok(proto::move_resource_state::Response {
            diagnostics: unsupported("moving state between resource types"),
            ..Default::default()
        })
    }

    async fn read_data_source(
        &self,
        request: Request<proto::read_data_source::Request>,
    ) -> Reply<proto::read_data_source::Response> {
        data_source_rpcs::read_data_source(self, request).await
    }

    async fn get_functions(
        &self,
        _: Request<proto::get_functions::Request>,
    ) -> Reply<proto::get_functions::Response> {
        ok(proto::get_functions::Response::default())
    }

    async fn call_function(
        &self,
        request: Request<proto::call_function::Request>,
    ) -> Reply<proto::call_function::Response> {
        ok(proto::call_function::Response {
            result: None,
            error: Some(proto::FunctionError {
                text: format!(
                    "This provider has no function {:?}.",
                    request.get_ref().name
                ),
                function_argument: None,
            }),
        })
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _: Request<proto::validate_ephemeral_resource_config::Request>,
    ) -> Reply<proto::validate_ephemeral_resource_config::Response> {
        ok(proto::validate_ephemeral_resource_config::Response {
            diagnostics: unsupported("ephemeral resources"),
        })
    }

    async fn open_ephemeral_resource(
        &self,
        _: Request<proto::open_ephemeral_resource::Request>,
    ) -> Reply<proto::open_ephemeral_resource::Response> {
        ok(proto::open_ephemeral_resource::Response {
            diagnostics: unsupported("ephemeral resources"),
            ..Default::default()
        })
    }

    async fn renew_ephemeral_resource(
        &self,
        _: Request<proto::renew_ephemeral_resource::Request>,
    ) -> Reply<proto::renew_ephemeral_resource::Response> {
        ok(proto::renew_ephemeral_resource::Response {
            diagnostics: unsupported("ephemeral resources"),
            ..Default::default()
        })
    }

    async fn close_ephemeral_resource(
        &self,
        _: Request<proto::close_ephemeral_resource::Request>,
    ) -> Reply<proto::close_ephemeral_resource::Response> {
        ok(proto::close_ephemeral_resource::Response {
            diagnostics: unsupported("ephemeral resources"),
        })
    }

    async fn stop_provider(
        &self,
        _: Request<proto::stop_provider::Request>,
    ) -> Reply<proto::stop_provider::Response> {
        tracing::info!("Terraform asked to stop: cancelling in-flight work");
        self.stop.cancel();
        ok(proto::stop_provider::Response {
            error: String::new(),
        })
    }
}

fn capabilities() -> proto::ServerCapabilities {
    proto::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
    }
}

fn split<T>(result: Result<T, Diagnostics>) -> (Option<T>, Diagnostics) {
    match result {
        Ok(v) => (Some(v), Diagnostics::new()),
        Err(d) => (None, d),
    }
}

/// On failure, answer with the state Terraform gave us so nothing is lost.
fn flatten(
    result: Result<(Option<proto::DynamicValue>, Diagnostics), Diagnostics>,
    fallback: Option<proto::DynamicValue>,
) -> (Option<proto::DynamicValue>, Diagnostics) {
    match result {
        Ok(pair) => pair,
        Err(d) => (fallback, d),
    }
}

#[cfg(test)]
mod deferral_tests;
#[cfg(test)]
mod tests;
