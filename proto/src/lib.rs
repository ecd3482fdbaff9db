//! Generated gRPC bindings for Terraform plugin protocol 6.8 (`tfplugin6`) and
//! for the go-plugin host services (`plugin`) that every plugin process serves.
//!
//! The sources are `proto/tfplugin6.proto` and `proto/plugin.proto`; `build.rs`
//! turns them into Rust at build time. Both server and client code are
//! generated.

/// Terraform plugin protocol 6.8: the `tfplugin6.Provider` service and its
/// messages.
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::unwrap_used,
    missing_docs,
    rustdoc::all
)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin host services: `plugin.GRPCController`, `plugin.GRPCStdio` and
/// `plugin.GRPCBroker`.
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::unwrap_used,
    missing_docs,
    rustdoc::all
)]
pub mod plugin {
    tonic::include_proto!("plugin");
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::plugin::stdio_data::Channel;
    use super::tfplugin6::attribute_path::{Step, step::Selector};
    use super::tfplugin6::diagnostic::Severity;
    use super::tfplugin6::schema::{nested_block, object};
    use super::tfplugin6::{AttributePath, Diagnostic, StringKind, get_provider_schema};

    #[test]
    fn diagnostic_round_trips_through_prost() -> Result<(), prost::DecodeError> {
        let diagnostic = Diagnostic {
            severity: Severity::Error as i32,
            summary: "Invalid instance type".to_owned(),
            detail: "t9.nano does not exist".to_owned(),
            attribute: Some(AttributePath {
                steps: vec![
                    Step {
                        selector: Some(Selector::AttributeName("instances".to_owned())),
                    },
                    Step {
                        selector: Some(Selector::ElementKeyInt(2)),
                    },
                    Step {
                        selector: Some(Selector::ElementKeyString("type".to_owned())),
                    },
                ],
            }),
        };

        let bytes = diagnostic.encode_to_vec();
        // Field 1 (severity) is a varint: tag byte 0x08, value 1.
        assert_eq!(&bytes[..2], &[0x08, 0x01]);

        let decoded = Diagnostic::decode(bytes.as_slice())?;
        assert_eq!(decoded, diagnostic);
        assert_eq!(decoded.severity(), Severity::Error);
        Ok(())
    }

    #[test]
    fn empty_schema_response_decodes_from_nothing() -> Result<(), prost::DecodeError> {
        let response = get_provider_schema::Response::decode(&[][..])?;
        assert!(response.provider.is_none());
        assert!(response.resource_schemas.is_empty());
        assert!(response.server_capabilities.is_none());
        Ok(())
    }

    #[test]
    fn enum_values_match_the_protocol() {
        assert_eq!(Severity::Invalid as i32, 0);
        assert_eq!(Severity::Error as i32, 1);
        assert_eq!(Severity::Warning as i32, 2);
        assert_eq!(StringKind::Plain as i32, 0);
        assert_eq!(StringKind::Markdown as i32, 1);
        assert_eq!(nested_block::NestingMode::Single as i32, 1);
        assert_eq!(nested_block::NestingMode::List as i32, 2);
        assert_eq!(nested_block::NestingMode::Set as i32, 3);
        assert_eq!(nested_block::NestingMode::Map as i32, 4);
        assert_eq!(nested_block::NestingMode::Group as i32, 5);
        assert_eq!(object::NestingMode::Map as i32, 4);
        assert_eq!(Channel::Stdout as i32, 1);
        assert_eq!(Channel::Stderr as i32, 2);
    }
}
