//! Once the image is available and tagged, nothing deletes it: a cleanup
//! that fails afterwards, or a later step, leaves the AMI id on stdout and
//! exits with 3; the manifest's directory is checked before any AWS call.
//!
//! Emulated behaviours relied on: fault injection, the call counter.

use crate::harness::{Emulator, Leftovers, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_cleanup_after_the_image_keeps_it_and_exits_3() {
    let emulator = Emulator::start();
    emulator.fault("iam", "DeleteRole", "AccessDenied", 403, 1);
    let project = Project::new(&emulator, "");
    let run = project.build(41);
    assert_eq!(run.code, Some(3), "{run}");
    let ami = run.last_line().to_string();
    assert!(ami.starts_with("ami-"), "the AMI id is on stdout: {run}");
    assert!(
        run.stderr
            .contains("cleanup of step `instance profile` failed"),
        "{run}"
    );
    assert!(run.stderr.contains("DeleteRole"), "{run}");
    assert!(
        run.stderr.contains(&format!("the image {ami} is complete")),
        "{run}"
    );
    assert_eq!(
        project.manifest()["builds"][0]["artifact_id"],
        format!("us-east-1:{ami}")
    );
    let left = Leftovers::count(&emulator).await;
    assert_eq!(left.images, vec![ami], "{left}");
    assert_eq!(left.roles.len(), 1, "only the role is left: {left}");
    assert!(
        left.instances.is_empty() && left.security_groups.is_empty(),
        "{left}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builder_that_resists_termination_once_is_terminated_by_the_cleanup() {
    let emulator = Emulator::start();
    emulator.fault("ec2", "TerminateInstances", "UnauthorizedOperation", 403, 1);
    let project = Project::new(&emulator, "");
    let run = project.build(42);
    assert!(run.success(), "{run}");
    assert!(run.stderr.contains("warning: terminating i-"), "{run}");
    let left = Leftovers::count(&emulator).await;
    assert!(left.only_images(), "{left}");
    assert_eq!(left.images, vec![run.last_line().to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builder_that_cannot_be_terminated_is_listed_and_the_image_kept() {
    let emulator = Emulator::start();
    emulator.fault(
        "ec2",
        "TerminateInstances",
        "UnauthorizedOperation",
        403,
        -1,
    );
    // The group cannot go while the builder runs: do not wait long for it.
    let project = Project::new(&emulator, "");
    let run = project.run(&[
        "build",
        "--build-number",
        "43",
        "--set",
        "wait.instance_terminated=2",
    ]);
    assert_eq!(run.code, Some(3), "{run}");
    let ami = run.last_line().to_string();
    assert!(ami.starts_with("ami-"), "{run}");
    let left = Leftovers::count(&emulator).await;
    assert_eq!(left.instances.len(), 1, "{left}");
    assert!(
        run.stderr.contains(&format!(
            "left: instance {} (not terminated)",
            left.instances[0]
        )),
        "{run}"
    );
    assert_eq!(left.images, vec![ami], "{left}");
}

#[test]
fn a_manifest_that_cannot_be_written_fails_before_any_aws_call() {
    let project = Project::offline("[output]\nmanifest = \"no/such/dir/manifest.json\"\n");
    let run = project.run(&["build", "--commit", "abc1234", "--build-number", "1"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("output.manifest:"), "{run}");
    assert!(run.stderr.contains("does not exist"), "{run}");

    let project = Project::offline("");
    std::fs::write(project.path().join("manifest.json"), "not json").expect("write");
    let run = project.run(&["build", "--commit", "abc1234", "--build-number", "1"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("is not a manifest"), "{run}");
}
