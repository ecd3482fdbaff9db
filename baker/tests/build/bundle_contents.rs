//! The bundle a build delivers holds the app directory's regular files and
//! the links that stay inside it, minus what `.bakerignore` leaves out and
//! the `.env*` files `app.include` does not list; a link that leaves the
//! directory stops the build before any AWS call, naming it.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use baker::provision;
use base64::Engine as _;

use crate::build_succeeds::sent_scripts;
use crate::harness::project::repo_root;
use crate::harness::{Emulator, Project};

/// A copy of the repository's app in the project, with `extra` files.
fn app_in(project: &Project) -> PathBuf {
    let app = project.path().join("app");
    std::fs::create_dir_all(app.join("notes")).expect("mkdir");
    for file in ["server.js", "package.json"] {
        std::fs::copy(repo_root().join("app").join(file), app.join(file)).expect("copy");
    }
    std::fs::write(app.join(".env"), "SECRET=do-not-ship\n").expect("write");
    std::fs::write(app.join(".env.production"), "MODE=production\n").expect("write");
    std::fs::write(app.join("notes/todo.md"), "later\n").expect("write");
    std::fs::write(app.join(".bakerignore"), "notes/\n").expect("write");
    symlink("server.js", app.join("current.js")).expect("link");
    app
}

fn entries(bytes: &[u8]) -> Vec<(String, Option<PathBuf>)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut out: Vec<(String, Option<PathBuf>)> = archive
        .entries()
        .expect("entries")
        .map(|e| {
            let e = e.expect("entry");
            let name = e.path().expect("path").display().to_string();
            let link = e.link_name().expect("link name").map(|l| l.into_owned());
            (name, link)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_leaves_out_ignored_paths_and_unlisted_env_files() {
    let emulator = Emulator::start();
    let project = Project::new(&emulator, "");
    let app = app_in(&project);
    let dir = format!("app.dir={}", app.display());
    let run = project.run(&[
        "build",
        "--build-number",
        "61",
        "--set",
        &dir,
        "--set",
        "app.include=.env.production",
    ]);
    assert!(run.success(), "{run}");
    assert!(
        run.stderr.contains("left out of the bundle: .env ("),
        "{run}"
    );

    let unit = repo_root().join("systemd/nodeapp.service");
    let bundle =
        baker::bundle::pack(&app, &unit, &[".env.production".to_string()]).expect("bundle");
    let scripts = sent_scripts(&emulator).await;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bundle.bytes);
    assert_eq!(
        scripts[0],
        provision::fetch_inline(&encoded),
        "the bundle delivered"
    );
    assert_eq!(
        entries(&bundle.bytes),
        [
            ("app/.env.production".to_string(), None),
            (
                "app/current.js".to_string(),
                Some(PathBuf::from("server.js"))
            ),
            ("app/package.json".to_string(), None),
            ("app/server.js".to_string(), None),
            ("unit/nodeapp.service".to_string(), None),
        ]
    );
}

#[test]
fn validate_names_the_env_files_left_out() {
    let project = Project::offline("");
    let app = app_in(&project);
    let dir = format!("app.dir={}", app.display());
    let run = project.run(&["validate", "--set", &dir]);
    assert!(run.success(), "{run}");
    assert!(
        run.stdout
            .contains("left out of the bundle: .env, .env.production ("),
        "{run}"
    );
}

#[test]
fn a_link_out_of_the_app_directory_stops_build_and_validate() {
    let project = Project::offline("");
    let app = app_in(&project);
    std::fs::write(project.path().join("secrets.txt"), "x").expect("write");
    symlink(Path::new("../secrets.txt"), app.join("config.txt")).expect("link");
    let dir = format!("app.dir={}", app.display());
    for command in ["validate", "build"] {
        let run = project.run(&[command, "--build-number", "62", "--set", &dir]);
        assert!(!run.success(), "{run}");
        assert!(
            run.stderr
                .contains("config.txt is a symlink to ../secrets.txt outside the app directory"),
            "{run}"
        );
    }
}
