//! The provider binary: Terraform starts it; it hands over to the library.

use std::process::ExitCode;

use roundrobin_provider::plugin;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version" || a == "-v") {
        println!(
            "terraform-provider-roundrobin {}",
            roundrobin_provider::VERSION
        );
        return ExitCode::SUCCESS;
    }
    plugin::logging::init();
    let debug_socket = args.iter().position(|a| a == "--debug").map(|_| {
        std::env::temp_dir().join(format!("roundrobin-provider-{}.sock", std::process::id()))
    });

    let request = match &debug_socket {
        Some(_) => None,
        None => match plugin::handshake::HostRequest::from_env(|k| std::env::var(k).ok()) {
            Ok(request) => Some(request),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
    };
    // Two workers whatever the machine: the provider waits on AWS and on
    // Terraform, and each worker costs memory in a process Terraform starts
    // for every command.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match (request, &debug_socket) {
            (Some(request), _) => plugin::serve(request).await,
            (None, Some(socket)) => plugin::serve_debug(socket).await,
            (None, None) => Ok(()),
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-roundrobin: {e}");
            ExitCode::FAILURE
        }
    }
}
