//! `make bench`: the provider's start-to-handshake latency, its memory after
//! GetProviderSchema, the size of its release binary, the AWS calls of a
//! stack refresh and a baker build against the emulator, each beside its
//! goal; the run fails when one is missed.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use e2e::scorecard::Scorecard;
use tfplugin6::tfplugin6::{get_provider_schema, provider_client::ProviderClient};

const COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);
const STARTS: usize = 31;
/// The provider's resident memory once it has answered GetProviderSchema.
const RSS_GOAL: u64 = 10 * 1024 * 1024;
/// Stripped binary sizes (bytes) of the binaries a release ships: the
/// `dist` profile (fat LTO, one codegen unit), as `make bench` builds them.
const PROVIDER_SIZE_GOAL: u64 = 20_000_000;
const BAKER_SIZE_GOAL: u64 = 15_000_000;

fn main() -> Result<ExitCode> {
    let provider = provider_path()?
        .canonicalize()
        .context("the provider binary (run `make bench`, which builds it)")?;
    let client_cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .context("generating a client certificate")?
        .cert
        .pem();

    let mut latencies = Vec::with_capacity(STARTS);
    for _ in 0..STARTS {
        let started = Instant::now();
        let (mut child, _) = start(&provider, Some(&client_cert))?;
        latencies.push(started.elapsed());
        let _ = child.kill();
        let _ = child.wait();
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];

    let rss = rss_after_schema(&provider)?;
    let size = std::fs::metadata(&provider)?.len();

    let baker = provider.with_file_name("baker");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let build = runtime.block_on(e2e::bench::baker_build(&baker))?;
    let provider_dir = provider
        .parent()
        .context("provider path has no directory")?
        .to_path_buf();
    let (plan, resources) = runtime.block_on(e2e::bench::stack_refresh(&provider_dir))?;
    let per_resource = plan.calls as f64 / resources.max(1) as f64;

    let mut card = Scorecard::new();
    card.heading(&format!(
        "terraform-provider-roundrobin ({})",
        provider.display()
    ));
    card.goal(
        "start → handshake (median of 31, AutoMTLS)",
        &format!("{:.2} ms", ms(median)),
        "≤ 10 ms",
        ms(median) <= 10.0,
    );
    card.goal(
        "RSS after GetProviderSchema",
        &format!("{:.2} MiB", rss as f64 / 1024.0 / 1024.0),
        "≤ 10 MiB",
        rss <= RSS_GOAL,
    );
    card.goal(
        "binary size (stripped)",
        &format!("{:.1} MB", size as f64 / 1e6),
        "≤ 20 MB",
        size <= PROVIDER_SIZE_GOAL,
    );
    card.goal(
        &format!("AWS calls to refresh the example stack ({resources} resources)"),
        &format!("{per_resource:.2}/res"),
        "≤ 1.5",
        per_resource <= 1.5,
    );
    card.context(
        "terraform plan of the applied stack (emulator)",
        &format!("{:.2} s", plan.wall.as_secs_f64()),
    );
    card.heading(&format!("baker ({})", baker.display()));
    let baker_size = std::fs::metadata(&baker)
        .with_context(|| format!("the size of {}", baker.display()))?
        .len();
    card.goal(
        "binary size (stripped)",
        &format!("{:.1} MB", baker_size as f64 / 1e6),
        "≤ 15 MB",
        baker_size <= BAKER_SIZE_GOAL,
    );
    card.goal(
        "baker build against the emulator: wall time",
        &format!("{:.2} s", build.wall.as_secs_f64()),
        "≤ 5 s",
        build.wall.as_secs_f64() <= 5.0,
    );
    card.goal(
        "baker build against the emulator: AWS calls",
        &build.calls.to_string(),
        "≤ 40",
        build.calls <= 40,
    );
    Ok(card.exit_code())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn provider_path() -> Result<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--provider" {
            return args
                .next()
                .map(PathBuf::from)
                .context("--provider needs a path");
        }
    }
    Ok(PathBuf::from(
        "target/release/terraform-provider-roundrobin",
    ))
}

/// Starts the provider and returns it with the address from its handshake.
fn start(provider: &PathBuf, client_cert: Option<&str>) -> Result<(Child, String)> {
    let mut cmd = Command::new(provider);
    cmd.env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match client_cert {
        Some(pem) => cmd.env("PLUGIN_CLIENT_CERT", pem),
        None => cmd.env_remove("PLUGIN_CLIENT_CERT"),
    };
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", provider.display()))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let fields: Vec<&str> = line.trim().split('|').collect();
    if fields.len() < 6 || fields[1] != "6" {
        let _ = child.kill();
        bail!("unexpected handshake line {line:?}");
    }
    Ok((child, fields[3].to_string()))
}

fn rss_after_schema(provider: &PathBuf) -> Result<u64> {
    let (mut child, addr) = start(provider, None)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let mut client = ProviderClient::connect(format!("http://{addr}")).await?;
        let schema = client
            .get_provider_schema(get_provider_schema::Request {})
            .await?
            .into_inner();
        anyhow::ensure!(!schema.resource_schemas.is_empty(), "no resource schemas");
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))?;
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc")?;
        Ok(kib * 1024)
    });
    let _ = child.kill();
    let _ = child.wait();
    result
}
