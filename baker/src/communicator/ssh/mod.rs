//! SSH (libssh2 through the `ssh2` crate): for hosts baker can reach
//! directly, such as a test machine or an existing server. It checks the
//! host key (a known_hosts file or a pinned SHA256 fingerprint) before it
//! authenticates, uploads files through `cat`, and runs scripts as root
//! (through `sudo -n` when the user is not root), streaming their output.
//!
//! Everything here blocks; async callers run it on a blocking thread.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ssh2::{MethodType, Session};

use super::RemoteOutput;
use crate::provision::sh_quote;

mod host_key;

use host_key::{authenticate, check_host_key};
pub use host_key::{fingerprints_match, key_types_for};

/// How the server's identity is checked. There is no "don't check".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// An OpenSSH known_hosts file that must list the host's key.
    KnownHosts(PathBuf),
    /// `SHA256:<base64>` as `ssh-keygen -lf` prints it.
    Fingerprint(String),
}

/// Where to connect and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// A private key file; without one, the keys of a running ssh-agent.
    pub key_file: Option<PathBuf>,
    pub host_key: HostKeyCheck,
    pub connect_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("connecting to {address}: {source}")]
    Connect {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("SSH {what} with {host}: {source}")]
    Protocol {
        what: &'static str,
        host: String,
        #[source]
        source: ssh2::Error,
    },
    #[error("reading known_hosts {}: {message}", path.display())]
    KnownHosts { path: PathBuf, message: String },
    #[error(
        "the host key of {host} is not in {}: add it (e.g. `ssh-keyscan -p {port} {host} >> {}`, \
         after checking it) or pin it with --host-key-fingerprint",
        path.display(), path.display()
    )]
    HostKeyUnknown {
        host: String,
        port: u16,
        path: PathBuf,
    },
    #[error("HOST KEY MISMATCH for {host}: {detail}; not connecting")]
    HostKeyMismatch { host: String, detail: String },
    #[error("authentication of {user}@{host} failed: {detail}")]
    Auth {
        user: String,
        host: String,
        detail: String,
    },
    #[error("{what} on {host}: {source}")]
    Io {
        what: String,
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} on {host} did not finish within {}", humantime::format_duration(*waited))]
    TimedOut {
        what: String,
        host: String,
        waited: Duration,
    },
    #[error("{what} on {host} failed (exit code {exit_code}){}", tail(stderr))]
    Remote {
        what: String,
        host: String,
        exit_code: i32,
        stderr: String,
    },
    #[error("interrupted")]
    Interrupted,
}

fn tail(stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        String::new()
    } else {
        format!("\n--- remote stderr ---\n{stderr}")
    }
}

/// An authenticated session with a host whose key was checked.
pub struct Ssh {
    session: Session,
    host: String,
    root: bool,
}

const POLL: Duration = Duration::from_millis(20);

impl Ssh {
    /// Connects, checks the host key, then authenticates.
    pub fn connect(target: &SshTarget) -> Result<Ssh, SshError> {
        let host = target.host.clone();
        let address = format!("{}:{}", target.host, target.port);
        let connect_error = |source| SshError::Connect {
            address: address.clone(),
            source,
        };
        let addrs: Vec<_> = (target.host.as_str(), target.port)
            .to_socket_addrs()
            .map_err(connect_error)?
            .collect();
        let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
        let mut tcp = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, target.connect_timeout) {
                Ok(stream) => {
                    tcp = Some(stream);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let tcp = tcp.ok_or_else(|| connect_error(last))?;
        let protocol = |what| {
            let host = host.clone();
            move |source| SshError::Protocol { what, host, source }
        };
        let mut session = Session::new().map_err(protocol("session setup"))?;
        session.set_tcp_stream(tcp);
        session.set_timeout(millis(target.connect_timeout));
        if let HostKeyCheck::KnownHosts(path) = &target.host_key {
            let text = std::fs::read_to_string(path).map_err(|e| SshError::KnownHosts {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let types = key_types_for(&text, &target.host, target.port);
            if !types.is_empty() {
                session
                    .method_pref(MethodType::HostKey, &types.join(","))
                    .map_err(protocol("host key preference"))?;
            }
        }
        session.handshake().map_err(protocol("handshake"))?;
        check_host_key(&session, target)?;
        authenticate(&session, target)?;
        Ok(Ssh {
            session,
            host,
            root: target.user == "root",
        })
    }

    /// `command` run by the remote shell as root.
    fn as_root(&self, command: &str) -> String {
        if self.root {
            command.to_string()
        } else {
            format!("sudo -n sh -c {}", sh_quote(command))
        }
    }

    /// Writes `bytes` to `remote_path` (as root, parent directories made,
    /// replaced atomically).
    pub fn upload(&self, bytes: &[u8], remote_path: &str) -> Result<(), SshError> {
        let what = format!("uploading {remote_path}");
        let path = sh_quote(remote_path);
        let part = sh_quote(&format!("{remote_path}.part"));
        let command = self.as_root(&format!(
            "umask 077 && mkdir -p \"$(dirname {path})\" && cat > {part} && mv -f {part} {path}"
        ));
        let mut channel = self.channel(&what)?;
        channel.exec(&command).map_err(self.protocol("exec"))?;
        channel
            .write_all(bytes)
            .and_then(|()| channel.flush())
            .map_err(|source| self.io(&what, source))?;
        channel.send_eof().map_err(self.protocol("end of upload"))?;
        let mut stderr = String::new();
        let _ = channel.stderr().read_to_string(&mut stderr);
        channel.wait_close().map_err(self.protocol("closing"))?;
        let exit_code = channel
            .exit_status()
            .map_err(self.protocol("exit status"))?;
        if exit_code == 0 {
            Ok(())
        } else {
            Err(SshError::Remote {
                what,
                host: self.host.clone(),
                exit_code,
                stderr,
            })
        }
    }

    /// Runs the file `remote_script` with bash as root (stdin empty). Each
    /// complete stdout line goes to `on_line` as it arrives. Returns when the
    /// script ends, `timeout` passes, or `stop()` says so.
    pub fn run_script(
        &self,
        what: &str,
        remote_script: &str,
        timeout: Duration,
        stop: &dyn Fn() -> bool,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<RemoteOutput, SshError> {
        let command = self.as_root(&format!("bash {} < /dev/null", sh_quote(remote_script)));
        let mut channel = self.channel(what)?;
        channel.exec(&command).map_err(self.protocol("exec"))?;
        self.session.set_blocking(false);
        let streamed = self.pump(&mut channel, what, timeout, stop, on_line);
        self.session.set_blocking(true);
        let (stdout, stderr) = streamed?;
        channel.wait_close().map_err(self.protocol("closing"))?;
        let exit_code = channel
            .exit_status()
            .map_err(self.protocol("exit status"))?;
        Ok(RemoteOutput {
            status: if exit_code == 0 { "Success" } else { "Failed" }.to_string(),
            exit_code,
            stdout,
            stderr,
        })
    }

    /// Reads stdout and stderr together until both end (non-blocking, so
    /// a chatty stderr can never stall stdout).
    fn pump(
        &self,
        channel: &mut ssh2::Channel,
        what: &str,
        timeout: Duration,
        stop: &dyn Fn() -> bool,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(String, String), SshError> {
        let deadline = Instant::now() + timeout;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let mut shown = 0;
        let mut buf = [0u8; 16 * 1024];
        loop {
            let mut progressed = false;
            for stream_id in [0, 1] {
                let mut stream = channel.stream(stream_id);
                match stream.read(&mut buf) {
                    Ok(0) => {}
                    Ok(n) => {
                        progressed = true;
                        let sink = if stream_id == 0 {
                            &mut stdout
                        } else {
                            &mut stderr
                        };
                        sink.extend_from_slice(&buf[..n]);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(source) => return Err(self.io(what, source)),
                }
            }
            while let Some(end) = stdout[shown..].iter().position(|b| *b == b'\n') {
                on_line(&String::from_utf8_lossy(&stdout[shown..shown + end]));
                shown += end + 1;
            }
            if !progressed {
                if channel.eof() {
                    break;
                }
                if stop() {
                    return Err(SshError::Interrupted);
                }
                if Instant::now() >= deadline {
                    return Err(SshError::TimedOut {
                        what: what.to_string(),
                        host: self.host.clone(),
                        waited: timeout,
                    });
                }
                std::thread::sleep(POLL);
            }
        }
        if shown < stdout.len() {
            on_line(&String::from_utf8_lossy(&stdout[shown..]));
        }
        Ok((
            String::from_utf8_lossy(&stdout).into_owned(),
            String::from_utf8_lossy(&stderr).into_owned(),
        ))
    }

    fn channel(&self, what: &str) -> Result<ssh2::Channel, SshError> {
        self.session
            .channel_session()
            .map_err(|source| SshError::Io {
                what: format!("opening a channel for {what}"),
                host: self.host.clone(),
                source: source.into(),
            })
    }

    fn protocol(&self, what: &'static str) -> impl FnOnce(ssh2::Error) -> SshError + '_ {
        move |source| SshError::Protocol {
            what,
            host: self.host.clone(),
            source,
        }
    }

    fn io(&self, what: &str, source: std::io::Error) -> SshError {
        SshError::Io {
            what: what.to_string(),
            host: self.host.clone(),
            source,
        }
    }
}

fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_port_is_a_connect_error_naming_the_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let target = SshTarget {
            host: "127.0.0.1".into(),
            port,
            user: "root".into(),
            key_file: None,
            host_key: HostKeyCheck::Fingerprint("SHA256:x".into()),
            connect_timeout: Duration::from_secs(2),
        };
        let error = Ssh::connect(&target).err().expect("nothing listens there");
        assert!(
            error.to_string().contains(&format!("127.0.0.1:{port}")),
            "{error}"
        );
    }
}
