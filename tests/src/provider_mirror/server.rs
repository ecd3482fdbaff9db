//! The HTTPS server of the mirror: GET only, one request per connection
//! (`Connection: close`), on 127.0.0.1 and a port the system picks. It stops
//! when dropped; every connection has read and write timeouts, so no thread
//! outlives a silent client for long.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{MirrorLayout, TestCa};
use crate::error::{HarnessError, Result};

/// How long a connection may stay silent before it is dropped.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request head read; terraform's are a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;

pub struct MirrorServer {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    layout: Arc<RwLock<MirrorLayout>>,
    accept: Option<JoinHandle<()>>,
}

impl MirrorServer {
    /// Serves `layout` over HTTPS with a certificate of `ca`.
    pub fn start(layout: MirrorLayout, ca: &TestCa) -> Result<MirrorServer> {
        let tls = ca.server_config()?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| HarnessError::io("binding the mirror's port", e))?;
        let address = listener
            .local_addr()
            .map_err(|e| HarnessError::io("reading the mirror's address", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let layout = Arc::new(RwLock::new(layout));
        let accept = {
            let layout = Arc::clone(&layout);
            let stop = Arc::clone(&stop);
            let requests = Arc::clone(&requests);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (tls, layout, requests) =
                        (Arc::clone(&tls), Arc::clone(&layout), Arc::clone(&requests));
                    std::thread::spawn(move || {
                        // A connection that fails only fails its client.
                        let _ = serve(stream, tls, &layout, &requests);
                    });
                }
            })
        };
        Ok(MirrorServer {
            address,
            stop,
            requests,
            layout,
            accept: Some(accept),
        })
    }

    /// Serves `layout` from now on (for documents that name the server's
    /// own URL, known only once it started).
    pub fn set_layout(&self, layout: MirrorLayout) {
        *self.layout.write().unwrap_or_else(PoisonError::into_inner) = layout;
    }

    /// The base URL for `network_mirror { url = … }`, ending in `/`.
    pub fn url(&self) -> String {
        format!("https://{}/", self.address)
    }

    /// The request lines served so far ("GET /path → 200").
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for MirrorServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    tls: Arc<rustls::ServerConfig>,
    layout: &RwLock<MirrorLayout>,
    requests: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let connection = rustls::ServerConnection::new(tls).map_err(std::io::Error::other)?;
    let mut stream = rustls::StreamOwned::new(connection, stream);

    let head = read_head(&mut stream)?;
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let mut words = request_line.split_whitespace();
    let (method, path) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or("/"),
    );
    let path = path.split('?').next().unwrap_or(path);
    let found = layout
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(path)
        .map(<[u8]>::to_vec);
    let (status, body, content_type): (&str, Vec<u8>, &str) = match (method, found) {
        ("GET", Some(body)) => ("200 OK", body, content_type(path)),
        ("GET", None) => ("404 Not Found", b"not found\n".to_vec(), "text/plain"),
        _ => (
            "405 Method Not Allowed",
            b"GET only\n".to_vec(),
            "text/plain",
        ),
    };
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(format!("{method} {path} → {status}"));
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes())?;
    stream.write_all(&body)?;
    stream.conn.send_close_notify();
    stream.flush()
}

/// The request up to the blank line that ends its head.
fn read_head(stream: &mut impl Read) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Err(std::io::Error::other("request head too large"));
        }
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buffer[..read]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

fn content_type(path: &str) -> &'static str {
    let file = path.rsplit('/').next().unwrap_or(path);
    if file.ends_with(".zip") {
        "application/zip"
    } else if file.ends_with("SHA256SUMS") || file.ends_with(".sig") {
        "application/octet-stream"
    } else {
        // index.json, V.json, and the registry's documents, which have no
        // extension.
        "application/json"
    }
}
