//! The command line. Flags override `BAKER_*` variables, which override
//! `baker.toml`; see docs/baker.md.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::DEFAULT_PATH;
use crate::steps::OnError;

#[derive(Debug, Parser)]
#[command(
    name = "baker",
    version,
    about = "Bake versioned AMIs through SSM: no SSH, no key pair, nothing left behind"
)]
pub struct Cli {
    /// More detail on stderr (-v, -vv); RUST_LOG takes precedence.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bake an image: launch a builder, provision it through SSM, create the
    /// AMI, clean up, prune old images, write manifest.json.
    Build(BuildArgs),
    /// Check the configuration without calling AWS.
    Validate(ValidateArgs),
    /// Run a command on an instance through SSM and exit with its exit code.
    Exec(ExecArgs),
    /// Remove all but the newest N images of the app.
    Prune(PruneArgs),
    /// Provision an existing host over SSH (no image): upload the app and
    /// run the same provisioning plan `build` runs through SSM.
    Provision(crate::commands::provision::ProvisionArgs),
}

/// Where the configuration comes from.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// The config file; relative paths in it are relative to its directory.
    #[arg(short, long, env = "BAKER_CONFIG", default_value = DEFAULT_PATH)]
    pub config: PathBuf,
    /// Set any config key (repeatable), e.g. --set wait.ssm_online=900.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// AWS region (default: aws.region, else AWS_REGION / AWS_DEFAULT_REGION, else the profile's).
    #[arg(long)]
    pub region: Option<String>,
}

/// Flags for the config keys people set most.
#[derive(Debug, Clone, Args)]
pub struct OverrideArgs {
    /// The source AMI id (source.ami).
    #[arg(long, env = "BAKER_SOURCE_AMI")]
    pub source_ami: Option<String>,
    /// Images of the app to keep, the new one included (image.keep).
    #[arg(long, env = "BAKER_KEEP")]
    pub keep: Option<u32>,
    /// Builder instance type (builder.instance_type).
    #[arg(long, env = "BAKER_INSTANCE_TYPE")]
    pub instance_type: Option<String>,
    /// An existing instance profile for the builder (builder.instance_profile).
    #[arg(long, env = "BAKER_INSTANCE_PROFILE")]
    pub instance_profile: Option<String>,
    /// The builder's subnet (builder.subnet_id).
    #[arg(long, env = "BAKER_SUBNET_ID")]
    pub subnet_id: Option<String>,
    /// The image name template (image.name_template).
    #[arg(long, env = "BAKER_NAME_TEMPLATE")]
    pub name_template: Option<String>,
    /// Replace an existing image of the same name (image.force_deregister;
    /// BAKER_FORCE_DEREGISTER=true does the same).
    #[arg(long)]
    pub force_deregister: bool,
    /// With --force-deregister, delete the replaced image's snapshots too
    /// (image.force_delete_snapshot; BAKER_FORCE_DELETE_SNAPSHOT=true).
    #[arg(long)]
    pub force_delete_snapshot: bool,
}

impl OverrideArgs {
    /// The flags as (key, value) pairs, applied after the environment.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut add = |key, value: Option<String>| {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                out.push((key, v));
            }
        };
        add("source.ami", self.source_ami.clone());
        add("image.keep", self.keep.map(|k| k.to_string()));
        add("builder.instance_type", self.instance_type.clone());
        add("builder.instance_profile", self.instance_profile.clone());
        add("builder.subnet_id", self.subnet_id.clone());
        add("image.name_template", self.name_template.clone());
        add(
            "image.force_deregister",
            self.force_deregister.then(|| "true".to_string()),
        );
        add(
            "image.force_delete_snapshot",
            self.force_delete_snapshot.then(|| "true".to_string()),
        );
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// The AMI id as the last line of stdout.
    #[default]
    Text,
    /// One JSON object on stdout.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// The commit baked (default: TRAVIS_COMMIT, GITHUB_SHA, else git rev-parse HEAD).
    #[arg(long, env = "BAKER_COMMIT")]
    pub commit: Option<String>,
    /// The build number (default: TRAVIS_BUILD_NUMBER, GITHUB_RUN_NUMBER, else "local").
    #[arg(long, env = "BAKER_BUILD_NUMBER")]
    pub build_number: Option<String>,
    /// Where to write the manifest (output.manifest).
    #[arg(long, env = "BAKER_MANIFEST")]
    pub manifest: Option<PathBuf>,
    #[arg(long, value_enum, env = "BAKER_OUTPUT", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// What to do when a step fails: remove everything (cleanup), leave
    /// the builder and the rest for debugging (abort), or ask on the
    /// terminal: clean up, abort or retry the step (ask; without a
    /// terminal it cleans up).
    #[arg(long, value_enum, env = "BAKER_ON_ERROR", default_value_t = OnError::Cleanup)]
    pub on_error: OnError,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// The commit, as `baker build --commit` (default: TRAVIS_COMMIT, GITHUB_SHA, else git rev-parse HEAD).
    #[arg(long, env = "BAKER_COMMIT")]
    pub commit: Option<String>,
    /// The build number, as `baker build --build-number`.
    #[arg(long, env = "BAKER_BUILD_NUMBER")]
    pub build_number: Option<String>,
    /// Where the manifest would be written, as `baker build --manifest`.
    #[arg(long, env = "BAKER_MANIFEST")]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).multiple(false)))]
pub struct ExecArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The instance to run the command on.
    #[arg(long, env = "BAKER_INSTANCE_ID", group = "target")]
    pub instance_id: Option<String>,
    /// Run on every InService instance of this autoscaling group.
    #[arg(long, value_name = "NAME", group = "target")]
    pub group: Option<String>,
    /// Run on every running instance with this tag.
    #[arg(long, value_name = "KEY=VALUE", group = "target")]
    pub tag: Option<String>,
    /// Seconds to wait for the command to finish.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// A bucket where SSM keeps the whole output (communicator.output_s3_bucket):
    /// baker prints it whole when GetCommandInvocation cut it.
    #[arg(long, value_name = "BUCKET")]
    pub output_bucket: Option<String>,
    /// A shell script to run instead of a command, sent as it is.
    #[arg(long, value_name = "FILE", conflicts_with = "command")]
    pub script: Option<PathBuf>,
    /// The command and its arguments, run as root exactly as typed (each word
    /// is quoted for the remote shell), e.g. -- journalctl -u nodeapp --no-pager;
    /// for pipes or redirections: -- sh -c 'journalctl -u nodeapp | tail -n 20'
    #[arg(last = true, num_args = 1.., required_unless_present = "script")]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Images to keep (default: image.keep).
    #[arg(long, env = "BAKER_KEEP")]
    pub keep: Option<u32>,
    /// The app whose images are pruned (default: app.name).
    #[arg(long)]
    pub app: Option<String>,
    /// Only list what would be removed.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, env = "BAKER_OUTPUT", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn exec_takes_the_command_after_the_double_dash() {
        let cli = Cli::try_parse_from([
            "baker",
            "exec",
            "--instance-id",
            "i-1",
            "--",
            "systemctl",
            "status",
            "nodeapp",
        ])
        .expect("parses");
        match cli.command {
            Command::Exec(args) => assert_eq!(args.command, ["systemctl", "status", "nodeapp"]),
            other => panic!("{other:?}"),
        }
    }
}
