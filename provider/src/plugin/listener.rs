//! Where the plugin listens, and the stream of connections it accepts.

use std::io;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;

use super::conn::Conn;

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("no free port on 127.0.0.1 between {min} and {max}")]
    NoFreePort { min: u16, max: u16 },
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: io::Error },
}

pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Binds 127.0.0.1 on the first free port of `ports` (`0..=0`: any port).
    pub async fn tcp(ports: RangeInclusive<u16>) -> Result<Self, ListenError> {
        if *ports.start() == 0 && *ports.end() == 0 {
            let listener = TcpListener::bind(("127.0.0.1", 0))
                .await
                .map_err(|source| ListenError::Bind {
                    addr: "127.0.0.1:0".into(),
                    source,
                })?;
            return Ok(Self::Tcp(listener));
        }
        let (min, max) = (*ports.start(), *ports.end());
        // Start at a pid-dependent offset so that many providers starting at
        // once (terraform runs several) do not all race for the same port.
        let span = u32::from(max - min) + 1;
        let offset = std::process::id() % span;
        for i in 0..span {
            let port = min as u32 + (offset + i) % span;
            let Ok(port) = u16::try_from(port) else {
                continue;
            };
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
                return Ok(Self::Tcp(listener));
            }
        }
        Err(ListenError::NoFreePort { min, max })
    }

    /// Binds a unix socket at `path` (removed again when the listener drops).
    pub fn unix(path: &Path) -> Result<Self, ListenError> {
        let listener = UnixListener::bind(path).map_err(|source| ListenError::Bind {
            addr: path.display().to_string(),
            source,
        })?;
        Ok(Self::Unix(listener, path.to_path_buf()))
    }

    /// `("tcp", "127.0.0.1:PORT")` or `("unix", PATH)` for the handshake line.
    pub fn network_and_addr(&self) -> io::Result<(&'static str, String)> {
        match self {
            Self::Tcp(l) => Ok(("tcp", l.local_addr()?.to_string())),
            Self::Unix(_, path) => Ok(("unix", path.display().to_string())),
        }
    }

    /// Accepts connections until the receiver is dropped. TLS handshakes run
    /// on their own tasks so that one slow client cannot stall the others.
    pub fn into_stream(
        self,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> ReceiverStream<io::Result<Conn>> {
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            loop {
                let accepted = match &self {
                    Self::Tcp(l) => l.accept().await.map(|(s, _)| Raw::Tcp(s)),
                    Self::Unix(l, _) => l.accept().await.map(|(s, _)| Raw::Unix(s)),
                };
                let conn = match (accepted, &tls) {
                    (Err(e), _) => {
                        tracing::warn!("accept failed: {e}");
                        continue;
                    }
                    (Ok(Raw::Tcp(s)), Some(config)) => {
                        let acceptor = TlsAcceptor::from(config.clone());
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            match acceptor.accept(s).await {
                                Ok(tls) => {
                                    let _ = tx.send(Ok(Conn::Tls(Box::new(tls)))).await;
                                }
                                Err(e) => tracing::warn!("TLS handshake with the host failed: {e}"),
                            }
                        });
                        continue;
                    }
                    (Ok(Raw::Tcp(s)), None) => Conn::Tcp(s),
                    (Ok(Raw::Unix(s)), _) => Conn::Unix(s),
                };
                if tx.send(Ok(conn)).await.is_err() {
                    break;
                }
            }
        });
        ReceiverStream::new(rx)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Self::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

enum Raw {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}
