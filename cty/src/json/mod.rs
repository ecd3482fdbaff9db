//! cty's JSON encoding, used for Terraform state (`RawState.json`).
//!
//! Numbers are kept exact without serde_json's `arbitrary_precision` feature: decoding
//! goes through a small parser of its own that keeps number literals as text.

mod decode;
mod encode;
mod scan;

pub use decode::decode;
pub use encode::encode;

#[cfg(test)]
mod tests;
