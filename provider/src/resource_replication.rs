//! `studio_replication`: automatic restore on or off for one user profile or space.
//!
//! The resource is the mapping-table row's `replication` flag, which the event processor never
//! writes: unlike the sample's `update-replication-flag.py`, the setting survives the profile
//! being deleted and recreated.

use async_trait::async_trait;
use studio_core::HomeKey;
use studio_core::homes;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::identity::IdentitySchema;
use tfplugin::framework::provider::{Context, Resource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

use crate::clients;
use crate::errors;
use crate::home_attrs::{self, DomainBy};
use crate::home_identity::{HomeIdentity, Table};

pub struct ReplicationResource;

pub const TYPE_NAME: &str = "studio_replication";

/// The resource identity: its home's row in the mapping table, by domain name.
pub(crate) const IDENTITY: HomeIdentity = HomeIdentity {
    table: Table::Mapping,
    domain: DomainBy::Name,
};

#[async_trait]
impl Resource for ReplicationResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .description(
                    "Turns the automatic restore of one user profile or space on or off. When it is on (the \
                     default for every home), a profile or space that is deleted and recreated gets the files \
                     of its previous home directory; when it is off, its new home directory stays empty. The \
                     setting is the `replication` flag of the home's row in the mapping table, and it stays \
                     when the profile or space is recreated. The home need not exist yet.\n\nDeleting the \
                     resource turns automatic restore back on (the default). Import with the home key: \
                     `<domain name>/user/<profile name>` or `<domain name>/space/<space name>`.",
                )
                .validate(home_attrs::one_home_kind())
                .attributes(
                    home_attrs::home_attributes(DomainBy::Name, "home")
                        .into_iter()
                        .map(Attribute::requires_replace),
                )
                .attributes([
                    Attribute::bool("enabled")
                        .required()
                        .description("`true`: restore the home automatically when it is recreated; `false`: never."),
                    Attribute::string("id")
                        .computed()
                        .use_state_for_unknown()
                        .description("The home key, `<domain name>/user/<name>` or `<domain name>/space/<name>`."),
                ]),
        )
    }

    async fn create(
        &self,
        planned: &Value,
        _config: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        match write(planned, ctx).await {
            Ok(state) => (Some(state), Diagnostics::new()),
            Err(d) => (None, d),
        }
    }

    async fn read(&self, state: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        let home = match home_of(state) {
            Ok(h) => h,
            Err(d) => return (Some(state.clone()), d),
        };
        let clients = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return (Some(state.clone()), d),
        };
        match clients::mapping_table(&clients).get(&home).await {
            // No row: the default, on.
            Ok(row) => {
                let enabled = row.is_none_or(|r| r.replication);
                let mut state = state.clone();
                for (name, value) in home_attrs::home_values(&home) {
                    state.set_attr(name, value);
                }
                (
                    Some(
                        state
                            .with_attr("id", Value::string(home.to_string()))
                            .with_attr("enabled", Value::bool(enabled)),
                    ),
                    Diagnostics::new(),
                )
            }
            Err(e) => (
                Some(state.clone()),
                errors::core_error(
                    &format!("Could not read the replication setting of {home}"),
                    &e,
                    None,
                ),
            ),
        }
    }

    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        _config: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        match write(planned, ctx).await {
            Ok(state) => (Some(state), Diagnostics::new()),
            Err(d) => (Some(prior.clone()), d),
        }
    }

    async fn delete(&self, state: &Value, ctx: &Context) -> Diagnostics {
        let home = match home_of(state) {
            Ok(h) => h,
            Err(d) => return d,
        };
        let clients = match clients::connect(ctx) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let mapping = clients::mapping_table(&clients);
        let history = clients::history_table(&clients);
        match homes::set_replication(&mapping, &history, &home, true).await {
            Ok(_) => Diagnostics::new(),
            Err(e) => errors::core_error(
                &format!("Could not turn automatic restore of {home} back on"),
                &e,
                None,
            ),
        }
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IDENTITY.schema())
    }

    fn identity(&self, state: &Value, ctx: &Context) -> Result<Option<Value>, Diagnostics> {
        IDENTITY.of_state(state, ctx)
    }

    async fn import_by_identity(
        &self,
        identity: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        match IDENTITY.import_id(identity, ctx) {
            Ok(id) => self.import(&id, ctx).await,
            Err(diags) => (None, diags),
        }
    }

    async fn import(&self, id: &str, _ctx: &Context) -> (Option<Value>, Diagnostics) {
        match home_attrs::parse_import_id(id, TYPE_NAME) {
            Ok(home) => (
                Some(
                    Value::object(home_attrs::home_values(&home))
                        .with_attr("id", Value::string(home.to_string())),
                ),
                Diagnostics::new(),
            ),
            Err(d) => (None, d),
        }
    }
}

/// The state of the setting of `home`: `enabled` as its row says (no row: on, the default).
pub fn state_of(home: &HomeKey, enabled: bool) -> Value {
    Value::object(home_attrs::home_values(home))
        .with_attr("id", Value::string(home.to_string()))
        .with_attr("enabled", Value::bool(enabled))
}

async fn write(planned: &Value, ctx: &Context) -> Result<Value, Diagnostics> {
    let home = home_of(planned)?;
    let enabled = planned.get("enabled").as_bool().ok_or_else(|| {
        Diagnostics::from(
            Diagnostic::error("Missing enabled", "enabled must be true or false.")
                .at(AttributePath::attribute("enabled")),
        )
    })?;
    let clients = clients::connect(ctx)?;
    let mapping = clients::mapping_table(&clients);
    let history = clients::history_table(&clients);
    homes::set_replication(&mapping, &history, &home, enabled)
        .await
        .map_err(|e| {
            errors::core_error(
                &format!(
                    "Could not turn automatic restore of {home} {}",
                    if enabled { "on" } else { "off" }
                ),
                &e,
                None,
            )
        })?;
    Ok(planned
        .clone()
        .with_attr("id", Value::string(home.to_string())))
}

fn home_of(state: &Value) -> Result<HomeKey, Diagnostics> {
    home_attrs::home_key(state, &AttributePath::root())?
        .ok_or_else(|| Diagnostic::error("Unknown home", "The home's names are not known.").into())
}
