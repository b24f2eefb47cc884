//! What a provider, a resource and a data source implement. The server does the protocol:
//! decoding and encoding values, schema validation, the generic plan, private state, panics.
//!
//! A resource reads as its lifecycle:
//!
//! ```ignore
//! #[async_trait]
//! impl Resource for ProfileRestore {
//!     fn type_name(&self) -> &'static str { "studio_profile_restore" }
//!     fn schema(&self) -> Schema { ... }
//!     async fn create(&self, planned: &Value, config: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) { ... }
//!     async fn read(&self, state: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) { ... }
//!     async fn update(&self, prior: &Value, planned: &Value, config: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) { ... }
//!     async fn delete(&self, state: &Value, ctx: &Context) -> Diagnostics { ... }
//! }
//! ```

use std::any::Any;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::framework::action::Action;
use crate::framework::diagnostics::{Diagnostic, Diagnostics};
use crate::framework::function::Function;
use crate::framework::identity::IdentitySchema;
use crate::framework::list::ListResource;
use crate::framework::plan::PlannedChange;
use crate::framework::schema::Schema;
use crate::values::value::Value;

/// What a provider hands its resources after `configure` (its API clients, say). Resources get
/// it back, typed, with [`Context::provider_data`].
pub type ProviderData = Arc<dyn Any + Send + Sync>;

/// The provider: its configuration block and its resource and data source types.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider's type name, the prefix of every resource type (`studio`).
    fn type_name(&self) -> &'static str;

    /// The schema of the `provider` block.
    fn schema(&self) -> Schema;

    /// Every managed resource type.
    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    /// Every data source type.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;

    /// Every provider function (Terraform 1.8+; older versions never see them).
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }

    /// Every list resource type (Terraform 1.14+, `terraform query`; older versions never see
    /// them). Each is named like a managed resource type that has an identity schema.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }

    /// Every action type (Terraform 1.14+; older versions never see them).
    fn actions(&self) -> Vec<Arc<dyn Action>> {
        Vec::new()
    }

    /// Checks the provider block beyond what the schema's validators do. The configuration may
    /// contain unknown values (always under `terraform validate`): skip those.
    async fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Connects the provider. Called once per provider process, before any resource call; the
    /// configuration may still contain unknowns during plan, in which case a provider should
    /// not fail but leave the errors to the calls that really need the connection.
    async fn configure(&self, config: &Value, ctx: &Context)
    -> (Option<ProviderData>, Diagnostics);
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The resource type name (`studio_profile_restore`).
    fn type_name(&self) -> &'static str;

    /// The resource's schema. Its version is recorded in state, see [`Resource::upgrade_state`].
    fn schema(&self) -> Schema;

    /// Checks the configuration beyond the schema's validators. Unknown values are possible.
    async fn validate(&self, _config: &Value, _ctx: &Context) -> Diagnostics {
        Diagnostics::new()
    }

    /// Adjusts the plan the generic planner made (see [`crate::framework::plan`]): predict values, mark
    /// values unknown, add replacement paths. `prior` is null on create; never called for
    /// destroy plans. The plan must be deterministic: Terraform plans twice and compares.
    async fn modify_plan(
        &self,
        _prior: &Value,
        _config: &Value,
        _plan: &mut PlannedChange,
        _ctx: &Context,
    ) -> Diagnostics {
        Diagnostics::new()
    }

    /// Creates the remote object. Returning `Some(partial state)` with errors makes Terraform
    /// keep the object, tainted; `None` with errors means nothing was created. The state must
    /// be wholly known and keep every value the plan knew.
    async fn create(
        &self,
        planned: &Value,
        config: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics);

    /// Refreshes the state from the remote object; `None` when it is gone.
    async fn read(&self, state: &Value, ctx: &Context) -> (Option<Value>, Diagnostics);

    /// Updates the remote object in place. `None` (with errors) keeps the prior state: return
    /// the partially updated state instead when part of the change was made.
    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        config: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics);

    /// Deletes the remote object. With errors, Terraform keeps the prior state.
    async fn delete(&self, state: &Value, ctx: &Context) -> Diagnostics;

    /// Turns `terraform import`'s id into a state that [`Resource::read`] then refreshes.
    async fn import(&self, id: &str, _ctx: &Context) -> (Option<Value>, Diagnostics) {
        let _ = id;
        (
            None,
            Diagnostic::error(
                "Import not supported",
                format!("{} cannot be imported.", self.type_name()),
            )
            .into(),
        )
    }

    /// The identity schema (Terraform 1.12+), or `None` for a type without identity.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object `state` (never null) describes, a wholly known value of the
    /// identity schema's type; `None` while it cannot be known yet (a create plan, or a
    /// provider whose configuration is unknown until apply). The server returns it from read,
    /// plan, apply and import.
    fn identity(&self, _state: &Value, _ctx: &Context) -> Result<Option<Value>, Diagnostics> {
        Ok(None)
    }

    /// Turns an `import` block's `identity` (a value of the identity schema's type, with the
    /// attributes that are optional for import possibly null) into a state that
    /// [`Resource::read`] then refreshes.
    async fn import_by_identity(
        &self,
        _identity: &Value,
        _ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        (
            None,
            Diagnostic::error(
                "Import by identity not supported",
                format!(
                    "{} has no resource identity: import it with an id.",
                    self.type_name()
                ),
            )
            .into(),
        )
    }

    /// Reads an identity that version `version` of the identity schema wrote (as JSON) into a
    /// value of the current identity schema. Terraform calls this only when the versions
    /// differ; the default reads the current version only.
    async fn upgrade_identity(
        &self,
        version: i64,
        identity: &serde_json::Value,
        _ctx: &Context,
    ) -> Result<Value, Diagnostics> {
        let Some(schema) = self.identity_schema() else {
            return Err(Diagnostic::error(
                "No resource identity",
                format!("{} has no resource identity to upgrade.", self.type_name()),
            )
            .into());
        };
        if version != schema.version {
            return Err(Diagnostic::error(
                "Unsupported identity version",
                format!(
                    "The identity of this {} was written with identity schema version {version}, \
                     and this provider reads only version {}. Use a provider version that \
                     matches the state.",
                    self.type_name(),
                    schema.version
                ),
            )
            .into());
        }
        let mut path = crate::values::path::AttributePath::root();
        crate::values::json::from_json(identity, &schema.value_type(), &mut path).map_err(|e| {
            Diagnostic::error(
                "Unreadable identity",
                format!(
                    "The stored identity of this {} is invalid: {e}",
                    self.type_name()
                ),
            )
            .into()
        })
    }

    /// Reads state that version `version` of the schema wrote (as JSON) into a value of the
    /// current schema. Terraform calls this for every instance on every run, also when the
    /// version is current. The default reads the current version only.
    async fn upgrade_state(
        &self,
        version: i64,
        state: &serde_json::Value,
        _ctx: &Context,
    ) -> Result<Value, Diagnostics> {
        let schema = self.schema();
        if version != schema.version {
            return Err(Diagnostic::error(
                "Unsupported state version",
                format!(
                    "The state of this {} was written with schema version {version}, and this \
                     provider reads only version {}. Use a provider version that matches the state.",
                    self.type_name(),
                    schema.version
                ),
            )
            .into());
        }
        let mut path = crate::values::path::AttributePath::root();
        crate::values::json::from_json(state, &schema.value_type(), &mut path).map_err(|e| {
            Diagnostic::error(
                "Unreadable state",
                format!(
                    "The stored state of this {} is invalid: {e}",
                    self.type_name()
                ),
            )
            .into()
        })
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The data source type name (`studio_home_directory`).
    fn type_name(&self) -> &'static str;

    /// Its schema: arguments plus computed results.
    fn schema(&self) -> Schema;

    /// Checks the configuration beyond the schema's validators. Unknown values are possible.
    async fn validate(&self, _config: &Value, _ctx: &Context) -> Diagnostics {
        Diagnostics::new()
    }

    /// Reads the data. The result must be wholly known and keep every configured value.
    async fn read(&self, config: &Value, ctx: &Context) -> (Option<Value>, Diagnostics);
}

/// Features Terraform says it supports (all false before Terraform 1.9 sends none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientCapabilities {
    /// Terraform accepts deferred changes.
    pub deferral_allowed: bool,
    /// Terraform handles write-only attributes (1.11+).
    pub write_only_attributes_allowed: bool,
}

/// Everything a call gets besides its values: cancellation, the configured provider, private
/// state, what Terraform supports.
pub struct Context {
    cancel: CancellationToken,
    provider_data: Option<ProviderData>,
    type_name: String,
    client_capabilities: ClientCapabilities,
    terraform_version: Option<String>,
    private_in: Vec<u8>,
    private_out: Mutex<Option<Vec<u8>>>,
}

impl Context {
    /// A context for a call on `type_name`, cancelled with `cancel`.
    pub fn new(type_name: impl Into<String>, cancel: CancellationToken) -> Context {
        Context {
            cancel,
            provider_data: None,
            type_name: type_name.into(),
            client_capabilities: ClientCapabilities::default(),
            terraform_version: None,
            private_in: Vec::new(),
            private_out: Mutex::new(None),
        }
    }

    /// With the configured provider's data.
    #[must_use]
    pub fn with_provider_data(mut self, data: Option<ProviderData>) -> Context {
        self.provider_data = data;
        self
    }

    /// With the private state Terraform stored for this instance.
    #[must_use]
    pub fn with_private(mut self, private: Vec<u8>) -> Context {
        self.private_in = private;
        self
    }

    /// With what Terraform said it supports.
    #[must_use]
    pub fn with_client_capabilities(mut self, capabilities: ClientCapabilities) -> Context {
        self.client_capabilities = capabilities;
        self
    }

    /// With the Terraform version (known in `configure` only).
    #[must_use]
    pub fn with_terraform_version(mut self, version: impl Into<String>) -> Context {
        self.terraform_version = Some(version.into());
        self
    }

    /// Cancelled when Terraform stops the provider (Ctrl-C) or shuts it down. Long operations
    /// select on [`CancellationToken::cancelled`] and clean up.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Whether the call has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The data the provider returned from `configure`, if it is a `T`.
    pub fn provider_data<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.provider_data
            .clone()
            .and_then(|data| data.downcast::<T>().ok())
    }

    /// The resource or data source type this call is for.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// What Terraform supports.
    pub fn client_capabilities(&self) -> ClientCapabilities {
        self.client_capabilities
    }

    /// The Terraform version, in `configure`.
    pub fn terraform_version(&self) -> Option<&str> {
        self.terraform_version.as_deref()
    }

    /// The instance's private state as Terraform stored it (empty when none).
    pub fn private(&self) -> &[u8] {
        &self.private_in
    }

    /// Replaces the instance's private state in this call's response. Without it the incoming
    /// private state is passed on unchanged.
    pub fn set_private(&self, private: Vec<u8>) {
        *self
            .private_out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(private);
    }

    /// The private state to return.
    pub(crate) fn private_out(&self) -> Vec<u8> {
        self.private_out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
            .unwrap_or_else(|| self.private_in.clone())
    }
}
