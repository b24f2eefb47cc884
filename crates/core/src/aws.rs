//! Connecting to AWS: one set of clients from the provider's (or a Lambda's) settings.

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::Error;
use crate::retry::{DEFAULT_MAX_ATTEMPTS, RetryMode, RetryPolicy};

/// Where and as whom to call AWS. Unset fields fall back to the standard AWS environment and
/// shared configuration (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Roles to assume, in order, each with the credentials of the one before (role chaining);
    /// the first with the base credentials.
    pub assume_role: Vec<AssumeRole>,
    /// Base credentials from STS `AssumeRoleWithWebIdentity` instead of the standard chain.
    pub web_identity: Option<WebIdentity>,
    /// Retries after the first attempt of a call. `None`: `AWS_MAX_ATTEMPTS` (attempts), else
    /// [`DEFAULT_MAX_ATTEMPTS`] attempts.
    pub max_retries: Option<u32>,
    /// `None`: `AWS_RETRY_MODE`, else standard.
    pub retry_mode: Option<RetryMode>,
    /// Tags for every object a restore creates for itself (DataSync locations and tasks, EFS
    /// access points), under its owner tag ([`check_default_tags`]).
    pub default_tags: std::collections::BTreeMap<String, String>,
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

/// A role whose credentials come from STS `AssumeRoleWithWebIdentity` with an OIDC token (a CI
/// system's or a Kubernetes service account's).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebIdentity {
    pub role_arn: String,
    pub session_name: Option<String>,
    /// The token itself.
    pub token: Option<String>,
    /// A file holding the token, read again at every renewal (such tokens rotate). With neither
    /// `token` nor `token_file`: the file `AWS_WEB_IDENTITY_TOKEN_FILE` names.
    pub token_file: Option<String>,
    pub duration: Option<std::time::Duration>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

/// Per-service endpoint overrides (emulators, VPC endpoints).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub sagemaker: Option<String>,
    pub datasync: Option<String>,
    pub dynamodb: Option<String>,
    pub sfn: Option<String>,
    pub efs: Option<String>,
    pub lambda: Option<String>,
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
    /// The native engine's copier functions.
    pub lambda: aws_sdk_lambda::Client,
    /// The region the clients call.
    pub region: String,
    /// How calls through [`crate::retry::retry`] are retried.
    pub retry: RetryPolicy,
    /// Tags for every object a restore creates for itself, as the settings give them.
    pub default_tags: std::collections::BTreeMap<String, String>,
}

/// The most tags DataSync and EFS take on one object (DataSync API Reference, TagListEntry and
/// "DataSync quotas"; EFS API Reference, CreateAccessPoint: 50 each), less the owner tag.
pub const MAX_DEFAULT_TAGS: usize = 49;

/// Why `tags` cannot be the default tags of a restore's objects, if they cannot: a key AWS
/// reserves (`aws:`), the owner tag's key (which restores and sweeps own), too many, or keys
/// and values longer than DataSync and EFS take (128 and 256 characters).
pub fn check_default_tags(tags: &std::collections::BTreeMap<String, String>) -> Result<(), String> {
    if tags.len() > MAX_DEFAULT_TAGS {
        return Err(format!(
            "{} tags, but a restore's objects take at most {MAX_DEFAULT_TAGS} besides their owner tag",
            tags.len()
        ));
    }
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(format!("tag key {key:?} must be 1 to 128 characters"));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(format!(
                "tag key {key:?}: keys starting with aws: are reserved for AWS"
            ));
        }
        if key == crate::sweep::OWNER_TAG {
            return Err(format!(
                "tag key {key:?} is the owner tag that restores set on their own objects, to find and remove them"
            ));
        }
        if value.chars().count() > 256 {
            return Err(format!(
                "the value of tag {key:?} is longer than 256 characters"
            ));
        }
    }
    Ok(())
}

/// The retry policy and mode of `settings`, with the environment's (`AWS_MAX_ATTEMPTS`,
/// `AWS_RETRY_MODE`, as every AWS SDK reads them) where the settings say nothing.
fn retry_settings(settings: &AwsSettings) -> Result<(RetryPolicy, RetryMode), Error> {
    let policy = match settings.max_retries {
        Some(retries) => RetryPolicy::with_retries(retries),
        None => match std::env::var("AWS_MAX_ATTEMPTS") {
            Ok(text) => match text.trim().parse::<u32>() {
                Ok(attempts) if attempts >= 1 => RetryPolicy {
                    max_attempts: attempts,
                    ..RetryPolicy::default()
                },
                _ => {
                    return Err(Error::Invalid(format!(
                        "AWS_MAX_ATTEMPTS is {text:?}: it must be a whole number of attempts, 1 or more"
                    )));
                }
            },
            Err(_) => RetryPolicy {
                max_attempts: DEFAULT_MAX_ATTEMPTS,
                ..RetryPolicy::default()
            },
        },
    };
    let mode = match settings.retry_mode {
        Some(mode) => mode,
        None => match std::env::var("AWS_RETRY_MODE") {
            Ok(text) => RetryMode::parse(text.trim()).ok_or_else(|| {
                Error::Invalid(format!(
                    "AWS_RETRY_MODE is {text:?}: it must be one of {}",
                    RetryMode::names().join(", ")
                ))
            })?,
            Err(_) => RetryMode::Standard,
        },
    };
    Ok((policy, mode))
}

/// The SDK's own retry configuration: no retries of its own (every call goes through
/// [`crate::retry::retry`]), but in adaptive mode its client-side rate limiter, which paces
/// every attempt, first ones included, after a throttle.
fn sdk_retry_config(mode: RetryMode) -> RetryConfig {
    match mode {
        RetryMode::Standard => RetryConfig::disabled(),
        RetryMode::Adaptive => RetryConfig::adaptive().with_max_attempts(1),
    }
}

impl Clients {
    /// Builds the clients. The SDK's own retries are off: every call goes through
    /// [`crate::retry`], so that retry behaviour is explicit and the same everywhere.
    pub async fn connect(settings: &AwsSettings) -> Result<Clients, Error> {
        let (retry, mode) = retry_settings(settings)?;
        check_default_tags(&settings.default_tags)
            .map_err(|e| Error::Invalid(format!("default_tags: {e}")))?;
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).retry_config(sdk_retry_config(mode));
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
        let sts = settings.endpoints.sts.as_deref();
        let mut config = match &settings.web_identity {
            Some(identity) => web_identity(&base, identity, sts),
            None => base,
        };
        for role in &settings.assume_role {
            config = assume_role(&config, role, sts).await?;
        }
        let mut clients = Clients::from_config(&config, &settings.endpoints, region);
        clients.retry = retry;
        clients.default_tags = settings.default_tags.clone();
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
            lambda: append!(aws_sdk_lambda, self.lambda),
            region: self.region,
            retry: self.retry,
            default_tags: self.default_tags,
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
            lambda: client!(aws_sdk_lambda, &endpoints.lambda),
            region,
            retry: RetryPolicy::default(),
            default_tags: Default::default(),
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

/// `base` with credentials from STS `AssumeRoleWithWebIdentity` (renewed by the SDK's identity
/// cache before they expire; the token file is read again each time).
fn web_identity(base: &SdkConfig, identity: &WebIdentity, sts_endpoint: Option<&str>) -> SdkConfig {
    let mut sts_config = base.to_builder();
    if let Some(url) = sts_endpoint {
        sts_config = sts_config.endpoint_url(url);
    }
    let provider = WebIdentityProvider {
        sts: aws_sdk_sts::Client::new(&sts_config.build()),
        identity: identity.clone(),
    };
    base.to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build()
}

#[derive(Debug)]
struct WebIdentityProvider {
    sts: aws_sdk_sts::Client,
    identity: WebIdentity,
}

impl WebIdentityProvider {
    fn token(&self) -> Result<String, aws_credential_types::provider::error::CredentialsError> {
        use aws_credential_types::provider::error::CredentialsError;
        if let Some(token) = &self.identity.token {
            return Ok(token.clone());
        }
        let path = match &self.identity.token_file {
            Some(path) => path.clone(),
            None => std::env::var("AWS_WEB_IDENTITY_TOKEN_FILE").map_err(|_| {
                CredentialsError::invalid_configuration(
                    "assume_role_with_web_identity has neither web_identity_token nor \
                     web_identity_token_file, and AWS_WEB_IDENTITY_TOKEN_FILE is not set",
                )
            })?,
        };
        let token = std::fs::read_to_string(&path).map_err(|e| {
            CredentialsError::provider_error(format!(
                "reading the web identity token file {path}: {e}"
            ))
        })?;
        Ok(token.trim().to_owned())
    }

    async fn fetch(&self) -> aws_credential_types::provider::Result {
        use aws_credential_types::provider::error::CredentialsError;
        let identity = &self.identity;
        let mut request = self
            .sts
            .assume_role_with_web_identity()
            .role_arn(&identity.role_arn)
            .role_session_name(
                identity
                    .session_name
                    .clone()
                    .unwrap_or_else(|| "studio-restore".to_owned()),
            )
            .web_identity_token(self.token()?)
            .set_duration_seconds(identity.duration.map(|d| d.as_secs() as i32))
            .set_policy(identity.policy.clone());
        for arn in &identity.policy_arns {
            request = request.policy_arns(
                aws_sdk_sts::types::PolicyDescriptorType::builder()
                    .arn(arn)
                    .build(),
            );
        }
        let answer = request.send().await.map_err(|e| {
            CredentialsError::provider_error(format!(
                "assuming {} with a web identity: {}",
                identity.role_arn,
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            ))
        })?;
        let credentials = answer.credentials.ok_or_else(|| {
            CredentialsError::unhandled(
                "STS AssumeRoleWithWebIdentity answered without credentials",
            )
        })?;
        let expiry = std::time::SystemTime::try_from(credentials.expiration).ok();
        Ok(aws_credential_types::Credentials::new(
            credentials.access_key_id,
            credentials.secret_access_key,
            Some(credentials.session_token),
            expiry,
            "AssumeRoleWithWebIdentity",
        ))
    }
}

impl aws_credential_types::provider::ProvideCredentials for WebIdentityProvider {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(self.fetch())
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
            assume_role: vec![AssumeRole {
                role_arn: "arn:aws:iam::123456789012:role/studio".into(),
                session_name: Some("ci".into()),
                duration: Some(std::time::Duration::from_secs(5400)),
                policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
                policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
                tags: [("team".to_owned(), "platform".to_owned())].into(),
                ..AssumeRole::default()
            }],
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

    /// Answers every request with `status` and `body` (and `content-type` JSON), counting the
    /// requests; keeps the bodies.
    fn answering_server(
        listener: tokio::net::TcpListener,
        status: &'static str,
        body: &'static str,
    ) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let record = record.clone();
                tokio::spawn(async move {
                    let mut data = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        let Ok(n) = socket.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        data.extend_from_slice(&buf[..n]);
                        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                            continue;
                        };
                        let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .and_then(|n| n.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if data.len() < end + 4 + length {
                            continue;
                        }
                        let request =
                            String::from_utf8_lossy(&data[..end + 4 + length]).into_owned();
                        data.drain(..end + 4 + length);
                        record.lock().unwrap().push(request);
                        let answer = format!(
                            "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.1\r\nx-amzn-requestid: test\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        seen
    }

    const THROTTLED: &str = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;

    fn test_credentials() {
        // SAFETY: test-only credentials for the signer; every test that sets them sets the same.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        }
    }

    #[tokio::test]
    async fn max_retries_bounds_the_attempts_of_a_throttled_call() {
        test_credentials();
        for (retries, attempts) in [(0, 1), (2, 3)] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let seen = answering_server(listener, "400 Bad Request", THROTTLED);
            let settings = AwsSettings {
                region: Some("us-east-1".into()),
                max_retries: Some(retries),
                endpoints: Endpoints {
                    sagemaker: Some(url),
                    ..Endpoints::default()
                },
                ..AwsSettings::default()
            };
            let clients = Clients::connect(&settings).await.unwrap();
            assert_eq!(clients.retry.max_attempts, attempts);
            let studio = crate::resolve::Studio::new(
                clients.sagemaker.clone(),
                clients.retry,
                tokio_util::sync::CancellationToken::new(),
            );
            let error = studio.domain("d-000000000000").await.unwrap_err();
            assert!(crate::retry::is_transient(&error), "{error}");
            assert_eq!(
                seen.lock().unwrap().len(),
                attempts as usize,
                "max_retries {retries}"
            );
        }
    }

    #[tokio::test]
    async fn the_retry_mode_picks_the_sdks_rate_limiter_and_never_its_retries() {
        test_credentials();
        for (mode, expected) in [
            (RetryMode::Standard, aws_config::retry::RetryMode::Standard),
            (RetryMode::Adaptive, aws_config::retry::RetryMode::Adaptive),
        ] {
            let settings = AwsSettings {
                region: Some("us-east-1".into()),
                retry_mode: Some(mode),
                ..AwsSettings::default()
            };
            let clients = Clients::connect(&settings).await.unwrap();
            for config in [
                clients.sagemaker.config().retry_config(),
                clients.dynamodb.config().retry_config(),
                clients.datasync.config().retry_config(),
            ] {
                let config = config.expect("a retry config");
                assert_eq!(config.mode(), expected);
                assert_eq!(config.max_attempts(), 1, "retries are crate::retry's alone");
            }
        }
        assert_eq!(RetryMode::parse("adaptive"), Some(RetryMode::Adaptive));
        assert_eq!(RetryMode::parse("legacy"), None);
        for (mode, name) in RetryMode::ALL {
            assert_eq!(mode.name(), name);
        }
    }

    #[tokio::test]
    async fn web_identity_sends_the_token_files_content_to_sts() {
        let files = SharedFiles::new("us-east-1");
        let token = files.dir.join("token");
        std::fs::write(&token, "eyJhbGciOiJSUzI1NiJ9.test-token\n").unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(first_request(listener));
        let settings = AwsSettings {
            region: Some("us-east-1".into()),
            web_identity: Some(WebIdentity {
                role_arn: "arn:aws:iam::123456789012:role/ci".into(),
                session_name: Some("pipeline".into()),
                token_file: Some(token.display().to_string()),
                duration: Some(std::time::Duration::from_secs(1800)),
                policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
                ..WebIdentity::default()
            }),
            endpoints: Endpoints {
                sts: Some(url.clone()),
                sagemaker: Some(url),
                ..Endpoints::default()
            },
            ..AwsSettings::default()
        };
        let clients = Clients::connect(&settings).await.unwrap();
        let _ = clients.sagemaker.list_domains().send().await;
        let request = server.await.unwrap();
        let body = request.split("\r\n\r\n").nth(1).unwrap_or_default();
        for expected in [
            "Action=AssumeRoleWithWebIdentity",
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci",
            "RoleSessionName=pipeline",
            "WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.test-token&",
            "DurationSeconds=1800",
            "PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess",
        ] {
            assert!(body.contains(expected), "{expected} missing from {body}");
        }
    }

    #[tokio::test]
    async fn assume_role_blocks_chain_each_with_the_credentials_of_the_one_before() {
        let files = SharedFiles::new("us-east-1");
        let sts = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", sts.local_addr().unwrap());
        let expiry = (time::OffsetDateTime::now_utc() + std::time::Duration::from_secs(3600))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let first_role = format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
             <Credentials><AccessKeyId>ASIAHUBROLE</AccessKeyId><SecretAccessKey>hubsecret</SecretAccessKey>\
             <SessionToken>hubtoken</SessionToken><Expiration>{expiry}</Expiration></Credentials>\
             <AssumedRoleUser><Arn>arn:aws:sts::111111111111:assumed-role/hub/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>\
             </AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"
        );
        let first_role: &'static str = Box::leak(first_role.into_boxed_str());
        let seen = answering_server(sts, "200 OK", first_role);
        let sagemaker = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sagemaker_url = format!("http://{}", sagemaker.local_addr().unwrap());
        let sagemaker_server = tokio::spawn(first_request(sagemaker));
        let settings = AwsSettings {
            region: Some("us-east-1".into()),
            profile: Some("base".into()),
            shared_config_files: vec![files.path("config")],
            shared_credentials_files: vec![files.path("credentials")],
            assume_role: vec![
                AssumeRole {
                    role_arn: "arn:aws:iam::111111111111:role/hub".into(),
                    ..AssumeRole::default()
                },
                AssumeRole {
                    role_arn: "arn:aws:iam::222222222222:role/spoke".into(),
                    ..AssumeRole::default()
                },
            ],
            endpoints: Endpoints {
                sts: Some(url.clone()),
                sagemaker: Some(sagemaker_url),
                ..Endpoints::default()
            },
            ..AwsSettings::default()
        };
        let clients = Clients::connect(&settings).await.unwrap();
        // A call needs the last role's credentials; our STS answers the first role's credentials
        // to both requests, which is all this test needs to see.
        let _ = clients.sagemaker.list_domains().send().await;
        let call = sagemaker_server.await.unwrap();
        let requests = seen.lock().unwrap().clone();
        assert_eq!(requests.len(), 2, "{requests:?}");
        let authorization = |request: &str| {
            request
                .lines()
                .find_map(|l| {
                    l.strip_prefix("authorization: ")
                        .or_else(|| l.strip_prefix("Authorization: "))
                })
                .unwrap_or_default()
                .to_owned()
        };
        assert!(requests[0].contains("RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fhub"));
        assert!(
            authorization(&requests[0]).contains("Credential=AKIDSHAREDFILE/"),
            "the base credentials assume the first role"
        );
        assert!(requests[1].contains("RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Fspoke"));
        assert!(
            authorization(&requests[1]).contains("Credential=ASIAHUBROLE/"),
            "the first role's credentials assume the second"
        );
        assert!(
            authorization(&call).contains("Credential=ASIAHUBROLE/"),
            "the call is signed with the chain's last credentials"
        );
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
