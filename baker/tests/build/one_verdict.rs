//! `baker validate` and `baker build` give one verdict: validate runs the
//! checks build runs before its first AWS call (the same code), so each
//! configuration mistake is refused by both, with the same message.

use crate::harness::Project;
use crate::harness::project::{Run, repo_root};

/// The problem lines (`  - field: message`) of a refused run.
pub(crate) fn problems(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("  - "))
        .map(str::to_string)
        .collect()
}

/// Runs `validate EXTRA` and `build EXTRA` in `project`; both must refuse
/// with the same problems, one of which names `field` and says `says`.
pub(crate) fn same_verdict(project: &Project, extra: &[&str], field: &str, says: &str) {
    let mut validate = vec!["validate"];
    validate.extend(extra);
    let mut build = vec!["build"];
    build.extend(extra);
    let validated = project.run(&validate);
    let built = project.run(&build);
    assert_eq!(validated.code, Some(2), "{validated}");
    assert_eq!(built.code, Some(2), "{built}");
    let found = problems(&validated);
    assert_eq!(found, problems(&built), "{validated}\n{built}");
    assert!(
        found
            .iter()
            .any(|p| p.starts_with(&format!("  - {field}: ")) && p.contains(says)),
        "{field}: {says} in {validated}"
    );
}

#[test]
fn a_build_number_with_a_space() {
    let project = Project::offline("");
    same_verdict(
        &project,
        &["--build-number", "4 2"],
        "build number",
        "may only hold",
    );
}

#[test]
fn a_manifest_in_a_missing_directory() {
    let project = Project::offline("");
    same_verdict(
        &project,
        &["--manifest", "no-such-dir/manifest.json"],
        "output.manifest",
        "no-such-dir",
    );
}

#[test]
fn shared_encrypted_copies_without_a_key_for_their_region() {
    let project = Project::offline(
        "[image]\nami_regions = [\"eu-west-1\"]\nencrypt_boot = true\n\
         snapshot_users = [\"123456789012\"]\n",
    );
    same_verdict(
        &project,
        &[],
        "image.region_kms_key_ids.eu-west-1",
        "customer managed key",
    );
}

#[test]
fn a_package_name_with_an_apt_operator() {
    let project = Project::offline("");
    same_verdict(
        &project,
        &["--set", "app.node_package=nodejs openssh-server-"],
        "app.node_package",
        "removes the package",
    );
}

#[test]
fn a_unit_named_like_one_the_base_image_ships() {
    let project = Project::offline("");
    let unit = project.path().join("amazon-ssm-agent.service");
    std::fs::copy(repo_root().join("systemd/nodeapp.service"), &unit).expect("copying the unit");
    same_verdict(
        &project,
        &["--set", &format!("app.unit={}", unit.display())],
        "app.unit",
        "SSM agent",
    );
}

#[test]
fn numbers_past_a_day() {
    let project = Project::offline("");
    same_verdict(
        &project,
        &["--set", "app.health_timeout=18446744073709551615"],
        "app.health_timeout",
        "more than a day",
    );
    same_verdict(
        &project,
        &["--set", "wait.ssm_online=86401"],
        "wait.ssm_online",
        "more than a day",
    );
}
