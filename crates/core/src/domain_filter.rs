//! Which domains the automatic path tracks: by id, by name, or every domain.
//!
//! A recreated domain gets a new id but keeps its name, and homes are keyed on the domain name
//! (`HomeKey`), so a filter by name follows a domain through its recreations; a filter by id
//! does not. The modules pass `DOMAIN_IDS` and `DOMAIN_NAMES` (comma-separated; neither a
//! SageMaker domain id nor a domain name can contain a comma) to the event processor and the
//! reconciler, which both decide through this one type.

use std::collections::BTreeSet;

use crate::resolve::Domain;

/// The environment variable of the tracked domain ids.
pub const DOMAIN_IDS: &str = "DOMAIN_IDS";
/// The environment variable of the tracked domain names.
pub const DOMAIN_NAMES: &str = "DOMAIN_NAMES";

/// The tracked domains: a domain is tracked when its id or its name is listed; with both lists
/// empty, every domain is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainFilter {
    pub ids: BTreeSet<String>,
    pub names: BTreeSet<String>,
}

impl DomainFilter {
    /// Every domain.
    pub fn everything() -> DomainFilter {
        DomainFilter::default()
    }

    /// From `DOMAIN_IDS` and `DOMAIN_NAMES` as `var` reads them (unset or empty: no entries).
    pub fn from_settings(var: impl Fn(&str) -> Option<String>) -> DomainFilter {
        let list = |name: &str| -> BTreeSet<String> {
            var(name)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_owned)
                .collect()
        };
        DomainFilter {
            ids: list(DOMAIN_IDS),
            names: list(DOMAIN_NAMES),
        }
    }

    /// Whether every domain is tracked.
    pub fn tracks_everything(&self) -> bool {
        self.ids.is_empty() && self.names.is_empty()
    }

    /// Whether the domain `id` may be tracked before it is described: false only when it
    /// cannot be (its id is not listed and no name could let it in), so that nobody describes
    /// a domain it will not track.
    pub fn may_track_id(&self, id: &str) -> bool {
        self.tracks_everything() || !self.names.is_empty() || self.ids.contains(id)
    }

    /// Whether `domain` is tracked: its id or its name is listed, or every domain is.
    pub fn tracks(&self, domain: &Domain) -> bool {
        self.tracks_everything()
            || self.ids.contains(&domain.id)
            || self.names.contains(&domain.name)
    }

    /// Why `domain` is not tracked, for logs and the event processor's response.
    pub fn why_not(&self, domain: &Domain) -> String {
        let list = |set: &BTreeSet<String>| {
            if set.is_empty() {
                "none".to_owned()
            } else {
                set.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        };
        format!(
            "domain {} ({:?}) is not tracked: neither its id nor its name is listed ({DOMAIN_IDS}: {}; {DOMAIN_NAMES}: {})",
            domain.id,
            domain.name,
            list(&self.ids),
            list(&self.names)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(id: &str, name: &str) -> Domain {
        Domain {
            id: id.into(),
            arn: format!("arn:aws:sagemaker:us-east-1:123456789012:domain/{id}"),
            name: name.into(),
            status: "InService".into(),
            auth_mode: "IAM".into(),
            home_efs_file_system_id: Some("fs-1".into()),
            vpc_id: None,
            subnet_ids: vec![],
            security_group_ids: vec![],
            execution_role: None,
            url: None,
        }
    }

    fn filter(ids: &str, names: &str) -> DomainFilter {
        DomainFilter::from_settings(|name| match name {
            DOMAIN_IDS => Some(ids.to_owned()),
            DOMAIN_NAMES => Some(names.to_owned()),
            _ => None,
        })
    }

    #[test]
    fn empty_settings_track_every_domain() {
        for f in [
            filter("", ""),
            filter(" , ", ""),
            DomainFilter::from_settings(|_| None),
        ] {
            assert!(f.tracks_everything(), "{f:?}");
            assert!(f.tracks(&domain("d-any", "any")));
            assert!(f.may_track_id("d-any"));
        }
    }

    #[test]
    fn a_domain_recreated_under_a_listed_name_is_tracked_with_its_new_id() {
        let f = filter("", "studio, research");
        assert_eq!(
            f.names,
            BTreeSet::from(["studio".to_owned(), "research".to_owned()])
        );
        assert!(f.tracks(&domain("d-old111", "studio")));
        assert!(f.tracks(&domain("d-new222", "studio")));
        assert!(!f.tracks(&domain("d-new222", "studio-2")));
        assert!(!f.tracks(&domain("d-other", "other")));
        // The name is only known once the domain is described.
        assert!(f.may_track_id("d-other"));
        assert!(
            f.why_not(&domain("d-other", "other"))
                .contains("DOMAIN_NAMES: research, studio")
        );
    }

    #[test]
    fn ids_and_names_add_up() {
        let f = filter("d-abc123", "studio");
        assert!(f.tracks(&domain("d-abc123", "renamed")));
        assert!(f.tracks(&domain("d-zzz", "studio")));
        assert!(!f.tracks(&domain("d-zzz", "other")));
        let ids_only = filter("d-abc123,d-def456", "");
        assert!(ids_only.may_track_id("d-def456"));
        assert!(!ids_only.may_track_id("d-zzz"));
        assert!(!ids_only.tracks(&domain("d-zzz", "studio")));
    }
}
