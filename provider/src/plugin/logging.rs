//! Logs go to stderr, where Terraform collects them into its own log. The
//! level follows `TF_LOG_PROVIDER`, else `TF_LOG` (TRACE, DEBUG, INFO, WARN,
//! ERROR, JSON or OFF), else warnings only. Lines are in the JSON shape
//! Terraform reads (see [`super::hclog_json`]), so it logs each at its level;
//! on a terminal (the provider run by hand with `--debug`) they are text.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use super::hclog_json::HclogJson;

pub fn init() {
    let level = std::env::var("TF_LOG_PROVIDER")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var("TF_LOG").ok().filter(|v| !v.is_empty()));
    let directive = filter_for(level.as_deref());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(directive))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    let _ = if std::io::stderr().is_terminal() {
        builder.try_init()
    } else {
        builder.event_format(HclogJson).try_init()
    };
}

/// Maps Terraform's log level names to a filter for our own crates (the AWS
/// SDK joins in at TRACE only: it is very chatty).
fn filter_for(level: Option<&str>) -> String {
    let ours = match level.map(str::to_ascii_lowercase).as_deref() {
        Some("trace") => return "trace".into(),
        Some("debug") | Some("json") => "debug",
        Some("info") => "info",
        Some("error") => "error",
        Some("off") => "off",
        _ => "warn",
    };
    format!("warn,roundrobin_provider={ours},terraform_provider_roundrobin={ours}")
}

#[cfg(test)]
mod tests {
    use super::filter_for;

    #[test]
    fn follows_terraform_level_names() {
        assert_eq!(filter_for(Some("TRACE")), "trace");
        assert!(filter_for(Some("debug")).contains("roundrobin_provider=debug"));
        assert!(filter_for(None).contains("roundrobin_provider=warn"));
    }
}
