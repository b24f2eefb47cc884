//! The `studio` provider: its configuration, and the AWS clients it hands to resources.

use std::sync::Arc;

use async_trait::async_trait;
use studio_core::aws::Clients;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::provider::{Context, DataSource, Provider, ProviderData, Resource};
use tfplugin::framework::schema::Schema;
use tfplugin::values::value::Value;

use crate::config::{self, ProviderConfig};

/// The provider's source address, as `required_providers` names it.
pub const ADDRESS: &str = "registry.terraform.io/studio-restore/studio";

/// What resources and data sources get from the configured provider.
#[derive(Debug, Clone)]
pub struct StudioClients {
    /// The AWS clients.
    pub aws: Clients,
    /// The mapping table's name.
    pub user_table: String,
    /// The history table's name.
    pub history_table: String,
    /// The DataSync slots table shared with the restore workflow, if configured.
    pub slots_table: Option<String>,
}

/// The configured provider's clients, or the error to show when a call needs AWS before the
/// provider could be configured (its configuration depends on values unknown until apply).
pub fn clients(ctx: &Context) -> Result<Arc<StudioClients>, Diagnostic> {
    ctx.provider_data::<StudioClients>().ok_or_else(|| {
        Diagnostic::error(
            "The studio provider is not configured yet",
            format!(
                "{} needs AWS, but the provider block still has values that are known only after \
                 apply. Apply the resources the provider block depends on first (terraform apply \
                 -target=...), then run this again.",
                ctx.type_name()
            ),
        )
    })
}

/// The `studio` provider.
#[derive(Default)]
pub struct StudioProvider {
    resources: Vec<Arc<dyn Resource>>,
    data_sources: Vec<Arc<dyn DataSource>>,
}

impl StudioProvider {
    /// The provider with every resource and data source of [`crate::registry`].
    pub fn new() -> StudioProvider {
        let mut data_sources = crate::registry::data_sources();
        if crate::test_hooks::enabled() {
            data_sources.push(Arc::new(crate::test_hooks::WaitForCancellation));
        }
        StudioProvider {
            resources: crate::registry::resources(),
            data_sources,
        }
    }
}

#[async_trait]
impl Provider for StudioProvider {
    fn type_name(&self) -> &'static str {
        "studio"
    }

    fn schema(&self) -> Schema {
        config::schema()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        self.resources.clone()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        self.data_sources.clone()
    }

    async fn validate_config(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(
        &self,
        config: &Value,
        _ctx: &Context,
    ) -> (Option<ProviderData>, Diagnostics) {
        let Some(settings) = ProviderConfig::from_value(config) else {
            // Plan goes on; a call that really needs AWS reports it (see `clients`).
            tracing::info!("provider configuration has unknown values: not connecting yet");
            return (None, Diagnostics::new());
        };
        match Clients::connect(&settings.aws).await {
            Ok(aws) => {
                tracing::info!(region = %aws.region, user_table = %settings.user_table, "provider configured");
                let data: ProviderData = Arc::new(StudioClients {
                    aws,
                    user_table: settings.user_table,
                    history_table: settings.history_table,
                    slots_table: settings.slots_table,
                });
                (Some(data), Diagnostics::new())
            }
            Err(error) => (
                None,
                Diagnostic::error(
                    "Could not configure the AWS connection",
                    format!(
                        "{error}. Check the provider block's region, profile and assume_role, and the \
                         AWS environment (AWS_REGION, AWS_PROFILE, credentials)."
                    ),
                )
                .into(),
            ),
        }
    }
}
