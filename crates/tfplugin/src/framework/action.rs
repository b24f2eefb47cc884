//! Actions (Terraform 1.14+): imperative work a configuration declares in an `action` block and
//! Terraform runs from `terraform apply -invoke=action.<type>.<name>` or from a resource's
//! `lifecycle { action_trigger { ... } }`.
//!
//! An action has a configuration (a schema like a data source's, without computed results) and
//! no state. Terraform validates it, plans it (where a provider checks what it can before
//! anything runs), and invokes it; while it runs, the action reports progress, which Terraform
//! prints as it arrives. Older Terraform versions never see actions.

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::framework::diagnostics::Diagnostics;
use crate::framework::provider::Context;
use crate::framework::schema::Schema;
use crate::values::value::Value;

/// Where a running action sends progress messages; Terraform shows each one as it arrives.
#[derive(Clone)]
pub struct ProgressReporter {
    sender: Option<mpsc::UnboundedSender<String>>,
}

impl ProgressReporter {
    /// A reporter whose messages arrive on `sender`.
    pub fn new(sender: mpsc::UnboundedSender<String>) -> ProgressReporter {
        ProgressReporter {
            sender: Some(sender),
        }
    }

    /// A reporter that drops every message (an action run outside Terraform).
    pub fn discard() -> ProgressReporter {
        ProgressReporter { sender: None }
    }

    /// Sends one progress message. A Terraform that went away no longer listens: the message
    /// is dropped, and cancellation (see [`Context::cancellation`]) stops the action.
    pub fn report(&self, message: impl Into<String>) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(message.into());
        }
    }
}

/// An action type.
#[async_trait]
pub trait Action: Send + Sync + 'static {
    /// The action type name (`studio_restore`).
    fn type_name(&self) -> &'static str;

    /// The schema of the `config` block of an `action` (arguments only).
    fn schema(&self) -> Schema;

    /// Checks the configuration beyond the schema's validators. Unknown values are possible
    /// (always under `terraform validate`): skip those.
    async fn validate(&self, _config: &Value, _ctx: &Context) -> Diagnostics {
        Diagnostics::new()
    }

    /// Checks, at plan time, what can be checked before the action runs (the configured
    /// provider is available). Errors stop the plan. Unknown values are possible: an action
    /// triggered by a resource created in the same apply often depends on it.
    async fn plan(&self, _config: &Value, _ctx: &Context) -> Diagnostics {
        Diagnostics::new()
    }

    /// Runs the action with a wholly known configuration, reporting progress as it goes. The
    /// diagnostics returned are Terraform's verdict: errors fail the apply.
    async fn invoke(
        &self,
        config: &Value,
        progress: &ProgressReporter,
        ctx: &Context,
    ) -> Diagnostics;
}
