//! `make bench`'s verdicts: every figure that has a goal is printed beside it,
//! and a benchmark whose figures missed a goal (or that could not measure
//! them) exits non-zero, so that a regression cannot pass unseen.

use std::process::ExitCode;

/// The figures of one benchmark run and the goals they missed.
#[derive(Debug, Default)]
pub struct Scorecard {
    missed: Vec<String>,
}

impl Scorecard {
    pub fn new() -> Scorecard {
        Scorecard::default()
    }

    /// A heading line for the figures that follow.
    pub fn heading(&self, title: &str) {
        println!("{title}");
    }

    /// A figure and its goal; `met` says whether the figure reached it.
    pub fn goal(&mut self, what: &str, value: &str, goal: &str, met: bool) {
        println!(
            "{}",
            line(what, value, &format!("goal {goal}"), verdict(met))
        );
        if !met {
            self.missed.push(format!("{what}: {value} (goal {goal})"));
        }
    }

    /// A figure shown for context: it has no goal of its own.
    pub fn context(&self, what: &str, value: &str) {
        println!("{}", line(what, value, "", ""));
    }

    /// A goal that could not be measured counts as missed.
    pub fn unmeasured(&mut self, what: &str, why: &str) {
        println!("{}", line(what, "-", why, "NOT MEASURED"));
        self.missed.push(format!("{what}: not measured ({why})"));
    }

    /// The goals missed so far.
    pub fn missed(&self) -> &[String] {
        &self.missed
    }

    /// Whether every goal so far was met.
    pub fn passed(&self) -> bool {
        self.missed.is_empty()
    }

    /// Success when every goal was met; otherwise the misses on stderr.
    pub fn exit_code(&self) -> ExitCode {
        if self.passed() {
            return ExitCode::SUCCESS;
        }
        eprintln!("{} goal(s) missed:", self.missed.len());
        for miss in &self.missed {
            eprintln!("  - {miss}");
        }
        ExitCode::FAILURE
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "ok" } else { "MISSED" }
}

fn line(what: &str, value: &str, goal: &str, verdict: &str) -> String {
    format!("  {what:<52} {value:>12}   {goal:<22} {verdict}")
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missed_goal_fails_the_run() {
        let mut card = Scorecard::new();
        card.goal("start → handshake", "4.0 ms", "≤ 10 ms", true);
        assert!(card.passed());
        card.goal("binary size", "31 MB", "≤ 30 MB", false);
        assert_eq!(card.missed(), ["binary size: 31 MB (goal ≤ 30 MB)"]);
        assert!(!card.passed());
    }

    #[test]
    fn a_goal_that_was_not_measured_fails_the_run() {
        let mut card = Scorecard::new();
        card.context("terraform plan", "1.2 s");
        card.unmeasured("launch → healthy", "needs root");
        assert!(!card.passed());
    }
}
