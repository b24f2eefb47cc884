//! Running a provider as Terraform expects: handshake, Unix socket, AutoMTLS, the go-plugin
//! services beside the provider service, signals and shutdown.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

use crate::framework::provider::Provider;
use crate::wire::handshake::{self, HandshakeError, Mode, SocketDir};
use crate::wire::proto::{health, plugin, tfplugin6};
use crate::wire::server::ProviderService;
use crate::wire::tls::{self, Curve, Identity, TlsError};

/// Terraform sends whole configurations and states; go providers accept 256 MiB.
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// How long in-flight calls get to finish after `Shutdown` before the process exits anyway;
/// Terraform kills the process after 2 seconds.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// What a provider binary passes to [`serve`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The provider's source address, for the debug-mode reattach line
    /// (`registry.terraform.io/studio-restore/studio`).
    pub address: String,
    /// Managed by Terraform or debug mode.
    pub mode: Mode,
}

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The handshake could not be made.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The gRPC server failed.
    #[error("the plugin server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `provider` until Terraform shuts it down. Call with logging already on stderr
/// ([`crate::wire::logging::init`]); on `Err`, print the error on stderr and exit 1.
pub async fn serve(provider: Arc<dyn Provider>, options: ServeOptions) -> Result<(), ServeError> {
    let client_cert_pem = match options.mode {
        Mode::Managed => handshake::check_environment(|k| std::env::var(k).ok())?.client_cert_pem,
        // Terraform dials a reattached provider without TLS.
        Mode::Debug => None,
    };
    let shutdown = CancellationToken::new();
    let stop = CancellationToken::new();
    handle_interrupts(options.mode, shutdown.clone());

    let socket_dir = SocketDir::create()?;
    let listener = UnixListener::bind(socket_dir.socket_path()).map_err(HandshakeError::io(
        format!("listen on {}", socket_dir.socket_path().display()),
    ))?;

    let tls = match &client_cert_pem {
        Some(pem) => {
            let identity = Identity::generate(Curve::P256)?;
            let config = tls::server_config(&identity, pem)?;
            Some((identity, TlsAcceptor::from(config)))
        }
        None => None,
    };

    let router = tonic::transport::Server::builder()
        .add_service(
            tfplugin6::provider_server::ProviderServer::new(ProviderService::new(
                provider,
                stop.clone(),
            ))
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE),
        )
        .add_service(plugin::grpc_controller_server::GrpcControllerServer::new(
            Controller {
                shutdown: shutdown.clone(),
            },
        ))
        .add_service(plugin::grpc_stdio_server::GrpcStdioServer::new(Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(health::health_server::HealthServer::new(Health));

    match options.mode {
        Mode::Managed => handshake::announce(&handshake::handshake_line(
            socket_dir.socket_path(),
            tls.as_ref().map(|(identity, _)| identity.cert.as_ref()),
        ))?,
        Mode::Debug => handshake::announce(&handshake::debug_instructions(
            &options.address,
            socket_dir.socket_path(),
            std::process::id(),
        ))?,
    }
    tracing::info!(
        socket = %socket_dir.socket_path().display(),
        tls = tls.is_some(),
        "serving plugin protocol 6"
    );

    let incoming = incoming(
        listener,
        tls.map(|(_, acceptor)| acceptor),
        shutdown.clone(),
    );
    let signal = {
        let shutdown = shutdown.clone();
        let stop = stop.clone();
        async move {
            shutdown.cancelled().await;
            stop.cancel();
        }
    };
    let server = router.serve_with_incoming_shutdown(incoming, signal);
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!("calls still running at shutdown were abandoned"),
    }
    drop(socket_dir);
    Ok(())
}

/// SIGINT reaches the provider too when a user presses Ctrl-C; Terraform then stops it with
/// `StopProvider` and waits to save state, so a managed provider must survive the signal.
/// In debug mode the developer's Ctrl-C ends it.
fn handle_interrupts(mode: Mode, shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut interrupts) = signal(SignalKind::interrupt()) else {
        tracing::warn!("could not install the SIGINT handler");
        return;
    };
    tokio::spawn(async move {
        while interrupts.recv().await.is_some() {
            match mode {
                Mode::Managed => {
                    tracing::debug!("SIGINT ignored: Terraform stops the provider itself");
                }
                Mode::Debug => {
                    shutdown.cancel();
                    return;
                }
            }
        }
    });
}

/// Accepted connections, TLS already negotiated; a connection whose handshake fails (a client
/// certificate that is not Terraform's) is logged and dropped.
fn incoming(
    listener: UnixListener,
    tls: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) -> ReceiverStream<io::Result<Connection>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                () = shutdown.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        tracing::warn!(%error, "accepting a connection failed");
                        continue;
                    }
                },
            };
            let sender = sender.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let connection = match tls {
                    None => Connection::Plain(stream),
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(stream) => Connection::Tls(Box::new(stream)),
                        Err(error) => {
                            tracing::error!(%error, "TLS handshake with a client failed");
                            return;
                        }
                    },
                };
                let _ = sender.send(Ok(connection)).await;
            });
        }
    });
    ReceiverStream::new(receiver)
}

/// A client connection, plaintext or TLS.
pub enum Connection {
    /// Plaintext (debug mode, or Terraform without AutoMTLS).
    Plain(UnixStream),
    /// AutoMTLS.
    Tls(Box<tokio_rustls::server::TlsStream<UnixStream>>),
}

impl Connected for Connection {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_flush(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Connection::Plain(s) => s.is_write_vectored(),
            Connection::Tls(s) => s.is_write_vectored(),
        }
    }
}

/// `plugin.GRPCController`: Terraform's way of closing the plugin.
struct Controller {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: Request<plugin::Empty>,
    ) -> Result<Response<plugin::Empty>, Status> {
        tracing::debug!("Shutdown: stopping the plugin");
        // The graceful stop still delivers this response.
        self.shutdown.cancel();
        Ok(Response::new(plugin::Empty {}))
    }
}

/// `plugin.GRPCStdio`: we never write to stdout or stderr through gRPC, so the stream stays
/// silent until shutdown.
struct Stdio {
    shutdown: CancellationToken,
}

type StdioStream =
    Pin<Box<dyn futures::Stream<Item = Result<plugin::StdioData, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl plugin::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: Request<plugin::Empty>,
    ) -> Result<Response<StdioStream>, Status> {
        let shutdown = self.shutdown.clone();
        let stream = futures::stream::once(async move {
            shutdown.cancelled().await;
            None::<Result<plugin::StdioData, Status>>
        })
        .filter_map(futures::future::ready);
        Ok(Response::new(Box::pin(stream) as StdioStream))
    }
}

/// `grpc.health.v1.Health`: go-plugin checks the service named `plugin`.
struct Health;

#[tonic::async_trait]
impl health::health_server::Health for Health {
    async fn check(
        &self,
        request: Request<health::HealthCheckRequest>,
    ) -> Result<Response<health::HealthCheckResponse>, Status> {
        use health::health_check_response::ServingStatus;
        let status = match request.get_ref().service.as_str() {
            "" | "plugin" => ServingStatus::Serving,
            _ => ServingStatus::ServiceUnknown,
        };
        Ok(Response::new(health::HealthCheckResponse {
            status: status as i32,
        }))
    }
}
