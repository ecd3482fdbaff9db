//! How the demo prints: a header when a stage starts, the interesting part of
//! real output indented under it, and one `✓` line of what happened.

use std::time::Duration;

/// The header of stage `number` of `total`.
pub fn header(number: usize, total: usize, title: &str) {
    println!("\n==> [{number}/{total}] {title}");
}

/// A command about to run, as a shell would show it.
pub fn command(line: &str) {
    println!("    $ {line}");
}

/// Lines of real output, indented under the stage.
pub fn output<S: AsRef<str>>(lines: impl IntoIterator<Item = S>) {
    for line in lines {
        println!("      {}", line.as_ref());
    }
}

/// The one line of what the stage did, with how long it took.
pub fn done(summary: &str, took: Duration) {
    println!("    ✓ {summary} ({:.1} s)", took.as_secs_f64());
}

/// A line without the `2026-01-02T03:04:05Z ` timestamp baker puts in front of
/// each progress line when it is not writing to a terminal.
pub fn strip_timestamp(line: &str) -> &str {
    match line.split_once(' ') {
        Some((first, rest)) if is_timestamp(first) => rest,
        _ => line,
    }
}

fn is_timestamp(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() >= 20
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && word.ends_with('Z')
        && bytes[..4].iter().all(u8::is_ascii_digit)
}

/// The lines of `text` that contain any of `needles`, trimmed.
pub fn lines_with<'a>(text: &'a str, needles: &[&str]) -> Vec<&'a str> {
    text.lines()
        .map(str::trim)
        .filter(|line| needles.iter().any(|needle| line.contains(needle)))
        .collect()
}

/// The summary and detail of each error diagnostic in terraform's `-no-color`
/// output, without the `with …`/`on …` source location lines Terraform puts
/// between them.
pub fn diagnostics(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut inside = false;
    for line in text.lines().map(str::trim_end) {
        let trimmed = line.trim_start();
        if let Some(summary) = trimmed.strip_prefix("Error: ") {
            inside = true;
            found.push(format!("Error: {summary}"));
            continue;
        }
        if !inside || trimmed.is_empty() {
            continue;
        }
        let location = trimmed.starts_with("with ")
            || trimmed.starts_with("on ")
            || trimmed.split_once(':').is_some_and(|(number, _)| {
                !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
            });
        if !location {
            found.push(trimmed.to_owned());
        }
    }
    found
}

/// Shortens a 40-digit commit for a line meant to be read.
pub fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

/// Runs one stage of a story: its header, its work, and the line of what it
/// did; a failure names the stage.
pub async fn stage<T>(
    number: usize,
    total: usize,
    title: &str,
    work: impl std::future::Future<Output = anyhow::Result<(T, String)>>,
) -> anyhow::Result<T> {
    use anyhow::Context as _;
    header(number, total, title);
    let started = std::time::Instant::now();
    let (value, summary) = work
        .await
        .with_context(|| format!("stage {number}/{total} ({title}) failed"))?;
    done(&summary, started.elapsed());
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baker_timestamps_are_stripped_and_other_lines_kept() {
        assert_eq!(
            strip_timestamp("2026-11-23T12:07:10Z ==> resolve source AMI"),
            "==> resolve source AMI"
        );
        assert_eq!(strip_timestamp("plain words here"), "plain words here");
        assert_eq!(strip_timestamp("ami-0123"), "ami-0123");
    }

    #[test]
    fn a_diagnostic_keeps_its_summary_and_detail_only() {
        let stderr = "\nError: Rollout of launch template version 3 failed\n\n  with roundrobin_autoscaling_group.app,\n  on main.tf line 130, in resource \"roundrobin_autoscaling_group\" \"app\":\n 130: resource \"roundrobin_autoscaling_group\" \"app\" {\n\nInstance refresh abc of nodeapp ended RollbackSuccessful: unhealthy.\n";
        assert_eq!(
            diagnostics(stderr),
            [
                "Error: Rollout of launch template version 3 failed",
                "Instance refresh abc of nodeapp ended RollbackSuccessful: unhealthy."
            ]
        );
    }

    #[test]
    fn commits_are_shortened_and_short_names_kept() {
        assert_eq!(short("33b3bbfde6e93f977c4f99f0a680f89f8ed22cdc"), "33b3bbf");
        assert_eq!(short("unknown"), "unknown");
        assert_eq!(short("abc"), "abc");
    }
}
