//! Typed cty values and types, with the msgpack and JSON codecs Terraform uses for
//! values crossing the plugin protocol.
//!
//! A [`Value`] carries no type: the codecs take the [`Type`] to read or write it as, the
//! way Terraform pairs every `DynamicValue` with a schema.
//!
//! - [`msgpack`]: the wire form of `DynamicValue.msgpack`; unknown is `d4 00 00` out and
//!   any extension in.
//! - [`json`]: the form of Terraform state; unknown values cannot be written.
//! - [`Number`] is exact: big integers and decimals never go through `f64`, and a float
//!   read from msgpack is kept as exactly its binary value, so it is written back as the
//!   same float. JSON is read by a parser of this crate that keeps number literals as
//!   text, so serde_json's `arbitrary_precision` feature (which would change every
//!   crate's `serde_json::Number`) is not needed.
//! - A set holds each distinct element once, as in cty (see [`Value::set`]).
//! - A value in a [`Type::Dynamic`] slot is [`Value::Null`], [`Value::Unknown`] or a
//!   [`Value::Dynamic`] carrying its concrete type.
//! - Decoders never panic on any input: nesting deeper than [`MAX_DEPTH`] is an error, and
//!   memory stays proportional to the input's size whatever lengths it declares (a
//!   declared length that the remaining bytes cannot hold is an error up front).

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod eq;
mod error;
pub mod json;
pub mod msgpack;
mod number;
mod path;
mod set;
mod trail;
mod types;
mod value;

pub use error::CtyError;
pub use number::{MAX_EXPONENT, Number};
pub use path::{Path, PathStep};
pub use trail::MAX_DEPTH;
pub use types::{MAX_TYPE_DEPTH, Type};
pub use value::Value;
