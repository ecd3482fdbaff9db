//! docs/baker.md documents every config key (`section.key`, as in
//! `baker::config::keys`) and every exit code baker uses.

use baker::config::keys::{FILE_ONLY_KEYS, KEYS};

use crate::harness::project::repo_root;

fn docs() -> String {
    std::fs::read_to_string(repo_root().join("docs/baker.md")).expect("docs/baker.md")
}

#[test]
fn every_key_is_documented() {
    let docs = docs();
    let missing: Vec<&str> = KEYS
        .iter()
        .chain(FILE_ONLY_KEYS)
        .copied()
        .filter(|k| !docs.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/baker.md does not document {missing:?}"
    );
}

#[test]
fn every_exit_code_is_documented() {
    let docs = docs();
    let line = docs
        .lines()
        .skip_while(|l| !l.starts_with("Exit codes:"))
        .take_while(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        !line.is_empty(),
        "docs/baker.md has no \"Exit codes:\" paragraph"
    );
    for (code, what) in [
        (0, "success"),
        (1, "failed step"),
        (2, "configuration"),
        (baker::error::IMAGE_KEPT, "image was made and kept"),
        (baker::error::CRASHED, "crashed"),
        (130, "interrupted"),
        (143, "interrupted"),
        (129, "interrupted"),
    ] {
        assert!(
            line.contains(&code.to_string()) && line.contains(what),
            "exit code {code} ({what}) in: {line}"
        );
    }
}
