//! Finding SageMaker domains, user profiles and spaces for the data sources, with a clear error
//! at the attribute that named what is missing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use studio_core::HomeKind;
use studio_core::resolve::{Domain, Home, Studio};
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::provider::Context;
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

use crate::clients::{connect, studio};
use crate::errors::{core_error, summary};

/// The domain with `domain_id` (when set) or `name`, with a not-found error at the attribute
/// that named it.
///
/// Found domains are remembered for the life of the provider process (one Terraform command):
/// a plan with hundreds of profile and space data sources of one domain describes that domain
/// once, not once per data source. Failed lookups are not remembered.
pub async fn find_domain(
    studio: &Studio,
    domain_id: Option<&str>,
    name: Option<&str>,
    id_attr: &str,
    name_attr: &str,
) -> Result<Domain, Diagnostics> {
    let (key, attr) = match (domain_id, name) {
        (Some(id), _) => (format!("id:{id}"), id_attr),
        (None, Some(name)) => (format!("name:{name}"), name_attr),
        (None, None) => {
            return Err(Diagnostic::error(
                "Invalid attribute combination",
                format!("Exactly one of {id_attr} and {name_attr} must be set."),
            )
            .into());
        }
    };
    let cell = {
        let mut cache = DOMAINS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.entry(key).or_default().clone()
    };
    cell.get_or_try_init(|| async {
        match (domain_id, name) {
            (Some(id), _) => studio.domain(id).await,
            (None, Some(name)) => studio.domain_by_name(name).await,
            (None, None) => unreachable!("handled above"),
        }
    })
    .await
    .cloned()
    .map_err(|e| {
        core_error(
            summary(&e, "SageMaker domain"),
            &e,
            Some(AttributePath::attribute(attr)),
        )
    })
}

/// The domains [`find_domain`] found in this provider process, by `id:<id>` or `name:<name>`.
type DomainCache = Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Domain>>>>;
static DOMAINS: OnceLock<DomainCache> = OnceLock::new();

/// The domain (by `domain_id` or `domain_name`) and the user profile or space `name_attr` of a
/// data source's configuration, with a clear error when either does not exist.
pub async fn find_home(
    config: &Value,
    ctx: &Context,
    kind: HomeKind,
    name_attr: &str,
) -> Result<(Domain, Home), Diagnostics> {
    let clients = connect(ctx)?;
    let studio = studio(&clients, ctx);
    let domain = find_domain(
        &studio,
        known_str(config, "domain_id"),
        known_str(config, "domain_name"),
        "domain_id",
        "domain_name",
    )
    .await?;
    let name = known_str(config, name_attr).unwrap_or_default();
    let what = match kind {
        HomeKind::User => "user profile",
        HomeKind::Space => "space",
    };
    match studio.home(&domain, kind, name).await {
        Ok(Some(home)) => Ok((domain, home)),
        Ok(None) => Err(Diagnostic::error(
            format!("SageMaker {what} not found"),
            format!(
                "SageMaker domain {} ({}) has no {what} named {name:?}. Check {name_attr} and the domain; \
                 a deleted {what} is no longer described (its files may still be there: see the \
                 studio_home_directories data source).",
                domain.id, domain.name
            ),
        )
        .at(AttributePath::attribute(name_attr))
        .into()),
        Err(e) => Err(core_error("Lookup failed", &e, Some(AttributePath::attribute(name_attr)))),
    }
}

/// A string attribute's value when configured and known.
pub fn known_str<'a>(config: &'a Value, name: &str) -> Option<&'a str> {
    config.get(name).as_str()
}
