//! Connecting to AWS: one set of clients from the provider's (or a Lambda's) settings.

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::Error;

/// Where and as whom to call AWS. Unset fields fall back to the standard AWS environment and
/// shared configuration (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: Endpoints,
    /// Products appended to the user agent of every call, as `name/version` words
    /// ([`user_agent`]): so that CloudTrail and the service teams see who called.
    pub user_agent: Option<String>,
}

/// The user agent words of a product and what runs it: `terraform-provider-studio/0.1.0
/// Terraform/1.15.5`, the convention of hashicorp/aws (`Terraform/VERSION` then the provider).
pub fn user_agent(product: &str, version: &str, runner: Option<(&str, &str)>) -> String {
    match runner {
        Some((name, runner_version)) => format!("{name}/{runner_version} {product}/{version}"),
        None => format!("{product}/{version}"),
    }
}

/// Appends words to the `user-agent` header of every request, after the SDK has set its own.
/// SigV4 does not sign `user-agent`, so changing it after signing is safe.
#[derive(Debug)]
struct AppendUserAgent(String);

impl Intercept for AppendUserAgent {
    fn name(&self) -> &'static str {
        "AppendUserAgent"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        let value = match headers.get("user-agent") {
            Some(sdk) => format!("{sdk} {}", self.0),
            None => self.0.clone(),
        };
        headers.insert("user-agent", value);
        Ok(())
    }
}

/// A role to assume on top of the base credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

/// Per-service endpoint overrides (emulators, VPC endpoints).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub sagemaker: Option<String>,
    pub datasync: Option<String>,
    pub dynamodb: Option<String>,
    pub sfn: Option<String>,
    pub efs: Option<String>,
    pub sts: Option<String>,
}

/// The AWS clients studio-restore uses, built once and shared.
#[derive(Debug, Clone)]
pub struct Clients {
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub datasync: aws_sdk_datasync::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub efs: aws_sdk_efs::Client,
    /// The region the clients call.
    pub region: String,
}

impl Clients {
    /// Builds the clients. The SDK's own retries are off: every call goes through
    /// [`crate::retry`], so that retry behaviour is explicit and the same everywhere.
    pub async fn connect(settings: &AwsSettings) -> Result<Clients, Error> {
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::disabled());
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        let base = loader.load().await;
        let region = base
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| {
                Error::Invalid(
                    "no AWS region: set `region` in the provider block, or AWS_REGION in the environment"
                        .into(),
                )
            })?;
        let config = match &settings.assume_role {
            Some(role) => assume_role(&base, role, settings.endpoints.sts.as_deref()).await?,
            None => base,
        };
        let mut clients = Clients::from_config(&config, &settings.endpoints, region);
        if let Some(words) = &settings.user_agent {
            clients = clients.with_user_agent(words);
        }
        Ok(clients)
    }

    /// The same clients, appending `words` to every call's user agent.
    pub fn with_user_agent(self, words: &str) -> Clients {
        macro_rules! append {
            ($krate:ident, $client:expr) => {{
                let config = $client
                    .config()
                    .to_builder()
                    .interceptor(AppendUserAgent(words.to_owned()))
                    .build();
                $krate::Client::from_conf(config)
            }};
        }
        Clients {
            sagemaker: append!(aws_sdk_sagemaker, self.sagemaker),
            datasync: append!(aws_sdk_datasync, self.datasync),
            dynamodb: append!(aws_sdk_dynamodb, self.dynamodb),
            sfn: append!(aws_sdk_sfn, self.sfn),
            efs: append!(aws_sdk_efs, self.efs),
            region: self.region,
        }
    }

    /// Clients from an already loaded SDK config (the Lambda functions use this).
    pub fn from_config(config: &SdkConfig, endpoints: &Endpoints, region: String) -> Clients {
        macro_rules! client {
            ($krate:ident, $endpoint:expr) => {{
                let mut builder = $krate::config::Builder::from(config);
                if let Some(url) = $endpoint {
                    builder = builder.endpoint_url(url.clone());
                }
                $krate::Client::from_conf(builder.build())
            }};
        }
        Clients {
            sagemaker: client!(aws_sdk_sagemaker, &endpoints.sagemaker),
            datasync: client!(aws_sdk_datasync, &endpoints.datasync),
            dynamodb: client!(aws_sdk_dynamodb, &endpoints.dynamodb),
            sfn: client!(aws_sdk_sfn, &endpoints.sfn),
            efs: client!(aws_sdk_efs, &endpoints.efs),
            region,
        }
    }
}

async fn assume_role(
    base: &SdkConfig,
    role: &AssumeRole,
    sts_endpoint: Option<&str>,
) -> Result<SdkConfig, Error> {
    let mut sts_config = base.to_builder();
    if let Some(url) = sts_endpoint {
        sts_config = sts_config.endpoint_url(url);
    }
    let sts_config = sts_config.build();
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(role.role_arn.clone())
        .session_name(
            role.session_name
                .clone()
                .unwrap_or_else(|| "studio-restore".to_owned()),
        )
        .configure(&sts_config);
    if let Some(id) = &role.external_id {
        provider = provider.external_id(id.clone());
    }
    let provider = provider.build().await;
    Ok(base
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// One HTTP request's head from a listener on the loopback, answered with a 500.
    async fn first_request_head(listener: tokio::net::TcpListener) -> String {
        let (mut socket, _) = listener.accept().await.expect("a connection");
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.expect("reading the request");
            assert!(n > 0, "the client closed before sending its headers");
            head.extend_from_slice(&buf[..n]);
        }
        let _ = socket
            .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        String::from_utf8_lossy(&head).into_owned()
    }

    #[test]
    fn user_agent_words_name_the_runner_first() {
        assert_eq!(
            user_agent(
                "terraform-provider-studio",
                "0.1.0",
                Some(("Terraform", "1.15.5"))
            ),
            "Terraform/1.15.5 terraform-provider-studio/0.1.0"
        );
        assert_eq!(
            user_agent("studio-reconciler", "0.1.0", None),
            "studio-reconciler/0.1.0"
        );
    }

    #[tokio::test]
    async fn every_call_carries_the_configured_user_agent_after_the_sdks() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(first_request_head(listener));
        let settings = AwsSettings {
            region: Some("us-east-1".into()),
            endpoints: Endpoints {
                sagemaker: Some(url),
                ..Endpoints::default()
            },
            user_agent: Some("Terraform/1.15.5 terraform-provider-studio/0.1.0".into()),
            ..AwsSettings::default()
        };
        // SAFETY: test-only credentials for the signer; no other test reads these variables.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        }
        let clients = Clients::connect(&settings).await.unwrap();
        let _ = clients.sagemaker.list_domains().send().await;
        let head = server.await.unwrap().to_ascii_lowercase();
        let agent = head
            .lines()
            .find_map(|line| line.strip_prefix("user-agent: "))
            .unwrap_or_else(|| panic!("no user-agent header in {head}"));
        assert!(
            agent.ends_with(" terraform/1.15.5 terraform-provider-studio/0.1.0"),
            "{agent}"
        );
        assert!(
            agent.starts_with("aws-sdk-rust/"),
            "the SDK's own words first: {agent}"
        );
    }
}
