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

#[tokio::test]
async fn a_flatmap_only_state_is_refused_not_read_as_no_state() {
    let request = proto::upgrade_resource_state::Request {
        type_name: "roundrobin_security_group".into(),
        version: 0,
        raw_state: Some(proto::RawState {
            json: Vec::new(),
            flatmap: [("id".to_string(), "sg-1".to_string())].into(),
        }),
    };
    let reply = service()
        .upgrade_resource_state(Request::new(request))
        .await
        .map(|r| r.into_inner())
        .expect("a reply");
    assert!(reply.upgraded_state.is_none());
    assert!(
        reply.diagnostics[0].detail.contains("flatmap"),
        "{:?}",
        reply.diagnostics
    );
}

#[tokio::test]
async fn a_stored_attribute_the_schema_dropped_is_ignored() {
    let request = proto::upgrade_resource_state::Request {
        type_name: "roundrobin_security_group".into(),
        version: 0,
        raw_state: Some(proto::RawState {
            json: br#"{"id":"sg-1","name":"web","retired":"x","ingress":[],"egress":[]}"#.to_vec(),
            flatmap: Default::default(),
        }),
    };
    let reply = service()
        .upgrade_resource_state(Request::new(request))
        .await
        .map(|r| r.into_inner())
        .expect("a reply");
    assert!(reply.diagnostics.is_empty(), "{:?}", reply.diagnostics);
    assert!(reply.upgraded_state.is_some_and(|s| !s.msgpack.is_empty()));
}
