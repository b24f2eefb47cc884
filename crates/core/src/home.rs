//! Who a home directory belongs to: a user profile or a space, by name, within a domain name.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// Whether a home belongs to a user profile or to a shared space. The two never share a
/// namespace: a space named like a user never receives that user's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HomeKind {
    User,
    Space,
}

impl HomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HomeKind::User => "user",
            HomeKind::Space => "space",
        }
    }
}

impl fmt::Display for HomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HomeKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "user" => Ok(HomeKind::User),
            "space" => Ok(HomeKind::Space),
            other => Err(Error::Invalid(format!(
                "unknown home kind {other:?}: expected \"user\" or \"space\""
            ))),
        }
    }
}

/// The identity of a home: `(domain name, kind, name)`, written `"<domain>/<kind>/<name>"`.
/// Keyed on the domain *name*, so a domain that is deleted and recreated (new id, same name)
/// keeps its homes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HomeKey {
    pub domain_name: String,
    pub kind: HomeKind,
    pub name: String,
}

impl HomeKey {
    pub fn new(domain_name: &str, kind: HomeKind, name: &str) -> Result<HomeKey, Error> {
        check_name("domain name", domain_name)?;
        check_name(&format!("{kind} name"), name)?;
        Ok(HomeKey {
            domain_name: domain_name.to_owned(),
            kind,
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for HomeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.domain_name, self.kind, self.name)
    }
}

impl FromStr for HomeKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let mut parts = s.split('/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(domain), Some(kind), Some(name), None) => {
                HomeKey::new(domain, kind.parse()?, name)
            }
            _ => Err(Error::Invalid(format!(
                "{s:?} is not a home key: expected \"<domain name>/user/<profile>\" or \"<domain name>/space/<space>\""
            ))),
        }
    }
}

/// SageMaker's rule for domain, profile and space names: `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`.
pub fn check_name(what: &str, name: &str) -> Result<(), Error> {
    let bytes = name.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "{what} {name:?} is not valid: 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit"
        )))
    }
}

/// A POSIX uid that names a home directory: `/<uid>` on the domain's EFS. Never 0, never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uid(u32);

impl Uid {
    pub fn new(uid: i64) -> Result<Uid, Error> {
        if uid <= 0 || uid > i64::from(u32::MAX) {
            return Err(Error::Refused(format!(
                "uid {uid} does not name a home directory: a home uid is a positive number (SageMaker assigns 200000 and up)"
            )));
        }
        Ok(Uid(uid as u32))
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// The directory on the file system: `/<uid>`.
    pub fn directory(self) -> String {
        format!("/{}", self.0)
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Uid {
    type Err = Error;
    /// Only a plain decimal number: no sign, no spaces, no path.
    fn from_str(s: &str) -> Result<Self, Error> {
        if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Refused(format!(
                "{s:?} is not a home directory uid: expected a single positive number"
            )));
        }
        Uid::new(s.parse::<i64>().expect("ten digits fit in i64"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_keys_round_trip_and_keep_kinds_apart() {
        let user = HomeKey::new("studio", HomeKind::User, "alice").unwrap();
        let space = HomeKey::new("studio", HomeKind::Space, "alice").unwrap();
        assert_eq!(user.to_string(), "studio/user/alice");
        assert_ne!(user.to_string(), space.to_string());
        assert_eq!("studio/space/alice".parse::<HomeKey>().unwrap(), space);
        assert!("studio/alice".parse::<HomeKey>().is_err());
        assert!("studio/group/alice".parse::<HomeKey>().is_err());
        assert!("studio/user/al/ice".parse::<HomeKey>().is_err());
    }

    #[test]
    fn names_follow_sagemaker_rules() {
        assert!(check_name("profile", "a-b-1").is_ok());
        assert!(check_name("profile", "").is_err());
        assert!(check_name("profile", "-a").is_err());
        assert!(check_name("profile", "a_b").is_err());
        assert!(check_name("profile", &"a".repeat(64)).is_err());
    }

    #[test]
    fn uids_are_positive_plain_numbers() {
        assert_eq!("200005".parse::<Uid>().unwrap().get(), 200005);
        assert_eq!(Uid::new(200000).unwrap().directory(), "/200000");
        for bad in [
            "",
            "0",
            "-1",
            "+5",
            " 5",
            "5/..",
            "../5",
            "1e5",
            "99999999999",
        ] {
            assert!(bad.parse::<Uid>().is_err(), "{bad:?} must be refused");
        }
        assert!(Uid::new(0).is_err());
    }
}

/// Where a home directory lives: `/<uid>` on an EFS file system.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HomeDirectory {
    pub file_system_id: String,
    pub uid: Uid,
}

impl HomeDirectory {
    pub fn new(file_system_id: &str, uid: Uid) -> Result<HomeDirectory, Error> {
        check_file_system_id(file_system_id)?;
        Ok(HomeDirectory {
            file_system_id: file_system_id.to_owned(),
            uid,
        })
    }
}

impl fmt::Display for HomeDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file_system_id, self.uid.directory())
    }
}

/// An EFS file system id: `fs-` and 8 to 40 lowercase hex digits.
pub fn check_file_system_id(id: &str) -> Result<(), Error> {
    let ok = id.strip_prefix("fs-").is_some_and(|hex| {
        (8..=40).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "{id:?} is not an EFS file system id: expected \"fs-\" followed by hex digits, as in \"fs-0123456789abcdef0\""
        )))
    }
}
