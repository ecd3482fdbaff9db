//! The test's private network: a client namespace (where baker, ssh and curl
//! run) and, per machine, a namespace joined to it by a veth pair whose two
//! ends are created directly inside the two namespaces. Nothing is added to
//! the host's own namespace, and a machine's namespace has no default route,
//! so all its traffic stays on its /30.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::error::Result;
use super::host::{command, run};

const IP_TIMEOUT: Duration = Duration::from_secs(30);
/// The second octet of every address the test uses: 10.231.<n>.0/30.
const SECOND_OCTET: u8 = 231;

/// A named network namespace (`/run/netns/<name>`), deleted on drop with
/// everything in it (veth ends included).
#[derive(Debug)]
pub struct Namespace {
    name: String,
}

impl Namespace {
    pub fn create(name: &str) -> Result<Namespace> {
        run(
            &format!("creating the network namespace {name}"),
            command("ip", ["netns", "add", name]),
            IP_TIMEOUT,
        )?;
        let namespace = Namespace {
            name: name.to_owned(),
        };
        namespace.ip("bringing up loopback", &["link", "set", "lo", "up"])?;
        Ok(namespace)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// What `systemd-nspawn --network-namespace-path` takes.
    pub fn path(&self) -> PathBuf {
        PathBuf::from("/run/netns").join(&self.name)
    }

    /// `program args…` run inside this namespace.
    pub fn exec<I, S>(&self, program: &str, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = command("ip", ["netns", "exec", self.name.as_str(), program]);
        command.args(args);
        command
    }

    /// `ip -n <namespace> args…`, failing with `what` on a non-zero exit.
    fn ip(&self, what: &str, args: &[&str]) -> Result<()> {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        run(
            &format!("{what} in {}", self.name),
            command("ip", all),
            IP_TIMEOUT,
        )?;
        Ok(())
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = run(
            "deleting a network namespace",
            command("ip", ["netns", "delete", self.name.as_str()]),
            IP_TIMEOUT,
        );
    }
}

/// The addresses of subnet `index`: client end `.1`, machine end `.2`.
pub fn addresses(index: u8) -> (Ipv4Addr, Ipv4Addr) {
    let base = index.saturating_mul(4);
    (
        Ipv4Addr::new(10, SECOND_OCTET, 0, base.saturating_add(1)),
        Ipv4Addr::new(10, SECOND_OCTET, 0, base.saturating_add(2)),
    )
}

/// A machine's namespace, joined to the client namespace by a veth pair.
#[derive(Debug)]
pub struct Link {
    pub namespace: Namespace,
    /// The client end's address (in the client namespace).
    pub client_addr: Ipv4Addr,
    /// The machine's address (in its own namespace).
    pub machine_addr: Ipv4Addr,
}

impl Link {
    /// Creates namespace `<tag>m<index>` and the pair `<tag>h<index>` (client
    /// side) / `<tag>g<index>` (machine side) on 10.231.0.<4·index>/30.
    pub fn create(client: &Namespace, tag: &str, index: u8) -> Result<Link> {
        let namespace = Namespace::create(&format!("{tag}m{index}"))?;
        let host_end = format!("{tag}h{index}");
        let guest_end = format!("{tag}g{index}");
        run(
            &format!("creating the veth pair {host_end}/{guest_end}"),
            command(
                "ip",
                [
                    "link",
                    "add",
                    "name",
                    host_end.as_str(),
                    "netns",
                    client.name(),
                    "type",
                    "veth",
                    "peer",
                    "name",
                    guest_end.as_str(),
                    "netns",
                    namespace.name(),
                ],
            ),
            IP_TIMEOUT,
        )?;
        let (client_addr, machine_addr) = addresses(index);
        let client_cidr = format!("{client_addr}/30");
        let machine_cidr = format!("{machine_addr}/30");
        client.ip(
            "addressing the client end",
            &["addr", "add", &client_cidr, "dev", &host_end],
        )?;
        client.ip(
            "bringing up the client end",
            &["link", "set", &host_end, "up"],
        )?;
        namespace.ip(
            "addressing the machine end",
            &["addr", "add", &machine_cidr, "dev", &guest_end],
        )?;
        namespace.ip(
            "bringing up the machine end",
            &["link", "set", &guest_end, "up"],
        )?;
        Ok(Link {
            namespace,
            client_addr,
            machine_addr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_index_gets_its_own_slash_30() {
        assert_eq!(
            addresses(0),
            (Ipv4Addr::new(10, 231, 0, 1), Ipv4Addr::new(10, 231, 0, 2))
        );
        assert_eq!(
            addresses(2),
            (Ipv4Addr::new(10, 231, 0, 9), Ipv4Addr::new(10, 231, 0, 10))
        );
    }
}
