//! Deferral: with the provider's region unknown at plan, a Terraform that
//! allows deferral gets "deferred" answers; one that does not gets the error
//! naming the setting; nothing reaches AWS either way.

use std::collections::BTreeMap;

use cty::{Type, Value};

use super::*;

const DEFERRED: i32 = proto::deferred::Reason::ProviderConfigUnknown as i32;

fn service() -> ProviderService {
    ProviderService::new(CancellationToken::new())
}

fn capabilities(deferral_allowed: bool) -> Option<proto::ClientCapabilities> {
    Some(proto::ClientCapabilities {
        deferral_allowed,
        write_only_attributes_allowed: false,
    })
}

/// An object of `ty` with every attribute null except those given.
fn object(ty: &Type, set: &[(&str, Value)]) -> Value {
    let Type::Object(attrs) = ty else {
        return Value::Null;
    };
    let mut fields: BTreeMap<String, Value> =
        attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
    for (name, value) in set {
        fields.insert((*name).to_string(), value.clone());
    }
    Value::Object(fields)
}

fn resource_type(service: &ProviderService, name: &str) -> Type {
    service
        .resource(name)
        .map_or(Type::Dynamic, |r| r.value_type().clone())
}

fn encoded(value: &Value, ty: &Type) -> Option<proto::DynamicValue> {
    convert::encode(value, ty).ok()
}

async fn configure_with_unknown_region(
    service: &ProviderService,
    deferral_allowed: bool,
) -> Vec<proto::Diagnostic> {
    let ty = provider_config::schema().value_type();
    let config = object(&ty, &[("region", Value::Unknown)]);
    let request = proto::configure_provider::Request {
        terraform_version: "1.11.4".into(),
        config: encoded(&config, &ty),
        client_capabilities: capabilities(deferral_allowed),
    };
    service
        .configure_provider(Request::new(request))
        .await
        .map(|r| r.into_inner().diagnostics)
        .unwrap_or_default()
}

#[tokio::test]
async fn without_deferral_an_unknown_region_is_an_error_naming_it() {
    let service = service();
    let diags = configure_with_unknown_region(&service, false).await;
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].detail.contains("region"), "{diags:?}");
}

#[tokio::test]
async fn with_deferral_reads_and_plans_are_deferred() {
    let service = service();
    let diags = configure_with_unknown_region(&service, true).await;
    assert!(diags.is_empty(), "{diags:?}");

    // A refresh keeps the state as it is, deferred.
    let group = "roundrobin_security_group";
    let ty = resource_type(&service, group);
    let state = object(
        &ty,
        &[
            ("id", Value::string("sg-1")),
            ("name", Value::string("web")),
        ],
    );
    let read = service
        .read_resource(Request::new(proto::read_resource::Request {
            type_name: group.into(),
            current_state: encoded(&state, &ty),
            client_capabilities: capabilities(true),
            ..Default::default()
        }))
        .await
        .map(|r| r.into_inner())
        .expect("a reply");
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(read.deferred.map(|d| d.reason), Some(DEFERRED));
    assert_eq!(read.new_state, encoded(&state, &ty));

    // A create is planned (computed attributes unknown), deferred.
    let config = object(&ty, &[("name", Value::string("web"))]);
    let plan = service
        .plan_resource_change(Request::new(proto::plan_resource_change::Request {
            type_name: group.into(),
            prior_state: encoded(&Value::Null, &ty),
            proposed_new_state: encoded(&config, &ty),
            config: encoded(&config, &ty),
            client_capabilities: capabilities(true),
            ..Default::default()
        }))
        .await
        .map(|r| r.into_inner())
        .expect("a reply");
    assert_eq!(plan.deferred.map(|d| d.reason), Some(DEFERRED));
    let planned = convert::decode(plan.planned_state.as_ref(), &ty).expect("planned");
    assert_eq!(planned.get_attr("id"), Some(&Value::Unknown));
    assert_eq!(planned.get_attr("name"), Some(&Value::string("web")));

    // A data source is answered with its computed attributes unknown.
    let network = "roundrobin_default_network";
    let ty = service
        .data_source(network)
        .map_or(Type::Dynamic, |d| d.value_type().clone());
    let read = service
        .read_data_source(Request::new(proto::read_data_source::Request {
            type_name: network.into(),
            config: encoded(&object(&ty, &[]), &ty),
            client_capabilities: capabilities(true),
            ..Default::default()
        }))
        .await
        .map(|r| r.into_inner())
        .expect("a reply");
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(read.deferred.map(|d| d.reason), Some(DEFERRED));
    let state = convert::decode(read.state.as_ref(), &ty).expect("state");
    assert_eq!(state.get_attr("vpc_id"), Some(&Value::Unknown));
}

#[tokio::test]
async fn after_a_deferred_configure_an_apply_is_refused_not_sent_to_a_guessed_region() {
    let service = service();
    configure_with_unknown_region(&service, true).await;
    let group = "roundrobin_security_group";
    let ty = resource_type(&service, group);
    let planned = object(&ty, &[("name", Value::string("web"))]);
    let apply = service
        .apply_resource_change(Request::new(proto::apply_resource_change::Request {
            type_name: group.into(),
            prior_state: encoded(&Value::Null, &ty),
            planned_state: encoded(&planned, &ty),
            config: encoded(&planned, &ty),
            ..Default::default()
        }))
        .await
        .map(|r| r.into_inner())
        .expect("a reply");
    assert!(
        apply.diagnostics[0].summary.contains("settings unknown"),
        "{:?}",
        apply.diagnostics
    );
}
