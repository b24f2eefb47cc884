//! Connecting to AWS: one set of clients from the provider's (or a Lambda's) settings.

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig};

use crate::Error;

/// Where and as whom to call AWS. Unset fields fall back to the standard AWS environment and
/// shared configuration (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: Endpoints,
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
        Ok(Clients::from_config(&config, &settings.endpoints, region))
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
