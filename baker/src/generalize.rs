//! Generalizing the builder before its image is made, so that every
//! instance launched from the image has an identity of its own rather than
//! the builder's. Rendered as a shell script that the generalize step runs
//! through SSM, as the provisioning plan is.
//!
//! What must not be in a generic image, and how each is cleared:
//! - `/etc/machine-id`: emptied, so that systemd makes a new id at the
//!   instance's first boot (machine-id(5): "For operating system images
//!   which are created once and used on multiple machines ... /etc/machine-id
//!   should be either missing or an empty file"); the D-Bus copy
//!   (`/var/lib/dbus/machine-id`) is removed.
//! - the journal (`/var/log/journal/*`): the builder's boots and its
//!   "Stopped nodeapp" lines would otherwise open every instance's journal.
//! - cloud-init's instance state and logs (`cloud-init clean --logs`, as
//!   cloud-init documents for images), where cloud-init is installed.
//! - SSH host keys (`/etc/ssh/ssh_host_*`): shared keys let one instance
//!   impersonate another. Where sshd is installed and nothing makes new keys
//!   at boot (cloud-init, `sshd-keygen@.service`), a unit that runs
//!   `ssh-keygen -A` when they are missing is enabled, so sshd still starts.
//! - `authorized_keys` of root and of every user in `/home`.
//! - the SSM agent's state of this instance (`/var/lib/amazon/ssm/i-*`,
//!   `/var/lib/amazon/ssm/ipc`, `registration`), which names the builder.
//! - shell histories, `/tmp` and `/var/tmp`.
//!
//! The agent that runs this script, journald and the services must keep
//! running until the builder powers off (the stop step, or the reboot
//! CreateImage does for a spot builder), so the clearing runs then: the
//! script installs a oneshot unit whose ExecStop does it, ordered to stop
//! after the SSM agent and the app. Each piece that is absent is skipped
//! with a note. The unit and its script remove themselves as they run.

use crate::provision::sh_quote;

/// The unit that clears the builder's identity at power-off.
pub const UNIT: &str = "baker-generalize.service";
/// The script its ExecStop runs.
pub const HOOK: &str = "/usr/local/sbin/baker-generalize";
/// The unit that makes SSH host keys at boot when they are missing.
pub const SSH_KEYS_UNIT: &str = "baker-ssh-host-keys.service";

/// The power-off half: clears what names the builder. `$root` prefixes
/// every path (empty on a real machine; a directory in the tests).
const AT_POWER_OFF: &str = r#"#!/bin/sh
# Clears the builder's identity as it powers off (installed by baker).
root="${BAKER_GENERALIZE_ROOT:-}"
note() { echo "baker-generalize: $*"; }
if [ -f "$root/etc/machine-id" ]; then : > "$root/etc/machine-id"; note "emptied /etc/machine-id"; else note "no /etc/machine-id"; fi
if [ -e "$root/var/lib/dbus/machine-id" ] || [ -L "$root/var/lib/dbus/machine-id" ]; then
  rm -f "$root/var/lib/dbus/machine-id"; note "removed /var/lib/dbus/machine-id"
fi
if [ -d "$root/var/log/journal" ]; then
  find "$root/var/log/journal" -mindepth 1 -maxdepth 1 -exec rm -rf {} +; note "removed the journal"
fi
if [ -z "$root" ] && command -v cloud-init >/dev/null 2>&1; then
  cloud-init clean --logs && note "cloud-init clean --logs"
fi
for key in "$root"/etc/ssh/ssh_host_*; do
  [ -e "$key" ] || continue
  rm -f "$key"; note "removed ${key#"$root"}"
done
for state in "$root"/var/lib/amazon/ssm/i-* "$root/var/lib/amazon/ssm/ipc" "$root/var/lib/amazon/ssm/registration"; do
  [ -e "$state" ] || continue
  rm -rf "$state"; note "removed ${state#"$root"}"
done
for home in "$root/root" "$root"/home/*; do
  rm -f "$home/.bash_history" "$home/.ash_history" "$home/.zsh_history" "$home/.python_history" "$home/.lesshst"
done
find "$root/tmp" "$root/var/tmp" -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null
rm -f "$root/etc/systemd/system/baker-generalize.service" "$root/usr/local/sbin/baker-generalize"
exit 0
"#;

/// The script the generalize step runs on the builder; `app_unit` (the
/// app's unit file name) is stopped before the clearing runs.
pub fn render(app_unit: &str) -> String {
    let hook = sh_quote(AT_POWER_OFF);
    format!(
        r#"#!/bin/sh
# Generalize plan rendered by baker: clears the builder's identity before
# its image is made (see the clearing script below for what).
set -eu
log() {{ echo "baker: $*"; }}

# Now: what nothing running needs.
for home in /root /home/*; do
  if [ -f "$home/.ssh/authorized_keys" ]; then rm -f "$home/.ssh/authorized_keys"; log "removed $home/.ssh/authorized_keys"; fi
done

# SSH host keys are removed at power-off; new ones must come at boot.
if command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; then
  if command -v cloud-init >/dev/null 2>&1 || systemctl cat sshd-keygen@.service >/dev/null 2>&1; then
    log "SSH host keys: made at boot by cloud-init or sshd-keygen"
  else
    cat > /etc/systemd/system/{ssh_keys_unit} <<'UNIT'
[Unit]
Description=Make SSH host keys when they are missing (installed by baker)
ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key
Before=ssh.service sshd.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
UNIT
    systemctl enable {ssh_keys_unit} >/dev/null 2>&1
    log "SSH host keys: {ssh_keys_unit} makes them at boot"
  fi
else
  log "SSH: sshd is not installed (skipped)"
fi
command -v cloud-init >/dev/null 2>&1 || log "cloud-init: not installed (skipped)"

# At power-off: the machine id, the journal, cloud-init's state, SSH host
# keys, the SSM agent's state, histories and temporary files.
printf '%s' {hook} > {hook_path}
chmod 0755 {hook_path}
cat > /etc/systemd/system/{unit} <<'UNIT'
[Unit]
Description=Clear this builder's identity before its image is made (installed by baker)
DefaultDependencies=no
Conflicts=shutdown.target
Before=shutdown.target amazon-ssm-agent.service snap.amazon-ssm-agent.amazon-ssm-agent.service {app_unit}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop={hook_path}
TimeoutStopSec=60
UNIT
systemctl daemon-reload
systemctl start {unit}
log "generalize: the machine id, journal, SSH host keys, SSM agent state and temporary files are cleared at power-off"
"#,
        unit = UNIT,
        ssh_keys_unit = SSH_KEYS_UNIT,
        app_unit = app_unit,
        hook_path = HOOK,
    )
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;
    use std::process::Command;

    use super::*;

    fn write(root: &Path, path: &str, content: &str) {
        let file = root.join(path);
        fs::create_dir_all(file.parent().expect("a parent")).expect("mkdir");
        fs::write(file, content).expect("write");
    }

    #[test]
    fn the_power_off_script_clears_what_names_the_builder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
        write(
            root,
            "var/lib/dbus/machine-id",
            "0123456789abcdef0123456789abcdef\n",
        );
        write(
            root,
            "var/log/journal/0123/system.journal",
            "builder's boot",
        );
        write(root, "etc/ssh/ssh_host_ed25519_key", "secret");
        write(root, "etc/ssh/ssh_host_ed25519_key.pub", "public");
        write(root, "etc/ssh/sshd_config", "kept");
        write(root, "var/lib/amazon/ssm/i-0abc/document/state", "builder");
        write(root, "var/lib/amazon/ssm/registration", "builder");
        write(root, "var/lib/amazon/ssm/Vault/kept", "kept");
        write(root, "root/.bash_history", "history");
        write(root, "home/admin/.bash_history", "history");
        write(root, "tmp/left", "x");
        write(root, "var/tmp/baker/bundle.tar.gz", "x");
        write(root, "opt/nodeapp/server.js", "kept");
        let out = Command::new("sh")
            .arg("-c")
            .arg(AT_POWER_OFF)
            .env("BAKER_GENERALIZE_ROOT", root)
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "{out:?}");
        let exists = |path: &str| root.join(path).exists();
        assert_eq!(
            fs::read(root.join("etc/machine-id")).expect("kept, empty"),
            b""
        );
        for gone in [
            "var/lib/dbus/machine-id",
            "var/log/journal/0123",
            "etc/ssh/ssh_host_ed25519_key",
            "etc/ssh/ssh_host_ed25519_key.pub",
            "var/lib/amazon/ssm/i-0abc",
            "var/lib/amazon/ssm/registration",
            "root/.bash_history",
            "home/admin/.bash_history",
            "tmp/left",
            "var/tmp/baker",
        ] {
            assert!(!exists(gone), "{gone} is still there");
        }
        for kept in [
            "etc/ssh/sshd_config",
            "var/lib/amazon/ssm/Vault/kept",
            "opt/nodeapp/server.js",
            "tmp",
            "var/log/journal",
        ] {
            assert!(exists(kept), "{kept} was removed");
        }
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("emptied /etc/machine-id"), "{said}");
    }

    #[test]
    fn the_power_off_script_skips_what_is_absent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new("sh")
            .arg("-c")
            .arg(AT_POWER_OFF)
            .env("BAKER_GENERALIZE_ROOT", dir.path())
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("no /etc/machine-id"));
    }

    #[test]
    fn the_plan_installs_the_power_off_unit_with_its_script_quoted() {
        let plan = render("nodeapp.service");
        assert!(plan.contains(&format!("systemctl start {UNIT}")), "{plan}");
        assert!(plan.contains(" nodeapp.service\n"), "{plan}");
        assert!(plan.contains(&format!("ExecStop={HOOK}")), "{plan}");
        let out = Command::new("sh")
            .arg("-n")
            .arg("-c")
            .arg(&plan)
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "the plan is not valid sh: {out:?}");
    }
}
