//! The filters every list resource of the provider takes in its `config` block (`terraform
//! query`): the domain by name, the kind of home, and the beginning of the profile's or space's
//! name. Homes are keyed by domain name, so a domain recreated under its name is one domain here.

use studio_core::homes::HomeFilter;
use studio_core::{HomeKey, HomeKind};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::framework::validators;
use tfplugin::values::value::Value;

use crate::attrs;

/// The schema of the `config` block: `domain_name`, `kind` and `name_prefix`, all optional.
/// `what` says what is listed, for the descriptions.
pub fn schema(description: &str, what: &str) -> Schema {
    Schema::new(
        0,
        Block::new().description(description).attributes([
            Attribute::string("domain_name")
                .optional()
                .validate(attrs::sagemaker_name())
                .description(format!(
                    "Only {what} of the domain with this name: a SageMaker name, 1 to 63 letters, \
                     digits and hyphens, starting and ending with a letter or digit (homes are \
                     keyed by domain name, so this includes earlier domains of that name)."
                )),
            Attribute::string("kind")
                .optional()
                .validate(validators::one_of(["user", "space"]))
                .description(format!(
                    "Only {what} of user profiles (`user`) or only of spaces (`space`)."
                )),
            Attribute::string("name_prefix")
                .optional()
                .validate(validators::regex(
                    r"^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$",
                    "the beginning of a SageMaker name: 1 to 63 letters, digits and hyphens, \
                     starting with a letter or digit",
                ))
                .description(format!(
                    "Only {what} of the user profiles or spaces whose name starts with this \
                     (case-sensitive, as SageMaker names are): 1 to 63 letters, digits and \
                     hyphens, starting with a letter or digit."
                )),
        ]),
    )
}

/// The filters of a `config` block (null: none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub domain_name: Option<String>,
    pub kind: Option<HomeKind>,
    pub name_prefix: Option<String>,
}

impl ListFilter {
    /// The filters of `config`, which the schema's validators have checked.
    pub fn from_config(config: &Value) -> ListFilter {
        let text = |name: &str| config.get(name).as_str().map(str::to_owned);
        ListFilter {
            domain_name: text("domain_name"),
            kind: match config.get("kind").as_str() {
                Some("user") => Some(HomeKind::User),
                Some("space") => Some(HomeKind::Space),
                _ => None,
            },
            name_prefix: text("name_prefix"),
        }
    }

    /// The part of the filter the mapping-table scan applies.
    pub fn home_filter(&self) -> HomeFilter {
        HomeFilter {
            domain_name: self.domain_name.clone(),
            kind: self.kind,
            attachment: None,
        }
    }

    /// Whether `home` passes every filter.
    pub fn matches(&self, home: &HomeKey) -> bool {
        self.domain_name
            .as_deref()
            .is_none_or(|d| home.domain_name == d)
            && self.kind.is_none_or(|k| home.kind == k)
            && self
                .name_prefix
                .as_deref()
                .is_none_or(|p| home.name.starts_with(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::schema::validate_config;
    use tfplugin::values::path::AttributePath;

    fn config(domain: Option<&str>, kind: Option<&str>, prefix: Option<&str>) -> Value {
        Value::object([
            ("domain_name", Value::opt_string(domain)),
            ("kind", Value::opt_string(kind)),
            ("name_prefix", Value::opt_string(prefix)),
        ])
    }

    #[test]
    fn filters_select_by_domain_kind_and_name_prefix() {
        let alice: HomeKey = "studio/user/alice".parse().unwrap();
        let team: HomeKey = "studio/space/al-team".parse().unwrap();
        let other: HomeKey = "lab/user/alice".parse().unwrap();
        let all = ListFilter::from_config(&Value::Null);
        assert!(all.matches(&alice) && all.matches(&team) && all.matches(&other));
        let f = ListFilter::from_config(&config(Some("studio"), Some("user"), Some("al")));
        assert!(f.matches(&alice));
        assert!(!f.matches(&team), "a space");
        assert!(!f.matches(&other), "another domain");
        let f = ListFilter::from_config(&config(None, None, Some("al-")));
        assert!(f.matches(&team) && !f.matches(&alice));
    }

    #[test]
    fn a_bad_filter_is_an_error_at_its_attribute() {
        let schema = schema("d", "homes");
        for (bad, attribute) in [
            (config(Some("no_such domain"), None, None), "domain_name"),
            (config(None, Some("users"), None), "kind"),
            (config(None, None, Some("-al")), "name_prefix"),
            (config(None, None, Some("")), "name_prefix"),
        ] {
            let diags = validate_config(&schema, &bad);
            let d = diags.iter().next().expect("an error");
            assert!(d.is_error());
            assert_eq!(d.attribute, Some(AttributePath::attribute(attribute)));
        }
        assert!(
            validate_config(
                &schema,
                &config(Some("studio"), Some("space"), Some("team-"))
            )
            .is_empty()
        );
    }
}
