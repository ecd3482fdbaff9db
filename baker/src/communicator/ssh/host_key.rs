//! Who the server is (its host key, checked against known_hosts or a pinned
//! fingerprint) and who we are (a key file or ssh-agent).

use std::path::Path;

use base64::Engine as _;
use ssh2::{CheckResult, HashType, KnownHostFileKind, Session};

use super::{HostKeyCheck, SshError, SshTarget};

pub(super) fn check_host_key(session: &Session, target: &SshTarget) -> Result<(), SshError> {
    let host = target.host.clone();
    let (key, _) = session
        .host_key()
        .ok_or_else(|| SshError::HostKeyMismatch {
            host: host.clone(),
            detail: "the server sent no host key".into(),
        })?;
    match &target.host_key {
        HostKeyCheck::Fingerprint(expected) => {
            let actual = session
                .host_key_hash(HashType::Sha256)
                .map(|hash| {
                    format!(
                        "SHA256:{}",
                        base64::engine::general_purpose::STANDARD_NO_PAD.encode(hash)
                    )
                })
                .unwrap_or_default();
            if fingerprints_match(expected, &actual) {
                Ok(())
            } else {
                Err(SshError::HostKeyMismatch {
                    host,
                    detail: format!("expected {expected}, the server presented {actual}"),
                })
            }
        }
        HostKeyCheck::KnownHosts(path) => {
            let mut known = session.known_hosts().map_err(|source| SshError::Protocol {
                what: "known_hosts",
                host: host.clone(),
                source,
            })?;
            known
                .read_file(path, KnownHostFileKind::OpenSSH)
                .map_err(|e| SshError::KnownHosts {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            match known.check_port(&target.host, target.port, key) {
                CheckResult::Match => Ok(()),
                CheckResult::NotFound => Err(SshError::HostKeyUnknown {
                    host,
                    port: target.port,
                    path: path.clone(),
                }),
                CheckResult::Mismatch => Err(SshError::HostKeyMismatch {
                    host,
                    detail: format!("{} lists a different key for it", path.display()),
                }),
                CheckResult::Failure => Err(SshError::KnownHosts {
                    path: path.clone(),
                    message: "libssh2 could not check the host key".into(),
                }),
            }
        }
    }
}

/// `SHA256:abc` and `abc` are the same fingerprint; base64 padding is optional.
pub fn fingerprints_match(expected: &str, actual: &str) -> bool {
    let norm = |s: &str| {
        s.trim()
            .trim_start_matches("SHA256:")
            .trim_end_matches('=')
            .to_string()
    };
    !norm(expected).is_empty() && norm(expected) == norm(actual)
}

pub(super) fn authenticate(session: &Session, target: &SshTarget) -> Result<(), SshError> {
    let result = match &target.key_file {
        Some(key) => session.userauth_pubkey_file(&target.user, None, Path::new(key), None),
        None => session.userauth_agent(&target.user),
    };
    let how = match &target.key_file {
        Some(key) => format!("key {}", key.display()),
        None => "the keys of ssh-agent (no --key-file given)".to_string(),
    };
    match result {
        Ok(()) if session.authenticated() => Ok(()),
        Ok(()) => Err(SshError::Auth {
            user: target.user.clone(),
            host: target.host.clone(),
            detail: format!("the server did not accept {how}"),
        }),
        Err(e) => Err(SshError::Auth {
            user: target.user.clone(),
            host: target.host.clone(),
            detail: format!("{how}: {e}"),
        }),
    }
}

/// The key types known_hosts lists for `host` (plain entries only), in the
/// names the key exchange uses, so the server is asked for a key we can check.
pub fn key_types_for(known_hosts: &str, host: &str, port: u16) -> Vec<String> {
    let wanted = if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    };
    let mut types = Vec::new();
    for line in known_hosts.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(hosts), Some(kind)) = (fields.next(), fields.next()) else {
            continue;
        };
        if !hosts.split(',').any(|h| h == wanted) {
            continue;
        }
        let names: &[&str] = match kind {
            "ssh-rsa" => &["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
            other => &[other],
        };
        for name in names {
            if !types.iter().any(|t| t == name) {
                types.push((*name).to_string());
            }
        }
    }
    types
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hosts_types_follow_host_and_port() {
        let text = "# comment\n\
                    10.0.0.2 ssh-ed25519 AAAA1\n\
                    other,10.0.0.2 ssh-rsa AAAA2\n\
                    [10.0.0.2]:2222 ecdsa-sha2-nistp256 AAAA3\n\
                    @revoked 10.0.0.2 ssh-dss AAAA4\n\
                    |1|hashed= ssh-ed25519 AAAA5\n";
        assert_eq!(
            key_types_for(text, "10.0.0.2", 22),
            ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
        );
        assert_eq!(
            key_types_for(text, "10.0.0.2", 2222),
            ["ecdsa-sha2-nistp256"]
        );
        assert!(key_types_for(text, "10.0.0.3", 22).is_empty());
    }

    #[test]
    fn fingerprints_compare_with_or_without_prefix_and_padding() {
        assert!(fingerprints_match("SHA256:abcd", "SHA256:abcd"));
        assert!(fingerprints_match("abcd=", "SHA256:abcd"));
        assert!(!fingerprints_match("SHA256:abce", "SHA256:abcd"));
        assert!(!fingerprints_match("", "SHA256:"));
    }
}
