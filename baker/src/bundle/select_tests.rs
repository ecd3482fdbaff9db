use std::os::unix::fs::symlink;

use super::*;

fn names(selection: &Selection) -> Vec<String> {
    selection
        .entries
        .iter()
        .map(|e| match e {
            Entry::File { name, .. } => name.display().to_string(),
            Entry::Symlink { name, target } => {
                format!("{} -> {}", name.display(), target.display())
            }
        })
        .collect()
}

fn app() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    std::fs::create_dir_all(app.join("lib")).expect("mkdir");
    std::fs::write(app.join("server.js"), "x").expect("write");
    std::fs::write(app.join("lib/util.js"), "x").expect("write");
    (dir, app)
}

#[test]
fn bakerignore_leaves_paths_out_with_gitignore_syntax() {
    let (_dir, app) = app();
    std::fs::create_dir_all(app.join("test")).expect("mkdir");
    std::fs::write(app.join("test/a.test.js"), "x").expect("write");
    std::fs::write(app.join("notes.md"), "x").expect("write");
    std::fs::write(app.join("README.md"), "x").expect("write");
    std::fs::write(
        app.join(".bakerignore"),
        "# tests stay home\ntest/\n*.md\n!README.md\n",
    )
    .expect("write");
    let selection = select(&app, &[]).expect("selects");
    assert_eq!(names(&selection), ["README.md", "lib/util.js", "server.js"]);
}

#[test]
fn env_files_stay_out_unless_included() {
    let (_dir, app) = app();
    for name in [".env", ".env.production", "lib/.env.local"] {
        std::fs::write(app.join(name), "SECRET=1").expect("write");
    }
    let selection = select(&app, &[]).expect("selects");
    assert_eq!(names(&selection), ["lib/util.js", "server.js"]);
    assert_eq!(
        selection.left_out,
        [".env", ".env.production", "lib/.env.local"].map(PathBuf::from)
    );
    let selection = select(&app, &[".env.production".into()]).expect("selects");
    assert_eq!(
        names(&selection),
        [".env.production", "lib/util.js", "server.js"]
    );
    let missing = select(&app, &[".env.staging".into()]).expect_err("not there");
    assert!(missing.to_string().contains(".env.staging"), "{missing}");
}

#[test]
fn links_inside_are_kept_as_links() {
    let (_dir, app) = app();
    std::fs::create_dir_all(app.join("node_modules/.bin")).expect("mkdir");
    symlink("../../lib/util.js", app.join("node_modules/.bin/util")).expect("link");
    let selection = select(&app, &[]).expect("selects");
    assert_eq!(
        names(&selection),
        [
            "lib/util.js",
            "node_modules/.bin/util -> ../../lib/util.js",
            "server.js"
        ]
    );
}

#[test]
fn a_link_that_leaves_the_app_directory_is_an_error_naming_it() {
    for target in ["../../secret", "/etc/passwd", "lib/../../outside"] {
        let (dir, app) = app();
        std::fs::write(dir.path().join("outside"), "x").expect("write");
        symlink(target, app.join("escape")).expect("link");
        let error = select(&app, &[]).expect_err(target);
        let message = error.to_string();
        assert!(
            message.contains("escape") && message.contains("outside the app directory"),
            "{message}"
        );
    }
}

#[test]
fn a_link_through_another_link_that_leaves_is_caught() {
    let (dir, app) = app();
    std::fs::create_dir_all(dir.path().join("elsewhere")).expect("mkdir");
    std::fs::write(dir.path().join("elsewhere/x"), "x").expect("write");
    // `lib/out` leaves, but is ignored; `via` goes through it.
    symlink("../../elsewhere", app.join("lib/out")).expect("link");
    std::fs::write(app.join(".bakerignore"), "lib/out\n").expect("write");
    symlink("lib/out/x", app.join("via")).expect("link");
    let error = select(&app, &[]).expect_err("leaves through a link");
    assert!(error.to_string().contains("via"), "{error}");
}

#[test]
fn a_dangling_link_is_an_error() {
    let (_dir, app) = app();
    symlink("nothing-here", app.join("dangling")).expect("link");
    let error = select(&app, &[]).expect_err("dangles");
    assert!(error.to_string().contains("does not exist"), "{error}");
}

#[test]
fn paths_stay_inside() {
    assert!(stays_inside(Path::new("a/b"), Path::new("../c")));
    assert!(stays_inside(Path::new("a"), Path::new("../c")));
    assert!(!stays_inside(Path::new(""), Path::new("../c")));
    assert!(!stays_inside(Path::new("a"), Path::new("../../c")));
    assert!(stays_inside(Path::new(""), Path::new("./x")));
}
