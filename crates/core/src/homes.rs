//! The homes the mapping table knows, joined with what SageMaker says about them now, and the
//! two declarative settings a home's row carries: where its next restore comes from
//! (`restore_from`, the `studio_restore_target` resource) and whether it is restored
//! automatically at all (`replication`, the `studio_replication` resource).
//!
//! Both settings are conditional read-modify-writes of the row through [`MappingTable::put`],
//! retried when another writer (the event processor, the restore workflow) got there first, and
//! each change appends a history entry.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::Error;
use crate::home::{HomeDirectory, HomeKey, HomeKind};
use crate::records::{HistoryEntry, HistoryTable, MappingRecord, MappingTable, RestoreSource};
use crate::resolve::{Domain, Home, Studio};

/// How often a setting is re-read and written again when a concurrent writer changed the row.
const WRITE_ATTEMPTS: usize = 5;

/// Whether SageMaker has the user profile or space of a recorded home right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    /// The profile or space exists, with a home directory.
    Attached,
    /// Neither the profile or space nor a home directory of it exists in any domain of that
    /// name: its files are orphaned.
    Detached,
}

/// One row of the mapping table and what SageMaker says about the same home now.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedHome {
    pub record: MappingRecord,
    /// The profile or space as SageMaker describes it now; `None` when it (or its domain) does
    /// not exist.
    pub current: Option<Home>,
}

impl TrackedHome {
    pub fn attachment(&self) -> Attachment {
        match &self.current {
            Some(home) if home.directory.is_some() => Attachment::Attached,
            _ => Attachment::Detached,
        }
    }

    pub fn is_attached(&self) -> bool {
        self.attachment() == Attachment::Attached
    }

    /// Where the home directory is: SageMaker's current one when the home is attached, else
    /// the last one the table recorded (where the orphaned files are).
    pub fn directory(&self) -> Option<&HomeDirectory> {
        self.current
            .as_ref()
            .and_then(|h| h.directory.as_ref())
            .or(self.record.directory.as_ref())
    }

    /// The domain id SageMaker reports now, else the one the table recorded.
    pub fn domain_id(&self) -> Option<&str> {
        self.current
            .as_ref()
            .map(|h| h.domain_id.as_str())
            .or(self.record.domain_id.as_deref())
    }
}

/// Which rows [`tracked_homes`] returns. `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HomeFilter {
    pub domain_name: Option<String>,
    pub kind: Option<HomeKind>,
    pub attachment: Option<Attachment>,
}

/// Every home of the mapping table that passes `filter`, joined with SageMaker's current view,
/// ordered by home key. Domains are matched by name, as homes are: a recreated domain (new id,
/// same name) holds the same homes.
pub async fn tracked_homes(
    mapping: &MappingTable,
    studio: &Studio,
    filter: &HomeFilter,
) -> Result<Vec<TrackedHome>, Error> {
    let mut records: Vec<MappingRecord> = mapping
        .scan()
        .await?
        .into_iter()
        .filter(|r| {
            filter
                .domain_name
                .as_deref()
                .is_none_or(|d| r.home.domain_name == d)
                && filter.kind.is_none_or(|k| r.home.kind == k)
        })
        .collect();
    records.sort_by(|a, b| a.home.cmp(&b.home));
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let domains = Arc::new(domains_by_name(studio).await?);
    // Each home is one describe call: a few at a time, in the table's order.
    let permits = Arc::new(Semaphore::new(CONCURRENT_DESCRIBES));
    let mut lookups = JoinSet::new();
    for (index, record) in records.iter().enumerate() {
        let (studio, domains, permits) =
            (studio.clone(), Arc::clone(&domains), Arc::clone(&permits));
        let key = record.home.clone();
        lookups.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (index, current_home(&studio, &domains, &key).await)
        });
    }
    let mut current: Vec<Option<Home>> = vec![None; records.len()];
    while let Some(joined) = lookups.join_next().await {
        let (index, home) = joined.map_err(|e| {
            Error::Invalid(format!(
                "looking up a home in SageMaker stopped unexpectedly: {e}"
            ))
        })?;
        current[index] = home?;
    }
    Ok(records
        .into_iter()
        .zip(current)
        .map(|(record, current)| TrackedHome { record, current })
        .filter(|tracked| filter.attachment.is_none_or(|a| tracked.attachment() == a))
        .collect())
}

/// How many homes [`tracked_homes`] describes at once.
const CONCURRENT_DESCRIBES: usize = 8;

/// The profile or space of `key` in any domain of its domain name. With two domains of one name
/// (the old one not yet deleted), the one that gives the home a directory wins.
async fn current_home(
    studio: &Studio,
    domains: &BTreeMap<String, Vec<Domain>>,
    key: &HomeKey,
) -> Result<Option<Home>, Error> {
    let mut current = None;
    for domain in domains.get(&key.domain_name).into_iter().flatten() {
        if let Some(home) = studio.home(domain, key.kind, &key.name).await? {
            let has_directory = home.directory.is_some();
            current = Some(home);
            if has_directory {
                break;
            }
        }
    }
    Ok(current)
}

/// Every domain of the account and region, by name.
async fn domains_by_name(studio: &Studio) -> Result<BTreeMap<String, Vec<Domain>>, Error> {
    let mut by_name: BTreeMap<String, Vec<Domain>> = BTreeMap::new();
    for id in studio.domain_ids().await? {
        match studio.domain(&id).await {
            Ok(domain) => by_name.entry(domain.name.clone()).or_default().push(domain),
            // Deleted between the listing and the describe call.
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(by_name)
}

/// Reads the row of `home` (or a new one), lets `change` edit it, and writes it back
/// conditionally, retrying on conflicts. `change` returns false when there is nothing to
/// write. A row left with nothing but its key and defaults is deleted rather than kept.
/// Returns the row as it is in the table afterwards (`None`: no row).
async fn update_row(
    mapping: &MappingTable,
    home: &HomeKey,
    mut change: impl FnMut(&mut MappingRecord) -> Result<bool, Error>,
) -> Result<Option<MappingRecord>, Error> {
    for _ in 0..WRITE_ATTEMPTS {
        let existing = mapping.get(home).await?;
        let exists = existing.is_some();
        let mut record = existing.unwrap_or_else(|| MappingRecord::new(home.clone()));
        if !change(&mut record)? {
            return Ok(exists.then_some(record));
        }
        let result = if is_bare(&record) {
            if !exists {
                return Ok(None);
            }
            mapping.delete(home, record.version).await.map(|()| None)
        } else {
            mapping.put(&record).await.map(Some)
        };
        match result {
            Ok(row) => return Ok(row),
            Err(Error::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict(format!(
        "{home} kept changing in table {} while it was being written; giving up after {WRITE_ATTEMPTS} attempts. Try again",
        mapping.name()
    )))
}

/// True when a row holds nothing but defaults: a row only a setting created, now unset.
fn is_bare(record: &MappingRecord) -> bool {
    let mut fresh = MappingRecord::new(record.home.clone());
    fresh.version = record.version;
    fresh.updated_at = record.updated_at.clone();
    *record == fresh
}

/// Records that the next restore into `target` comes from `source` (the row's `restore_from`),
/// creating the row when the target has not been seen yet. Refuses a source that is the target
/// itself. Appends a `target_set` history entry when the row changed.
pub async fn set_restore_target(
    mapping: &MappingTable,
    history: &HistoryTable,
    target: &HomeKey,
    source: &RestoreSource,
) -> Result<MappingRecord, Error> {
    if &source.home == target {
        return Err(Error::Refused(format!(
            "{target} cannot be restored from itself: name another profile or space as the source"
        )));
    }
    let row = update_row(mapping, target, |record| {
        if record.directory.as_ref() == Some(&source.directory) {
            return Err(Error::Refused(format!(
                "{target} already lives in {}, the directory of the source {}: a restore would copy the directory into itself",
                source.directory, source.home
            )));
        }
        if record.restore_from.as_ref() == Some(source) {
            return Ok(false);
        }
        record.restore_from = Some(source.clone());
        Ok(true)
    })
    .await?
    .expect("a row with restore_from is never bare");
    let mut entry = HistoryEntry::new(target, "target_set");
    entry.domain_id = row.domain_id.clone();
    entry.file_system_id = row.directory.as_ref().map(|d| d.file_system_id.clone());
    entry.uid = row.directory.as_ref().map(|d| i64::from(d.uid.get()));
    entry.source_file_system_id = Some(source.directory.file_system_id.clone());
    entry.source_uid = Some(i64::from(source.directory.uid.get()));
    entry.detail = Some(format!(
        "the next restore into {target} comes from {} ({})",
        source.home, source.directory
    ));
    history.append(&entry).await?;
    Ok(row)
}

/// Removes the restore intent of `target` (nothing else of its row; a row that only the intent
/// created is deleted). Appends a `target_set` history entry that says so when there was one.
pub async fn clear_restore_target(
    mapping: &MappingTable,
    history: &HistoryTable,
    target: &HomeKey,
) -> Result<(), Error> {
    let mut removed = None;
    update_row(mapping, target, |record| {
        removed = record.restore_from.take();
        Ok(removed.is_some())
    })
    .await?;
    if let Some(source) = removed {
        let mut entry = HistoryEntry::new(target, "target_set");
        entry.detail = Some(format!(
            "restore target removed: the next restore into {target} no longer comes from {} ({})",
            source.home, source.directory
        ));
        history.append(&entry).await?;
    }
    Ok(())
}

/// Turns automatic restore of `home` on or off (the row's `replication`). The flag stays when
/// the profile is recreated: the event processor never writes it. A row that only the flag
/// created is deleted again when the flag returns to its default (on). Appends a
/// `replication_set` history entry when the flag changed.
pub async fn set_replication(
    mapping: &MappingTable,
    history: &HistoryTable,
    home: &HomeKey,
    enabled: bool,
) -> Result<Option<MappingRecord>, Error> {
    let mut changed = false;
    let row = update_row(mapping, home, |record| {
        changed = record.replication != enabled;
        record.replication = enabled;
        Ok(changed)
    })
    .await?;
    if changed {
        let mut entry = HistoryEntry::new(home, "replication_set");
        if let Some(row) = &row {
            entry.domain_id = row.domain_id.clone();
            entry.file_system_id = row.directory.as_ref().map(|d| d.file_system_id.clone());
            entry.uid = row.directory.as_ref().map(|d| i64::from(d.uid.get()));
        }
        entry.status = Some(if enabled { "enabled" } else { "disabled" }.to_owned());
        entry.detail = Some(format!(
            "automatic restore of {home} turned {}",
            if enabled { "on" } else { "off" }
        ));
        history.append(&entry).await?;
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::Uid;
    use crate::records::PreviousDirectory;

    fn key(s: &str) -> HomeKey {
        s.parse().unwrap()
    }

    fn dir(uid: i64) -> HomeDirectory {
        HomeDirectory::new("fs-0123456789abcdef0", Uid::new(uid).unwrap()).unwrap()
    }

    fn home(directory: Option<HomeDirectory>) -> Home {
        Home {
            key: key("studio/user/alice"),
            domain_id: "d-new".into(),
            arn: "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-new/alice".into(),
            status: "InService".into(),
            directory,
            sso_user: None,
            owner: None,
            execution_role: None,
            created_at: None,
        }
    }

    #[test]
    fn a_home_is_attached_only_while_sagemaker_gives_it_a_directory() {
        let mut record = MappingRecord::new(key("studio/user/alice"));
        record.directory = Some(dir(200000));
        record.domain_id = Some("d-old".into());
        let gone = TrackedHome {
            record: record.clone(),
            current: None,
        };
        assert_eq!(gone.attachment(), Attachment::Detached);
        assert_eq!(
            gone.directory(),
            Some(&dir(200000)),
            "the orphaned directory"
        );
        assert_eq!(gone.domain_id(), Some("d-old"));

        let recreated = TrackedHome {
            record: record.clone(),
            current: Some(home(Some(dir(200005)))),
        };
        assert_eq!(recreated.attachment(), Attachment::Attached);
        assert_eq!(
            recreated.directory(),
            Some(&dir(200005)),
            "SageMaker's new uid"
        );
        assert_eq!(recreated.domain_id(), Some("d-new"));

        let without_uid = TrackedHome {
            record,
            current: Some(home(None)),
        };
        assert_eq!(without_uid.attachment(), Attachment::Detached);
    }

    #[test]
    fn only_default_rows_are_bare() {
        let mut record = MappingRecord::new(key("studio/user/alice"));
        record.version = 3;
        record.updated_at = Some("2026-01-01T00:00:00Z".into());
        assert!(is_bare(&record));
        for change in [
            |r: &mut MappingRecord| r.replication = false,
            |r: &mut MappingRecord| r.directory = Some(dir(200000)),
            |r: &mut MappingRecord| r.domain_id = Some("d-1".into()),
            |r: &mut MappingRecord| {
                r.previous = Some(PreviousDirectory {
                    directory: dir(200000),
                    domain_id: None,
                    owner: None,
                })
            },
            |r: &mut MappingRecord| {
                r.restore_from = Some(RestoreSource {
                    home: "studio/user/bob".parse().unwrap(),
                    directory: dir(200000),
                })
            },
        ] {
            let mut changed = record.clone();
            change(&mut changed);
            assert!(!is_bare(&changed), "{changed:?}");
        }
    }
}
