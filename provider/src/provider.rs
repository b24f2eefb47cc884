//! The `studio` provider: its schema and configuration, and the registry of its resources and
//! data sources. It sits on top: nothing in the crate uses this module (resources and data
//! sources get their AWS clients from [`crate::clients`]).

use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::framework::action::Action;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::function::Function;
use tfplugin::framework::provider::{Context, DataSource, Provider, ProviderData, Resource};
use tfplugin::framework::schema::Schema;
use tfplugin::values::value::Value;

use crate::clients::StudioClients;
use crate::config::{self, ProviderConfig};

/// The provider's source address, as `required_providers` names it.
pub const ADDRESS: &str = "registry.terraform.io/studio-restore/studio";

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

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        crate::registry::functions()
    }

    fn list_resources(&self) -> Vec<Arc<dyn tfplugin::framework::list::ListResource>> {
        crate::registry::list_resources()
    }

    fn actions(&self) -> Vec<Arc<dyn Action>> {
        crate::registry::actions()
    }

    async fn validate_config(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(
        &self,
        config: &Value,
        ctx: &Context,
    ) -> (Option<ProviderData>, Diagnostics) {
        let Some(mut settings) = ProviderConfig::from_value(config) else {
            // Plan goes on; a call that really needs AWS reports it (see `crate::clients::clients`).
            tracing::info!("provider configuration has unknown values: not connecting yet");
            return (None, Diagnostics::new());
        };
        settings.aws.user_agent = Some(studio_core::aws::user_agent(
            "terraform-provider-studio",
            env!("CARGO_PKG_VERSION"),
            ctx.terraform_version()
                .map(|version| ("Terraform", version)),
        ));
        match StudioClients::connect(settings).await {
            Ok(clients) => {
                tracing::info!(region = %clients.aws.region, user_table = %clients.user_table, "provider configured");
                let data: ProviderData = Arc::new(clients);
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
