//! Who a home directory belongs to: the one owner model of users and spaces.
//!
//! A restore copies a person's files (notebooks, credentials, data). The promise is that they
//! only ever reach the same person, or a place a human explicitly declared. "The same person" is
//! decided here:
//!
//! - A **user profile** on a domain that uses IAM Identity Center belongs to its
//!   `SingleSignOnUserValue`: the directory's user, whatever the profile is called.
//! - A **user profile** on an IAM domain belongs to its *profile name*. This is a weaker identity:
//!   SageMaker knows nothing else about the person, so a profile deleted and recreated under the
//!   same name for someone else looks like the same owner. An administrator who reuses profile
//!   names for different people should move the domain to IAM Identity Center, or turn automatic
//!   restore off for those homes (`studio_replication`) and restore them explicitly.
//! - A **private space** belongs to its owner profile (`OwnershipSettings.OwnerUserProfileName`).
//! - A **shared space** (or a Studio Classic space without ownership settings) belongs to the
//!   users of its domain, by domain name.
//!
//! The mapping table records the owner next to every directory it records (`owner`,
//! `previous_owner`), when the directory is first seen; a later observation never overwrites it.

use std::fmt;
use std::str::FromStr;

use crate::Error;
use crate::home::{HomeKey, HomeKind};

/// The owner of a home directory. Two directories have the same owner when their owners are
/// equal; owners of different variants are different people as far as a restore is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// An IAM Identity Center user (`SingleSignOnUserValue`).
    SsoUser(String),
    /// A user profile of an IAM domain, known only by its profile name (a weaker identity).
    Profile(String),
    /// A private space, owned by this user profile.
    PrivateSpace(String),
    /// A shared space: the users of the domain of this name.
    SharedSpace(String),
}

/// `SpaceSharingSettings.SharingType`, as far as ownership goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    Private,
    Shared,
}

impl Owner {
    /// The owner of a user profile: its IAM Identity Center user where the domain uses it, else
    /// its profile name. `None` on an SSO domain that reported no user value: then nobody can
    /// tell whose the directory is.
    pub fn of_user(auth_mode: &str, profile_name: &str, sso_user: Option<&str>) -> Option<Owner> {
        match sso_user.filter(|v| !v.is_empty()) {
            Some(value) => Some(Owner::SsoUser(value.to_owned())),
            None if auth_mode.eq_ignore_ascii_case("SSO") => None,
            None => Some(Owner::Profile(profile_name.to_owned())),
        }
    }

    /// The owner of a space: its owner profile when it is private, the domain's users when it is
    /// shared. A space with an owner but no sharing type counts as private (someone's files); a
    /// private space without an owner has no known owner.
    pub fn of_space(
        domain_name: &str,
        owner_profile: Option<&str>,
        sharing: Option<Sharing>,
    ) -> Option<Owner> {
        let owner_profile = owner_profile.filter(|o| !o.is_empty());
        match (sharing, owner_profile) {
            (Some(Sharing::Shared), _) | (None, None) => {
                Some(Owner::SharedSpace(domain_name.to_owned()))
            }
            (Some(Sharing::Private) | None, Some(owner)) => {
                Some(Owner::PrivateSpace(owner.to_owned()))
            }
            (Some(Sharing::Private), None) => None,
        }
    }

    /// The owner a row written before owners were recorded implies: a user's recorded SSO user,
    /// else (an IAM domain: SSO domains always report one) its profile name. A space's row never
    /// said who owned it.
    pub fn implied_by_row(home: &HomeKey, sso_user: Option<&str>) -> Option<Owner> {
        match home.kind {
            HomeKind::User => Owner::of_user("IAM", &home.name, sso_user),
            HomeKind::Space => None,
        }
    }

    /// Whether this is the weaker, name-only identity of an IAM domain's user.
    pub fn is_name_only(&self) -> bool {
        matches!(self, Owner::Profile(_))
    }

    /// How it is stored in the mapping table.
    pub fn encode(&self) -> String {
        match self {
            Owner::SsoUser(v) => format!("sso:{v}"),
            Owner::Profile(n) => format!("profile:{n}"),
            Owner::PrivateSpace(n) => format!("space:private:{n}"),
            Owner::SharedSpace(d) => format!("space:shared:{d}"),
        }
    }
}

impl FromStr for Owner {
    type Err = Error;
    fn from_str(s: &str) -> Result<Owner, Error> {
        let owner = if let Some(v) = s.strip_prefix("sso:") {
            Owner::SsoUser(v.to_owned())
        } else if let Some(n) = s.strip_prefix("profile:") {
            Owner::Profile(n.to_owned())
        } else if let Some(n) = s.strip_prefix("space:private:") {
            Owner::PrivateSpace(n.to_owned())
        } else if let Some(d) = s.strip_prefix("space:shared:") {
            Owner::SharedSpace(d.to_owned())
        } else {
            return Err(Error::Invalid(format!(
                "{s:?} is not a recorded owner: expected \"sso:<user>\", \"profile:<name>\", \"space:private:<profile>\" or \"space:shared:<domain name>\""
            )));
        };
        match &owner {
            Owner::SsoUser(v)
            | Owner::Profile(v)
            | Owner::PrivateSpace(v)
            | Owner::SharedSpace(v)
                if v.is_empty() =>
            {
                Err(Error::Invalid(format!("{s:?} names no owner")))
            }
            _ => Ok(owner),
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::SsoUser(v) => write!(f, "IAM Identity Center user {v:?}"),
            Owner::Profile(n) => {
                write!(f, "user profile {n:?} (an IAM domain: known by name only)")
            }
            Owner::PrivateSpace(n) => write!(f, "user profile {n:?} (a private space)"),
            Owner::SharedSpace(d) => write!(f, "the users of domain {d:?} (a shared space)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_owner_is_the_sso_user_where_the_domain_uses_it_else_the_profile_name() {
        assert_eq!(
            Owner::of_user("SSO", "alice", Some("alice@example.com")),
            Some(Owner::SsoUser("alice@example.com".into()))
        );
        assert_eq!(Owner::of_user("SSO", "alice", None), None);
        assert_eq!(
            Owner::of_user("IAM", "alice", None),
            Some(Owner::Profile("alice".into()))
        );
        assert!(Owner::Profile("alice".into()).is_name_only());
        assert_ne!(
            Owner::SsoUser("alice".into()),
            Owner::Profile("alice".into()),
            "an SSO user and a profile name are never the same owner"
        );
    }

    #[test]
    fn a_spaces_owner_is_its_owner_profile_or_the_domains_users() {
        assert_eq!(
            Owner::of_space("studio", Some("alice"), Some(Sharing::Private)),
            Some(Owner::PrivateSpace("alice".into()))
        );
        assert_eq!(
            Owner::of_space("studio", Some("alice"), None),
            Some(Owner::PrivateSpace("alice".into()))
        );
        assert_eq!(
            Owner::of_space("studio", Some("alice"), Some(Sharing::Shared)),
            Some(Owner::SharedSpace("studio".into()))
        );
        assert_eq!(
            Owner::of_space("studio", None, None),
            Some(Owner::SharedSpace("studio".into()))
        );
        assert_eq!(
            Owner::of_space("studio", None, Some(Sharing::Private)),
            None
        );
        assert_ne!(
            Owner::PrivateSpace("alice".into()),
            Owner::Profile("alice".into())
        );
    }

    #[test]
    fn owners_round_trip_through_their_stored_form() {
        for owner in [
            Owner::SsoUser("a:b@example.com".into()),
            Owner::Profile("alice".into()),
            Owner::PrivateSpace("alice".into()),
            Owner::SharedSpace("studio".into()),
        ] {
            assert_eq!(owner.encode().parse::<Owner>().unwrap(), owner);
        }
        for bad in ["", "alice", "sso:", "space:team", "profile:"] {
            assert!(bad.parse::<Owner>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn old_rows_imply_a_users_owner_but_never_a_spaces() {
        let user: HomeKey = "studio/user/alice".parse().unwrap();
        let space: HomeKey = "studio/space/team".parse().unwrap();
        assert_eq!(
            Owner::implied_by_row(&user, Some("a@example.com")),
            Some(Owner::SsoUser("a@example.com".into()))
        );
        assert_eq!(
            Owner::implied_by_row(&user, None),
            Some(Owner::Profile("alice".into()))
        );
        assert_eq!(Owner::implied_by_row(&space, None), None);
    }
}
