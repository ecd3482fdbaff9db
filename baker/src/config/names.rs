//! Names the provisioning plan hands to the system: package names, in the
//! grammar package managers share, and the app's unit name, which may not
//! take over a unit the base image ships.

/// Why `word` is not a plain package name, if it is not. A plain name is
/// what apt (Debian Policy §5.6.1: lower-case letters, digits, `+`, `-`,
/// `.`, starting with a letter or digit) and dnf/yum (RPM names add `_` and
/// upper-case letters) both read as a name and nothing more. Refused:
/// apt's operators — a trailing `-` removes the package, a trailing `+`
/// installs it, `=` / `/` pick a version / release — comparison operators
/// (`<`, `>`), patterns and globs (`~`, `?`, `*`, `[`), dnf groups and
/// modules (`@`, `:`), and options (a leading `-`).
pub fn package_problem(word: &str) -> Option<String> {
    if word.is_empty() {
        return Some("an empty package name".into());
    }
    if !word.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Some(format!(
            "{word:?} does not start with a letter or digit (a leading - is an option, @ a group)"
        ));
    }
    if let Some(bad) = word
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._+-".contains(*c)))
    {
        return Some(format!(
            "{word:?} holds {bad:?}: package names are letters, digits, . _ + and - \
             (no version (=), release (/), comparison (< >), pattern (~ ? * [) or \
             architecture/module (:) syntax)"
        ));
    }
    if word.ends_with('-') || word.ends_with('+') {
        return Some(format!(
            "{word:?} ends with {:?}, which apt reads as an operator (a trailing - removes \
             the package, a trailing + installs it), not as part of the name",
            word.chars().last().unwrap_or('-')
        ));
    }
    None
}

/// Units the base images baker builds on ship, by exact name or prefix
/// (`*`): installing the app's unit under one of these names would overwrite
/// it and restart it in the app's place.
const SHIPPED_UNITS: &[(&str, &str)] = &[
    (
        "amazon-ssm-agent.service",
        "the SSM agent, which runs the build's commands",
    ),
    (
        "snap.amazon-ssm-agent.*",
        "the SSM agent (snap), which runs the build's commands",
    ),
    ("ssh.service", "the SSH server"),
    ("ssh@.service", "the SSH server"),
    ("sshd.service", "the SSH server"),
    ("sshd@.service", "the SSH server"),
    ("systemd-*", "part of systemd"),
    ("cloud-*", "cloud-init, which sets the instance up at boot"),
    ("dbus.service", "the system message bus"),
    ("dbus-*", "the system message bus"),
    ("getty@.service", "the login prompts"),
    ("serial-getty@.service", "the serial console"),
    ("chronyd.service", "the clock"),
    ("chrony.service", "the clock"),
    ("rsyslog.service", "the system log"),
    ("cron.service", "the job scheduler"),
    ("crond.service", "the job scheduler"),
    ("snapd.*", "the snap daemon"),
    ("NetworkManager*", "the network"),
    ("networkd-dispatcher.service", "the network"),
    ("polkit.service", "the authorization manager"),
    ("ec2-instance-connect*", "EC2 Instance Connect"),
    ("amazon-*", "an AWS agent"),
    ("unattended-upgrades.service", "the automatic updates"),
    ("apt-daily*", "the automatic updates"),
    ("dnf-*", "the package manager"),
    ("multi-user.target", "a boot target"),
];

/// Why the app's unit may not be called `name`, if it may not.
pub fn unit_name_problem(name: &str) -> Option<String> {
    let (pattern, what) =
        SHIPPED_UNITS
            .iter()
            .find(|(pattern, _)| match pattern.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == *pattern,
            })?;
    Some(format!(
        "{name:?} is a unit the base image ships ({pattern}: {what}): installing the app \
         under that name would overwrite and restart it; name the unit after the app \
         (e.g. nodeapp.service)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_package_names_pass() {
        for good in [
            "nodejs",
            "nodejs20",
            "npm",
            "libstdc++6",
            "nodejs-full-i18n",
            "python3.11",
            "perl_base",
        ] {
            assert_eq!(package_problem(good), None, "{good}");
        }
    }

    #[test]
    fn package_manager_operators_are_refused() {
        for bad in [
            "openssh-server-",
            "nodejs+",
            "nodejs=18.0",
            "nodejs/bookworm",
            "nodejs>18",
            "nodejs<20",
            "~nnode",
            "?installed",
            "node*",
            "@development",
            "nodejs:20",
            "nodejs:amd64",
            "--allowerasing",
        ] {
            assert!(package_problem(bad).is_some(), "{bad}");
        }
        let message = package_problem("openssh-server-").unwrap_or_default();
        assert!(message.contains("removes"), "{message}");
    }

    #[test]
    fn units_the_base_image_ships_are_refused() {
        for bad in [
            "amazon-ssm-agent.service",
            "snap.amazon-ssm-agent.amazon-ssm-agent.service",
            "ssh.service",
            "sshd.service",
            "systemd-journald.service",
            "cloud-init.service",
            "dbus.service",
        ] {
            assert!(unit_name_problem(bad).is_some(), "{bad}");
        }
        let message = unit_name_problem("amazon-ssm-agent.service").unwrap_or_default();
        assert!(message.contains("SSM agent"), "{message}");
        for good in ["nodeapp.service", "web.service", "my-systemd-app.service"] {
            assert_eq!(unit_name_problem(good), None, "{good}");
        }
    }
}
