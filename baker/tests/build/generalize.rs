//! The image is generalized before it is made: the builder gets the plan
//! that clears its identity at power-off (before the stop step), the
//! progress and the manifest say so, and `image.generalize = false` skips it.
//! What the plan does to a machine is proven by its unit test (a file tree)
//! and by the live story (distinct machine ids on two instances).
//!
//! Emulated behaviour relied on: ListCommands records every SendCommand
//! with its `commands` parameter.

use crate::harness::ssm_view::sent_commands;
use crate::harness::{Emulator, Project};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_is_generalized_after_provisioning_and_the_manifest_says_so() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "");
    let run = project.build(8);
    assert!(run.success(), "{run}");

    let provisioned = run.stderr.find("✓  provision: ").expect("provisioned");
    let generalized = run.stderr.find("✓  generalize: ").expect("generalized");
    let stopped = run.stderr.find("✓  stop builder: ").expect("stopped");
    assert!(provisioned < generalized && generalized < stopped, "{run}");
    let sent = sent_commands(&emulator).await;
    let plan = sent
        .iter()
        .find(|s| s.contains("Generalize plan rendered by baker"))
        .expect("the generalize plan was sent");
    assert!(
        plan.contains("systemctl start baker-generalize.service"),
        "{plan}"
    );

    let manifest = project.manifest();
    assert_eq!(
        manifest["builds"][0]["custom_data"]["generalized"], "true",
        "{manifest}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generalize_false_keeps_the_builders_identity() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "[image]\ngeneralize = false\n");
    let run = project.build(9);
    assert!(run.success(), "{run}");
    assert!(
        run.stderr
            .contains("generalize: skipped (image.generalize = false)"),
        "{run}"
    );
    let sent = sent_commands(&emulator).await;
    assert!(
        !sent
            .iter()
            .any(|s| s.contains("Generalize plan rendered by baker")),
        "{sent:?}"
    );
    let manifest = project.manifest();
    assert_eq!(
        manifest["builds"][0]["custom_data"]["generalized"], "false",
        "{manifest}"
    );
}
