//! Writing to stdout and stderr where a failed write is never fatal.
//!
//! `baker build 2>&1 | tee log` loses its reader when Ctrl-C reaches the
//! whole pipeline, or when a CI agent drops the log stream: every write then
//! fails with EPIPE (Rust ignores SIGPIPE) or EIO. `println!` and `eprintln!`
//! panic on such an error, which would skip the cleanups; these functions
//! drop the text instead, so the build and its cleanups go on unheard.

use std::io::Write;

/// One line on stdout (the result: an AMI id, JSON, a table row).
pub fn stdout_line(text: &str) {
    write_line(&mut std::io::stdout().lock(), text);
}

/// One line on stderr (progress, messages, the final error).
pub fn stderr_line(text: &str) {
    write_line(&mut std::io::stderr().lock(), text);
}

/// Text on stderr without a line end (a question's prompt).
pub fn stderr_text(text: &str) {
    let mut stderr = std::io::stderr().lock();
    // Ignored on purpose: output errors are never fatal (see the module).
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

fn write_line(out: &mut impl Write, text: &str) {
    // Ignored on purpose: output errors are never fatal (see the module).
    let _ = out.write_all(text.as_bytes());
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader went away.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
    }

    #[test]
    fn a_closed_stream_is_not_an_error() {
        write_line(&mut Closed, "nobody reads this");
    }

    #[test]
    fn a_line_ends_with_a_newline() {
        let mut buffer = Vec::new();
        write_line(&mut buffer, "ami-1");
        assert_eq!(buffer, b"ami-1\n");
    }
}
