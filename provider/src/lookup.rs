//! What the data sources and the restore-target and replication resources share: naming a home
//! (`domain_name` plus `user_profile_name` or `space_name`), finding a domain by id or name,
//! the tables, and turning core errors into diagnostics at the attribute they concern.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use studio_core::records::{HistoryTable, MappingTable};
use studio_core::resolve::{Domain, Home, Studio};
use studio_core::{Error, HomeKey, HomeKind};
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::provider::Context;
use tfplugin::framework::schema::Attribute;
use tfplugin::framework::validators::{self, Validator};
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

use crate::provider::{StudioClients, clients};

/// SageMaker's rule for domain, user profile and space names.
pub fn sagemaker_name() -> Arc<dyn Validator> {
    validators::regex(
        r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        "a SageMaker name: 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit",
    )
}

/// A SageMaker domain id.
pub fn domain_id() -> Arc<dyn Validator> {
    validators::regex(
        r"^d-[a-z0-9]{1,62}$",
        "a SageMaker domain id such as d-0123456789ab",
    )
}

/// An EFS file system id.
pub fn file_system_id() -> Arc<dyn Validator> {
    validators::regex(
        r"^fs-[0-9a-f]{8,40}$",
        "an EFS file system id such as fs-0123456789abcdef0",
    )
}

/// A home directory uid: a positive decimal number.
pub fn uid() -> Arc<dyn Validator> {
    validators::regex(
        r"^[1-9][0-9]{0,9}$",
        "a positive number such as 200005 (the profile's HomeEfsFileSystemUid)",
    )
}

/// The attributes that name a home: `domain_name` and exactly one of `user_profile_name` and
/// `space_name` (the caller adds the `exactly_one_of` object validator). `what` says whose
/// home it is ("the target", "the source").
pub fn home_attributes(what: &str) -> Vec<Attribute> {
    vec![
        Attribute::string("domain_name")
            .required()
            .validate(sagemaker_name())
            .description(format!(
                "The name (not the id) of the SageMaker domain of {what}. Homes are keyed by domain name, so a domain \
                 that is deleted and recreated under the same name keeps its homes."
            )),
        Attribute::string("user_profile_name")
            .optional()
            .validate(sagemaker_name())
            .description(format!(
                "The user profile of {what}. Exactly one of `user_profile_name` and `space_name`."
            )),
        Attribute::string("space_name")
            .optional()
            .validate(sagemaker_name())
            .description(format!(
                "The shared space of {what}. Exactly one of `user_profile_name` and `space_name`."
            )),
    ]
}

/// The object validator that goes with [`home_attributes`].
pub fn one_home_kind() -> Arc<dyn Validator> {
    validators::exactly_one_of(["user_profile_name", "space_name"])
}

/// The home an object of [`home_attributes`] names, or `None` while a part is unknown. `path`
/// is the object's path, for diagnostics.
pub fn home_key(object: &Value, path: &AttributePath) -> Result<Option<HomeKey>, Diagnostics> {
    let domain = object.get("domain_name");
    let user = object.get("user_profile_name");
    let space = object.get("space_name");
    if !domain.is_known() || !user.is_known() || !space.is_known() {
        return Ok(None);
    }
    let (kind, name, at) = match (user.as_str(), space.as_str()) {
        (Some(name), None) => (HomeKind::User, name, "user_profile_name"),
        (None, Some(name)) => (HomeKind::Space, name, "space_name"),
        _ => {
            return Err(Diagnostic::error(
                "Invalid attribute combination",
                "Exactly one of user_profile_name and space_name must be set.",
            )
            .at(path.clone())
            .into());
        }
    };
    let Some(domain) = domain.as_str() else {
        return Err(
            Diagnostic::error("Missing required argument", "domain_name is required.")
                .at(path.clone().attr("domain_name"))
                .into(),
        );
    };
    HomeKey::new(domain, kind, name).map(Some).map_err(|e| {
        Diagnostic::error("Invalid home", e.to_string())
            .at(path.clone().attr(at))
            .into()
    })
}

/// The values of [`home_attributes`] for `home`.
pub fn home_values(home: &HomeKey) -> [(&'static str, Value); 3] {
    let (user, space) = match home.kind {
        HomeKind::User => (Value::string(&home.name), Value::Null),
        HomeKind::Space => (Value::Null, Value::string(&home.name)),
    };
    [
        ("domain_name", Value::string(&home.domain_name)),
        ("user_profile_name", user),
        ("space_name", space),
    ]
}

/// A home key given as an import id, with a message that shows the expected form.
pub fn parse_import_id(id: &str, type_name: &str) -> Result<HomeKey, Diagnostics> {
    id.parse::<HomeKey>().map_err(|e| {
        Diagnostic::error(
            "Invalid import id",
            format!(
                "{e}. Import a {type_name} with the home it is about: \
                 `terraform import <address> <domain name>/user/<profile name>` or `<domain name>/space/<space name>`."
            ),
        )
        .into()
    })
}

/// The configured provider's clients, as diagnostics when it is not configured.
pub fn connect(ctx: &Context) -> Result<Arc<StudioClients>, Diagnostics> {
    clients(ctx).map_err(Diagnostics::from)
}

/// SageMaker lookups, cancelled with the call.
pub fn studio(clients: &StudioClients, ctx: &Context) -> Studio {
    Studio::new(clients.aws.sagemaker.clone(), ctx.cancellation().clone())
}

/// The mapping table.
pub fn mapping_table(clients: &StudioClients) -> MappingTable {
    MappingTable::new(clients.aws.dynamodb.clone(), clients.user_table.clone())
}

/// The history table.
pub fn history_table(clients: &StudioClients) -> HistoryTable {
    HistoryTable::new(clients.aws.dynamodb.clone(), clients.history_table.clone())
}

/// A diagnostic from a core error; at `path` when it is about one attribute.
pub fn core_error(summary: &str, err: &Error, path: Option<AttributePath>) -> Diagnostics {
    let detail = match err {
        Error::Aws {
            code: Some(code), ..
        } if code == "ResourceNotFoundException" => format!(
            "{err}. If this is a table, check the provider's user_table and history_table, and that the \
             event-app module is deployed in this account and region."
        ),
        _ => err.to_string(),
    };
    let d = Diagnostic::error(summary, detail);
    match path {
        Some(p) => d.at(p),
        None => d,
    }
    .into()
}

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

/// The `domain_id` / `domain_name` arguments of the user profile and space data sources.
pub fn domain_arguments(what: &str) -> Vec<Attribute> {
    vec![
        Attribute::string("domain_id")
            .optional()
            .computed()
            .validate(domain_id())
            .description(format!(
                "The id of the SageMaker domain of {what}. Exactly one of `domain_id` and `domain_name`; computed when looked up by name."
            )),
        Attribute::string("domain_name")
            .optional()
            .computed()
            .validate(sagemaker_name())
            .description(format!(
                "The name of the SageMaker domain of {what}. Exactly one of `domain_id` and `domain_name`; computed when looked up by id."
            )),
    ]
}

/// The computed results the user profile and space data sources share.
pub fn home_results(what: &str) -> Vec<Attribute> {
    vec![
        Attribute::string("id")
            .computed()
            .description(format!("The ARN of the {what}.")),
        Attribute::string("arn")
            .computed()
            .description(format!("The ARN of the {what}.")),
        Attribute::string("home")
            .computed()
            .description(
                "The home key `<domain name>/user/<name>` or `<domain name>/space/<name>`, as the mapping table, \
                 the `studio_restore_history` data source and the import ids of `studio_restore_target` and \
                 `studio_replication` name it.",
            ),
        Attribute::string("status")
            .computed()
            .description(format!(
                "The {what}'s status as SageMaker reports it: `InService`, `Pending`, `Updating`, `Deleting`, `Failed`, ..."
            )),
        Attribute::string("home_efs_file_system_id")
            .computed()
            .description("The EFS file system of the home directory: the domain's `home_efs_file_system_id`."),
        Attribute::string("home_efs_file_system_uid")
            .computed()
            .description(format!(
                "The {what}'s `HomeEfsFileSystemUid`: its home directory is `/<uid>` on the file system. \
                 A recreated {what} gets a new uid. Null while SageMaker has not assigned one."
            )),
        Attribute::string("creation_time")
            .computed()
            .description(format!("When the {what} was created (RFC 3339).")),
    ]
}

/// The values of [`domain_arguments`] and [`home_results`].
pub fn home_result_values(domain: &Domain, home: &Home) -> Value {
    let directory = home.directory.as_ref();
    Value::object([
        ("domain_id", Value::string(&domain.id)),
        ("domain_name", Value::string(&domain.name)),
        ("id", Value::string(&home.arn)),
        ("arn", Value::string(&home.arn)),
        ("home", Value::string(home.key.to_string())),
        ("status", Value::string(&home.status)),
        (
            "home_efs_file_system_id",
            Value::opt_string(
                directory
                    .map(|d| d.file_system_id.as_str())
                    .or(domain.home_efs_file_system_id.as_deref()),
            ),
        ),
        (
            "home_efs_file_system_uid",
            Value::opt_string(directory.map(|d| d.uid.to_string())),
        ),
        (
            "creation_time",
            Value::opt_string(home.created_at.as_deref()),
        ),
    ])
}

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

/// A summary line for an error looking up `what`.
pub fn summary(err: &Error, what: &str) -> &'static str {
    match (err, what) {
        (Error::NotFound(_), "SageMaker domain") => "SageMaker domain not found",
        (Error::NotFound(_), _) => "Not found",
        (Error::Invalid(_), _) => "Ambiguous or invalid lookup",
        _ => "Lookup failed",
    }
}

/// A string attribute's value when configured and known.
pub fn known_str<'a>(config: &'a Value, name: &str) -> Option<&'a str> {
    config.get(name).as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_keys_come_from_exactly_one_name() {
        let object = Value::object([
            ("domain_name", Value::string("studio")),
            ("user_profile_name", Value::string("alice")),
            ("space_name", Value::Null),
        ]);
        let key = home_key(&object, &AttributePath::attribute("target"))
            .unwrap()
            .unwrap();
        assert_eq!(key.to_string(), "studio/user/alice");
        assert_eq!(Value::object(home_values(&key)), object);

        let both = object
            .clone()
            .with_attr("space_name", Value::string("team"));
        let err = home_key(&both, &AttributePath::attribute("target")).unwrap_err();
        assert_eq!(
            err.iter().next().unwrap().attribute,
            Some(AttributePath::attribute("target"))
        );

        let unknown = object.with_attr("domain_name", Value::Unknown);
        assert_eq!(home_key(&unknown, &AttributePath::root()).unwrap(), None);
    }

    #[test]
    fn import_ids_name_a_home() {
        assert_eq!(
            parse_import_id("studio/space/team", "studio_replication")
                .unwrap()
                .to_string(),
            "studio/space/team"
        );
        let err = parse_import_id("studio/alice", "studio_replication").unwrap_err();
        assert!(
            err.iter()
                .next()
                .unwrap()
                .detail
                .contains("<domain name>/user/<profile name>")
        );
    }

    #[test]
    fn every_attribute_is_described_for_users() {
        use tfplugin::framework::provider::{DataSource, Resource};
        fn check(owner: &str, attributes: &[Attribute]) {
            for a in attributes {
                assert!(
                    a.description.len() > 10,
                    "{owner}.{} has no description",
                    a.name
                );
                if let Some(nested) = a.nested_attributes() {
                    check(&format!("{owner}.{}", a.name), &nested.attributes);
                }
            }
        }
        let data_sources: Vec<Box<dyn DataSource>> = vec![
            Box::new(crate::data_source_domain::DomainDataSource),
            Box::new(crate::data_source_user_profile::UserProfileDataSource),
            Box::new(crate::data_source_space::SpaceDataSource),
            Box::new(crate::data_source_home_directories::HomeDirectoriesDataSource),
            Box::new(crate::data_source_restore_history::RestoreHistoryDataSource),
        ];
        for ds in &data_sources {
            let schema = ds.schema();
            assert!(!schema.block.description.is_empty(), "{}", ds.type_name());
            check(ds.type_name(), &schema.block.attributes);
        }
        let resources: Vec<Box<dyn Resource>> = vec![
            Box::new(crate::resource_restore_target::RestoreTargetResource),
            Box::new(crate::resource_replication::ReplicationResource),
        ];
        for r in &resources {
            let schema = r.schema();
            assert!(
                schema.block.description.contains("Import"),
                "{}",
                r.type_name()
            );
            check(r.type_name(), &schema.block.attributes);
            let id = schema.block.get_attribute("id").expect("an id");
            assert!(
                id.computed && id.use_state_for_unknown,
                "{}.id keeps its state value",
                r.type_name()
            );
        }
    }
}
