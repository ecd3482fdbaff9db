//! A Terraform working directory wired to one moto server and to the provider
//! binary we built, and the terraform commands a story runs in it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{HarnessError, Result};
use crate::moto::{ACCESS_KEY_ID, MotoServer, REGION, SECRET_ACCESS_KEY};
use crate::process::{self, Output, Running, run_bounded};
use crate::provider_binary::{cli_config, provider_dir};

/// The longest any single terraform command may run before it is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Set to a log level (e.g. `trace`) to get Terraform's and the provider's log in a file.
pub const LOG_ENV: &str = "E2E_TF_LOG";

/// A temporary directory holding the configuration, the state and the CLI
/// configuration of one story.
pub struct Workspace {
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
    removed_env: BTreeSet<String>,
    vars: Vec<(String, String)>,
    timeout: Duration,
}

impl Workspace {
    /// A workspace whose terraform talks to `moto` (through `AWS_ENDPOINT_URL`)
    /// and loads the provider from the cargo target directory.
    pub fn new(moto: &MotoServer) -> Result<Workspace> {
        Workspace::with_provider_dir(&moto.endpoint(), &provider_dir()?)
    }

    /// A workspace for any endpoint and provider directory.
    pub fn with_provider_dir(endpoint: &str, provider_dir: &Path) -> Result<Workspace> {
        Workspace::with_cli_config(endpoint, &cli_config(provider_dir))
    }

    /// A workspace for any endpoint whose terraform reads `cli_config` (the
    /// text of a CLI configuration file, e.g. a `provider_installation` block
    /// naming a filesystem mirror, for a real `terraform init`).
    pub fn with_cli_config(endpoint: &str, cli_config: &str) -> Result<Workspace> {
        let mut dir = tempfile::Builder::new()
            .prefix("e2e-terraform-")
            .tempdir()
            .map_err(|e| HarnessError::io("creating the workspace directory", e))?;
        let cli_config_path = dir.path().join("terraform.rc");
        write(&cli_config_path, cli_config)?;

        let mut env = BTreeMap::new();
        let mut set = |key: &str, value: &str| env.insert(key.to_owned(), value.to_owned());
        set("TF_CLI_CONFIG_FILE", &cli_config_path.to_string_lossy());
        set("TF_IN_AUTOMATION", "1");
        set("TF_INPUT", "0");
        set("CHECKPOINT_DISABLE", "1");
        set("AWS_ENDPOINT_URL", endpoint);
        set("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID);
        set("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
        set("AWS_REGION", REGION);
        set("AWS_EC2_METADATA_DISABLED", "true");
        // Files that do not exist: nothing is read from the developer's ~/.aws.
        set(
            "AWS_CONFIG_FILE",
            &dir.path().join("no-aws-config").to_string_lossy(),
        );
        let no_credentials = dir.path().join("no-aws-credentials");
        set(
            "AWS_SHARED_CREDENTIALS_FILE",
            &no_credentials.to_string_lossy(),
        );

        if let Some(level) = std::env::var(LOG_ENV).ok().filter(|l| !l.is_empty()) {
            let log = dir.path().join("terraform.log");
            set("TF_LOG", &level);
            set("TF_LOG_PATH", &log.to_string_lossy());
            dir.disable_cleanup(true);
            eprintln!(
                "terraform log ({level}): {} (the workspace is kept)",
                log.display()
            );
        }

        Ok(Workspace {
            dir,
            env,
            removed_env: BTreeSet::new(),
            vars: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces the configuration with `hcl` (as `main.tf`).
    pub fn write_config(&self, hcl: &str) -> Result<()> {
        self.write_file("main.tf", hcl)
    }

    /// Writes one file into the workspace.
    pub fn write_file(&self, name: &str, contents: &str) -> Result<()> {
        write(&self.dir.path().join(name), contents)
    }

    /// Copies the `.tf` and `.tfvars` files of `source` (not its subdirectories).
    pub fn copy_config_from(&self, source: &Path) -> Result<()> {
        let context = || format!("reading {}", source.display());
        let entries = std::fs::read_dir(source).map_err(|e| HarnessError::io(context(), e))?;
        for entry in entries {
            let path = entry.map_err(|e| HarnessError::io(context(), e))?.path();
            let is_config = path
                .extension()
                .is_some_and(|ext| ext == "tf" || ext == "tfvars");
            if let (true, Some(name)) = (is_config && path.is_file(), path.file_name()) {
                std::fs::copy(&path, self.dir.path().join(name))
                    .map_err(|e| HarnessError::io(format!("copying {}", path.display()), e))?;
            }
        }
        Ok(())
    }

    /// Sets an environment variable for every later command.
    pub fn set_env(&mut self, key: &str, value: &str) -> &mut Self {
        self.removed_env.remove(key);
        self.env.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Keeps an environment variable away from every later command.
    pub fn remove_env(&mut self, key: &str) -> &mut Self {
        self.env.remove(key);
        self.removed_env.insert(key.to_owned());
        self
    }

    /// Passes `-var name=value` to plan, apply, import and destroy.
    pub fn set_var(&mut self, name: &str, value: &str) -> &mut Self {
        self.vars.retain(|(existing, _)| existing != name);
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Stops passing `-var name=...`.
    pub fn remove_var(&mut self, name: &str) -> &mut Self {
        self.vars.retain(|(existing, _)| existing != name);
        self
    }

    /// Changes how long one command may run.
    pub fn set_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// Runs `terraform ARGS` in the workspace; a non-zero exit is not an error here.
    pub fn run(&self, args: &[&str]) -> Result<Output> {
        let label = format!("terraform {}", args.join(" "));
        run_bounded(self.command(args), label, self.timeout)
    }

    /// Starts `terraform apply -auto-approve` and returns while it runs, for
    /// a story that interrupts it ([`Running::interrupt`] is Ctrl-C); finish
    /// it with [`Running::finish`] and [`Workspace::timeout`].
    pub fn start_apply(&self) -> Result<Running> {
        let args = self.with_vars(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let label = format!("terraform {}", args.join(" "));
        Running::start(self.command(&args), label)
    }

    /// Starts `terraform ARGS` (with the workspace's `-var`s) and returns
    /// while it runs, like [`Workspace::start_apply`] for any command.
    pub fn start(&self, args: &[&str]) -> Result<Running> {
        let args = self.with_vars(args);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let label = format!("terraform {}", args.join(" "));
        Running::start(self.command(&args), label)
    }

    /// How long one command may run.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `terraform ARGS` in the workspace, with the workspace's environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = process::command("terraform");
        command.args(args).current_dir(self.dir.path());
        // Nothing Terraform- or AWS-related leaks in from the developer's shell.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("TF_") || key.starts_with("AWS_") {
                command.env_remove(key.as_ref());
            }
        }
        command.envs(&self.env);
        for key in &self.removed_env {
            command.env_remove(key);
        }
        command
    }

    /// `terraform apply -auto-approve`; fails unless it succeeds.
    pub fn apply(&self) -> Result<Output> {
        let args = self.with_vars(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        self.expect_success(&args)
    }

    /// `terraform apply -auto-approve`, for a story where apply must fail.
    pub fn apply_expecting_failure(&self) -> Result<Output> {
        let args = self.with_vars(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        self.expect_failure(&args)
    }

    /// `terraform plan`; fails unless it succeeds.
    pub fn plan(&self) -> Result<Output> {
        self.expect_success(&self.with_vars(&["plan", "-no-color", "-input=false"]))
    }

    /// `terraform plan`, for a story where planning must fail.
    pub fn plan_expecting_failure(&self) -> Result<Output> {
        self.expect_failure(&self.with_vars(&["plan", "-no-color", "-input=false"]))
    }

    /// `terraform plan -detailed-exitcode`: exit 0 (no changes) or 2 (changes);
    /// any other exit is an error.
    pub fn plan_detailed(&self) -> Result<Output> {
        let args = self.with_vars(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
        let output = self.run_owned(&args)?;
        match output.code {
            Some(0 | 2) => Ok(output),
            _ => Err(HarnessError::CommandFailed {
                expected: "exit code 0 (no changes) or 2 (changes)",
                output: Box::new(output),
            }),
        }
    }

    /// The exit code of `terraform plan -detailed-exitcode`: 0 no changes, 2 changes.
    pub fn plan_exit_code(&self) -> Result<i32> {
        Ok(self.plan_detailed()?.code.unwrap_or(1))
    }

    /// `terraform import ADDRESS ID`.
    pub fn import(&self, address: &str, id: &str) -> Result<Output> {
        let mut args = self.with_vars(&["import", "-no-color", "-input=false"]);
        args.extend([address.to_owned(), id.to_owned()]);
        self.expect_success(&args)
    }

    /// `terraform destroy -auto-approve`.
    pub fn destroy(&self) -> Result<Output> {
        let args = self.with_vars(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
        self.expect_success(&args)
    }

    /// `terraform state show ADDRESS`: the resource as Terraform recorded it.
    pub fn state_show(&self, address: &str) -> Result<Output> {
        self.expect_success(&["state", "show", "-no-color", address].map(str::to_owned))
    }

    /// `terraform output -json`, parsed.
    pub fn output_json(&self) -> Result<serde_json::Value> {
        let output = self.expect_success(&["output", "-json", "-no-color"].map(str::to_owned))?;
        parse_json(output)
    }

    /// `terraform show -json`: the whole state, parsed.
    pub fn show_json(&self) -> Result<serde_json::Value> {
        let output = self.expect_success(&["show", "-json", "-no-color"].map(str::to_owned))?;
        parse_json(output)
    }

    fn with_vars(&self, args: &[&str]) -> Vec<String> {
        let mut all: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        for (name, value) in &self.vars {
            all.push("-var".to_owned());
            all.push(format!("{name}={value}"));
        }
        all
    }

    fn run_owned(&self, args: &[String]) -> Result<Output> {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&args)
    }

    fn expect_success(&self, args: &[String]) -> Result<Output> {
        let output = self.run_owned(args)?;
        if output.success() {
            Ok(output)
        } else {
            Err(HarnessError::CommandFailed {
                expected: "success",
                output: Box::new(output),
            })
        }
    }

    fn expect_failure(&self, args: &[String]) -> Result<Output> {
        let output = self.run_owned(args)?;
        if output.success() {
            Err(HarnessError::CommandFailed {
                expected: "an error",
                output: Box::new(output),
            })
        } else {
            Ok(output)
        }
    }
}

/// Where `make` and the tests find the example stack: `terraform/` at the
/// root of the repository.
pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")))
        .join("terraform")
}

fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents)
        .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))
}

fn parse_json(output: Output) -> Result<serde_json::Value> {
    serde_json::from_str(&output.stdout).map_err(|source| HarnessError::Json {
        what: output.command.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any existing directory will do: `terraform version` loads no provider.
    fn workspace() -> Workspace {
        let provider_dir = std::env::temp_dir();
        Workspace::with_provider_dir("http://127.0.0.1:9", &provider_dir).expect("workspace")
    }

    #[test]
    fn terraform_runs_with_the_generated_cli_config() {
        let workspace = workspace();
        let output = workspace.run(&["version"]).expect("terraform runs");
        assert!(output.success(), "{output}");
        assert!(output.stdout.contains("Terraform v"), "{output}");
        assert!(
            !output
                .combined()
                .contains("problems with the CLI configuration"),
            "{output}"
        );
    }

    #[test]
    fn the_cli_config_is_where_terraform_is_told_to_look() {
        let workspace = workspace();
        let config =
            std::fs::read_to_string(workspace.path().join("terraform.rc")).expect("cli config");
        assert!(config.contains("dev_overrides"));
        assert_eq!(
            workspace.env["TF_CLI_CONFIG_FILE"],
            workspace.path().join("terraform.rc").to_string_lossy()
        );
    }

    #[test]
    fn a_failing_command_reports_terraforms_output() {
        let workspace = workspace();
        workspace.write_config("this is not hcl").expect("written");
        let error = workspace.plan().expect_err("plan fails");
        let message = error.to_string();
        assert!(message.contains("terraform plan"), "{message}");
        assert!(message.contains("----- stderr -----"), "{message}");
        assert!(message.contains("Error"), "{message}");
    }

    #[test]
    fn vars_are_passed_as_flags() {
        let mut workspace = workspace();
        workspace
            .set_var("image_id", "ami-1")
            .set_var("image_id", "ami-2");
        assert_eq!(
            workspace.with_vars(&["plan"]),
            ["plan", "-var", "image_id=ami-2"]
        );
    }

    #[test]
    fn the_example_stack_is_found() {
        assert!(example_dir().join("main.tf").is_file());
    }
}
