//! Running a command to completion with a deadline, capturing what it printed.
//!
//! The command gets its own process group, so that on expiry the whole tree
//! (terraform and the provider plugins it started) is killed at once, and the
//! default handling of the signals a terminal or CI runner sends (see
//! [`command`]), so that it behaves the same however the tests were started.

use std::ffi::OsStr;
use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};

use crate::error::{HarnessError, Result};

/// How often a running command is checked for completion.
const POLL: Duration = Duration::from_millis(50);
/// How long the output pipes may stay open after the command itself exited
/// (a grandchild may still hold them).
const DRAIN: Duration = Duration::from_secs(10);

/// The signals whose handling every command the harness starts gets back to
/// the default. A test run started with them ignored (a background job,
/// `nohup`, some CI runners) would pass that on through exec, and POSIX shells
/// cannot trap a signal that was ignored when they started ("Signals that
/// were ignored on entry to a non-interactive shell cannot be trapped or
/// reset", XCU 2.11): an interrupt test would then fail for a reason that is
/// the runner's, not the code's.
const DEFAULT_SIGNALS: &str = "--default-signal=HUP,INT,QUIT,TERM,PIPE,USR1,USR2";

/// `program` as the harness starts everything: through GNU env, which puts the
/// signals above back to their default handling before it execs `program`
/// (same process, so signals and exit codes are the program's own), in a
/// process group of its own as a shell starts a foreground job. Rust already
/// clears the signal mask of a child; this resets what exec keeps.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new("/usr/bin/env");
    command
        .arg(DEFAULT_SIGNALS)
        .arg("--")
        .arg(program)
        .process_group(0);
    command
}

/// What a finished command left behind.
#[derive(Clone, PartialEq, Eq)]
pub struct Output {
    /// The command line, for messages.
    pub command: String,
    /// Exit code; `None` when it was ended by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// stdout followed by stderr: where terraform's diagnostics end up depends
    /// on the command, so searches for a message look at both.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or_else(|| "a signal".to_owned(), |c| c.to_string());
        writeln!(f, "`{}` exited with {code}", self.command)?;
        writeln!(f, "----- stdout -----")?;
        writeln!(f, "{}", self.stdout.trim_end())?;
        writeln!(f, "----- stderr -----")?;
        write!(f, "{}", self.stderr.trim_end())
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Runs `command` (stdin closed, stdout and stderr captured) and waits at most
/// `timeout` for it; past that the process group is killed and
/// [`HarnessError::TimedOut`] carries whatever was printed so far.
pub fn run_bounded(command: Command, label: String, timeout: Duration) -> Result<Output> {
    Running::start(command, label)?.finish(timeout)
}

/// A command started in its own process group, as a shell starts a
/// foreground job: [`Running::interrupt`] is what pressing Ctrl-C does.
pub struct Running {
    child: Child,
    /// Waited for: nothing is left to kill when it is dropped.
    finished: bool,
    label: String,
    started: Instant,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Running {
    /// Starts `command` with stdin closed and its output captured.
    pub fn start(mut command: Command, label: String) -> Result<Running> {
        let program = command.get_program().to_string_lossy().into_owned();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command
            .spawn()
            .map_err(|source| HarnessError::Spawn { program, source })?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        Ok(Running {
            child,
            finished: false,
            label,
            started: Instant::now(),
            stdout,
            stderr,
        })
    }

    /// SIGINT to the whole process group (the command and everything it
    /// started), as a terminal sends it on Ctrl-C.
    pub fn interrupt(&self) -> Result<()> {
        kill_process_group(Pid::from_child(&self.child), Signal::INT)
            .map_err(|e| HarnessError::io("sending SIGINT", e.into()))
    }

    /// Waits for the command until `timeout` after its start; past that the
    /// process group is killed and [`HarnessError::TimedOut`] carries
    /// whatever was printed so far.
    pub fn finish(mut self, timeout: Duration) -> Result<Output> {
        let status = wait_until(&mut self.child, self.started + timeout)?;
        if status.is_none() {
            kill_group(&mut self.child);
        }
        self.finished = true;
        let pipes_deadline = Instant::now() + DRAIN;
        let child = &mut self.child;
        let mut collect = |rx: &mpsc::Receiver<String>| {
            let left = pipes_deadline.saturating_duration_since(Instant::now());
            rx.recv_timeout(left).unwrap_or_else(|_| {
                // Something the command started still holds the pipe: end it.
                kill_group(child);
                rx.recv_timeout(POLL * 20)
                    .unwrap_or_else(|_| "(output not collected: the pipe stayed open)".to_owned())
            })
        };
        let stdout = collect(&self.stdout);
        let stderr = collect(&self.stderr);

        let output = Output {
            command: self.label.clone(),
            code: status.and_then(|s| s.code()),
            stdout,
            stderr,
        };
        match status {
            Some(_) => Ok(output),
            None => Err(HarnessError::TimedOut {
                command: self.label.clone(),
                after: timeout,
                output: Box::new(output),
            }),
        }
    }
}

impl Drop for Running {
    /// A command abandoned (a story failed before finishing it) is killed
    /// with everything it started.
    fn drop(&mut self) {
        if !self.finished {
            kill_group(&mut self.child);
        }
    }
}

/// Polls the child until it exits or the deadline passes (`Ok(None)`).
fn wait_until(child: &mut Child, deadline: Instant) -> Result<Option<std::process::ExitStatus>> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Some(status)),
            Ok(None) if Instant::now() >= deadline => return Ok(None),
            Ok(None) => thread::sleep(POLL),
            Err(source) => return Err(HarnessError::io("waiting for a child process", source)),
        }
    }
}

/// Kills the child's whole process group (it leads its own group), then reaps it.
pub(crate) fn kill_group(child: &mut Child) {
    // Errors mean the group is already gone, which is what we want.
    let _ = kill_process_group(Pid::from_child(child), Signal::KILL);
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads a pipe to its end on a thread; the text arrives on the channel.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_output_and_exit_code() {
        let mut sh = command("sh");
        sh.args(["-c", "echo out; echo err >&2; exit 3"]);
        let output = run_bounded(sh, "sh".into(), Duration::from_secs(10)).expect("sh runs");
        assert_eq!(output.code, Some(3));
        assert_eq!(output.stdout.trim(), "out");
        assert_eq!(output.stderr.trim(), "err");
    }

    #[test]
    fn kills_a_command_that_overruns_its_deadline() {
        let mut sh = command("sh");
        sh.args(["-c", "echo started; sleep 30"]);
        let started = Instant::now();
        let error = run_bounded(sh, "sleepy".into(), Duration::from_millis(300))
            .expect_err("the command overruns");
        assert!(started.elapsed() < Duration::from_secs(10));
        match error {
            HarnessError::TimedOut { output, .. } => assert!(output.stdout.contains("started")),
            other => panic!("expected a timeout, got {other}"),
        }
    }

    #[test]
    fn an_interrupt_reaches_the_command_and_what_it_started() {
        let mut sh = command("sh");
        // The inner shell (a child, like a provider plugin) reports the
        // SIGINT it gets, then the outer one does.
        sh.args([
            "-c",
            "trap 'echo parent interrupted; exit 5' INT; \
             sh -c 'trap \"echo child interrupted; exit 0\" INT; while :; do sleep 0.05; done'",
        ]);
        let running = Running::start(sh, "traps".into()).expect("sh runs");
        thread::sleep(Duration::from_millis(300));
        running.interrupt().expect("SIGINT sent");
        let output = running.finish(Duration::from_secs(10)).expect("it exits");
        assert_eq!(output.code, Some(5), "{output}");
        assert!(output.stdout.contains("child interrupted"), "{output}");
        assert!(output.stdout.contains("parent interrupted"), "{output}");
    }

    /// The test above again, in a test binary started with SIGINT, SIGHUP and
    /// SIGTERM ignored, as `nohup make test &` or a CI runner may start it.
    #[test]
    fn an_interrupt_reaches_the_command_however_the_tests_were_started() {
        let test_binary = std::env::current_exe().expect("the test binary's path");
        let mut ignoring = Command::new("sh");
        ignoring
            .args([
                "-c",
                "trap '' INT HUP TERM; exec \"$0\" --exact --quiet \
                 process::tests::an_interrupt_reaches_the_command_and_what_it_started",
            ])
            .arg(test_binary);
        let output = run_bounded(
            ignoring,
            "tests with SIGINT ignored".into(),
            Duration::from_secs(60),
        )
        .expect("the test binary runs");
        assert!(output.success(), "{output}");
        assert!(output.stdout.contains("1 passed"), "{output}");
    }
}
