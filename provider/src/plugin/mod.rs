//! The go-plugin host side: handshake, listener, AutoMTLS, the host services
//! and the lifecycle (Shutdown and SIGTERM end the plugin; SIGINT is ignored
//! because Terraform forwards Ctrl-C as StopProvider and ends us itself).

mod conn;
pub mod handshake;
pub mod hclog_json;
mod host_services;
mod listener;
pub mod logging;
pub mod tls;

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use tfplugin6::plugin::{
    grpc_broker_server::GrpcBrokerServer, grpc_controller_server::GrpcControllerServer,
    grpc_stdio_server::GrpcStdioServer,
};
use tfplugin6::tfplugin6::provider_server::ProviderServer;
use tokio_util::sync::CancellationToken;

use crate::server::ProviderService;
use handshake::{HandshakeError, HostRequest};
use listener::{ListenError, Listener};
use tls::{ServerIdentity, TlsError};

/// How long in-flight calls may take to finish once we are told to stop
/// (Terraform kills a plugin that has not exited 2 s after Shutdown).
const DRAIN: Duration = Duration::from_millis(1500);

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Listen(#[from] ListenError),
    #[error("cannot write the handshake to stdout: {0}")]
    Stdout(std::io::Error),
    #[error("gRPC server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
}

/// Serves the provider as Terraform launched it.
pub async fn serve(request: HostRequest) -> Result<(), PluginError> {
    let listener = Listener::tcp(request.ports.clone()).await?;
    let (tls, cert) = match &request.client_cert_pem {
        Some(pem) => {
            let identity = ServerIdentity::generate()?;
            let config = identity.server_config(pem)?;
            (Some(Arc::new(config)), Some(identity.cert_der))
        }
        None => (None, None),
    };
    let (network, addr) = listener.network_and_addr().map_err(PluginError::Stdout)?;
    let line = handshake::handshake_line(network, &addr, cert.as_deref());
    run(listener, tls, &line).await
}

/// Serves on a unix socket without TLS and prints the value of
/// `TF_REATTACH_PROVIDERS` for a terraform started by hand (debugging).
pub async fn serve_debug(socket: &std::path::Path) -> Result<(), PluginError> {
    let listener = Listener::unix(socket)?;
    let reattach = serde_json::json!({
        "registry.terraform.io/roundrobin/roundrobin": {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": "unix", "String": socket.display().to_string() }
        }
    });
    let line = format!(
        "Provider started in debug mode. In another shell, run:\n\n    export TF_REATTACH_PROVIDERS='{reattach}'\n\nthen terraform as usual. Ctrl-C here stops the provider."
    );
    run(listener, None, &line).await
}

async fn run(
    listener: Listener,
    tls: Option<Arc<rustls::ServerConfig>>,
    announcement: &str,
) -> Result<(), PluginError> {
    let shutdown = CancellationToken::new();
    watch_signals(shutdown.clone())?;

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let incoming = listener.into_stream(tls);
    let provider = ProviderService::new(shutdown.clone());
    let router = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(host_services::Controller {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcStdioServer::new(host_services::Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcBrokerServer::new(host_services::Broker {
            shutdown: shutdown.clone(),
        }))
        .add_service(
            ProviderServer::new(provider)
                .max_decoding_message_size(256 * 1024 * 1024)
                .max_encoding_message_size(256 * 1024 * 1024),
        );

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{announcement}").map_err(PluginError::Stdout)?;
    stdout.flush().map_err(PluginError::Stdout)?;
    drop(stdout);

    let stopping = shutdown.clone();
    let server = router.serve_with_incoming_shutdown(incoming, stopping.cancelled_owned());
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        () = async { shutdown.cancelled().await; tokio::time::sleep(DRAIN).await } => {
            tracing::debug!("in-flight calls did not finish in time; exiting anyway");
        }
    }
    Ok(())
}

/// SIGTERM ends the plugin; SIGINT is swallowed (see the module docs).
fn watch_signals(shutdown: CancellationToken) -> Result<(), PluginError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(PluginError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(PluginError::Signals)?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => { shutdown.cancel(); break; }
                _ = int.recv() => tracing::debug!("ignoring SIGINT; Terraform stops providers itself"),
            }
        }
    });
    Ok(())
}
