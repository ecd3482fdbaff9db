//! User stories of `baker`, run as a user runs it (the built binary, as a
//! subprocess) against the AWS emulator (`tests/emulator/server.py`: moto
//! plus SSM agent registration, fault injection and delays) on loopback.
//! Each test starts its own emulator, so tests run in parallel.

mod harness;

mod build_succeeds;
mod exec;
mod faults;
mod interrupt;
mod keep_images;
mod provisioning;
mod validate;
