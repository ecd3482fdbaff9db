//! `baker validate` names each bad field, and accepts a good config.

use crate::harness::Project;

#[test]
fn a_good_config_is_valid() {
    let project = Project::offline("");
    let run = project.run(&["validate"]);
    assert!(run.success(), "{run}");
    assert!(run.stdout.contains("valid"), "{run}");
}

#[test]
fn unknown_keys_are_named_with_their_table() {
    let project = Project::offline("[image]\nkeeep = 3\n[bakery]\nx = 1\n");
    let run = project.run(&["validate"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("`image.keeep`"), "{run}");
    assert!(run.stderr.contains("`bakery`"), "{run}");
}

#[test]
fn bad_values_are_named_by_field() {
    let project = Project::offline("");
    let unit = project.path().join("bad.service");
    std::fs::write(
        &unit,
        "[Service]\nExecStart=/usr/bin/node server.js\nFrobnicate=yes\n",
    )
    .expect("unit");
    let run = project.run(&[
        "validate",
        "--set",
        "app.dir=no-such-dir",
        "--set",
        &format!("app.unit={}", unit.display()),
        "--set",
        "image.name_template={app}-{sha}",
        "--set",
        "source.ami=img-123",
        "--keep",
        "0",
    ]);
    assert_eq!(run.code, Some(2), "{run}");
    for field in [
        "app.dir:",
        "app.unit:",
        "image.name_template:",
        "source.ami:",
        "image.keep:",
    ] {
        assert!(run.stderr.contains(field), "{field} in {run}");
    }
    assert!(run.stderr.contains("{sha}"), "{run}");
    assert!(
        run.stderr.contains("EnvironmentFile=/etc/nodeapp/app.env"),
        "{run}"
    );
}

#[test]
fn a_bad_environment_override_names_the_variable() {
    let project = Project::offline("");
    let run = project
        .command(&["validate"])
        .env("BAKER_WAIT_SSM_ONLINE", "soon")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("BAKER_WAIT_SSM_ONLINE"), "{stderr}");
}

#[test]
fn a_build_with_the_ssh_communicator_is_refused_before_any_aws_call() {
    let project =
        Project::offline("[communicator]\ntype = \"ssh\"\n\n[ssh]\nhost = \"10.0.0.2\"\n");
    let run = project.run(&["build", "--commit", "abc1234", "--build-number", "1"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("communicator.type:"), "{run}");
    assert!(run.stderr.contains("over SSH is not supported"), "{run}");
    assert!(run.stderr.contains("baker provision"), "{run}");
}
