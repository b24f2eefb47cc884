//! The one source resolver: where a restore's files come from, whose they are, and whether they
//! may go to the target at all. The provider (`studio_profile_restore`, `studio_restore_target`),
//! the stream processor and the reconciler all resolve and check sources here.
//!
//! A source has one of five origins ([`SourceOrigin`]): a directory given explicitly, the source
//! profile's current directory in SageMaker, the last directory the mapping table recorded for a
//! home that is gone, the directory a home had before its latest recreation, and a declared
//! restore target (`restore_from`). Resolution returns the directory *and its owner*.
//!
//! [`check`] then refuses, before anything is created:
//! - a source owned by someone other than the target's owner (see [`crate::owner`]), or whose
//!   owner nobody can tell: only a declared restore target or the explicit opt-in
//!   (`allow_different_owner` of `studio_profile_restore`, [`Consent::AllowDifferentOwner`])
//!   copies between people;
//! - a source that is the current home directory of a live profile or space other than the
//!   target, unless the same opt-in says so;
//! - an automatic restore into a home marked refused ([`MappingRecord::is_marked_refused`]),
//!   until a human declares otherwise.
//!
//! Resolution is split into gathering facts (AWS calls) and deciding on them (pure functions),
//! so that every origin and every refusal is tested without AWS.

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::Error;
use crate::error::{Refusal, RefusalReason, Subject};
use crate::home::{HomeDirectory, HomeKey, HomeKind, Uid, check_file_system_id};
use crate::owner::Owner;
use crate::records::{MappingRecord, MappingTable, PreviousDirectory};
use crate::resolve::{Domain, Home, Studio};

/// A profile or space, as the user declares it: by domain id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeRef {
    pub domain_id: String,
    pub kind: HomeKind,
    pub name: String,
}

impl std::fmt::Display for HomeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} in domain {}",
            self.kind, self.name, self.domain_id
        )
    }
}

/// A declared source (`studio_profile_restore`'s `source`), with the optional explicit directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub home: HomeRef,
    pub file_system_id: Option<String>,
    pub uid: Option<Uid>,
}

/// Where a source directory was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceOrigin {
    /// `file_system_id` and/or `uid` given explicitly.
    Explicit,
    /// The source profile or space exists now: its current home directory.
    SageMaker,
    /// The source profile or space (or its domain) is gone: the last directory the mapping
    /// table recorded for it.
    MappingRow,
    /// The directory the home had before its latest recreation (the row's `previous`).
    Previous,
    /// The row's declared source (`restore_from`, set by `studio_restore_target`).
    DeclaredTarget,
}

/// A resolved source: its directory, whose it is, and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedSource {
    /// The home the directory belongs (or belonged) to, when known.
    pub home: Option<HomeKey>,
    /// How messages name the source's home (`home`, else the declaration).
    pub label: String,
    pub directory: HomeDirectory,
    /// The domain id the directory was seen in, when known.
    pub domain_id: Option<String>,
    /// Who the directory belongs to; `None` when nobody can tell.
    pub owner: Option<Owner>,
    pub origin: SourceOrigin,
}

impl ResolvedSource {
    fn describe(&self) -> String {
        format!("{} ({})", self.label, self.directory)
    }
}

/// The target of a restore, as far as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub home: HomeKey,
    pub directory: HomeDirectory,
    pub owner: Option<Owner>,
    /// The home's row is marked refused (only automatic restores look at it).
    pub marked_refused: bool,
}

impl Target {
    fn describe(&self) -> String {
        format!("{} ({})", self.home, self.directory)
    }
}

/// Who asked for the copy, and what they allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Nobody: the automatic path restoring a recreated home.
    Automatic,
    /// A person, with `studio_profile_restore`, for the same owner only.
    Declared,
    /// A person, with `studio_profile_restore` and `allow_different_owner = true`: copies
    /// between different people and from live homes.
    AllowDifferentOwner,
}

/// What to say to a person who means the copy.
const DECLARE: &str = "If the files are meant for the target's owner, declare the copy: a studio_restore_target for the target, or allow_different_owner = true on a studio_profile_restore";

fn refusal(
    reason: RefusalReason,
    subject: Subject,
    source: &ResolvedSource,
    target: &str,
    message: String,
) -> Error {
    Error::RefusedRestore(Box::new(Refusal {
        reason,
        subject,
        source: source.describe(),
        target: target.to_owned(),
        message,
    }))
}

/// Refuses a copy of a live home's files: `holders` are the live profiles and spaces whose
/// current home directory is the source. The target itself does not count.
pub fn check_live(
    source: &ResolvedSource,
    target_home: &HomeKey,
    target_label: &str,
    holders: &[HomeKey],
    consent: Consent,
) -> Result<(), Error> {
    if source.origin == SourceOrigin::DeclaredTarget || consent == Consent::AllowDifferentOwner {
        return Ok(());
    }
    let others: Vec<String> = holders
        .iter()
        .filter(|h| *h != target_home)
        .map(ToString::to_string)
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    Err(refusal(
        RefusalReason::LiveHome,
        Subject::Source,
        source,
        target_label,
        format!(
            "the source {} is the current home directory of {} (live now), not an old directory: a restore would hand someone's working files to {target_label}. Name the old directory (source uid and file_system_id), or, if this copy is really meant, set allow_different_owner = true on the studio_profile_restore",
            source.describe(),
            others.join(", "),
        ),
    ))
}

/// Every check of a restore from `source` into `target`, given the live homes whose current
/// directory is the source (`holders`). Refusals name both homes and say what to do.
pub fn check(
    source: &ResolvedSource,
    target: &Target,
    holders: &[HomeKey],
    consent: Consent,
) -> Result<(), Error> {
    let target_label = target.describe();
    if source.directory == target.directory {
        return Err(refusal(
            RefusalReason::SameDirectory,
            Subject::Source,
            source,
            &target_label,
            format!(
                "the source {} is the target's own home directory ({target_label}): a restore would copy the directory onto itself. Name the old directory (source uid and file_system_id)",
                source.describe()
            ),
        ));
    }
    // A declared restore target is the human declaration the other rules defer to.
    if source.origin == SourceOrigin::DeclaredTarget {
        return Ok(());
    }
    if consent == Consent::Automatic && target.marked_refused {
        return Err(refusal(
            RefusalReason::MarkedRefused,
            Subject::Target,
            source,
            &target_label,
            format!(
                "an automatic restore into {} was refused before, so the home stays refused for automatic restores: {} is not copied into {target_label}. A person decides: declare the source with studio_restore_target, or restore with studio_profile_restore",
                target.home,
                source.describe(),
            ),
        ));
    }
    check_live(source, &target.home, &target_label, holders, consent)?;
    if consent == Consent::AllowDifferentOwner {
        return Ok(());
    }
    match (&source.owner, &target.owner) {
        (Some(a), Some(b)) if a == b => Ok(()),
        (Some(a), Some(b)) => Err(refusal(
            RefusalReason::DifferentOwner,
            Subject::Source,
            source,
            &target_label,
            format!(
                "the source {} belongs to {a}, but the target {target_label} belongs to {b}: a home directory is only restored to the same person. {DECLARE}",
                source.describe()
            ),
        )),
        (None, _) => Err(refusal(
            RefusalReason::UnknownOwner,
            Subject::Source,
            source,
            &target_label,
            format!(
                "nobody can tell whose files the source {} holds (no owner was recorded for it), so nobody can tell they belong to the owner of the target {target_label}. {DECLARE}",
                source.describe()
            ),
        )),
        (Some(a), None) => Err(refusal(
            RefusalReason::UnknownOwner,
            Subject::Target,
            source,
            &target_label,
            format!(
                "the source {} belongs to {a}, but nobody can tell whom the target {target_label} belongs to (SageMaker reported no owner for it). {DECLARE}",
                source.describe()
            ),
        )),
    }
}

/// The owner of a previous directory: the one recorded with it. A row written before owners
/// were recorded implies one only for a user profile that never had an SSO user and whose old
/// directory was in the same domain (so the same, IAM, authentication).
pub fn previous_owner(record: &MappingRecord, previous: &PreviousDirectory) -> Option<Owner> {
    previous.owner.clone().or_else(|| {
        (record.home.kind == HomeKind::User
            && record.sso_user.is_none()
            && previous.domain_id.is_some()
            && previous.domain_id == record.domain_id)
            .then(|| Owner::Profile(record.home.name.clone()))
    })
}

/// A source from a mapping-table row: its declared source, or a previous directory.
pub fn from_declared_target(record: &MappingRecord) -> Option<ResolvedSource> {
    record.restore_from.as_ref().map(|from| ResolvedSource {
        home: Some(from.home.clone()),
        label: from.home.to_string(),
        directory: from.directory.clone(),
        domain_id: None,
        owner: None,
        origin: SourceOrigin::DeclaredTarget,
    })
}

/// The previous directory of `record` (or `previous`, an earlier one from an older image of
/// the same row) as a source.
pub fn from_previous(record: &MappingRecord, previous: &PreviousDirectory) -> ResolvedSource {
    ResolvedSource {
        home: Some(record.home.clone()),
        label: record.home.to_string(),
        directory: previous.directory.clone(),
        domain_id: previous.domain_id.clone(),
        owner: previous_owner(record, previous),
        origin: SourceOrigin::Previous,
    }
}

/// The target of an automatic restore: the row's current directory and owner.
pub fn target_of(record: &MappingRecord) -> Option<Target> {
    Some(Target {
        home: record.home.clone(),
        directory: record.directory.clone()?,
        owner: record.current_owner(),
        marked_refused: record.is_marked_refused(),
    })
}

/// What is known about a declared source ([`gather`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceFacts {
    /// The source's domain, while it exists.
    pub domain: Option<Domain>,
    /// The source profile or space as SageMaker describes it now.
    pub live: Option<Home>,
    /// The mapping-table row of the source home: by domain name while the domain exists, else
    /// a row that recorded the domain id.
    pub row: Option<MappingRecord>,
}

/// Resolves a declared source from `facts`: an explicit directory, else the source's current
/// directory (or, when that is the target's own, the directory it had before), else the
/// directory the mapping table recorded for it *in the declared domain*. A domain deleted and
/// recreated under the same name shares the row with the new domain: the row's current
/// directory is then the new domain's, someone's live home, and never the source.
pub fn decide(
    spec: &SourceSpec,
    facts: &SourceFacts,
    target_dir: Option<&HomeDirectory>,
) -> Result<ResolvedSource, Error> {
    if let Some(fs) = &spec.file_system_id {
        check_file_system_id(fs)?;
    }
    let key = facts
        .domain
        .as_ref()
        .and_then(|d| HomeKey::new(&d.name, spec.home.kind, &spec.home.name).ok())
        .or_else(|| facts.row.as_ref().map(|r| r.home.clone()));
    let label = key
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| spec.home.to_string());
    let live_dir = facts.live.as_ref().and_then(|h| h.directory.as_ref());
    let row = facts.row.as_ref();
    // The directories the row recorded for the declared domain, with their owners.
    let recorded: Vec<(HomeDirectory, Option<Owner>, SourceOrigin)> = row
        .map(|r| {
            let mut dirs = Vec::new();
            if let Some(dir) = &r.directory {
                if r.domain_id.as_deref() == Some(spec.home.domain_id.as_str()) {
                    dirs.push((dir.clone(), r.current_owner(), SourceOrigin::MappingRow));
                }
            }
            if let Some(prev) = &r.previous {
                if prev.domain_id.as_deref() == Some(spec.home.domain_id.as_str()) {
                    dirs.push((
                        prev.directory.clone(),
                        previous_owner(r, prev),
                        SourceOrigin::Previous,
                    ));
                }
            }
            dirs
        })
        .unwrap_or_default();

    if spec.file_system_id.is_some() || spec.uid.is_some() {
        let fs = spec
            .file_system_id
            .clone()
            .or_else(|| live_dir.map(|d| d.file_system_id.clone()))
            .or_else(|| recorded.first().map(|(d, _, _)| d.file_system_id.clone()))
            .or_else(|| {
                facts
                    .domain
                    .as_ref()
                    .and_then(|d| d.home_efs_file_system_id.clone())
            })
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "cannot tell the file system of the source {label}: its domain is gone and the mapping table records no directory of it. Set source.file_system_id too"
                ))
            })?;
        let uid = match spec.uid {
            Some(uid) => uid,
            None => live_dir
                .map(|d| d.uid)
                .or_else(|| recorded.first().map(|(d, _, _)| d.uid))
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "cannot tell the uid of the source {label}: set source.uid too"
                    ))
                })?,
        };
        let directory = HomeDirectory::new(&fs, uid)?;
        // Whose the directory is: what was recorded with it, else the declared home's owner.
        let owner = if live_dir == Some(&directory) {
            facts.live.as_ref().and_then(|h| h.owner.clone())
        } else if let Some((_, owner, _)) = recorded.iter().find(|(d, _, _)| *d == directory) {
            owner.clone()
        } else {
            declared_owner(spec, facts)
        };
        return Ok(ResolvedSource {
            home: key,
            label,
            directory,
            domain_id: Some(spec.home.domain_id.clone()),
            owner,
            origin: SourceOrigin::Explicit,
        });
    }

    if let (Some(home), Some(dir)) = (&facts.live, live_dir) {
        if Some(dir) != target_dir {
            return Ok(ResolvedSource {
                home: Some(home.key.clone()),
                label,
                directory: dir.clone(),
                domain_id: Some(home.domain_id.clone()),
                owner: home.owner.clone(),
                origin: SourceOrigin::SageMaker,
            });
        }
        // Recreated in place: the source is what the home had before.
        return match row.and_then(|r| r.previous.as_ref().map(|p| (r, p))) {
            Some((r, prev)) => Ok(from_previous(r, prev)),
            None => Err(Error::RefusedRestore(Box::new(Refusal {
                reason: RefusalReason::SameDirectory,
                subject: Subject::Source,
                source: format!("{label} ({dir})"),
                target: format!("{label} ({dir})"),
                message: format!(
                    "the source {label} resolves to the target's own home directory {dir}, and the mapping table records no earlier directory for it: set source.uid (and source.file_system_id) to the old directory"
                ),
            }))),
        };
    }

    // The profile or its domain is gone: the mapping table remembers where it was.
    match (row, recorded.into_iter().next()) {
        (Some(r), Some((directory, owner, origin))) => Ok(ResolvedSource {
            home: Some(r.home.clone()),
            label,
            directory,
            domain_id: Some(spec.home.domain_id.clone()),
            owner,
            origin,
        }),
        (Some(r), None) => Err(Error::NotFound(format!(
            "the mapping table knows the source {label} but records no directory of it in domain {}{}: set source.file_system_id and source.uid to the old home directory",
            spec.home.domain_id,
            match &r.domain_id {
                Some(now) if now != &spec.home.domain_id => format!(
                    " (the home lives in domain {now} now; its directory there is someone's live home, never a restore source)"
                ),
                _ => String::new(),
            }
        ))),
        (None, _) => Err(Error::NotFound(format!(
            "cannot find the source {label}: {} and the mapping table has no row for it. Set source.file_system_id and source.uid to the old home directory",
            if facts.domain.is_some() {
                "it does not exist in SageMaker"
            } else {
                "the domain no longer exists"
            },
        ))),
    }
}

/// The owner of a directory the declaration attributes to the source home, when nothing was
/// recorded with the directory itself. Only where the name *is* the identity, a user profile of
/// an IAM domain, does the declaration say whose it is. On an IAM Identity Center domain the
/// profile's current SSO user may be someone else than the directory's (the name was reused),
/// and a space's owner is never implied: nobody can tell.
fn declared_owner(spec: &SourceSpec, facts: &SourceFacts) -> Option<Owner> {
    if spec.home.kind != HomeKind::User {
        return None;
    }
    let name_is_identity = match (&facts.domain, &facts.row) {
        (Some(domain), _) => !domain.auth_mode.eq_ignore_ascii_case("SSO"),
        (None, Some(row)) => matches!(row.current_owner(), Some(Owner::Profile(_))),
        (None, None) => false,
    };
    name_is_identity.then(|| Owner::Profile(spec.home.name.clone()))
}

/// Gathers the facts about a declared source: its domain, the profile or space now, and its
/// mapping-table row (`mapping` absent or missing: none).
pub async fn gather(
    studio: &Studio,
    mapping: Option<&MappingTable>,
    spec: &SourceSpec,
) -> Result<SourceFacts, Error> {
    let domain = match studio.domain(&spec.home.domain_id).await {
        Ok(d) => Some(d),
        Err(Error::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let live = match &domain {
        Some(d) => studio.home(d, spec.home.kind, &spec.home.name).await?,
        None => None,
    };
    let row = match mapping {
        None => None,
        Some(table) => {
            let found = match &domain {
                Some(d) => {
                    table
                        .get(&HomeKey::new(&d.name, spec.home.kind, &spec.home.name)?)
                        .await
                }
                None => row_of_domain_id(table, &spec.home).await,
            };
            match found {
                Err(e) if e.code() == Some("ResourceNotFoundException") => None,
                other => other?,
            }
        }
    };
    Ok(SourceFacts { domain, live, row })
}

/// The row of a home whose domain is gone: one that recorded the domain id.
async fn row_of_domain_id(
    table: &MappingTable,
    home: &HomeRef,
) -> Result<Option<MappingRecord>, Error> {
    let mut start = None;
    loop {
        let out = table
            .client()
            .scan()
            .table_name(table.name())
            .filter_expression("contains(domain_ids, :d) AND kind = :k AND #n = :n")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":d", AttributeValue::S(home.domain_id.clone()))
            .expression_attribute_values(":k", AttributeValue::S(home.kind.as_str().to_owned()))
            .expression_attribute_values(":n", AttributeValue::S(home.name.clone()))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| Error::aws(format!("looking up {home} in table {}", table.name()), &e))?;
        if let Some(item) = out.items().first() {
            return MappingRecord::from_item(item).map(Some);
        }
        match out.last_evaluated_key() {
            Some(k) if !k.is_empty() => start = Some(k.clone()),
            _ => return Ok(None),
        }
    }
}

/// How many profiles and spaces [`live_holders`] describes at once.
const CONCURRENT_DESCRIBES: usize = 8;

/// The live profiles and spaces whose current home directory is `directory`, in every domain
/// whose home file system is `directory`'s.
///
/// A plan or apply of many restores asks this once per restore; the answer comes from one
/// listing of the file system's domains and homes per [`LIVE_INDEX_TTL`] in this process (and
/// concurrent callers wait for the same listing), so that 50 restores into one domain of 150
/// profiles describe each profile once, not 50 times. A home created within that time cannot
/// have an older directory as its own: SageMaker assigns every new home a new uid.
pub async fn live_holders(
    studio: &Studio,
    directory: &HomeDirectory,
) -> Result<Vec<HomeKey>, Error> {
    let index = live_index(studio, &directory.file_system_id).await?;
    let mut holders = index.get(directory).cloned().unwrap_or_default();
    holders.sort();
    Ok(holders)
}

/// How long this process reuses one listing of a file system's live homes.
pub const LIVE_INDEX_TTL: std::time::Duration = std::time::Duration::from_secs(15);

type LiveIndex = std::collections::HashMap<HomeDirectory, Vec<HomeKey>>;

/// Listings by file system: when each was made, and what it found.
type LiveIndexes =
    tokio::sync::Mutex<std::collections::HashMap<String, (tokio::time::Instant, Arc<LiveIndex>)>>;

static LIVE_INDEXES: std::sync::LazyLock<LiveIndexes> = std::sync::LazyLock::new(Default::default);

async fn live_index(studio: &Studio, file_system_id: &str) -> Result<Arc<LiveIndex>, Error> {
    // Held while listing: concurrent callers wait for this listing instead of making their own.
    let mut indexes = LIVE_INDEXES.lock().await;
    if let Some((at, index)) = indexes.get(file_system_id) {
        if at.elapsed() < LIVE_INDEX_TTL {
            return Ok(Arc::clone(index));
        }
    }
    let index = Arc::new(list_live_homes(studio, file_system_id).await?);
    indexes.insert(
        file_system_id.to_owned(),
        (tokio::time::Instant::now(), Arc::clone(&index)),
    );
    Ok(index)
}

async fn list_live_homes(studio: &Studio, file_system_id: &str) -> Result<LiveIndex, Error> {
    let mut domains = Vec::new();
    for id in studio.domain_ids().await? {
        match studio.domain(&id).await {
            Ok(d) if d.home_efs_file_system_id.as_deref() == Some(file_system_id) => {
                domains.push(d)
            }
            Ok(_) | Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let permits = Arc::new(Semaphore::new(CONCURRENT_DESCRIBES));
    let mut lookups = JoinSet::new();
    for domain in domains {
        for (kind, name) in studio.homes_in(&domain.id).await? {
            let (studio, domain, permits) = (studio.clone(), domain.clone(), Arc::clone(&permits));
            lookups.spawn(async move {
                let _permit = permits.acquire_owned().await;
                studio.home(&domain, kind, &name).await
            });
        }
    }
    let mut index = LiveIndex::new();
    while let Some(joined) = lookups.join_next().await {
        let home = joined.map_err(|e| {
            Error::Invalid(format!(
                "looking up the homes of {file_system_id} stopped unexpectedly: {e}"
            ))
        })??;
        if let Some(home) = home {
            if let Some(directory) = home.directory {
                index.entry(directory).or_default().push(home.key);
            }
        }
    }
    Ok(index)
}

/// Where the files of `home` (by domain name) are, for a declared restore target: its current
/// home directory when SageMaker has it, else the last one the mapping table recorded (the
/// usual case: the profile was deleted). An error says so when neither knows it.
pub async fn resolve_home(
    mapping: &MappingTable,
    studio: &Studio,
    home: &HomeKey,
) -> Result<ResolvedSource, Error> {
    match studio.domain_by_name(&home.domain_name).await {
        Ok(domain) => {
            if let Some(current) = studio.home(&domain, home.kind, &home.name).await? {
                if let Some(directory) = current.directory {
                    return Ok(ResolvedSource {
                        home: Some(home.clone()),
                        label: home.to_string(),
                        directory,
                        domain_id: Some(current.domain_id),
                        owner: current.owner,
                        origin: SourceOrigin::SageMaker,
                    });
                }
            }
        }
        Err(Error::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    match mapping.get(home).await? {
        Some(
            record @ MappingRecord {
                directory: Some(_), ..
            },
        ) => Ok(ResolvedSource {
            home: Some(home.clone()),
            label: home.to_string(),
            directory: record.directory.clone().expect("matched"),
            domain_id: record.domain_id.clone(),
            owner: record.current_owner(),
            origin: SourceOrigin::MappingRow,
        }),
        _ => Err(Error::NotFound(format!(
            "the restore source {home} has no home directory: SageMaker has no {kind} {name:?} in a domain named {domain:?}, \
             and table {table} records no directory for it. Check the names, or give the source's file_system_id and uid explicitly",
            kind = home.kind,
            name = home.name,
            domain = home.domain_name,
            table = mapping.name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::RestoreSource;

    const FS: &str = "fs-0123456789abcdef0";
    const OLD_FS: &str = "fs-0aaaaaaaaaaaaaaa1";

    fn dir(fs: &str, uid: i64) -> HomeDirectory {
        HomeDirectory::new(fs, Uid::new(uid).unwrap()).unwrap()
    }

    fn key(s: &str) -> HomeKey {
        s.parse().unwrap()
    }

    fn sso(user: &str) -> Option<Owner> {
        Some(Owner::SsoUser(user.into()))
    }

    fn domain(id: &str, auth_mode: &str) -> Domain {
        Domain {
            id: id.into(),
            arn: format!("arn:aws:sagemaker:us-east-1:123456789012:domain/{id}"),
            name: "studio".into(),
            status: "InService".into(),
            auth_mode: auth_mode.into(),
            home_efs_file_system_id: Some(FS.into()),
            vpc_id: None,
            subnet_ids: Vec::new(),
            security_group_ids: Vec::new(),
            execution_role: None,
            url: None,
        }
    }

    fn live(uid: i64, owner: Option<Owner>) -> Home {
        Home {
            key: key("studio/user/alice"),
            domain_id: "d-new".into(),
            arn: "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-new/alice".into(),
            status: "InService".into(),
            directory: Some(dir(FS, uid)),
            sso_user: None,
            owner,
            execution_role: None,
            created_at: None,
        }
    }

    fn spec(domain_id: &str, uid: Option<i64>, fs: Option<&str>) -> SourceSpec {
        SourceSpec {
            home: HomeRef {
                domain_id: domain_id.into(),
                kind: HomeKind::User,
                name: "alice".into(),
            },
            file_system_id: fs.map(str::to_owned),
            uid: uid.map(|u| Uid::new(u).unwrap()),
        }
    }

    /// alice's row: recreated from 200000 (alice@) to 200005 (owner given), both in `domain_id`.
    fn row(domain_id: &str, owner: Option<Owner>) -> MappingRecord {
        let mut r = MappingRecord::new(key("studio/user/alice"));
        r.domain_id = Some(domain_id.into());
        r.domain_ids.insert(domain_id.into());
        r.directory = Some(dir(FS, 200005));
        r.owner = owner;
        r.previous = Some(PreviousDirectory {
            directory: dir(FS, 200000),
            domain_id: Some(domain_id.into()),
            owner: sso("alice@example.com"),
        });
        r.version = 2;
        r
    }

    fn target(uid: i64, owner: Option<Owner>) -> Target {
        Target {
            home: key("studio/user/alice"),
            directory: dir(FS, uid),
            owner,
            marked_refused: false,
        }
    }

    fn source(origin: SourceOrigin, uid: i64, owner: Option<Owner>) -> ResolvedSource {
        ResolvedSource {
            home: Some(key("studio/user/alice")),
            label: "studio/user/alice".into(),
            directory: dir(FS, uid),
            domain_id: None,
            owner,
            origin,
        }
    }

    fn refused(result: Result<(), Error>) -> Refusal {
        match result {
            Err(Error::RefusedRestore(r)) => *r,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn an_explicit_directory_takes_the_owner_recorded_with_it() {
        let facts = SourceFacts {
            domain: Some(domain("d-new", "SSO")),
            live: Some(live(200010, sso("mallory@example.com"))),
            row: Some(row("d-new", sso("mallory@example.com"))),
        };
        let s = decide(&spec("d-new", Some(200000), None), &facts, None).unwrap();
        assert_eq!(s.origin, SourceOrigin::Explicit);
        assert_eq!(s.directory, dir(FS, 200000));
        assert_eq!(
            s.owner,
            sso("alice@example.com"),
            "the previous directory's owner, not the live profile's"
        );
        // A directory the table never recorded, on an SSO domain: the profile's current user
        // may not be the directory's, so nobody can tell.
        let s = decide(&spec("d-new", Some(200100), Some(OLD_FS)), &facts, None).unwrap();
        assert_eq!(
            (s.origin, s.directory.clone()),
            (SourceOrigin::Explicit, dir(OLD_FS, 200100))
        );
        assert_eq!(s.owner, None);
        // An IAM domain without a row: the profile name.
        let iam = SourceFacts {
            domain: Some(domain("d-new", "IAM")),
            ..SourceFacts::default()
        };
        let s = decide(&spec("d-new", Some(200100), None), &iam, None).unwrap();
        assert_eq!(s.owner, Some(Owner::Profile("alice".into())));
        assert_eq!(
            s.directory,
            dir(FS, 200100),
            "the file system of the declared domain"
        );
    }

    #[test]
    fn a_live_source_resolves_to_sagemaker_and_recreated_in_place_to_its_previous_directory() {
        let facts = SourceFacts {
            domain: Some(domain("d-new", "SSO")),
            live: Some(live(200005, sso("alice@example.com"))),
            row: Some(row("d-new", sso("alice@example.com"))),
        };
        let s = decide(&spec("d-new", None, None), &facts, Some(&dir(FS, 200099))).unwrap();
        assert_eq!(
            (s.origin, s.directory.uid.get()),
            (SourceOrigin::SageMaker, 200005)
        );
        assert_eq!(s.owner, sso("alice@example.com"));
        let s = decide(&spec("d-new", None, None), &facts, Some(&dir(FS, 200005))).unwrap();
        assert_eq!(
            (s.origin, s.directory.uid.get()),
            (SourceOrigin::Previous, 200000)
        );
        assert_eq!(s.owner, sso("alice@example.com"));
        let bare = SourceFacts { row: None, ..facts };
        let err = decide(&spec("d-new", None, None), &bare, Some(&dir(FS, 200005))).unwrap_err();
        assert_eq!(err.refusal().unwrap().reason, RefusalReason::SameDirectory);
    }

    #[test]
    fn a_gone_source_resolves_to_the_directory_recorded_in_its_own_domain() {
        let gone = SourceFacts {
            domain: None,
            live: None,
            row: Some(row("d-old", sso("alice@example.com"))),
        };
        let s = decide(&spec("d-old", None, None), &gone, None).unwrap();
        assert_eq!(
            (s.origin, s.directory.uid.get()),
            (SourceOrigin::MappingRow, 200005)
        );
        assert_eq!(s.owner, sso("alice@example.com"));
    }

    #[test]
    fn a_source_domain_recreated_under_the_same_name_never_resolves_to_the_new_live_home() {
        // The row moved on to the new domain d-new: its current directory is alice's live home.
        let mut r = row("d-new", sso("alice@example.com"));
        r.domain_ids.insert("d-old".into());
        r.previous.as_mut().unwrap().domain_id = Some("d-old".into());
        let facts = SourceFacts {
            domain: None,
            live: None,
            row: Some(r.clone()),
        };
        let s = decide(&spec("d-old", None, None), &facts, None).unwrap();
        assert_eq!(
            (s.origin, s.directory.uid.get()),
            (SourceOrigin::Previous, 200000)
        );
        // A domain the row recorded but neither of its directories belongs to: no guess.
        r.domain_ids.insert("d-older".into());
        let facts = SourceFacts {
            row: Some(r),
            ..facts
        };
        let err = decide(&spec("d-older", None, None), &facts, None).unwrap_err();
        assert!(
            matches!(&err, Error::NotFound(m) if m.contains("d-new") && m.contains("live home")),
            "{err}"
        );
    }

    #[test]
    fn a_declared_target_is_honoured_between_people_and_from_live_homes() {
        let mut r = row("d-new", sso("mallory@example.com"));
        r.restore_from = Some(RestoreSource {
            home: key("studio/user/bob"),
            directory: dir(FS, 200020),
        });
        let s = from_declared_target(&r).unwrap();
        assert_eq!(s.origin, SourceOrigin::DeclaredTarget);
        let mut t = target_of(&r).unwrap();
        t.marked_refused = true;
        check(&s, &t, &[key("studio/user/bob")], Consent::Automatic).unwrap();
    }

    #[test]
    fn a_previous_directory_is_a_source_with_its_recorded_owner() {
        let r = row("d-new", sso("mallory@example.com"));
        let s = from_previous(&r, r.previous.as_ref().unwrap());
        assert_eq!(
            (s.origin, s.directory.uid.get()),
            (SourceOrigin::Previous, 200000)
        );
        let r = check(&s, &target_of(&r).unwrap(), &[], Consent::Automatic);
        let refusal = refused(r);
        assert_eq!(refusal.reason, RefusalReason::DifferentOwner);
        assert_eq!(refusal.subject, Subject::Source);
        assert!(refusal.source.contains("200000") && refusal.target.contains("200005"));
        assert!(
            refusal.message.contains("studio_restore_target")
                && refusal.message.contains("allow_different_owner"),
            "says what to do: {}",
            refusal.message
        );
    }

    #[test]
    fn every_refusal_names_both_homes() {
        let alice = sso("alice@example.com");
        let bob = key("studio/user/bob");
        let cases: Vec<(Result<(), Error>, RefusalReason, Subject)> = vec![
            (
                check(
                    &source(SourceOrigin::Explicit, 200000, alice.clone()),
                    &target(200005, sso("m@example.com")),
                    &[],
                    Consent::Declared,
                ),
                RefusalReason::DifferentOwner,
                Subject::Source,
            ),
            (
                check(
                    &source(SourceOrigin::Explicit, 200000, None),
                    &target(200005, alice.clone()),
                    &[],
                    Consent::Declared,
                ),
                RefusalReason::UnknownOwner,
                Subject::Source,
            ),
            (
                check(
                    &source(SourceOrigin::MappingRow, 200000, alice.clone()),
                    &target(200005, None),
                    &[],
                    Consent::Declared,
                ),
                RefusalReason::UnknownOwner,
                Subject::Target,
            ),
            (
                check(
                    &source(SourceOrigin::Explicit, 200000, alice.clone()),
                    &target(200005, alice.clone()),
                    std::slice::from_ref(&bob),
                    Consent::Declared,
                ),
                RefusalReason::LiveHome,
                Subject::Source,
            ),
            (
                check(
                    &source(SourceOrigin::SageMaker, 200000, alice.clone()),
                    &target(200005, alice.clone()),
                    &[key("other/user/alice")],
                    Consent::Declared,
                ),
                RefusalReason::LiveHome,
                Subject::Source,
            ),
            (
                check(
                    &source(SourceOrigin::Previous, 200000, alice.clone()),
                    &Target {
                        marked_refused: true,
                        ..target(200005, alice.clone())
                    },
                    &[],
                    Consent::Automatic,
                ),
                RefusalReason::MarkedRefused,
                Subject::Target,
            ),
            (
                check(
                    &source(SourceOrigin::Explicit, 200005, alice.clone()),
                    &target(200005, alice.clone()),
                    &[],
                    Consent::AllowDifferentOwner,
                ),
                RefusalReason::SameDirectory,
                Subject::Source,
            ),
        ];
        for (result, reason, subject) in cases {
            let r = refused(result);
            assert_eq!((r.reason, r.subject), (reason, subject), "{}", r.message);
            assert!(
                r.message.contains(&r.source) && r.message.contains(&r.target),
                "both homes named: {}",
                r.message
            );
            assert!(r.message.contains("studio/user/alice"), "{}", r.message);
        }
    }

    #[test]
    fn only_the_explicit_opt_in_copies_between_people_and_from_live_homes() {
        let alice = sso("alice@example.com");
        let s = source(SourceOrigin::Explicit, 200000, alice.clone());
        let t = target(200005, sso("m@example.com"));
        check(
            &s,
            &t,
            &[key("studio/user/bob")],
            Consent::AllowDifferentOwner,
        )
        .unwrap();
        // The target itself is not "another" live home; the same owner passes.
        check(
            &s,
            &target(200005, alice.clone()),
            &[key("studio/user/alice")],
            Consent::Declared,
        )
        .unwrap();
        // A home marked refused binds only the automatic path: a declared restore is a person's decision.
        check(
            &s,
            &Target {
                marked_refused: true,
                ..target(200005, alice)
            },
            &[],
            Consent::Declared,
        )
        .unwrap();
    }
}
