//! The go-plugin services a Terraform host talks to besides the provider:
//! the controller (Shutdown), the stdio stream and the broker. Terraform
//! providers use neither stdio nor the broker; both stay open and silent
//! until the plugin shuts down.

use std::pin::Pin;

use futures::Stream;
use tfplugin6::plugin::{
    self, grpc_broker_server::GrpcBroker, grpc_controller_server::GrpcController,
    grpc_stdio_server::GrpcStdio,
};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

type Silent<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// A stream that yields nothing and ends when the plugin shuts down.
fn silent_until<T: Send + 'static>(shutdown: CancellationToken) -> Silent<T> {
    Box::pin(
        futures::stream::once(async move {
            shutdown.cancelled_owned().await;
        })
        .filter_map(|()| async { None }),
    )
}

use futures::StreamExt as _;

pub struct Controller {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _: Request<plugin::Empty>) -> Result<Response<plugin::Empty>, Status> {
        tracing::debug!("host asked the plugin to shut down");
        self.shutdown.cancel();
        Ok(Response::new(plugin::Empty {}))
    }
}

pub struct Stdio {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = Silent<plugin::StdioData>;

    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(silent_until(self.shutdown.clone())))
    }
}

pub struct Broker {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcBroker for Broker {
    type StartStreamStream = Silent<plugin::ConnInfo>;

    async fn start_stream(
        &self,
        _: Request<Streaming<plugin::ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        Ok(Response::new(silent_until(self.shutdown.clone())))
    }
}
