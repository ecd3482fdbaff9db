//! The go-plugin handshake, host side: what Terraform tells us through the
//! environment, and the one line we answer on stdout.

use std::ops::RangeInclusive;

/// The cookie Terraform sets so that a provider binary refuses to run by hand.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own wire protocol version (the first field of the handshake line).
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol this provider speaks.
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// Why the plugin cannot start.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error(
        "This binary is a plugin for Terraform and is not meant to be run directly.\n\
         Use it through terraform: declare `roundrobin = {{ source = \"roundrobin/roundrobin\" }}` \
         in required_providers and run `terraform init` (after `make install`), or point a \
         dev_overrides block in your CLI configuration at the directory holding this binary."
    )]
    NotLaunchedByTerraform,
    #[error(
        "Terraform offers plugin protocol versions {offered:?}, but this provider speaks only \
         version {APP_PROTOCOL_VERSION}; use Terraform 1.0 or newer"
    )]
    UnsupportedProtocol { offered: String },
    #[error("{name} must be a port number, got {value:?}")]
    BadPort { name: &'static str, value: String },
    #[error("PLUGIN_MIN_PORT ({min}) is greater than PLUGIN_MAX_PORT ({max})")]
    EmptyPortRange { min: u16, max: u16 },
}

/// What the host (Terraform) asked of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRequest {
    /// Ports we may listen on; `0..=0` means "any free port".
    pub ports: RangeInclusive<u16>,
    /// Terraform's client certificate (PEM) when AutoMTLS is on.
    pub client_cert_pem: Option<String>,
}

impl HostRequest {
    /// Reads the handshake environment through `get` (normally `std::env::var`).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, HandshakeError> {
        if get(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(HandshakeError::NotLaunchedByTerraform);
        }
        if let Some(offered) = get("PLUGIN_PROTOCOL_VERSIONS") {
            let speaks_ours = offered
                .split(',')
                .any(|v| v.trim().parse::<u32>() == Ok(APP_PROTOCOL_VERSION));
            if !offered.trim().is_empty() && !speaks_ours {
                return Err(HandshakeError::UnsupportedProtocol { offered });
            }
        }
        let min = port_from(&get, "PLUGIN_MIN_PORT")?;
        let max = port_from(&get, "PLUGIN_MAX_PORT")?;
        let ports = match (min, max) {
            (None, None) => 0..=0,
            (min, max) => {
                let (min, max) = (min.unwrap_or(1024), max.unwrap_or(u16::MAX));
                if min > max {
                    return Err(HandshakeError::EmptyPortRange { min, max });
                }
                min..=max
            }
        };
        let client_cert_pem = get("PLUGIN_CLIENT_CERT").filter(|pem| !pem.trim().is_empty());
        Ok(Self {
            ports,
            client_cert_pem,
        })
    }
}

fn port_from(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<u16>, HandshakeError> {
    match get(name) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| HandshakeError::BadPort { name, value: v }),
    }
}

/// The line go-plugin's client reads from our stdout:
/// `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT`, the certificate being the server
/// certificate's DER in base64 without padding (empty without AutoMTLS).
pub fn handshake_line(network: &str, addr: &str, server_cert_der: Option<&[u8]>) -> String {
    use base64::Engine as _;
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|{network}|{addr}|grpc|{cert}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn refuses_to_run_without_the_cookie() {
        let err = HostRequest::from_env(env(&[])).unwrap_err();
        assert!(err.to_string().contains("plugin for Terraform"));
    }

    #[test]
    fn negotiates_protocol_six_and_the_port_range() {
        let req = HostRequest::from_env(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "5,6"),
            ("PLUGIN_MIN_PORT", "10000"),
            ("PLUGIN_MAX_PORT", "25000"),
        ]))
        .unwrap();
        assert_eq!(req.ports, 10000..=25000);
        assert_eq!(req.client_cert_pem, None);
    }

    #[test]
    fn rejects_hosts_that_only_speak_five() {
        let err = HostRequest::from_env(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "5"),
        ]))
        .unwrap_err();
        assert!(matches!(err, HandshakeError::UnsupportedProtocol { .. }));
    }

    #[test]
    fn names_a_bad_port_variable() {
        let err = HostRequest::from_env(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_MIN_PORT", "lots"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("PLUGIN_MIN_PORT"));
    }

    #[test]
    fn handshake_line_has_unpadded_base64_cert() {
        let line = handshake_line("tcp", "127.0.0.1:1234", Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|6|tcp|127.0.0.1:1234|grpc|AQIDBA");
        assert_eq!(
            handshake_line("unix", "/tmp/s", None),
            "1|6|unix|/tmp/s|grpc|"
        );
    }
}
