//! Packer's amazon-ebs keys, as `baker build` takes them: each one's effect
//! seen through the AWS API of the emulator, and each mistake refused alike
//! by `validate` and `build`.

mod image_and_launch;
mod role_policy;
mod security_groups;
mod skip_create_ami;
mod source_filter;

use aws_sdk_ec2::types::Instance;

use crate::harness::ec2_view::tags;
use crate::harness::project::Run;
use crate::harness::{Emulator, Project};

/// A build stopped at the stop step and kept (`--on-error=abort`), so the
/// builder and what was made for it can be looked at.
pub fn kept_build(emulator: &Emulator, config: &str, extra: &[&str]) -> (Project, Run) {
    emulator.fault("ec2", "StopInstances", "UnauthorizedOperation", 403, 1);
    let project = Project::new(emulator, config);
    let mut args = vec!["build", "--build-number", "201", "--on-error", "abort"];
    args.extend_from_slice(extra);
    let run = project.run(&args);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("step `stop builder` failed"), "{run}");
    (project, run)
}

/// The builder instance (tagged with a build id).
pub async fn builder(ec2: &aws_sdk_ec2::Client) -> Instance {
    let described = ec2.describe_instances().send().await.expect("instances");
    described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| tags(i.tags()).contains_key("baker:build-id"))
        .expect("the builder")
        .clone()
}
