//! Every instance its own identity: two instances of one group, launched
//! from one baked image, have distinct machine ids, distinct SSH host keys
//! (the base image's keys are one set for every machine: only baker's
//! generalize step, clearing them as the builder powers off, gives each
//! instance its own), journals that begin at their own boot (not the
//! builder's), and `baker exec --group` shows each its own host.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, ensure};

use super::baker_exec::baker_exec;
use super::cloud::LiveCloud;
use crate::demo::report;

/// Printed by each instance, one `key=value` a line.
const SHOW_IDENTITY: &str = "echo machine-id=$(cat /etc/machine-id); echo hostname=$(hostname); \
                             echo boots=$(journalctl --list-boots --no-pager -q 2>/dev/null | wc -l); \
                             echo ssh-key=$(sha256sum < /etc/ssh/ssh_host_ed25519_key.pub | cut -c1-16)";

/// What one instance said of itself.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Identity {
    /// The host `baker exec` prefixed the lines with.
    prefix_host: String,
    machine_id: String,
    ssh_key: String,
    hostname: String,
    boots: String,
}

/// Runs the check on `group`'s instances; returns the stage's summary part.
pub fn check(cloud: &LiveCloud, group: &str) -> Result<String> {
    report::command(&format!(
        "baker exec --group {group} -- sh -c '{SHOW_IDENTITY}'"
    ));
    let shown = baker_exec(cloud, &["--group", group], &["sh", "-c", SHOW_IDENTITY])?;
    report::output(shown.lines());
    let identities = parse(&shown)?;
    ensure!(
        identities.len() == 2,
        "two instances should answer: {shown}"
    );
    let ids: BTreeSet<&str> = identities.values().map(|i| i.machine_id.as_str()).collect();
    ensure!(
        ids.len() == identities.len() && ids.iter().all(|id| id.len() == 32),
        "each instance needs a machine id of its own: {identities:?}"
    );
    let keys: BTreeSet<&str> = identities.values().map(|i| i.ssh_key.as_str()).collect();
    ensure!(
        keys.len() == identities.len() && keys.iter().all(|k| k.len() == 16),
        "each instance needs SSH host keys of its own: {identities:?}"
    );
    let machines = cloud.machines()?;
    for (instance, identity) in &identities {
        ensure!(
            identity.boots == "1",
            "{instance}'s journal should begin at its own boot, it lists {} boots",
            identity.boots
        );
        let machine = machines
            .iter()
            .find(|m| m["instance_id"].as_str() == Some(instance.as_str()))
            .with_context(|| format!("{instance} is not one of the emulator's machines"))?;
        ensure!(
            machine["hostname"].as_str() == Some(identity.hostname.as_str()),
            "{instance} answered from host {} but its machine is {}",
            identity.hostname,
            machine["hostname"]
        );
    }
    Ok(format!(
        "{} distinct machine ids and SSH host keys, each journal from its own boot",
        ids.len()
    ))
}

/// `i-… (HOST) | key=value` lines, by instance id.
fn parse(shown: &str) -> Result<BTreeMap<String, Identity>> {
    let mut found: BTreeMap<String, Identity> = BTreeMap::new();
    for line in shown.lines().filter(|l| !l.trim().is_empty()) {
        let (prefix, said) = line
            .split_once(" | ")
            .with_context(|| format!("not an instance's line: {line:?}"))?;
        let (instance, host) = prefix
            .split_once(" (")
            .with_context(|| format!("no host in {prefix:?}"))?;
        let entry = found.entry(instance.to_owned()).or_default();
        entry.prefix_host = host.trim_end_matches(')').to_owned();
        match said.split_once('=') {
            Some(("machine-id", value)) => entry.machine_id = value.to_owned(),
            Some(("hostname", value)) => entry.hostname = value.to_owned(),
            Some(("ssh-key", value)) => entry.ssh_key = value.trim().to_owned(),
            Some(("boots", value)) => entry.boots = value.trim().to_owned(),
            _ => {}
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_instances_lines_are_gathered() {
        let shown = "i-1 (ip-10-0-0-1.ec2.internal) | machine-id=aa\n\
                     i-1 (ip-10-0-0-1.ec2.internal) | hostname=ip-10-0-0-1\n\
                     i-1 (ip-10-0-0-1.ec2.internal) | boots=1\n\
                     i-2 (ip-10-0-0-2.ec2.internal) | machine-id=bb\n";
        let found = parse(shown).expect("parses");
        assert_eq!(found["i-1"].machine_id, "aa");
        assert_eq!(found["i-1"].hostname, "ip-10-0-0-1");
        assert_eq!(found["i-1"].boots, "1");
        assert_eq!(found["i-1"].prefix_host, "ip-10-0-0-1.ec2.internal");
        assert_eq!(found["i-2"].machine_id, "bb");
        assert!(parse("no prefix here").is_err());
    }
}
