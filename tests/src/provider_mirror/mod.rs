//! A provider network mirror on loopback, as Terraform's "provider network
//! mirror protocol" defines it, serving the release `make dist` packages.
//!
//! Paths, relative to the mirror's base URL, for the provider
//! `HOSTNAME/NAMESPACE/TYPE`:
//! - `HOSTNAME/NAMESPACE/TYPE/index.json`: `{"versions": {"V": {}}}`;
//! - `HOSTNAME/NAMESPACE/TYPE/V.json`: `{"archives": {"OS_ARCH": {"url": …,
//!   "hashes": ["zh:…"]}}}`, the URL relative to that document;
//! - the zip archives themselves, beside those documents.
//!
//! The same server also speaks the provider registry protocol
//! ([`registry`]), with checksums signed by a [`TestSigningKey`].
//!
//! Terraform talks to a network mirror over HTTPS only; [`TestCa`] makes the
//! certificate authority the test hands to terraform with `SSL_CERT_FILE`.

mod layout;
pub mod registry;
mod server;
mod signing;
mod tls;

pub use layout::{Archive, MirrorLayout};
pub use server::MirrorServer;
pub use signing::TestSigningKey;
pub use tls::TestCa;
