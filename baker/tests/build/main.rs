//! User stories of `baker`, run as a user runs it (the built binary, as a
//! subprocess) against the AWS emulator (`tests/emulator/server.py`: moto
//! plus SSM agent registration, fault injection and delays) on loopback.
//! Each test starts its own emulator, so tests run in parallel.

mod harness;

mod build_succeeds;
mod encrypt_boot;
mod eventual_consistency;
mod exec;
mod faults;
mod hostile_input;
mod image_kept;
mod interrupt;
mod keep_images;
mod provisioning;
mod prune_safety;
mod public_ip;
mod rerun;
mod run_tags;
mod second_signal;
mod share_image;
mod ssm_output;
mod user_data;
mod validate;
