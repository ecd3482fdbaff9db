//! What CI tells about the build: the commit and the build number.
//!
//! Commit: `--commit`/`BAKER_COMMIT`, else `TRAVIS_COMMIT`, `GITHUB_SHA`, else
//! `git rev-parse HEAD` in the config's directory. Build number:
//! `--build-number`/`BAKER_BUILD_NUMBER`, else `TRAVIS_BUILD_NUMBER`,
//! `GITHUB_RUN_NUMBER`, else `local`.

use std::path::Path;
use std::process::Command;

/// The build number when no CI says otherwise.
pub const LOCAL_BUILD: &str = "local";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    pub commit: String,
    pub build: String,
}

impl BuildInfo {
    /// The first 7 characters of the commit, as git shows it.
    pub fn short_commit(&self) -> &str {
        let end = self
            .commit
            .char_indices()
            .nth(7)
            .map_or(self.commit.len(), |(i, _)| i);
        &self.commit[..end]
    }
}

fn first_set(env: &dyn Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| env(n))
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// Finds the commit and build number; `explicit_*` come from flags.
pub fn detect(
    explicit_commit: Option<&str>,
    explicit_build: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    repo_dir: &Path,
) -> Result<BuildInfo, String> {
    let commit = explicit_commit
        .map(str::to_string)
        .filter(|c| !c.is_empty())
        .or_else(|| first_set(env, &["BAKER_COMMIT", "TRAVIS_COMMIT", "GITHUB_SHA"]))
        .map_or_else(|| git_head(repo_dir), Ok)?;
    let build = explicit_build
        .map(str::to_string)
        .filter(|b| !b.is_empty())
        .or_else(|| {
            first_set(
                env,
                &[
                    "BAKER_BUILD_NUMBER",
                    "TRAVIS_BUILD_NUMBER",
                    "GITHUB_RUN_NUMBER",
                ],
            )
        })
        .unwrap_or_else(|| LOCAL_BUILD.to_string());
    Ok(BuildInfo { commit, build })
}

fn git_head(dir: &Path) -> Result<String, String> {
    let unknown = |why: String| {
        format!(
            "the commit is unknown ({why}): pass --commit or set BAKER_COMMIT \
             (TRAVIS_COMMIT and GITHUB_SHA are read too)"
        )
    };
    let output = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .map_err(|e| unknown(format!("running git: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(unknown(format!("git rev-parse HEAD: {}", stderr.trim())));
    }
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if commit.is_empty() {
        return Err(unknown("git printed nothing".into()));
    }
    Ok(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travis_then_github_then_local() {
        let travis = |n: &str| match n {
            "TRAVIS_COMMIT" => Some("abcdef0123456789".to_string()),
            "TRAVIS_BUILD_NUMBER" => Some("42".to_string()),
            "GITHUB_SHA" => Some("ffff".to_string()),
            _ => None,
        };
        let info = detect(None, None, &travis, Path::new(".")).expect("detects");
        assert_eq!(info.commit, "abcdef0123456789");
        assert_eq!(info.short_commit(), "abcdef0");
        assert_eq!(info.build, "42");

        let github = |n: &str| match n {
            "GITHUB_SHA" => Some("0123abc".to_string()),
            "GITHUB_RUN_NUMBER" => Some("7".to_string()),
            "TRAVIS_COMMIT" => Some(String::new()),
            _ => None,
        };
        let info = detect(None, None, &github, Path::new(".")).expect("detects");
        assert_eq!(
            (info.commit.as_str(), info.build.as_str()),
            ("0123abc", "7")
        );

        let info = detect(Some("c0ffee"), None, &|_: &str| None, Path::new(".")).expect("flag");
        assert_eq!(info.build, LOCAL_BUILD);
    }

    #[test]
    fn outside_a_repository_the_error_says_what_to_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        match detect(None, None, &|_: &str| None, dir.path()) {
            Err(message) => assert!(message.contains("BAKER_COMMIT"), "{message}"),
            Ok(info) => assert!(!info.commit.is_empty()),
        }
    }
}
