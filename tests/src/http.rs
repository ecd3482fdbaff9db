//! A minimal HTTP/1.0 client for moto's own control endpoints on loopback.
//!
//! HTTP/1.0 with `Connection: close` keeps the reply simple: no chunked
//! encoding, the body is everything up to the end of the stream.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::error::{HarnessError, Result};

/// Connect, read and write timeout of one request.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A reply: status code and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Sends one request to `127.0.0.1:port` and reads the whole reply.
pub fn request(
    method: &'static str,
    port: u16,
    path: &str,
    timeout: Option<Duration>,
) -> Result<Reply> {
    send(method, port, path, timeout, "")
}

/// Sends one request with a JSON body.
pub fn request_json(
    method: &'static str,
    port: u16,
    path: &str,
    body: &serde_json::Value,
) -> Result<Reply> {
    send(method, port, path, None, &body.to_string())
}

fn send(
    method: &'static str,
    port: u16,
    path: &str,
    timeout: Option<Duration>,
    body: &str,
) -> Result<Reply> {
    let url = format!("http://127.0.0.1:{port}{path}");
    let fail = |reason: String| HarnessError::Http {
        method,
        url: url.clone(),
        reason,
    };
    let timeout = timeout.unwrap_or(TIMEOUT);
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream =
        TcpStream::connect_timeout(&address, timeout).map_err(|e| fail(e.to_string()))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| fail(e.to_string()))?;

    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .map_err(|e| fail(e.to_string()))?;

    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| fail(e.to_string()))?;
    parse(&raw).ok_or_else(|| fail("the reply is not HTTP".to_owned()))
}

fn parse(raw: &[u8]) -> Option<Reply> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status_line = head.lines().next()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    Some(Reply {
        status,
        body: body.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_and_body() {
        let reply = parse(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n{\"a\":1}")
            .expect("an HTTP reply");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, "{\"a\":1}");
    }

    #[test]
    fn rejects_what_is_not_http() {
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n").is_none());
    }
}
