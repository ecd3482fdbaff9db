//! Reading `baker.toml`: unknown keys, wrong types, defaults.
use super::*;

#[test]
fn every_unknown_key_is_named_with_its_table() {
    let text = "[app]\nnme = \"x\"\n[image]\nkeep = 3\nfoo = 1\n[bogus]\n";
    let err = Config::parse(text, Path::new("baker.toml")).expect_err("unknown keys");
    let message = err.to_string();
    assert!(message.contains("`app.nme`"), "{message}");
    assert!(message.contains("`image.foo`"), "{message}");
    assert!(message.contains("`bogus`"), "{message}");
}

#[test]
fn a_wrong_type_names_the_key_and_line() {
    let err = Config::parse("[image]\nkeep = \"three\"\n", Path::new("baker.toml"))
        .expect_err("bad type");
    let message = err.to_string();
    assert!(message.contains("keep"), "{message}");
    assert!(message.contains("line 2"), "{message}");
}

#[test]
fn defaults_fill_what_the_file_leaves_out() {
    let config = Config::parse("[image]\nkeep = 2\n", Path::new("b.toml")).expect("parses");
    assert_eq!(config.image.keep, 2);
    assert_eq!(config.app.name, "nodeapp");
    assert_eq!(config.image.name_template, "{app}-{build}-{short_commit}");
    assert_eq!(config.communicator.kind, "ssm");
    assert_eq!(config.ssh.port, 22);
    assert_eq!(config.ssh.user, "root");
    assert!(config.ssh.host.is_empty());
}

#[test]
fn the_communicator_and_ssh_sections_parse() {
    let text = "[communicator]\ntype = \"ssh\"\n[ssh]\nhost = \"10.0.0.2\"\nport = 2222\nuser = \"ec2-user\"\nkey_file = \"/k\"\nhost_key_fingerprint = \"SHA256:x\"\n";
    let config = Config::parse(text, Path::new("b.toml")).expect("parses");
    assert_eq!(config.communicator.kind, "ssh");
    assert_eq!(config.ssh.host, "10.0.0.2");
    assert_eq!(config.ssh.port, 2222);
    assert_eq!(config.ssh.user, "ec2-user");
    assert_eq!(config.ssh.key_file, PathBuf::from("/k"));
    assert!(config.ssh.known_hosts.as_os_str().is_empty());
    assert_eq!(config.ssh.host_key_fingerprint, "SHA256:x");
}

#[test]
fn an_out_of_range_ssh_port_or_unknown_ssh_key_is_named() {
    let err = Config::parse("[ssh]\nport = 70000\n", Path::new("b.toml")).expect_err("range");
    assert!(err.to_string().contains("port"), "{err}");
    let err = Config::parse("[ssh]\nhots = \"h\"\n", Path::new("b.toml")).expect_err("unknown");
    assert!(err.to_string().contains("`ssh.hots`"), "{err}");
}
