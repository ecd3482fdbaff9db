//! The rules `validate` and `build` share.
use super::*;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("app")).expect("app");
    std::fs::write(dir.path().join("app/server.js"), "//").expect("server");
    std::fs::create_dir(dir.path().join("systemd")).expect("systemd");
    std::fs::write(
        dir.path().join("systemd/nodeapp.service"),
        "[Service]\nEnvironmentFile=/etc/nodeapp/app.env\nExecStart=/usr/bin/node /opt/nodeapp/server.js\n",
    )
    .expect("unit");
    dir
}

#[test]
fn the_defaults_are_valid_for_a_project_with_app_and_unit() {
    let dir = project();
    assert_eq!(check(&Config::default(), dir.path(), None), vec![]);
}

#[test]
fn each_problem_names_its_field() {
    let dir = project();
    let mut config = Config::default();
    config.app.dir = "nope".into();
    config.image.name_template = "{app}-{sha}".into();
    config.image.keep = 0;
    config.source.ami = "img-1".into();
    config.image.tags.insert("app".into(), "x".into());
    let fields: Vec<String> = check(&config, dir.path(), None)
        .into_iter()
        .map(|p| p.field)
        .collect();
    for field in [
        "app.dir",
        "image.name_template",
        "image.keep",
        "source.ami",
        "image.tags.app",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
}

fn fields(problems: Vec<Problem>) -> Vec<String> {
    problems.into_iter().map(|p| p.field).collect()
}

#[test]
fn communicator_and_ssh_problems_name_their_fields() {
    let dir = project();
    let mut config = Config::default();
    config.communicator.kind = "winrm".into();
    config.ssh.port = 0;
    config.ssh.known_hosts = "/kh".into();
    config.ssh.host_key_fingerprint = "SHA256:x".into();
    let found = fields(check(&config, dir.path(), None));
    for field in ["communicator.type", "ssh.port", "ssh.host_key_fingerprint"] {
        assert!(found.iter().any(|f| f == field), "{field} in {found:?}");
    }
    assert!(!found.iter().any(|f| f == "ssh.host"), "{found:?}");
}

#[test]
fn ssh_needs_a_host_and_a_good_ssh_config_is_valid() {
    let dir = project();
    let mut config = Config::default();
    config.communicator.kind = "ssh".into();
    assert_eq!(fields(check(&config, dir.path(), None)), vec!["ssh.host"]);
    config.ssh.host = "10.0.0.2".into();
    config.ssh.known_hosts = "/kh".into();
    assert_eq!(check(&config, dir.path(), None), vec![]);
}

#[test]
fn build_refuses_the_ssh_communicator() {
    let dir = project();
    assert_eq!(check_build(&Config::default(), dir.path(), None), vec![]);
    let mut config = Config::default();
    config.communicator.kind = "ssh".into();
    config.ssh.host = "10.0.0.2".into();
    let problems = check_build(&config, dir.path(), None);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, "communicator.type");
    let text = problems[0].to_string();
    assert!(text.contains("not supported"), "{text}");
    assert!(text.contains("baker provision"), "{text}");
}
