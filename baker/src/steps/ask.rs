//! `--on-error=ask` (Packer's `-on-error=ask`): when a step fails and both
//! stdin and stderr are a terminal, the runner asks whether to clean up,
//! abort (keep everything for debugging) or retry the step. Without a
//! terminal nothing is asked: the build cleans up, and says so. A signal
//! while the question waits, or the end of input, means clean up.

use std::io::{BufRead as _, IsTerminal as _};

use tokio::sync::oneshot;

use super::Ctx;
use crate::error::StepError;
use crate::output::{stderr_line, stderr_text};

/// The question, as shown after the step's error.
pub const QUESTION: &str =
    "[c] clean up, [a] abort (keep everything for debugging), [r] retry the step";

/// What to do about a failed step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Cleanup,
    Abort,
    Retry,
}

impl Answer {
    /// `c`, `a`, `r` (or the words), in any case.
    pub fn parse(text: &str) -> Option<Answer> {
        match text.trim().to_ascii_lowercase().as_str() {
            "c" | "clean" | "cleanup" | "clean up" => Some(Answer::Cleanup),
            "a" | "abort" => Some(Answer::Abort),
            "r" | "retry" => Some(Answer::Retry),
            _ => None,
        }
    }
}

/// Whether someone can answer: stdin and stderr are both a terminal.
pub fn can_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks what to do now that `step` failed with `error`.
pub async fn ask(ctx: &Ctx, step: &str, error: &StepError) -> Answer {
    if !can_ask() {
        ctx.progress.info(
            "--on-error=ask: stdin or stderr is not a terminal, so nothing can be asked: \
             cleaning up (as --on-error=cleanup)",
        );
        return Answer::Cleanup;
    }
    stderr_line(&format!("step `{step}` failed: {error}"));
    loop {
        stderr_text(&format!("{QUESTION}? "));
        let Some(line) = read_line(ctx).await else {
            stderr_line("");
            return Answer::Cleanup;
        };
        match Answer::parse(&line) {
            Some(answer) => return answer,
            None => stderr_line(&format!("{:?}: answer c, a or r", line.trim())),
        }
    }
}

/// One line from stdin; `None` at the end of input or on a signal. The
/// line is read on a thread of its own, which never holds up the exit.
async fn read_line(ctx: &Ctx) -> Option<String> {
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line);
        let _ = tx.send(read.ok().filter(|n| *n > 0).map(|_| line));
    });
    tokio::select! {
        () = ctx.stop().cancelled() => None,
        read = rx => read.ok().flatten(),
    }
}

/// RunInstances' idempotency token: the build id, and for each retry a new
/// one (AWS answers a reused token with the instance it first made, even
/// once that is terminated).
pub fn client_token(build_id: &str, retries: u32) -> String {
    if retries == 0 {
        build_id.to_string()
    } else {
        format!("{build_id}-retry{retries}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_letters_or_words() {
        assert_eq!(Answer::parse(" R\n"), Some(Answer::Retry));
        assert_eq!(Answer::parse("abort"), Some(Answer::Abort));
        assert_eq!(Answer::parse("c"), Some(Answer::Cleanup));
        assert_eq!(Answer::parse("x"), None);
    }

    #[test]
    fn each_retry_launches_with_a_new_token() {
        assert_eq!(client_token("abc", 0), "abc");
        assert_ne!(client_token("abc", 1), client_token("abc", 2));
    }
}
