//! The tfplugin6 Provider service: each RPC decodes its values, calls the
//! framework or the resource, and encodes the answer. User mistakes and AWS
//! errors come back as diagnostics; no RPC answers with a gRPC error status.

mod convert;
mod provider_config;

use std::collections::HashMap;
use std::sync::RwLock;

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

    fn aws(&self) -> Result<Aws, Diagnostics> {
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
        let ty = provider_config::schema().value_type();
        let result = match convert::decode(request.get_ref().config.as_ref(), &ty) {
            Ok(config) => provider_config::connect(&config, self.stop.clone()).await,
            Err(d) => Err(d),
        };
        let diags = match result {
            Ok(aws) => {
                if let Ok(mut slot) = self.aws.write() {
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
        let req = request.get_ref();
        let result = self.resource(&req.type_name).and_then(|r| {
            let raw = req
                .raw_state
                .as_ref()
                .map(|s| s.json.as_slice())
                .unwrap_or_default();
            let state = if raw.is_empty() {
                cty::Value::Null
            } else {
                cty::json::decode(raw, r.value_type()).map_err(|e| {
                    Diagnostics::error(
                        "Cannot read the stored state",
                        format!(
                            "The state of this {} does not match the provider's schema: {e}",
                            req.type_name
                        ),
                    )
                })?
            };
            convert::encode(&state, r.value_type())
        });
        let (upgraded_state, diags) = split(result);
        ok(proto::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: convert::diagnostics(diags),
        })
    }

    async fn read_resource(
        &self,
        request: Request<proto::read_resource::Request>,
    ) -> Reply<proto::read_resource::Response> {
        let req = request.into_inner();
        let result = async {
            let r = self.resource(&req.type_name)?;
            let current = convert::decode(req.current_state.as_ref(), r.value_type())?;
            let aws = self.aws()?;
            let (new_state, mut diags) = r.read(&aws, &current).await;
            match convert::encode(&new_state, r.value_type()) {
                Ok(v) => Ok((Some(v), diags)),
                Err(d) => {
                    diags.extend(d);
                    Err(diags)
                }
            }
        }
        .await;
        let (new_state, diags) = flatten(result, req.current_state);
        ok(proto::read_resource::Response {
            new_state,
            diagnostics: convert::diagnostics(diags),
            private: req.private,
            deferred: None,
        })
    }

    async fn plan_resource_change(
        &self,
        request: Request<proto::plan_resource_change::Request>,
    ) -> Reply<proto::plan_resource_change::Response> {
        let req = request.into_inner();
        let result = (|| {
            let r = self.resource(&req.type_name)?;
            let ty = r.value_type();
            let prior = convert::decode(req.prior_state.as_ref(), ty)?;
            let config = convert::decode(req.config.as_ref(), ty)?;
            let proposed = convert::decode(req.proposed_new_state.as_ref(), ty)?;
            let (plan, diags) = r.plan(&prior, &config, &proposed);
            let planned = convert::encode(&plan.planned, ty)?;
            let replace = plan
                .requires_replace
                .iter()
                .map(convert::attribute_path)
                .collect();
            Ok::<_, Diagnostics>((planned, replace, diags))
        })();
        let (planned_state, requires_replace, diags) = match result {
            Ok((p, r, d)) => (Some(p), r, d),
            Err(d) => (None, Vec::new(), d),
        };
        ok(proto::plan_resource_change::Response {
            planned_state,
            requires_replace,
            planned_private: req.prior_private,
            diagnostics: convert::diagnostics(diags),
            legacy_type_system: false,
            deferred: None,
        })
    }

    async fn apply_resource_change(
        &self,
        request: Request<proto::apply_resource_change::Request>,
    ) -> Reply<proto::apply_resource_change::Response> {
        let req = request.into_inner();
        let result = async {
            let r = self.resource(&req.type_name)?;
            let ty = r.value_type();
            let prior = convert::decode(req.prior_state.as_ref(), ty)?;
            let planned = convert::decode(req.planned_state.as_ref(), ty)?;
            let aws = self.aws()?;
            let (new_state, mut diags) = r.apply(&aws, &prior, &planned).await;
            match convert::encode(&new_state, ty) {
                Ok(v) => Ok((Some(v), diags)),
                Err(d) => {
                    diags.extend(d);
                    Err(diags)
                }
            }
        }
        .await;
        let (new_state, diags) = flatten(result, req.prior_state);
        ok(proto::apply_resource_change::Response {
            new_state,
            private: req.planned_private,
            diagnostics: convert::diagnostics(diags),
            legacy_type_system: false,
        })
    }

    async fn import_resource_state(
        &self,
        request: Request<proto::import_resource_state::Request>,
    ) -> Reply<proto::import_resource_state::Response> {
        let req = request.get_ref();
        let result = self.resource(&req.type_name).and_then(|r| {
            let state = r.import(req.id.trim())?;
            convert::encode(&state, r.value_type())
        });
        let (state, diags) = split(result);
        let imported_resources = state
            .map(|state| proto::import_resource_state::ImportedResource {
                type_name: req.type_name.clone(),
                state: Some(state),
                private: Vec::new(),
            })
            .into_iter()
            .collect();
        ok(proto::import_resource_state::Response {
            imported_resources,
            diagnostics: convert::diagnostics(diags),
            deferred: None,
        })
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
        let req = request.get_ref();
        let result = async {
            let d = self.data_source(&req.type_name)?;
            let config = convert::decode(req.config.as_ref(), d.value_type())?;
            let aws = self.aws()?;
            let state = d.read(&aws, &config).await?;
            convert::encode(&state, d.value_type())
        }
        .await;
        let (state, diags) = split(result);
        ok(proto::read_data_source::Response {
            state,
            diagnostics: convert::diagnostics(diags),
            deferred: None,
        })
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
mod tests {
    use super::*;

    fn service() -> ProviderService {
        ProviderService::new(CancellationToken::new())
    }

    #[tokio::test]
    async fn garbage_msgpack_is_a_diagnostic_not_a_transport_error() {
        let request = proto::validate_resource_config::Request {
            type_name: "roundrobin_security_group".into(),
            config: Some(proto::DynamicValue {
                msgpack: vec![0xc1, 0xff, 0x00],
                json: Vec::new(),
            }),
        };
        let reply = service()
            .validate_resource_config(Request::new(request))
            .await;
        let diags = reply
            .map(|r| r.into_inner().diagnostics)
            .unwrap_or_default();
        assert_eq!(diags.len(), 1);
        assert!(diags[0].summary.contains("Invalid value"), "{diags:?}");
    }

    #[tokio::test]
    async fn an_unknown_resource_type_is_named() {
        let request = proto::validate_resource_config::Request {
            type_name: "roundrobin_nope".into(),
            config: None,
        };
        let reply = service()
            .validate_resource_config(Request::new(request))
            .await;
        let diags = reply
            .map(|r| r.into_inner().diagnostics)
            .unwrap_or_default();
        assert!(diags[0].detail.contains("roundrobin_nope"), "{diags:?}");
    }

    #[tokio::test]
    async fn calls_before_configure_are_diagnostics() {
        let request = proto::read_resource::Request {
            type_name: "roundrobin_security_group".into(),
            ..Default::default()
        };
        let reply = service().read_resource(Request::new(request)).await;
        let diags = reply
            .map(|r| r.into_inner().diagnostics)
            .unwrap_or_default();
        assert!(diags[0].summary.contains("not configured"), "{diags:?}");
    }
}
