//! The RPC layer on its own: bad bytes and bad calls are diagnostics.

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
