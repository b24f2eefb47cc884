//! The attributes that name a home: the one schema builder for them ([`home_attributes`]), the
//! home key an object of them names ([`home_key`]), their values for a key ([`home_values`]),
//! and a home key given as an import id ([`parse_import_id`]).

use std::sync::Arc;

use studio_core::{HomeKey, HomeKind};
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::schema::Attribute;
use tfplugin::framework::validators::{self, Validator};
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

use crate::attrs::{domain_id, sagemaker_name};

/// How the home attributes name the home's domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainBy {
    /// `domain_name`: homes are keyed by domain name (the mapping and history tables), so a
    /// domain deleted and recreated under the same name keeps its homes. `studio_restore_target`,
    /// `studio_replication`, `studio_restore_history`.
    Name,
    /// `domain_id`: one domain, which may have been deleted since (`studio_profile_restore`).
    Id,
}

/// The attributes that name a home: its domain ([`DomainBy`]; required) and exactly one of
/// `user_profile_name` and `space_name` (the caller adds the [`one_home_kind`] object
/// validator). `side` says whose home it is ("target", "source", "home"). Every name and id is
/// checked by the rules of [`crate::attrs`].
pub fn home_attributes(by: DomainBy, side: &str) -> Vec<Attribute> {
    let exactly_one = "Exactly one of `user_profile_name` and `space_name`.";
    // The two families of types have always phrased these descriptions differently; each keeps
    // its own, so that the schema (and the docs made from it) do not change.
    let (domain, user, space) = match by {
        DomainBy::Name => (
            Attribute::string("domain_name")
                .validate(sagemaker_name())
                .description(format!(
                    "The name (not the id) of the SageMaker domain of the {side}. Homes are keyed by domain name, so a domain \
                     that is deleted and recreated under the same name keeps its homes."
                )),
            format!("The user profile of the {side}. {exactly_one}"),
            format!("The shared space of the {side}. {exactly_one}"),
        ),
        DomainBy::Id => (
            Attribute::string("domain_id")
                .validate(domain_id())
                .description(format!("The id (`d-...`) of the {side}'s SageMaker domain.")),
            format!("The {side} user profile. {exactly_one}"),
            format!("The {side} shared space. {exactly_one}"),
        ),
    };
    vec![
        domain.required(),
        Attribute::string("user_profile_name")
            .optional()
            .validate(sagemaker_name())
            .description(user),
        Attribute::string("space_name")
            .optional()
            .validate(sagemaker_name())
            .description(space),
    ]
}

/// The object validator that goes with [`home_attributes`].
pub fn one_home_kind() -> Arc<dyn Validator> {
    validators::exactly_one_of(["user_profile_name", "space_name"])
}

/// The home an object of [`home_attributes`] (by [`DomainBy::Name`]) names, or `None` while a part is unknown. `path`
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

/// The values of [`home_attributes`] (by [`DomainBy::Name`]) for `home`.
pub fn home_values(home: &HomeKey) -> [(&'static str, Value); 3] {
    [
        ("domain_name", Value::string(&home.domain_name)),
        ("user_profile_name", user_profile_name(home)),
        ("space_name", space_name(home)),
    ]
}

/// `user_profile_name` of `home`: its name for a user profile, null for a space.
pub fn user_profile_name(home: &HomeKey) -> Value {
    match home.kind {
        HomeKind::User => Value::string(&home.name),
        HomeKind::Space => Value::Null,
    }
}

/// `space_name` of `home`: its name for a space, null for a user profile.
pub fn space_name(home: &HomeKey) -> Value {
    match home.kind {
        HomeKind::User => Value::Null,
        HomeKind::Space => Value::string(&home.name),
    }
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
}
