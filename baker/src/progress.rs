//! Progress on stderr: on a terminal, a live line per step with its elapsed
//! time; in CI (or when stderr is not a terminal), plain timestamped lines.
//! stdout is kept for the result (the AMI id, or JSON). A closed stderr
//! never fails the build (see [`crate::output`]).

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::stderr_line;

#[derive(Clone)]
pub struct Progress {
    mode: Arc<Mode>,
}

enum Mode {
    /// The spinner of the running step (one step runs at a time).
    Live(Mutex<Option<ProgressBar>>),
    Plain,
}

impl Progress {
    /// Live lines when stderr is a terminal and `CI` is not set.
    pub fn detect() -> Self {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        if !ci && std::io::stderr().is_terminal() {
            Self::live()
        } else {
            Self::plain()
        }
    }

    pub fn plain() -> Self {
        Self {
            mode: Arc::new(Mode::Plain),
        }
    }

    pub fn live() -> Self {
        Self {
            mode: Arc::new(Mode::Live(Mutex::new(None))),
        }
    }

    /// One line of information.
    pub fn info(&self, message: &str) {
        match &*self.mode {
            Mode::Live(current) => match current.lock().ok().as_deref().and_then(Option::as_ref) {
                Some(bar) if !bar.is_finished() => bar.println(message),
                _ => stderr_line(message),
            },
            Mode::Plain => stderr_line(&format!("{} {message}", stamp())),
        }
    }

    /// Starts the line of one step.
    pub fn step(&self, label: &str) -> StepLine {
        let bar = match &*self.mode {
            Mode::Live(current) => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
                bar.set_style(style);
                bar.set_message(label.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                if let Ok(mut current) = current.lock() {
                    *current = Some(bar.clone());
                }
                Some(bar)
            }
            Mode::Plain => {
                stderr_line(&format!("{} ==> {label}", stamp()));
                None
            }
        };
        StepLine {
            bar,
            label: label.to_string(),
            started: Instant::now(),
        }
    }
}

/// The line of a running step.
pub struct StepLine {
    bar: Option<ProgressBar>,
    label: String,
    started: Instant,
}

impl StepLine {
    /// What the step is doing now (`waiting for i-0123 to run`).
    pub fn note(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(format!("{}: {message}", self.label)),
            None => stderr_line(&format!("{}     {}: {message}", stamp(), self.label)),
        }
    }

    pub fn done(self, summary: &str) {
        self.finish("✓", summary);
    }

    pub fn failed(self, summary: &str) {
        self.finish("✗", summary);
    }

    fn finish(self, mark: &str, summary: &str) {
        let elapsed = format_elapsed(self.started.elapsed());
        let summary = if summary.is_empty() {
            String::new()
        } else {
            format!(": {summary}")
        };
        match &self.bar {
            Some(bar) => {
                bar.set_style(
                    ProgressStyle::with_template("{msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.finish_with_message(format!("{mark} {}{summary} ({elapsed})", self.label));
            }
            None => stderr_line(&format!(
                "{} {mark}  {}{summary} ({elapsed})",
                stamp(),
                self.label
            )),
        }
    }
}

fn format_elapsed(d: Duration) -> String {
    if d.as_secs() >= 60 {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

fn stamp() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_reads_well() {
        assert_eq!(format_elapsed(Duration::from_millis(1300)), "1.3s");
        assert_eq!(format_elapsed(Duration::from_secs(75)), "1m15s");
    }
}
