//! The resource identity of the resources that are about one home (Terraform 1.12+): which
//! table holds the object and which home it is about, so that an identity names the same
//! object from any machine. `studio_restore_target` and `studio_replication` are a row of the
//! mapping table (by domain name); `studio_profile_restore` is the declaration recorded in the
//! history table for its target (by domain id).
//!
//! The identity is derived from the state's `id` (the resource's import id, written
//! `<domain>/<user|space>/<name>`) and the table the provider is configured with, and an
//! `import` block's identity becomes that id again: one import path, one id format.

use studio_core::HomeKind;
use studio_core::home::check_name;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::identity::{IdentityAttribute, IdentitySchema};
use tfplugin::framework::provider::Context;
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

use crate::attrs;
use crate::clients::{self, StudioClients};
use crate::home_attrs::DomainBy;

/// Which of the provider's tables holds the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// The mapping table (`user_table`).
    Mapping,
    /// The history table (`history_table`).
    History,
}

impl Table {
    /// The identity attribute, named like the provider argument.
    fn attribute(self) -> &'static str {
        match self {
            Table::Mapping => "user_table",
            Table::History => "history_table",
        }
    }

    fn configured(self, clients: &StudioClients) -> &str {
        match self {
            Table::Mapping => &clients.user_table,
            Table::History => &clients.history_table,
        }
    }
}

/// The identity of a resource about one home, held in `table`, its domain named by `domain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HomeIdentity {
    pub table: Table,
    pub domain: DomainBy,
}

impl HomeIdentity {
    fn domain_attribute(self) -> &'static str {
        match self.domain {
            DomainBy::Name => "domain_name",
            DomainBy::Id => "domain_id",
        }
    }

    /// The identity schema, version 0.
    pub fn schema(self) -> IdentitySchema {
        let (table_text, home) = match self.table {
            Table::Mapping => ("The mapping table that holds the home's row", "home"),
            Table::History => (
                "The history table that records the restore's declaration",
                "target home",
            ),
        };
        let domain = match self.domain {
            DomainBy::Name => format!(
                "The name (not the id) of the SageMaker domain of the {home}: homes are keyed by \
                 domain name."
            ),
            DomainBy::Id => format!("The id (`d-...`) of the SageMaker domain of the {home}."),
        };
        IdentitySchema::new(
            0,
            [
                IdentityAttribute::optional_string(
                    self.table.attribute(),
                    format!(
                        "{table_text}. Optional in an `import` block: the provider's `{}` when \
                         not set.",
                        self.table.attribute()
                    ),
                ),
                IdentityAttribute::required_string(self.domain_attribute(), domain),
                IdentityAttribute::required_string(
                    "kind",
                    format!("`user` when the {home} is a user profile's, `space` when a space's."),
                ),
                IdentityAttribute::required_string(
                    "name",
                    format!("The name of the user profile or space of the {home}."),
                ),
            ],
        )
    }

    /// The identity of the object whose state has this `id`; `None` while the id is unknown or
    /// the provider is not configured yet.
    pub fn of_state(self, state: &Value, ctx: &Context) -> Result<Option<Value>, Diagnostics> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        let Ok(clients) = clients::clients(ctx) else {
            return Ok(None);
        };
        let parts: Vec<&str> = id.split('/').collect();
        let [domain, kind, name] = parts.as_slice() else {
            return Err(Diagnostic::error(
                "Invalid id in state",
                format!(
                    "The id {id:?} of this {} is not `<domain>/<user|space>/<name>`, so it has no \
                     identity. This is a bug in the provider.",
                    ctx.type_name()
                ),
            )
            .into());
        };
        Ok(Some(Value::object([
            (
                self.table.attribute(),
                Value::string(self.table.configured(&clients)),
            ),
            (self.domain_attribute(), Value::string(*domain)),
            ("kind", Value::string(*kind)),
            ("name", Value::string(*name)),
        ])))
    }

    /// The import id an `import` block's identity stands for, checked attribute by attribute;
    /// an error names the attribute at fault.
    pub fn import_id(self, identity: &Value, ctx: &Context) -> Result<String, Diagnostics> {
        let invalid = |attribute: &str, why: String| -> Diagnostics {
            Diagnostic::error(
                "Invalid import identity",
                format!(
                    "identity attribute `{attribute}` of {}: {why}",
                    ctx.type_name()
                ),
            )
            .into()
        };
        let text = |attribute: &'static str| {
            identity
                .get(attribute)
                .as_str()
                .ok_or_else(|| invalid(attribute, "must be set".to_string()))
        };
        let table = self.table.attribute();
        if let Some(wanted) = identity.get(table).as_str() {
            let clients = clients::connect(ctx)?;
            let configured = self.table.configured(&clients);
            if wanted != configured {
                return Err(invalid(
                    table,
                    format!(
                        "names the table {wanted:?}, but this provider uses {configured:?}. \
                         Import it with a provider whose `{table}` is {wanted:?}, or leave \
                         `{table}` out."
                    ),
                ));
            }
        }
        let domain = text(self.domain_attribute())?;
        match self.domain {
            DomainBy::Name => check_name("domain name", domain)
                .map_err(|e| invalid(self.domain_attribute(), e.to_string()))?,
            DomainBy::Id => {
                let mut diags = Diagnostics::new();
                attrs::domain_id().validate(
                    &Value::string(domain),
                    &AttributePath::attribute("domain_id"),
                    &mut diags,
                );
                if diags.has_errors() {
                    return Err(invalid(
                        "domain_id",
                        format!("{domain:?} is not {}", attrs::domain_id().description()),
                    ));
                }
            }
        }
        let kind: HomeKind = text("kind")?
            .parse()
            .map_err(|e: studio_core::Error| invalid("kind", e.to_string()))?;
        let name = text("name")?;
        // The rule HomeKey applies to every home's name.
        check_name(&format!("{kind} name"), name).map_err(|e| invalid("name", e.to_string()))?;
        Ok(format!("{domain}/{kind}/{name}"))
    }
}
