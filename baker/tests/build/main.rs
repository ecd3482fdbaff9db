//! User stories of `baker`, run as a user runs it (the built binary, as a
//! subprocess) against the AWS emulator (`emulator (python3 -m emulator)`: moto
//! plus SSM agent registration, fault injection and delays) on loopback.
//! Each test starts its own emulator, so tests run in parallel.

mod harness;

mod ami_regions;
mod ami_regions_cleanup;
mod block_devices;
mod build_succeeds;
mod bundle_contents;
mod deprecate_at;
mod docs;
mod encrypt_boot;
mod eventual_consistency;
mod exec;
mod exec_fleet;
mod exit_paths;
mod faults;
mod generalize;
mod hostile_input;
mod image_kept;
mod interrupt;
mod keep_images;
mod on_error_ask;
mod one_verdict;
mod packer_keys;
mod provisioning;
mod prune_in_use;
mod prune_regions;
mod prune_safety;
mod public_ip;
mod rerun;
mod run_tags;
mod second_signal;
mod share_image;
mod snapshot_release;
mod spot;
mod ssm_delivery;
mod ssm_output;
mod subnet_filter;
mod user_data;
mod user_snapshots;
mod validate;
