//! Tests of the overrides from the environment and from flags.

use super::*;

#[test]
fn every_listed_key_can_be_set() {
    let mut config = Config::default();
    for key in KEYS {
        let value = if key.starts_with("image.force_")
            || *key == "image.encrypt_boot"
            || *key == "image.generalize"
            || *key == "builder.associate_public_ip_address"
            || *key == "builder.spot_fallback"
            || *key == "builder.subnet_filter_most_free"
            || *key == "source.most_recent"
            || *key == "image.ena_support"
            || *key == "image.sriov_support"
            || *key == "image.skip_create_ami"
        {
            "true"
        } else if key.ends_with("_filter") || *key == "source.filters" {
            "tag:Name=7"
        } else if *key == "image.region_kms_key_ids" {
            "eu-west-1=7"
        } else {
            "7"
        };
        config
            .set(key, value)
            .unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    assert_eq!(config.image.keep, 7);
    assert!(config.image.force_deregister && config.image.force_delete_snapshot);
    let err = config
        .set("image.force_deregister", "maybe")
        .expect_err("not a bool");
    assert!(err.contains("true or false"), "{err}");
}

#[test]
fn env_overrides_the_file_and_names_the_variable_on_error() {
    let mut config = Config::default();
    let env = |name: &str| match name {
        "BAKER_KEEP" => Some("2".to_string()),
        "BAKER_SOURCE_AMI" => Some("ami-123".to_string()),
        "BAKER_APP_PORT" => Some("".to_string()),
        _ => None,
    };
    apply_env(&mut config, &env).expect("applies");
    assert_eq!(config.image.keep, 2);
    assert_eq!(config.source.ami, "ami-123");
    assert_eq!(config.app.port, 8080);

    let ssh = |name: &str| match name {
        "BAKER_COMMUNICATOR_TYPE" => Some("ssh".to_string()),
        "BAKER_SSH_HOST" => Some("h.example".to_string()),
        "BAKER_SSH_USER" => Some("ec2-user".to_string()),
        _ => None,
    };
    apply_env(&mut config, &ssh).expect("applies");
    assert_eq!(config.communicator.kind, "ssh");
    assert_eq!(config.ssh.host, "h.example");
    assert_eq!(config.ssh.user, "ec2-user");

    let bad = |name: &str| (name == "BAKER_WAIT_SSM_ONLINE").then(|| "soon".to_string());
    let err = apply_env(&mut config, &bad).expect_err("not a number");
    assert!(err.to_string().contains("BAKER_WAIT_SSM_ONLINE"), "{err}");
}

#[test]
fn set_pairs_and_tags() {
    let mut config = Config::default();
    apply_sets(
        &mut config,
        &[
            "image.tags.team=web".into(),
            "source.owners=self, amazon".into(),
        ],
    )
    .expect("applies");
    assert_eq!(
        config.image.tags.get("team").map(String::as_str),
        Some("web")
    );
    assert_eq!(config.source.owners, vec!["self", "amazon"]);
    apply_sets(
        &mut config,
        &[
            "communicator.type=ssh".into(),
            "ssh.host=10.0.0.2".into(),
            "ssh.port=2222".into(),
        ],
    )
    .expect("applies");
    assert_eq!(config.communicator.kind, "ssh");
    assert_eq!(config.ssh.host, "10.0.0.2");
    assert_eq!(config.ssh.port, 2222);
    let err = apply_sets(&mut config, &["ssh.port=70000".into()]).expect_err("range");
    assert!(err.to_string().contains("ssh.port"), "{err}");
    let err = apply_sets(&mut config, &["image.kep=3".into()]).expect_err("unknown");
    assert!(err.to_string().contains("image.kep"), "{err}");
}

mod docs_tests {
    use super::KEYS;

    /// docs/baker.md names every key (as `section.key`), and the example
    /// baker.toml shows every section, so neither can drift from the code.
    #[test]
    fn every_key_is_documented_and_every_section_shown() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let docs = std::fs::read_to_string(root.join("docs/baker.md")).expect("docs/baker.md");
        let example = std::fs::read_to_string(root.join("baker.toml")).expect("baker.toml");
        let undocumented: Vec<&str> = KEYS
            .iter()
            .copied()
            .filter(|k| !docs.contains(&format!("`{k}`")))
            .collect();
        assert!(
            undocumented.is_empty(),
            "docs/baker.md does not document {undocumented:?}"
        );
        for key in KEYS {
            let section = key.split('.').next().unwrap_or_default();
            assert!(
                example.contains(&format!("[{section}]")),
                "baker.toml has no [{section}] section"
            );
        }
    }
}
