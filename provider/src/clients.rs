//! What resources and data sources get from the configured provider: the AWS clients and the
//! table names ([`StudioClients`]), how a call gets them from its [`Context`], and the core
//! handles built from them (SageMaker lookups, the mapping and history tables).
//!
//! This module depends on [`crate::config`] only: resources and data sources use it, and the
//! provider (which builds a [`StudioClients`] in `configure`) sits above them all.

use std::sync::Arc;

use studio_core::aws::Clients;
use studio_core::records::{HistoryTable, MappingTable};
use studio_core::resolve::Studio;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::provider::Context;

use crate::config::ProviderConfig;

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

impl StudioClients {
    /// Connects to AWS as `settings` say.
    pub async fn connect(settings: ProviderConfig) -> Result<StudioClients, studio_core::Error> {
        let aws = Clients::connect(&settings.aws).await?;
        Ok(StudioClients {
            aws,
            user_table: settings.user_table,
            history_table: settings.history_table,
            slots_table: settings.slots_table,
        })
    }
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

/// The configured provider's clients, as diagnostics when it is not configured.
pub fn connect(ctx: &Context) -> Result<Arc<StudioClients>, Diagnostics> {
    clients(ctx).map_err(Diagnostics::from)
}

/// SageMaker lookups, cancelled with the call.
pub fn studio(clients: &StudioClients, ctx: &Context) -> Studio {
    Studio::new(
        clients.aws.sagemaker.clone(),
        clients.aws.retry,
        ctx.cancellation().clone(),
    )
}

/// The mapping table.
pub fn mapping_table(clients: &StudioClients) -> MappingTable {
    MappingTable::new(clients.aws.dynamodb.clone(), clients.user_table.clone())
}

/// The history table.
pub fn history_table(clients: &StudioClients) -> HistoryTable {
    HistoryTable::new(clients.aws.dynamodb.clone(), clients.history_table.clone())
}
