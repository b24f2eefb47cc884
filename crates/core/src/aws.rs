//! Connecting to AWS: one set of clients from the provider's (or a Lambda's) settings.

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
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
    /// Shared configuration files to read instead of `~/.aws/config` (empty: the default).
    pub shared_config_files: Vec<String>,
    /// Shared credentials files to read instead of `~/.aws/credentials` (empty: the default).
    pub shared_credentials_files: Vec<String>,
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

/// A role to assume on top of the base credentials, with the session settings of STS
/// `AssumeRole`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    /// `DurationSeconds` (STS's default, one hour, when unset).
    pub duration: Option<std::time::Duration>,
    /// A session policy document (JSON).
    pub policy: Option<String>,
    /// Managed session policies.
    pub policy_arns: Vec<String>,
    /// Session tags.
    pub tags: std::collections::BTreeMap<String, String>,
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
        if !settings.shared_config_files.is_empty() || !settings.shared_credentials_files.is_empty()
        {
            loader = loader.profile_files(profile_files(settings));
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

/// The shared files of `settings`, replacing the defaults of each kind that is given (as
/// `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` would); a kind not given keeps its default.
fn profile_files(settings: &AwsSettings) -> EnvConfigFiles {
    let mut files = EnvConfigFiles::builder();
    if settings.shared_config_files.is_empty() {
        files = files.include_default_config_file(true);
    }
    if settings.shared_credentials_files.is_empty() {
        files = files.include_default_credentials_file(true);
    }
    for path in &settings.shared_config_files {
        files = files.with_file(EnvConfigFileKind::Config, path);
    }
    for path in &settings.shared_credentials_files {
        files = files.with_file(EnvConfigFileKind::Credentials, path);
    }
    files.build()
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
    if let Some(duration) = role.duration {
        provider = provider.session_length(duration);
    }
    if let Some(policy) = &role.policy {
        provider = provider.policy(policy.clone());
    }
    if !role.policy_arns.is_empty() {
        provider = provider.policy_arns(role.policy_arns.clone());
    }
    if !role.tags.is_empty() {
        provider = provider.tags(role.tags.clone());
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
        first_request(listener).await
    }

    /// One HTTP request (head and body, by its content-length) from a listener on the loopback,
    /// answered with a 500.
    async fn first_request(listener: tokio::net::TcpListener) -> String {
        let (mut socket, _) = listener.accept().await.expect("a connection");
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        let complete = |data: &[u8]| {
            let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                return false;
            };
            let text = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0);
            data.len() >= end + 4 + length
        };
        while !complete(&head) {
            let n = socket.read(&mut buf).await.expect("reading the request");
            assert!(n > 0, "the client closed before sending its request");
            head.extend_from_slice(&buf[..n]);
        }
        let _ = socket
            .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        String::from_utf8_lossy(&head).into_owned()
    }

    /// A temporary shared credentials file with a profile `base` (test keys) and a shared config
    /// file whose profile `base` has `region`; removed on drop.
    struct SharedFiles {
        dir: std::path::PathBuf,
    }

    impl SharedFiles {
        fn new(region: &str) -> SharedFiles {
            let dir = std::env::temp_dir().join(format!(
                "studio-core-aws-{}-{}",
                std::process::id(),
                rand::random::<u32>()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("credentials"),
                "[base]\naws_access_key_id = AKIDSHAREDFILE\naws_secret_access_key = secret\n",
            )
            .unwrap();
            std::fs::write(
                dir.join("config"),
                format!("[profile base]\nregion = {region}\n"),
            )
            .unwrap();
            SharedFiles { dir }
        }

        fn path(&self, name: &str) -> String {
            self.dir.join(name).display().to_string()
        }
    }

    impl Drop for SharedFiles {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[tokio::test]
    async fn shared_files_replace_the_default_ones() {
        let files = SharedFiles::new("eu-north-1");
        let settings = AwsSettings {
            profile: Some("base".into()),
            shared_config_files: vec![files.path("config")],
            shared_credentials_files: vec![files.path("credentials")],
            ..AwsSettings::default()
        };
        let clients = Clients::connect(&settings).await.unwrap();
        // The environment's region wins over a profile's, as everywhere in the SDK.
        let expected = std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| "eu-north-1".to_owned());
        assert_eq!(clients.region, expected);
    }

    #[tokio::test]
    async fn assume_role_sends_the_session_settings_to_sts() {
        let files = SharedFiles::new("us-east-1");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(first_request(listener));
        let settings = AwsSettings {
            region: Some("us-east-1".into()),
            profile: Some("base".into()),
            shared_config_files: vec![files.path("config")],
            shared_credentials_files: vec![files.path("credentials")],
            assume_role: Some(AssumeRole {
                role_arn: "arn:aws:iam::123456789012:role/studio".into(),
                session_name: Some("ci".into()),
                duration: Some(std::time::Duration::from_secs(5400)),
                policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
                policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
                tags: [("team".to_owned(), "platform".to_owned())].into(),
                ..AssumeRole::default()
            }),
            endpoints: Endpoints {
                sts: Some(url.clone()),
                sagemaker: Some(url),
                ..Endpoints::default()
            },
            ..AwsSettings::default()
        };
        let clients = Clients::connect(&settings).await.unwrap();
        // The first call needs credentials: the SDK assumes the role first (our listener answers
        // 500, so the call fails after STS has seen the request).
        let _ = clients.sagemaker.list_domains().send().await;
        let request = server.await.unwrap();
        let body = request.split("\r\n\r\n").nth(1).unwrap_or_default();
        for expected in [
            "Action=AssumeRole",
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fstudio",
            "RoleSessionName=ci",
            "DurationSeconds=5400",
            "PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess",
            "Tags.member.1.Key=team",
            "Tags.member.1.Value=platform",
            "Policy=%7B%22Version%22",
        ] {
            assert!(body.contains(expected), "{expected} missing from {body}");
        }
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
