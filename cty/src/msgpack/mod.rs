//! cty's msgpack encoding, used for `DynamicValue.msgpack` in the plugin protocol.

mod decode;
mod encode;
mod read;
mod write;

pub use decode::decode;
pub use encode::encode;

#[cfg(test)]
mod bad_input_tests;
#[cfg(test)]
mod number_tests;
#[cfg(test)]
mod tests;
