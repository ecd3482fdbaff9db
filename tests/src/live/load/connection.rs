//! One client's keep-alive HTTP/1.1 connection to the load balancer, as a
//! browser or an SDK keeps one: requests go one after the other on the same
//! connection; when the server has closed it while idle, the next request
//! opens a new one. A request that fails on the connection (reset, closed
//! before the whole answer, timed out, not HTTP) is a failed request: it is
//! never sent again, and the connection is dropped.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// An answer: status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// A keep-alive connection to `127.0.0.1:port` (opened on first use).
pub struct Connection {
    port: u16,
    stream: Option<TcpStream>,
    /// Connections opened so far (the first one included).
    pub opened: usize,
}

/// Bytes of an answer's head that are accepted before it counts as not HTTP.
const MAX_HEAD: usize = 64 * 1024;

impl Connection {
    pub fn new(port: u16) -> Connection {
        Connection {
            port,
            stream: None,
            opened: 0,
        }
    }

    /// One `GET path`, answered within `timeout` (connecting included).
    pub fn get(&mut self, path: &str, timeout: Duration) -> Result<Answer, String> {
        let deadline = Instant::now() + timeout;
        let outcome = self.exchange(path, deadline);
        match &outcome {
            Ok((_, keep)) if *keep => {}
            _ => self.stream = None, // failed or closing: never used again
        }
        outcome.map(|(answer, _)| answer)
    }

    fn exchange(&mut self, path: &str, deadline: Instant) -> Result<(Answer, bool), String> {
        if self.stream.as_ref().is_some_and(|s| !still_open(s)) {
            self.stream = None; // the server closed it while idle: reconnect
        }
        let stream = match self.stream.take() {
            Some(stream) => stream,
            None => {
                let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
                let stream = TcpStream::connect_timeout(&address, left(deadline)?)
                    .map_err(|e| format!("connect: {e}"))?;
                stream.set_nodelay(true).map_err(|e| e.to_string())?;
                self.opened += 1;
                stream
            }
        };
        let stream = self.stream.insert(stream);
        stream
            .set_write_timeout(Some(left(deadline)?))
            .map_err(|e| e.to_string())?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUser-Agent: roundrobin-load\r\n\r\n",
            self.port
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| format!("send: {e}"))?;
        read_answer(stream, deadline)
    }
}

/// The time left before `deadline`, or the failure of a request that took too long.
fn left(deadline: Instant) -> Result<Duration, String> {
    let now = Instant::now();
    if now >= deadline {
        return Err("timed out".to_owned());
    }
    Ok(deadline - now)
}

/// Whether an idle connection is still open: the server has neither closed it
/// nor sent anything unasked.
fn still_open(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let open = matches!(stream.peek(&mut byte), Err(e) if e.kind() == ErrorKind::WouldBlock);
    stream.set_nonblocking(false).is_ok() && open
}

fn read_more(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    deadline: Instant,
) -> Result<(), String> {
    stream
        .set_read_timeout(Some(left(deadline)?))
        .map_err(|e| e.to_string())?;
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk) {
        Ok(0) => Err("the connection closed before the whole answer".to_owned()),
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Err("timed out".to_owned())
        }
        Err(e) => Err(format!("receive: {e}")),
    }
}

/// How the body's end is known.
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// Reads one answer; returns it and whether the connection can be used again.
fn read_answer(stream: &mut TcpStream, deadline: Instant) -> Result<(Answer, bool), String> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if buffer.len() > MAX_HEAD {
            return Err("the answer's head is too long".to_owned());
        }
        read_more(stream, &mut buffer, deadline)?;
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split_whitespace();
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!("not an HTTP answer: {status_line:?}"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {status_line:?}"))?;
    let mut framing = Framing::UntilClose;
    let mut keep = version == "HTTP/1.1";
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_ascii_lowercase();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                let length = value
                    .parse()
                    .map_err(|_| format!("bad content-length {value:?}"))?;
                framing = Framing::Length(length);
            }
            "transfer-encoding" if value.contains("chunked") => framing = Framing::Chunked,
            "connection" if value.contains("close") => keep = false,
            "connection" if value.contains("keep-alive") => keep = true,
            _ => {}
        }
    }
    let mut rest = buffer.split_off(head_end + 4);
    let body = match framing {
        Framing::Length(length) => {
            while rest.len() < length {
                read_more(stream, &mut rest, deadline)?;
            }
            rest.truncate(length);
            rest
        }
        Framing::Chunked => read_chunked(stream, rest, deadline)?,
        Framing::UntilClose => {
            keep = false;
            loop {
                match read_more(stream, &mut rest, deadline) {
                    Ok(()) => {}
                    Err(e) if e.starts_with("the connection closed") => break rest,
                    Err(e) => return Err(e),
                }
            }
        }
    };
    let answer = Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    Ok((answer, keep))
}

/// A chunked body (RFC 9112 §7.1), trailers skipped.
fn read_chunked(
    stream: &mut TcpStream,
    mut data: Vec<u8>,
    deadline: Instant,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(at) = data.windows(2).position(|w| w == b"\r\n") {
                break at;
            }
            read_more(stream, &mut data, deadline)?;
        };
        let line = String::from_utf8_lossy(&data[..line_end]).into_owned();
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data.drain(..line_end + 2);
        if size == 0 {
            // Trailers (if any) end with an empty line.
            while !data.windows(2).any(|w| w == b"\r\n") || !ends_trailers(&data) {
                read_more(stream, &mut data, deadline)?;
            }
            return Ok(body);
        }
        while data.len() < size + 2 {
            read_more(stream, &mut data, deadline)?;
        }
        body.extend_from_slice(&data[..size]);
        data.drain(..size + 2);
    }
}

/// Whether the bytes after the last chunk hold the whole trailer section.
fn ends_trailers(data: &[u8]) -> bool {
    data.starts_with(b"\r\n") || data.windows(4).any(|w| w == b"\r\n\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// A loopback server: for each connection in turn, answers its requests with
    /// the given answers (`None`: read the request, close without answering),
    /// then closes it. Returns the port and how many answers it sent.
    fn serve(connections: Vec<Vec<Option<&'static str>>>) -> (u16, thread::JoinHandle<usize>) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let port = listener.local_addr().expect("address").port();
        let handle = thread::spawn(move || {
            let mut served = 0;
            for answers in connections {
                let Ok((mut conn, _)) = listener.accept() else {
                    return served;
                };
                for answer in answers {
                    let mut request = Vec::new();
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        let mut chunk = [0u8; 1024];
                        match conn.read(&mut chunk) {
                            Ok(0) | Err(_) => return served,
                            Ok(n) => request.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let Some(answer) = answer else { break };
                    if conn.write_all(answer.as_bytes()).is_err() {
                        return served;
                    }
                    served += 1;
                }
            }
            served
        });
        (port, handle)
    }

    const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    #[test]
    fn requests_share_one_connection_and_read_both_framings() {
        let (port, server) = serve(vec![vec![
            Some("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
            Some(
                "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            ),
        ]]);
        let mut connection = Connection::new(port);
        let first = connection.get("/", Duration::from_secs(5)).expect("first");
        assert_eq!((first.status, first.body.as_str()), (200, "hello"));
        let second = connection.get("/", Duration::from_secs(5)).expect("second");
        assert_eq!((second.status, second.body.as_str()), (502, "abcde"));
        assert_eq!(connection.opened, 1);
        assert_eq!(server.join().ok(), Some(2));
    }

    #[test]
    fn a_connection_the_server_closed_while_idle_is_opened_again() {
        let (port, server) = serve(vec![vec![Some(OK)], vec![Some(OK)]]);
        let mut connection = Connection::new(port);
        assert!(connection.get("/", Duration::from_secs(5)).is_ok());
        // Wait (bounded) until the server has closed the first connection.
        let idle_until = Instant::now() + Duration::from_secs(5);
        while connection.stream.as_ref().is_some_and(still_open) && Instant::now() < idle_until {
            thread::sleep(Duration::from_millis(5));
        }
        assert!(connection.get("/", Duration::from_secs(5)).is_ok());
        assert_eq!(connection.opened, 2);
        assert_eq!(server.join().ok(), Some(2));
    }

    #[test]
    fn a_request_whose_connection_closes_without_answer_fails_and_is_not_sent_again() {
        let (port, server) = serve(vec![vec![Some(OK), None], vec![Some(OK)]]);
        let mut connection = Connection::new(port);
        assert!(connection.get("/", Duration::from_secs(5)).is_ok());
        let failed = connection.get("/", Duration::from_secs(5));
        assert!(failed.is_err(), "{failed:?}");
        assert!(connection.stream.is_none());
        // The next request opens a new connection; the failed one was not resent.
        assert!(connection.get("/", Duration::from_secs(5)).is_ok());
        assert_eq!(server.join().ok(), Some(2));
    }
}
