//! `make demo`: the whole story on an emulated cloud on this machine, with
//! real commands and their real output. No AWS account; only loopback traffic.
//!
//! 1. start the emulator (moto server extended by emulator);
//! 2. `baker build` bakes AMI v1 (commit = HEAD, build 1);
//! 3. the provider is installed into a filesystem mirror as `make install`
//!    would, `terraform init` (offline) and `terraform apply` of `terraform/`;
//! 4. `baker build` (build 2) and `terraform apply`: the rollout is waited;
//! 5. `baker build` (build 3) of an AMI that cannot become healthy: apply
//!    fails with the provider's diagnostic and the group is rolled back;
//! 6. `terraform destroy`, a check that nothing is left, the emulator stopped.
//!
//! Needs `target/debug/baker`, `target/debug/terraform-provider-roundrobin`
//! (`make demo` builds both), `terraform` and `python3` with moto. The stages
//! are in `e2e::demo::story`.

use std::process::ExitCode;
use std::time::Instant;

use e2e::demo::story;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let started = Instant::now();
    // Everything `run` owns (the emulator, the temporary directories) is
    // dropped, so stopped and removed, before this match looks at the result.
    match story::run().await {
        Ok(()) => {
            println!(
                "\ndemo done in {:.1} s (after the build)",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("\ndemo failed: {error:#}");
            eprintln!("(the emulator is stopped and the demo's temporary directories are removed)");
            ExitCode::FAILURE
        }
    }
}
