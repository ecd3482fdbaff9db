//! Typed cty values and types, with the msgpack and JSON codecs Terraform uses for
//! values crossing the plugin protocol.
//!
//! A [`Value`] carries no type: the codecs take the [`Type`] to read or write it as, the
//! way Terraform pairs every `DynamicValue` with a schema.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod eq;
mod error;
pub mod json;
pub mod msgpack;
mod number;
mod path;
mod trail;
mod types;
mod value;

pub use error::CtyError;
pub use number::{MAX_EXPONENT, Number};
pub use path::{Path, PathStep};
pub use trail::MAX_DEPTH;
pub use types::{MAX_TYPE_DEPTH, Type};
pub use value::Value;
