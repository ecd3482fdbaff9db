//! A GPG signing key made for one test, in a GnuPG home of its own; the
//! gpg-agent that GnuPG starts for that home is stopped on drop.

use std::path::Path;
use std::process::Command;

use crate::error::{HarnessError, Result};

pub struct TestSigningKey {
    home: tempfile::TempDir,
    fingerprint: String,
}

impl TestSigningKey {
    /// A new RSA key (the kind the public registry accepts) without passphrase.
    pub fn new() -> Result<TestSigningKey> {
        // Short: gpg-agent's socket path must fit in a Unix socket address.
        let home = tempfile::Builder::new()
            .prefix("gpg-")
            .tempdir_in("/tmp")
            .map_err(|e| HarnessError::io("making a GnuPG home", e))?;
        let mut key = TestSigningKey {
            home,
            fingerprint: String::new(),
        };
        key.gpg(&[
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "round-robin test release <release@example.invalid>",
            "rsa2048",
            "sign",
            "never",
        ])?;
        let listing = key.gpg(&["--batch", "--with-colons", "--list-secret-keys"])?;
        key.fingerprint = listing
            .lines()
            .find_map(|line| line.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|field| !field.is_empty()))
            .ok_or_else(|| HarnessError::Setup(format!("no fingerprint in:\n{listing}")))?
            .to_owned();
        Ok(key)
    }

    /// The GnuPG home holding the key.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The long key id: the last 16 hex digits of the fingerprint.
    pub fn key_id(&self) -> &str {
        let start = self.fingerprint.len().saturating_sub(16);
        &self.fingerprint[start..]
    }

    /// The public key in ASCII armor.
    pub fn public_key(&self) -> Result<String> {
        self.gpg(&["--batch", "--armor", "--export", &self.fingerprint])
    }

    fn gpg(&self, args: &[&str]) -> Result<String> {
        let output = Command::new("gpg")
            .env("GNUPGHOME", self.home.path())
            .args(args)
            .output()
            .map_err(|source| HarnessError::Spawn {
                program: "gpg".into(),
                source,
            })?;
        if !output.status.success() {
            return Err(HarnessError::Setup(format!(
                "gpg {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

impl Drop for TestSigningKey {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}
