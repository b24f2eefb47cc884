//! A test client that launches a provider binary exactly as Terraform does and calls it over the
//! real transport: magic cookie and protocol versions in the environment, a one-time P-521 CA
//! client certificate in `PLUGIN_CLIENT_CERT`, the handshake line parsed from stdout, mTLS with
//! ALPN `h2` over the Unix socket, then typed calls.
//!
//! ```ignore
//! let mut provider = ProviderProcess::launch(env!("CARGO_BIN_EXE_terraform-provider-studio"), LaunchOptions::default()).await?;
//! let diags = provider.validate_provider_config(&config).await?;
//! provider.shutdown().await?;
//! ```

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::UnixStream;
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint, Uri};

use crate::framework::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::framework::function::FunctionError;
use crate::values::types::Type;
use crate::values::value::Value;
use crate::wire::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use crate::wire::proto::plugin::grpc_controller_client::GrpcControllerClient;
use crate::wire::proto::tfplugin6 as pb;
use crate::wire::proto::tfplugin6::provider_client::ProviderClient;
use crate::wire::proto::{health, plugin};
use crate::wire::server::{decode_value, path_from_proto};
use crate::wire::tls::{Curve, Identity};

/// How the launched provider is asked to secure its socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Terraform's default: AutoMTLS with a P-521 client certificate.
    AutoMtls,
    /// No `PLUGIN_CLIENT_CERT` (as with `TF_DISABLE_PLUGIN_TLS`): plaintext.
    Plaintext,
}

/// Which certificate the client presents under [`Transport::AutoMtls`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientCertificate {
    /// The one announced in `PLUGIN_CLIENT_CERT`, as Terraform does.
    Announced,
    /// Another one: the provider must refuse the connection.
    Impostor,
}

/// How to launch the provider.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// Plaintext or AutoMTLS.
    pub transport: Transport,
    /// The certificate presented.
    pub client_certificate: ClientCertificate,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// How long to wait for the handshake line (Terraform waits a minute).
    pub start_timeout: Duration,
}

impl Default for LaunchOptions {
    fn default() -> Self {
        LaunchOptions {
            transport: Transport::AutoMtls,
            client_certificate: ClientCertificate::Announced,
            env: Vec::new(),
            start_timeout: Duration::from_secs(30),
        }
    }
}

/// Why the harness failed.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// Starting or talking to the process failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The handshake line was missing or malformed.
    #[error("bad handshake: {0}")]
    Handshake(String),
    /// TLS setup failed.
    #[error(transparent)]
    Tls(#[from] crate::wire::tls::TlsError),
    /// Connecting failed.
    #[error("could not connect: {0}")]
    Connect(#[from] tonic::transport::Error),
    /// A call returned a gRPC error status.
    #[error("call failed: {0}")]
    Status(#[from] tonic::Status),
    /// A value could not be encoded or decoded.
    #[error("value: {0}")]
    Value(String),
}

/// The fields of the handshake line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// go-plugin's core protocol version (1).
    pub core_version: String,
    /// The app protocol version (6).
    pub app_version: String,
    /// `unix` or `tcp`.
    pub network: String,
    /// The socket path or address.
    pub address: String,
    /// `grpc`.
    pub protocol: String,
    /// The server's DER certificate, when it serves TLS.
    pub server_cert: Option<Vec<u8>>,
}

impl Handshake {
    /// Parses a handshake line as go-plugin's client does.
    pub fn parse(line: &str) -> Result<Handshake, HarnessError> {
        let parts: Vec<&str> = line.trim().split('|').map(str::trim).collect();
        if parts.len() < 4 {
            return Err(HarnessError::Handshake(format!(
                "expected at least 4 fields: {line:?}"
            )));
        }
        let field = |i: usize| parts.get(i).copied().unwrap_or("").to_string();
        let cert = field(5);
        let server_cert = if cert.len() > 50 {
            Some(
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(&cert)
                    .map_err(|e| HarnessError::Handshake(format!("certificate: {e}")))?,
            )
        } else {
            None
        };
        Ok(Handshake {
            core_version: field(0),
            app_version: field(1),
            network: field(2),
            address: field(3),
            protocol: field(4),
            server_cert,
        })
    }
}

type Captured = Arc<Mutex<Vec<u8>>>;

fn capture(mut reader: impl tokio::io::AsyncRead + Unpin + Send + 'static) -> Captured {
    let captured = Captured::default();
    let sink = captured.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(&buf[..n]);
        }
    });
    captured
}

/// A running provider with connected clients.
pub struct ProviderProcess {
    child: Child,
    /// The parsed handshake line.
    pub handshake: Handshake,
    /// The connection, for clients of other services.
    pub channel: Channel,
    /// How long the start took.
    pub timings: LaunchTimings,
    /// The raw `tfplugin6.Provider` client.
    pub provider: ProviderClient<Channel>,
    /// `plugin.GRPCController`.
    pub controller: GrpcControllerClient<Channel>,
    /// `grpc.health.v1.Health`.
    pub health: health::health_client::HealthClient<Channel>,
    stdout_after_handshake: Captured,
    stderr: Captured,
    schema: Option<pb::get_provider_schema::Response>,
    identity_schemas: Option<pb::get_resource_identity_schemas::Response>,
}

/// Times from spawning the process (client certificate generation excluded).
#[derive(Debug, Clone, Copy)]
pub struct LaunchTimings {
    /// Until the handshake line was read.
    pub handshake_line: Duration,
    /// Until the (TLS) connection was established.
    pub connected: Duration,
}

/// The raw handshake of a launched process, before connecting (for tests of the handshake).
pub struct Started {
    /// The child process.
    pub child: Child,
    /// The first stdout line.
    pub line: String,
    stdout_after: Captured,
    stderr: Captured,
}

/// Starts `binary` with Terraform's environment and reads its first stdout line.
pub async fn start(
    binary: &Path,
    client_cert_pem: Option<&str>,
    env: &[(String, String)],
    timeout: Duration,
) -> Result<Started, HarnessError> {
    let mut command = Command::new(binary);
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(pem) = client_cert_pem {
        command.env("PLUGIN_CLIENT_CERT", pem);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn()?;
    let stderr = capture(child.stderr.take().expect("piped stderr"));
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    let read = tokio::time::timeout(timeout, stdout.read_line(&mut line)).await;
    match read {
        Ok(Ok(n)) if n > 0 => {}
        Ok(Ok(_)) => {
            let stderr = String::from_utf8_lossy(&stderr.lock().unwrap_or_else(|p| p.into_inner()))
                .into_owned();
            return Err(HarnessError::Handshake(format!(
                "the provider closed stdout without a handshake line; stderr: {stderr}"
            )));
        }
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => {
            return Err(HarnessError::Handshake(
                "no handshake line in time".to_string(),
            ));
        }
    }
    let stdout_after = capture(stdout);
    Ok(Started {
        child,
        line,
        stdout_after,
        stderr,
    })
}

async fn connect(
    handshake: &Handshake,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Channel, HarnessError> {
    if handshake.network != "unix" {
        return Err(HarnessError::Handshake(format!(
            "only unix sockets are supported, got {}",
            handshake.network
        )));
    }
    let socket = PathBuf::from(&handshake.address);
    let connector = tower::service_fn(move |_: Uri| {
        let socket = socket.clone();
        let tls = tls.clone();
        async move {
            let stream = UnixStream::connect(&socket).await?;
            let io: Box<dyn IoStream> = match tls {
                None => Box::new(stream),
                Some(config) => {
                    let name = ServerName::try_from("localhost").expect("valid name");
                    Box::new(
                        tokio_rustls::TlsConnector::from(config)
                            .connect(name, stream)
                            .await?,
                    )
                }
            };
            Ok::<_, std::io::Error>(TokioIo::new(io))
        }
    });
    // The URI is required by tonic but unused: the connector dials the socket.
    Ok(Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await?)
}

trait IoStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> IoStream for T {}

const MAX_MESSAGE_SIZE: usize = crate::wire::serve::MAX_MESSAGE_SIZE;

impl ProviderProcess {
    /// Launches `binary` as Terraform does and connects to it.
    pub async fn launch(
        binary: impl AsRef<Path>,
        options: LaunchOptions,
    ) -> Result<ProviderProcess, HarnessError> {
        let announced = match options.transport {
            Transport::AutoMtls => Some(Identity::generate(Curve::P521)?),
            Transport::Plaintext => None,
        };
        let spawned = std::time::Instant::now();
        let started = start(
            binary.as_ref(),
            announced.as_ref().map(|i| i.cert_pem.as_str()),
            &options.env,
            options.start_timeout,
        )
        .await?;
        let handshake_line = spawned.elapsed();
        let handshake = Handshake::parse(&started.line)?;
        let tls = match (&announced, &handshake.server_cert) {
            (Some(announced), Some(server_cert)) => {
                let presented = match options.client_certificate {
                    ClientCertificate::Announced => None,
                    ClientCertificate::Impostor => Some(Identity::generate(Curve::P521)?),
                };
                Some(crate::wire::tls::client_config(
                    presented.as_ref().unwrap_or(announced),
                    CertificateDer::from(server_cert.clone()),
                )?)
            }
            (Some(_), None) => {
                return Err(HarnessError::Handshake(
                    "AutoMTLS was requested but the handshake has no certificate".to_string(),
                ));
            }
            (None, _) => None,
        };
        let channel = connect(&handshake, tls).await?;
        let timings = LaunchTimings {
            handshake_line,
            connected: spawned.elapsed(),
        };
        Ok(ProviderProcess {
            timings,
            child: started.child,
            handshake,
            channel: channel.clone(),
            provider: ProviderClient::new(channel.clone())
                .max_decoding_message_size(MAX_MESSAGE_SIZE)
                .max_encoding_message_size(MAX_MESSAGE_SIZE),
            controller: GrpcControllerClient::new(channel.clone()),
            health: health::health_client::HealthClient::new(channel),
            stdout_after_handshake: started.stdout_after,
            stderr: started.stderr,
            schema: None,
            identity_schemas: None,
        })
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// What the provider wrote to stdout after the handshake line (must stay empty).
    pub fn stdout_after_handshake(&self) -> Vec<u8> {
        self.stdout_after_handshake
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// What the provider logged on stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// `GRPCController.Shutdown`, as Terraform closes a provider.
    pub async fn shutdown(&mut self) -> Result<(), HarnessError> {
        self.controller.shutdown(plugin::Empty {}).await?;
        Ok(())
    }

    /// Waits for the process to exit; `None` if it is still running after `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .ok()
            .and_then(Result::ok)
    }

    /// `GetProviderSchema`, cached.
    pub async fn schema(&mut self) -> Result<pb::get_provider_schema::Response, HarnessError> {
        if let Some(schema) = &self.schema {
            return Ok(schema.clone());
        }
        let schema = self
            .provider
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await?
            .into_inner();
        self.schema = Some(schema.clone());
        Ok(schema)
    }

    /// `GetResourceIdentitySchemas`, cached.
    pub async fn identity_schemas(
        &mut self,
    ) -> Result<pb::get_resource_identity_schemas::Response, HarnessError> {
        if let Some(schemas) = &self.identity_schemas {
            return Ok(schemas.clone());
        }
        let schemas = self
            .provider
            .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
            .await?
            .into_inner();
        self.identity_schemas = Some(schemas.clone());
        Ok(schemas)
    }

    /// The value type of a resource's identity, `None` for a type without identity.
    pub async fn identity_type(&mut self, type_name: &str) -> Result<Option<Type>, HarnessError> {
        let schemas = self.identity_schemas().await?;
        schemas
            .identity_schemas
            .get(type_name)
            .map(identity_schema_type)
            .transpose()
    }

    /// `GetFunctions`.
    pub async fn functions(&mut self) -> Result<pb::get_functions::Response, HarnessError> {
        Ok(self
            .provider
            .get_functions(pb::get_functions::Request {})
            .await?
            .into_inner())
    }

    /// `CallFunction` with arguments of the parameter types `GetProviderSchema` declares: the
    /// result, or the function's error.
    pub async fn call_function(
        &mut self,
        name: &str,
        arguments: &[Value],
    ) -> Result<Result<Value, FunctionError>, HarnessError> {
        let schema = self.schema().await?;
        let function = schema
            .functions
            .get(name)
            .ok_or_else(|| HarnessError::Value(format!("no function {name} in the schema")))?;
        let mut encoded = Vec::new();
        for (argument, parameter) in arguments.iter().zip(&function.parameters) {
            let ty = Type::from_json_bytes(&parameter.r#type)
                .map_err(|e| HarnessError::Value(format!("{}: {e}", parameter.name)))?;
            encoded.push(encode(argument, &ty)?);
        }
        let return_type = Type::from_json_bytes(
            &function
                .r#return
                .as_ref()
                .map(|r| r.r#type.clone())
                .unwrap_or_default(),
        )
        .map_err(|e| HarnessError::Value(format!("{name} returns: {e}")))?;
        let response = self
            .provider
            .call_function(pb::call_function::Request {
                name: name.to_string(),
                arguments: encoded,
            })
            .await?
            .into_inner();
        if let Some(error) = response.error {
            return Ok(Err(FunctionError {
                text: error.text,
                argument: error
                    .function_argument
                    .and_then(|index| usize::try_from(index).ok()),
            }));
        }
        Ok(Ok(decode(response.result.as_ref(), &return_type)?))
    }

    /// An identity from a response, null when there is none.
    async fn identity_from(
        &mut self,
        type_name: &str,
        identity: Option<&pb::ResourceIdentityData>,
    ) -> Result<Value, HarnessError> {
        let Some(data) = identity.and_then(|i| i.identity_data.as_ref()) else {
            return Ok(Value::Null);
        };
        let ty = self.identity_type(type_name).await?.ok_or_else(|| {
            HarnessError::Value(format!(
                "{type_name} returned an identity but has no schema"
            ))
        })?;
        decode(Some(data), &ty)
    }

    /// The value type of the provider block.
    pub async fn provider_type(&mut self) -> Result<Type, HarnessError> {
        let schema = self.schema().await?;
        schema_type(schema.provider.as_ref())
    }

    /// The value type of a resource.
    pub async fn resource_type(&mut self, type_name: &str) -> Result<Type, HarnessError> {
        let schema = self.schema().await?;
        schema_type(schema.resource_schemas.get(type_name))
    }

    /// The value type of a data source.
    pub async fn data_source_type(&mut self, type_name: &str) -> Result<Type, HarnessError> {
        let schema = self.schema().await?;
        schema_type(schema.data_source_schemas.get(type_name))
    }

    /// `ValidateProviderConfig`.
    pub async fn validate_provider_config(
        &mut self,
        config: &Value,
    ) -> Result<Diagnostics, HarnessError> {
        let ty = self.provider_type().await?;
        let response = self
            .provider
            .validate_provider_config(pb::validate_provider_config::Request {
                config: Some(encode(config, &ty)?),
            })
            .await?
            .into_inner();
        Ok(diagnostics_from_proto(response.diagnostics))
    }

    /// `ConfigureProvider`.
    pub async fn configure(&mut self, config: &Value) -> Result<Diagnostics, HarnessError> {
        let ty = self.provider_type().await?;
        let response = self
            .provider
            .configure_provider(pb::configure_provider::Request {
                terraform_version: "1.15.5".to_string(),
                config: Some(encode(config, &ty)?),
                client_capabilities: None,
            })
            .await?
            .into_inner();
        Ok(diagnostics_from_proto(response.diagnostics))
    }

    /// `ValidateResourceConfig`.
    pub async fn validate_resource_config(
        &mut self,
        type_name: &str,
        config: &Value,
    ) -> Result<Diagnostics, HarnessError> {
        let ty = self.resource_type(type_name).await?;
        let response = self
            .provider
            .validate_resource_config(pb::validate_resource_config::Request {
                type_name: type_name.to_string(),
                config: Some(encode(config, &ty)?),
                client_capabilities: None,
            })
            .await?
            .into_inner();
        Ok(diagnostics_from_proto(response.diagnostics))
    }

    /// The value type of a list resource's `config` block.
    pub async fn list_config_type(&mut self, type_name: &str) -> Result<Type, HarnessError> {
        let schema = self.schema().await?;
        schema_type(schema.list_resource_schemas.get(type_name))
    }

    /// `ValidateListResourceConfig`, as Terraform sends it: the `config` block only (`config`
    /// null: the `list` block has none).
    pub async fn validate_list_resource_config(
        &mut self,
        type_name: &str,
        config: &Value,
    ) -> Result<Diagnostics, HarnessError> {
        let ty = self.list_config_type(type_name).await?;
        let response = self
            .provider
            .validate_list_resource_config(pb::validate_list_resource_config::Request {
                type_name: type_name.to_string(),
                config: Some(encode(config, &ty)?),
                include_resource_object: None,
                limit: None,
            })
            .await?
            .into_inner();
        Ok(diagnostics_from_proto(response.diagnostics))
    }

    /// `ListResource`: every event of the stream, decoded with the schemas of the managed
    /// resource type of the same name, as Terraform reads them.
    pub async fn list_resource(
        &mut self,
        type_name: &str,
        config: &Value,
        include_resource: bool,
        limit: i64,
    ) -> Result<Vec<ListEvent>, HarnessError> {
        let config_type = self.list_config_type(type_name).await?;
        let resource_type = self.resource_type(type_name).await?;
        let identity_type = self.identity_type(type_name).await?;
        let mut stream = self
            .provider
            .list_resource(pb::list_resource::Request {
                type_name: type_name.to_string(),
                config: Some(encode(config, &config_type)?),
                include_resource_object: include_resource,
                limit,
            })
            .await?
            .into_inner();
        let mut events = Vec::new();
        while let Some(event) = stream.message().await? {
            let identity = match (
                event
                    .identity
                    .as_ref()
                    .and_then(|i| i.identity_data.as_ref()),
                &identity_type,
            ) {
                (Some(data), Some(ty)) => Some(decode(Some(data), ty)?),
                _ => None,
            };
            events.push(ListEvent {
                identity,
                display_name: event.display_name,
                resource: event
                    .resource_object
                    .as_ref()
                    .map(|object| decode(Some(object), &resource_type))
                    .transpose()?,
                diagnostics: diagnostics_from_proto(event.diagnostic),
            });
        }
        Ok(events)
    }

    /// The value type of an action's configuration.
    pub async fn action_type(&mut self, type_name: &str) -> Result<Type, HarnessError> {
        let schema = self.schema().await?;
        schema_type(
            schema
                .action_schemas
                .get(type_name)
                .and_then(|a| a.schema.as_ref()),
        )
    }

    /// `ValidateActionConfig`.
    pub async fn validate_action_config(
        &mut self,
        type_name: &str,
        config: &Value,
    ) -> Result<Diagnostics, HarnessError> {
        let ty = self.action_type(type_name).await?;
        let response = self
            .provider
            .validate_action_config(pb::validate_action_config::Request {
                type_name: type_name.to_string(),
                config: Some(encode(config, &ty)?),
            })
            .await?
            .into_inner();
        Ok(diagnostics_from_proto(response.diagnostics))
    }

    /// `PlanAction`.
    pub async fn plan_action(
        &mut self,
        type_name: &str,
        config: &Value,
    ) -> Result<Diagnostics, HarnessError> {
        let ty = self.action_type(type_name).await?;
        let response = self
            .provider
            .plan_action(pb::plan_action::Request {
                action_type: type_name.to_string(),
                config: Some(encode(config, &ty)?),
                client_capabilities: None,
            })
            .await?
            .into_inner();
        Ok(diagnostics_from_proto(response.diagnostics))
    }

    /// `InvokeAction`, read to its end: the progress messages in order, then the completed
    /// event's diagnostics. A stream that ends without a completed event is an error.
    pub async fn invoke_action(
        &mut self,
        type_name: &str,
        config: &Value,
    ) -> Result<(Vec<String>, Diagnostics), HarnessError> {
        let ty = self.action_type(type_name).await?;
        let mut stream = self
            .provider
            .invoke_action(pb::invoke_action::Request {
                action_type: type_name.to_string(),
                config: Some(encode(config, &ty)?),
                client_capabilities: None,
            })
            .await?
            .into_inner();
        let mut progress = Vec::new();
        while let Some(event) = stream.message().await? {
            match event.r#type {
                Some(pb::invoke_action::event::Type::Progress(p)) => progress.push(p.message),
                Some(pb::invoke_action::event::Type::Completed(c)) => {
                    return Ok((progress, diagnostics_from_proto(c.diagnostics)));
                }
                None => {}
            }
        }
        Err(HarnessError::Value(
            "InvokeAction ended without a completed event".into(),
        ))
    }

    /// `ReadDataSource`.
    pub async fn read_data_source(
        &mut self,
        type_name: &str,
        config: &Value,
    ) -> Result<(Value, Diagnostics), HarnessError> {
        let ty = self.data_source_type(type_name).await?;
        let response = self
            .provider
            .read_data_source(pb::read_data_source::Request {
                type_name: type_name.to_string(),
                config: Some(encode(config, &ty)?),
                provider_meta: None,
                client_capabilities: None,
            })
            .await?
            .into_inner();
        Ok((
            decode(response.state.as_ref(), &ty)?,
            diagnostics_from_proto(response.diagnostics),
        ))
    }

    /// `PlanResourceChange`, with the proposed new state computed as Terraform does for flat
    /// schemas (config where set, else prior).
    pub async fn plan_resource_change(
        &mut self,
        type_name: &str,
        prior: &Value,
        config: &Value,
        prior_private: Vec<u8>,
    ) -> Result<PlanResult, HarnessError> {
        let ty = self.resource_type(type_name).await?;
        let proposed = proposed_new_state(prior, config);
        let response = self
            .provider
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: type_name.to_string(),
                prior_state: Some(encode(prior, &ty)?),
                proposed_new_state: Some(encode(&proposed, &ty)?),
                config: Some(encode(config, &ty)?),
                prior_private,
                provider_meta: None,
                client_capabilities: None,
                prior_identity: None,
            })
            .await?
            .into_inner();
        let planned_identity = self
            .identity_from(type_name, response.planned_identity.as_ref())
            .await?;
        Ok(PlanResult {
            planned_state: decode(response.planned_state.as_ref(), &ty)?,
            planned_identity,
            requires_replace: response
                .requires_replace
                .iter()
                .map(path_from_proto)
                .collect(),
            planned_private: response.planned_private,
            diagnostics: diagnostics_from_proto(response.diagnostics),
        })
    }

    /// `ApplyResourceChange`.
    pub async fn apply_resource_change(
        &mut self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        config: &Value,
        planned_private: Vec<u8>,
    ) -> Result<StateResult, HarnessError> {
        let ty = self.resource_type(type_name).await?;
        let response = self
            .provider
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: type_name.to_string(),
                prior_state: Some(encode(prior, &ty)?),
                planned_state: Some(encode(planned, &ty)?),
                config: Some(encode(config, &ty)?),
                planned_private,
                provider_meta: None,
                planned_identity: None,
            })
            .await?
            .into_inner();
        let identity = self
            .identity_from(type_name, response.new_identity.as_ref())
            .await?;
        Ok(StateResult {
            state: decode(response.new_state.as_ref(), &ty)?,
            identity,
            private: response.private,
            diagnostics: diagnostics_from_proto(response.diagnostics),
        })
    }

    /// `ReadResource`.
    pub async fn read_resource(
        &mut self,
        type_name: &str,
        state: &Value,
        private: Vec<u8>,
    ) -> Result<StateResult, HarnessError> {
        let ty = self.resource_type(type_name).await?;
        let response = self
            .provider
            .read_resource(pb::read_resource::Request {
                type_name: type_name.to_string(),
                current_state: Some(encode(state, &ty)?),
                private,
                provider_meta: None,
                client_capabilities: None,
                current_identity: None,
            })
            .await?
            .into_inner();
        let identity = self
            .identity_from(type_name, response.new_identity.as_ref())
            .await?;
        Ok(StateResult {
            state: decode(response.new_state.as_ref(), &ty)?,
            identity,
            private: response.private,
            diagnostics: diagnostics_from_proto(response.diagnostics),
        })
    }

    /// `ImportResourceState` by id (`terraform import`): the first imported object, if any.
    pub async fn import_resource_state(
        &mut self,
        type_name: &str,
        id: &str,
    ) -> Result<StateResult, HarnessError> {
        self.import(pb::import_resource_state::Request {
            type_name: type_name.to_string(),
            id: id.to_string(),
            client_capabilities: None,
            identity: None,
        })
        .await
    }

    /// `ImportResourceState` by identity (`import { identity = {...} }`, Terraform 1.12+): the
    /// first imported object, if any. `identity` is a value of the type's identity schema.
    pub async fn import_resource_state_by_identity(
        &mut self,
        type_name: &str,
        identity: &Value,
    ) -> Result<StateResult, HarnessError> {
        let ty = self
            .identity_type(type_name)
            .await?
            .ok_or_else(|| HarnessError::Value(format!("{type_name} has no identity schema")))?;
        self.import(pb::import_resource_state::Request {
            type_name: type_name.to_string(),
            id: String::new(),
            client_capabilities: None,
            identity: Some(pb::ResourceIdentityData {
                identity_data: Some(encode(identity, &ty)?),
            }),
        })
        .await
    }

    async fn import(
        &mut self,
        request: pb::import_resource_state::Request,
    ) -> Result<StateResult, HarnessError> {
        let type_name = request.type_name.clone();
        let ty = self.resource_type(&type_name).await?;
        let response = self
            .provider
            .import_resource_state(request)
            .await?
            .into_inner();
        let first = response.imported_resources.first();
        let identity = self
            .identity_from(&type_name, first.and_then(|r| r.identity.as_ref()))
            .await?;
        Ok(StateResult {
            state: decode(first.and_then(|r| r.state.as_ref()), &ty)?,
            identity,
            private: first.map(|r| r.private.clone()).unwrap_or_default(),
            diagnostics: diagnostics_from_proto(response.diagnostics),
        })
    }

    /// `UpgradeResourceIdentity` from stored JSON: the upgraded identity.
    pub async fn upgrade_resource_identity(
        &mut self,
        type_name: &str,
        version: i64,
        json: &serde_json::Value,
    ) -> Result<(Value, Diagnostics), HarnessError> {
        let response = self
            .provider
            .upgrade_resource_identity(pb::upgrade_resource_identity::Request {
                type_name: type_name.to_string(),
                version,
                raw_identity: Some(pb::RawState {
                    json: json.to_string().into_bytes(),
                    flatmap: Default::default(),
                }),
            })
            .await?
            .into_inner();
        let identity = self
            .identity_from(type_name, response.upgraded_identity.as_ref())
            .await?;
        Ok((identity, diagnostics_from_proto(response.diagnostics)))
    }

    /// `UpgradeResourceState` from stored JSON.
    pub async fn upgrade_resource_state(
        &mut self,
        type_name: &str,
        version: i64,
        json: &serde_json::Value,
    ) -> Result<StateResult, HarnessError> {
        let ty = self.resource_type(type_name).await?;
        let response = self
            .provider
            .upgrade_resource_state(pb::upgrade_resource_state::Request {
                type_name: type_name.to_string(),
                version,
                raw_state: Some(pb::RawState {
                    json: json.to_string().into_bytes(),
                    flatmap: Default::default(),
                }),
            })
            .await?
            .into_inner();
        Ok(StateResult {
            state: decode(response.upgraded_state.as_ref(), &ty)?,
            identity: Value::Null,
            private: Vec::new(),
            diagnostics: diagnostics_from_proto(response.diagnostics),
        })
    }

    /// `StopProvider`: the error string it returned (empty on success).
    pub async fn stop(&mut self) -> Result<String, HarnessError> {
        Ok(self
            .provider
            .stop_provider(pb::stop_provider::Request {})
            .await?
            .into_inner()
            .error)
    }
}

/// The outcome of a plan.
#[derive(Debug, Clone)]
pub struct PlanResult {
    /// The planned state (null for destroy).
    pub planned_state: Value,
    /// The planned identity (null when none).
    pub planned_identity: Value,
    /// Paths that force replacement.
    pub requires_replace: Vec<crate::values::path::AttributePath>,
    /// Private state for apply.
    pub planned_private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// One event of a `ListResource` stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ListEvent {
    /// The listed object's identity; `None` in an event of diagnostics only.
    pub identity: Option<Value>,
    /// Its display name.
    pub display_name: String,
    /// Its state, when asked for.
    pub resource: Option<Value>,
    /// Warnings about it, or the errors that ended the list.
    pub diagnostics: Diagnostics,
}

/// The outcome of apply, read, import or upgrade.
#[derive(Debug, Clone)]
pub struct StateResult {
    /// The state (null when gone).
    pub state: Value,
    /// The identity of the object (null when none).
    pub identity: Value,
    /// Private state.
    pub private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
}

/// Terraform's proposed new state for flat schemas: the configured value where there is one,
/// else the prior value. Null config (destroy) proposes null.
pub fn proposed_new_state(prior: &Value, config: &Value) -> Value {
    match (prior, config) {
        (_, Value::Null) => Value::Null,
        (Value::Object(prior), Value::Object(config)) => Value::Object(
            config
                .iter()
                .map(|(name, value)| {
                    let proposed = if value.is_null() {
                        prior.get(name).cloned().unwrap_or(Value::Null)
                    } else {
                        value.clone()
                    };
                    (name.clone(), proposed)
                })
                .collect(),
        ),
        (_, config) => config.clone(),
    }
}

fn encode(value: &Value, ty: &Type) -> Result<pb::DynamicValue, HarnessError> {
    crate::values::msgpack::encode_msgpack(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| HarnessError::Value(e.to_string()))
}

fn decode(value: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, HarnessError> {
    decode_value(value, ty, "value").map_err(|d| {
        HarnessError::Value(
            d.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// Our diagnostics from the protocol's.
pub fn diagnostics_from_proto(diagnostics: Vec<pb::Diagnostic>) -> Diagnostics {
    diagnostics
        .into_iter()
        .map(|d| Diagnostic {
            severity: if d.severity == pb::diagnostic::Severity::Warning as i32 {
                Severity::Warning
            } else {
                Severity::Error
            },
            summary: d.summary,
            detail: d.detail,
            attribute: d.attribute.as_ref().map(path_from_proto),
        })
        .collect()
}

/// The value type of a protocol identity schema.
pub fn identity_schema_type(schema: &pb::ResourceIdentitySchema) -> Result<Type, HarnessError> {
    let mut attributes = std::collections::BTreeMap::new();
    for attribute in &schema.identity_attributes {
        let ty = Type::from_json_bytes(&attribute.r#type)
            .map_err(|e| HarnessError::Value(format!("{}: {e}", attribute.name)))?;
        attributes.insert(attribute.name.clone(), ty);
    }
    Ok(Type::Object(attributes))
}

/// The value type a protocol schema describes.
pub fn schema_type(schema: Option<&pb::Schema>) -> Result<Type, HarnessError> {
    let block = schema
        .and_then(|s| s.block.as_ref())
        .ok_or_else(|| HarnessError::Value("no such schema".to_string()))?;
    block_type(block)
}

fn block_type(block: &pb::schema::Block) -> Result<Type, HarnessError> {
    use pb::schema::nested_block::NestingMode;
    let mut attributes = std::collections::BTreeMap::new();
    for attribute in &block.attributes {
        let ty = match &attribute.nested_type {
            Some(object) => {
                use pb::schema::object::NestingMode as ObjectNesting;
                let mut inner = std::collections::BTreeMap::new();
                for a in &object.attributes {
                    let nested = pb::schema::Block {
                        attributes: vec![a.clone()],
                        ..Default::default()
                    };
                    if let Type::Object(mut one) = block_type(&nested)? {
                        inner.append(&mut one);
                    }
                }
                let object_type = Type::Object(inner);
                match ObjectNesting::try_from(object.nesting).unwrap_or(ObjectNesting::Single) {
                    ObjectNesting::List => Type::list(object_type),
                    ObjectNesting::Set => Type::set(object_type),
                    ObjectNesting::Map => Type::map(object_type),
                    _ => object_type,
                }
            }
            None => Type::from_json_bytes(&attribute.r#type)
                .map_err(|e| HarnessError::Value(format!("{}: {e}", attribute.name)))?,
        };
        attributes.insert(attribute.name.clone(), ty);
    }
    for nested in &block.block_types {
        let inner = block_type(nested.block.as_ref().unwrap_or(&Default::default()))?;
        let ty = match NestingMode::try_from(nested.nesting).unwrap_or(NestingMode::Single) {
            NestingMode::List => Type::list(inner),
            NestingMode::Set => Type::set(inner),
            NestingMode::Map => Type::map(inner),
            _ => inner,
        };
        attributes.insert(nested.type_name.clone(), ty);
    }
    Ok(Type::Object(attributes))
}
