//! The mapping table and the history table: the one definition of their records, shared by the
//! provider, the Lambdas and the modules. ARCHITECTURE.md documents the schema.
//!
//! Every write to the mapping table is conditional on the `version` the writer read, so two
//! writers can never silently overwrite each other; the loser re-reads and decides again.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::Error;
use crate::home::{HomeDirectory, HomeKey, Uid};
use crate::owner::Owner;

pub type Item = HashMap<String, AttributeValue>;

/// `restore_status` of a mapping row: what the last automatic restore into the row's current
/// directory came to. The one list every writer draws from: the Lambdas and the provider use
/// these constants, and a test checks that the workflow's ASL writes nothing else.
pub mod restore_status {
    /// The workflow took the row's restore (its lease and slot) and is copying.
    pub const RUNNING: &str = "RUNNING";
    pub const SUCCEEDED: &str = "SUCCEEDED";
    pub const FAILED: &str = "FAILED";
    /// A safety rule refused the restore; the home stays refused for automatic restores until a
    /// person declares otherwise.
    pub const REFUSED: &str = "REFUSED";
    pub const ALL: &[&str] = &[RUNNING, SUCCEEDED, FAILED, REFUSED];
}

/// Attributes of the mapping row that other writers own, next to [`KNOWN_ATTRIBUTES`]: the
/// lease (`crate::lease`) and the workflow's failure detail. A row keeps them as they are.
pub const OTHER_WRITERS_ATTRIBUTES: &[&str] = &["lease_holder", "lease_expires_at", RESTORE_DETAIL];

/// Why the row's last restore attempt failed: written by the workflow (`RecordFailed`) and the
/// reconciler ([`crate::sweep::Sweeper::fail_run`]), removed when a restore succeeds.
pub const RESTORE_DETAIL: &str = "restore_detail";

/// The default table names, as the modules create them.
pub const DEFAULT_USER_TABLE: &str = "studioUser";
pub const DEFAULT_HISTORY_TABLE: &str = "studioUserHistory";

/// One row of the mapping table: what is known about one home.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingRecord {
    pub home: HomeKey,
    /// The current domain id, when the home has been seen.
    pub domain_id: Option<String>,
    /// Every domain id this home has had.
    pub domain_ids: BTreeSet<String>,
    /// Where the home directory is now; `None` while unknown (a declared target not yet created).
    pub directory: Option<HomeDirectory>,
    /// Who `directory` belongs to, recorded when the directory was first seen and never
    /// overwritten by a later observation (see [`crate::owner`]).
    pub owner: Option<Owner>,
    /// The IAM Identity Center user value of the profile that has `directory` now, where the
    /// domain uses SSO.
    pub sso_user: Option<String>,
    /// The profile's or space's `CreationTime` (RFC 3339): orders recreations.
    pub created_at: Option<String>,
    /// The directory the home had before its latest recreation: the automatic restore's source.
    pub previous: Option<PreviousDirectory>,
    /// Set by `studio_restore_target`: the source of the next restore into this home.
    pub restore_from: Option<RestoreSource>,
    /// Automatic restore on (the default) or off. Survives recreation of the profile.
    pub replication: bool,
    pub last_restore: Option<RestoreOutcome>,
    /// Optimistic lock; 0 for a record that is not in the table yet.
    pub version: u64,
    pub updated_at: Option<String>,
    /// Attributes this version of the code does not know (written by the restore workflow, or
    /// by a newer release): kept as they are, so that a write never drops them.
    pub other: Item,
}

/// The attributes [`MappingRecord`] reads and writes itself.
pub const KNOWN_ATTRIBUTES: &[&str] = &[
    "home",
    "kind",
    "name",
    "domain_name",
    "domain_id",
    "domain_ids",
    "file_system_id",
    "uid",
    "owner",
    "sso_user",
    "created_at",
    "previous_file_system_id",
    "previous_uid",
    "previous_domain_id",
    "previous_owner",
    "restore_from",
    "replication",
    "restore_status",
    "restore_execution",
    "restored_at",
    "files_transferred",
    "bytes_written",
    "duration_ms",
    "version",
    "updated_at",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousDirectory {
    pub directory: HomeDirectory,
    pub domain_id: Option<String>,
    /// Who the directory belonged to: the owner recorded with it, kept when it moved here.
    /// `None` only in rows written before owners were recorded, where nobody can tell.
    pub owner: Option<Owner>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSource {
    pub home: HomeKey,
    pub directory: HomeDirectory,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreOutcome {
    pub status: String,
    pub execution: Option<String>,
    pub restored_at: Option<String>,
    pub files_transferred: Option<i64>,
    pub bytes_written: Option<i64>,
    pub duration_ms: Option<i64>,
}

impl MappingRecord {
    /// A record for a home that is not in the table yet.
    pub fn new(home: HomeKey) -> MappingRecord {
        MappingRecord {
            home,
            domain_id: None,
            domain_ids: BTreeSet::new(),
            directory: None,
            owner: None,
            sso_user: None,
            created_at: None,
            previous: None,
            restore_from: None,
            replication: true,
            last_restore: None,
            version: 0,
            updated_at: None,
            other: Item::new(),
        }
    }

    /// Who the current directory belongs to: the recorded owner, else (a row written before
    /// owners were recorded) the owner the row implies.
    pub fn current_owner(&self) -> Option<Owner> {
        self.owner
            .clone()
            .or_else(|| Owner::implied_by_row(&self.home, self.sso_user.as_deref()))
    }

    /// Whether an automatic restore into this home was refused: the home stays refused for
    /// automatic restores until a human declares otherwise (a `studio_restore_target`, whose
    /// successful restore replaces the mark).
    pub fn is_marked_refused(&self) -> bool {
        self.last_restore
            .as_ref()
            .is_some_and(|r| r.status == restore_status::REFUSED)
    }

    pub fn to_item(&self) -> Item {
        let mut item = self.other.clone();
        put_s(&mut item, "home", self.home.to_string());
        put_s(&mut item, "kind", self.home.kind.as_str());
        put_s(&mut item, "name", &self.home.name);
        put_s(&mut item, "domain_name", &self.home.domain_name);
        opt_s(&mut item, "domain_id", self.domain_id.as_deref());
        if !self.domain_ids.is_empty() {
            item.insert(
                "domain_ids".into(),
                AttributeValue::Ss(self.domain_ids.iter().cloned().collect()),
            );
        }
        if let Some(dir) = &self.directory {
            put_s(&mut item, "file_system_id", &dir.file_system_id);
            put_n(&mut item, "uid", dir.uid.get());
        }
        opt_s(
            &mut item,
            "owner",
            self.owner.as_ref().map(Owner::encode).as_deref(),
        );
        opt_s(&mut item, "sso_user", self.sso_user.as_deref());
        opt_s(&mut item, "created_at", self.created_at.as_deref());
        if let Some(prev) = &self.previous {
            put_s(
                &mut item,
                "previous_file_system_id",
                &prev.directory.file_system_id,
            );
            put_n(&mut item, "previous_uid", prev.directory.uid.get());
            opt_s(&mut item, "previous_domain_id", prev.domain_id.as_deref());
            opt_s(
                &mut item,
                "previous_owner",
                prev.owner.as_ref().map(Owner::encode).as_deref(),
            );
        }
        if let Some(from) = &self.restore_from {
            let mut m = Item::new();
            put_s(&mut m, "home", from.home.to_string());
            put_s(&mut m, "file_system_id", &from.directory.file_system_id);
            put_n(&mut m, "uid", from.directory.uid.get());
            item.insert("restore_from".into(), AttributeValue::M(m));
        }
        item.insert("replication".into(), AttributeValue::Bool(self.replication));
        if let Some(r) = &self.last_restore {
            put_s(&mut item, "restore_status", &r.status);
            opt_s(&mut item, "restore_execution", r.execution.as_deref());
            opt_s(&mut item, "restored_at", r.restored_at.as_deref());
            opt_n(&mut item, "files_transferred", r.files_transferred);
            opt_n(&mut item, "bytes_written", r.bytes_written);
            opt_n(&mut item, "duration_ms", r.duration_ms);
        }
        put_n(&mut item, "version", self.version);
        opt_s(&mut item, "updated_at", self.updated_at.as_deref());
        item
    }

    pub fn from_item(item: &Item) -> Result<MappingRecord, Error> {
        let home: HomeKey = req_s(item, "home")?.parse()?;
        let directory = match (get_s(item, "file_system_id"), get_n(item, "uid")?) {
            (Some(fs), Some(uid)) => Some(HomeDirectory::new(fs, Uid::new(uid)?)?),
            _ => None,
        };
        let previous = match (
            get_s(item, "previous_file_system_id"),
            get_n(item, "previous_uid")?,
        ) {
            (Some(fs), Some(uid)) => Some(PreviousDirectory {
                directory: HomeDirectory::new(fs, Uid::new(uid)?)?,
                domain_id: get_s(item, "previous_domain_id").map(str::to_owned),
                owner: get_s(item, "previous_owner").map(str::parse).transpose()?,
            }),
            _ => None,
        };
        let restore_from = match item.get("restore_from") {
            Some(AttributeValue::M(m)) => Some(RestoreSource {
                home: req_s(m, "home")?.parse()?,
                directory: HomeDirectory::new(
                    req_s(m, "file_system_id")?,
                    Uid::new(get_n(m, "uid")?.ok_or_else(|| missing("restore_from.uid"))?)?,
                )?,
            }),
            _ => None,
        };
        let last_restore = get_s(item, "restore_status").map(|status| RestoreOutcome {
            status: status.to_owned(),
            execution: get_s(item, "restore_execution").map(str::to_owned),
            restored_at: get_s(item, "restored_at").map(str::to_owned),
            files_transferred: get_n(item, "files_transferred").ok().flatten(),
            bytes_written: get_n(item, "bytes_written").ok().flatten(),
            duration_ms: get_n(item, "duration_ms").ok().flatten(),
        });
        Ok(MappingRecord {
            home,
            domain_id: get_s(item, "domain_id").map(str::to_owned),
            domain_ids: match item.get("domain_ids") {
                Some(AttributeValue::Ss(ids)) => ids.iter().cloned().collect(),
                _ => BTreeSet::new(),
            },
            directory,
            owner: get_s(item, "owner").map(str::parse).transpose()?,
            sso_user: get_s(item, "sso_user").map(str::to_owned),
            created_at: get_s(item, "created_at").map(str::to_owned),
            previous,
            restore_from,
            replication: !matches!(item.get("replication"), Some(AttributeValue::Bool(false))),
            last_restore,
            version: get_n(item, "version")?.unwrap_or(0).max(0) as u64,
            updated_at: get_s(item, "updated_at").map(str::to_owned),
            other: item
                .iter()
                .filter(|(k, _)| !KNOWN_ATTRIBUTES.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }
}

/// What SageMaker says about a home right now (from an event, a describe call or the reconciler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub domain_id: String,
    pub directory: HomeDirectory,
    /// Who the directory belongs to now (see [`crate::owner`]).
    pub owner: Option<Owner>,
    pub sso_user: Option<String>,
    pub created_at: Option<String>,
}

/// What [`MappingTable::observe`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// The home was new to the table.
    Inserted(MappingRecord),
    /// The home was already recorded with this directory (a redelivered event): nothing written.
    Unchanged(MappingRecord),
    /// The home was recreated: the old directory moved to `previous`.
    Recreated(MappingRecord),
    /// A declared target (`restore_from`) appeared for the first time.
    TargetAppeared(MappingRecord),
    /// The observation is older than what the table holds (a late event): nothing written.
    Stale(MappingRecord),
}

/// The mapping table.
#[derive(Debug, Clone)]
pub struct MappingTable {
    client: Client,
    name: String,
}

impl MappingTable {
    pub fn new(client: Client, name: impl Into<String>) -> MappingTable {
        MappingTable {
            client,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn get(&self, home: &HomeKey) -> Result<Option<MappingRecord>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("home", AttributeValue::S(home.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| Error::aws(format!("reading {home} from table {}", self.name), &e))?;
        out.item().map(MappingRecord::from_item).transpose()
    }

    /// Writes `record` if the table still holds the version it was read at (or nothing, for
    /// version 0). Returns the record as written, with its new version.
    pub async fn put(&self, record: &MappingRecord) -> Result<MappingRecord, Error> {
        let mut written = record.clone();
        written.version = record.version + 1;
        written.updated_at = Some(now_rfc3339());
        let mut req = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(written.to_item()));
        req = if record.version == 0 {
            req.condition_expression("attribute_not_exists(home)")
        } else {
            req.condition_expression("#v = :v")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", AttributeValue::N(record.version.to_string()))
        };
        match req.send().await {
            Ok(_) => Ok(written),
            Err(e) if is_condition_failure(&e) => Err(Error::Conflict(format!(
                "{} changed in table {} while it was being written (expected version {}); read it again",
                record.home, self.name, record.version
            ))),
            Err(e) => Err(Error::aws(
                format!("writing {} to table {}", record.home, self.name),
                &e,
            )),
        }
    }

    /// Deletes the row of `home` if it still holds `version`.
    pub async fn delete(&self, home: &HomeKey, version: u64) -> Result<(), Error> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.name)
            .key("home", AttributeValue::S(home.to_string()))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(Error::Conflict(format!(
                "{home} changed in table {} before it could be deleted; read it again",
                self.name
            ))),
            Err(e) => Err(Error::aws(
                format!("deleting {home} from table {}", self.name),
                &e,
            )),
        }
    }

    /// Every record in the table.
    pub async fn scan(&self) -> Result<Vec<MappingRecord>, Error> {
        let mut records = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.name)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| Error::aws(format!("scanning table {}", self.name), &e))?;
            for item in out.items() {
                records.push(MappingRecord::from_item(item)?);
            }
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(records),
            }
        }
    }

    /// Marks the row of `record`'s home refused (its `restore_status`), with the refused
    /// execution's name, as long as the home still has the directory the decision was about.
    /// Keeps everything else of the row.
    pub async fn mark_refused(
        &self,
        record: &MappingRecord,
        execution_name: &str,
    ) -> Result<(), Error> {
        for _ in 0..5 {
            let Some(mut current) = self.get(&record.home).await? else {
                return Ok(());
            };
            if current.directory != record.directory {
                return Ok(()); // Recreated again meanwhile: that change gets its own decision.
            }
            current.last_restore = Some(RestoreOutcome {
                status: restore_status::REFUSED.into(),
                execution: Some(execution_name.to_owned()),
                restored_at: Some(now_rfc3339()),
                files_transferred: None,
                bytes_written: None,
                duration_ms: None,
            });
            match self.put(&current).await {
                Ok(_) => return Ok(()),
                Err(Error::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Conflict(format!(
            "{} kept changing in table {} while its refused restore was being recorded",
            record.home, self.name
        )))
    }

    /// Records what SageMaker reports about `home`, idempotently and safely against concurrent
    /// writers: a redelivered observation changes nothing, a late one (older `created_at`) is
    /// ignored, and a new directory moves the old one to `previous`.
    pub async fn observe(&self, home: &HomeKey, seen: &Observation) -> Result<Observed, Error> {
        for _ in 0..5 {
            let current = self.get(home).await?;
            match decide(current, home, seen) {
                (Decision::Keep(outcome), record) => return Ok(outcome(record)),
                (Decision::Write(outcome), record) => match self.put(&record).await {
                    Ok(written) => return Ok(outcome(written)),
                    Err(Error::Conflict(_)) => continue,
                    Err(e) => return Err(e),
                },
            }
        }
        Err(Error::Conflict(format!(
            "{home} kept changing in table {} while recording it; giving up after 5 attempts",
            self.name
        )))
    }
}

enum Decision {
    Keep(fn(MappingRecord) -> Observed),
    Write(fn(MappingRecord) -> Observed),
}

fn decide(
    current: Option<MappingRecord>,
    home: &HomeKey,
    seen: &Observation,
) -> (Decision, MappingRecord) {
    let Some(mut record) = current else {
        let mut record = MappingRecord::new(home.clone());
        apply(&mut record, seen);
        return (Decision::Write(Observed::Inserted), record);
    };
    if record.directory.as_ref() == Some(&seen.directory) {
        // Same directory: a redelivered event. Only fill in what was missing.
        let before = record.clone();
        record.domain_ids.insert(seen.domain_id.clone());
        // A directory's owner is what was recorded with it; only a row without one learns it.
        if record.owner.is_none() {
            record.owner = seen.owner.clone();
        }
        if record.sso_user.is_none() {
            record.sso_user = seen.sso_user.clone();
        }
        if record.created_at.is_none() {
            record.created_at = seen.created_at.clone();
        }
        if record.domain_id.is_none() {
            record.domain_id = Some(seen.domain_id.clone());
        }
        return if record == before {
            (Decision::Keep(Observed::Unchanged), record)
        } else {
            (Decision::Write(Observed::Unchanged), record)
        };
    }
    if let (Some(held), Some(new)) = (record.created_at.as_deref(), seen.created_at.as_deref()) {
        if new < held {
            return (Decision::Keep(Observed::Stale), record);
        }
    }
    match record.directory.take() {
        None => {
            apply(&mut record, seen);
            (Decision::Write(Observed::TargetAppeared), record)
        }
        Some(old) => {
            // The old directory keeps the owner recorded with it: the restore compares it with
            // the new profile's, however often the home is recreated.
            let owner = record
                .owner
                .take()
                .or_else(|| Owner::implied_by_row(&record.home, record.sso_user.as_deref()));
            record.previous = Some(PreviousDirectory {
                directory: old,
                domain_id: record.domain_id.clone(),
                owner,
            });
            apply(&mut record, seen);
            (Decision::Write(Observed::Recreated), record)
        }
    }
}

fn apply(record: &mut MappingRecord, seen: &Observation) {
    record.domain_id = Some(seen.domain_id.clone());
    record.domain_ids.insert(seen.domain_id.clone());
    record.directory = Some(seen.directory.clone());
    // The new directory's owner and SSO user are the new profile's. The old directory's owner
    // moved to `previous` with it (see `decide`): nothing of it is overwritten here.
    record.owner = seen.owner.clone();
    record.sso_user = seen.sso_user.clone();
    record.created_at = seen.created_at.clone();
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryEntry {
    pub home: String,
    /// Epoch milliseconds.
    pub at: i64,
    pub event: String,
    pub domain_id: Option<String>,
    pub file_system_id: Option<String>,
    pub uid: Option<i64>,
    pub source_file_system_id: Option<String>,
    pub source_uid: Option<i64>,
    /// The source's home key, when it is known.
    pub source_home: Option<String>,
    pub source_domain_id: Option<String>,
    /// The declared restore (JSON) that ran, so that `terraform import` can rebuild it.
    pub request: Option<String>,
    pub status: Option<String>,
    pub execution: Option<String>,
    pub files_transferred: Option<i64>,
    pub bytes_written: Option<i64>,
    pub detail: Option<String>,
}

impl HistoryEntry {
    pub fn new(home: &HomeKey, event: &str) -> HistoryEntry {
        HistoryEntry {
            home: home.to_string(),
            at: now_millis(),
            event: event.to_owned(),
            ..HistoryEntry::default()
        }
    }

    pub fn to_item(&self) -> Item {
        let mut item = Item::new();
        put_s(&mut item, "home", &self.home);
        put_n(&mut item, "at", self.at);
        put_s(&mut item, "event", &self.event);
        opt_s(&mut item, "domain_id", self.domain_id.as_deref());
        opt_s(&mut item, "file_system_id", self.file_system_id.as_deref());
        opt_n(&mut item, "uid", self.uid);
        opt_s(
            &mut item,
            "source_file_system_id",
            self.source_file_system_id.as_deref(),
        );
        opt_n(&mut item, "source_uid", self.source_uid);
        opt_s(&mut item, "source_home", self.source_home.as_deref());
        opt_s(
            &mut item,
            "source_domain_id",
            self.source_domain_id.as_deref(),
        );
        opt_s(&mut item, "request", self.request.as_deref());
        opt_s(&mut item, "status", self.status.as_deref());
        opt_s(&mut item, "execution", self.execution.as_deref());
        opt_n(&mut item, "files_transferred", self.files_transferred);
        opt_n(&mut item, "bytes_written", self.bytes_written);
        opt_s(&mut item, "detail", self.detail.as_deref());
        item
    }

    pub fn from_item(item: &Item) -> Result<HistoryEntry, Error> {
        Ok(HistoryEntry {
            home: req_s(item, "home")?.to_owned(),
            at: get_n(item, "at")?.ok_or_else(|| missing("at"))?,
            event: req_s(item, "event")?.to_owned(),
            domain_id: get_s(item, "domain_id").map(str::to_owned),
            file_system_id: get_s(item, "file_system_id").map(str::to_owned),
            uid: get_n(item, "uid")?,
            source_file_system_id: get_s(item, "source_file_system_id").map(str::to_owned),
            source_uid: get_n(item, "source_uid")?,
            source_home: get_s(item, "source_home").map(str::to_owned),
            source_domain_id: get_s(item, "source_domain_id").map(str::to_owned),
            request: get_s(item, "request").map(str::to_owned),
            status: get_s(item, "status").map(str::to_owned),
            execution: get_s(item, "execution").map(str::to_owned),
            files_transferred: get_n(item, "files_transferred")?,
            bytes_written: get_n(item, "bytes_written")?,
            detail: get_s(item, "detail").map(str::to_owned),
        })
    }
}

/// The append-only history table.
#[derive(Debug, Clone)]
pub struct HistoryTable {
    client: Client,
    name: String,
}

impl HistoryTable {
    pub fn new(client: Client, name: impl Into<String>) -> HistoryTable {
        HistoryTable {
            client,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Appends `entry`; two entries in the same millisecond get consecutive `at` values.
    pub async fn append(&self, entry: &HistoryEntry) -> Result<HistoryEntry, Error> {
        let mut entry = entry.clone();
        for _ in 0..20 {
            let res = self
                .client
                .put_item()
                .table_name(&self.name)
                .set_item(Some(entry.to_item()))
                .condition_expression("attribute_not_exists(#at)")
                .expression_attribute_names("#at", "at")
                .send()
                .await;
            match res {
                Ok(_) => return Ok(entry),
                Err(e) if is_condition_failure(&e) => entry.at += 1,
                Err(e) => {
                    return Err(Error::aws(
                        format!(
                            "appending a {} entry for {} to table {}",
                            entry.event, entry.home, self.name
                        ),
                        &e,
                    ));
                }
            }
        }
        Err(Error::Conflict(format!(
            "could not find a free timestamp for a history entry of {} in table {}",
            entry.home, self.name
        )))
    }

    /// The entries of one home, newest first, at most `limit` of them.
    pub async fn list(
        &self,
        home: &HomeKey,
        limit: Option<usize>,
    ) -> Result<Vec<HistoryEntry>, Error> {
        let mut entries = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.name)
                .key_condition_expression("home = :h")
                .expression_attribute_values(":h", AttributeValue::S(home.to_string()))
                .scan_index_forward(false)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| {
                    Error::aws(
                        format!("reading the history of {home} from table {}", self.name),
                        &e,
                    )
                })?;
            for item in out.items() {
                entries.push(HistoryEntry::from_item(item)?);
                if limit.is_some_and(|l| entries.len() >= l) {
                    return Ok(entries);
                }
            }
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(entries),
            }
        }
    }
}

fn is_condition_failure<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|c| c == "ConditionalCheckFailedException")
}

pub fn now_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("the current time formats as RFC 3339")
}

fn put_s(item: &mut Item, key: &str, value: impl Into<String>) {
    item.insert(key.into(), AttributeValue::S(value.into()));
}

fn opt_s(item: &mut Item, key: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        put_s(item, key, v);
    }
}

fn put_n(item: &mut Item, key: &str, value: impl ToString) {
    item.insert(key.into(), AttributeValue::N(value.to_string()));
}

fn opt_n(item: &mut Item, key: &str, value: Option<i64>) {
    if let Some(v) = value {
        put_n(item, key, v);
    }
}

fn get_s<'a>(item: &'a Item, key: &str) -> Option<&'a str> {
    match item.get(key) {
        Some(AttributeValue::S(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

fn req_s<'a>(item: &'a Item, key: &str) -> Result<&'a str, Error> {
    get_s(item, key).ok_or_else(|| missing(key))
}

fn get_n(item: &Item, key: &str) -> Result<Option<i64>, Error> {
    match item.get(key) {
        Some(AttributeValue::N(n)) => n.parse().map(Some).map_err(|_| {
            Error::Invalid(format!("attribute {key} holds {n:?}, not a whole number"))
        }),
        Some(AttributeValue::S(s)) if !s.is_empty() => s.parse().map(Some).map_err(|_| {
            Error::Invalid(format!("attribute {key} holds {s:?}, not a whole number"))
        }),
        _ => Ok(None),
    }
}

fn missing(key: &str) -> Error {
    Error::Invalid(format!("a record has no {key} attribute"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::HomeKind;

    fn home() -> HomeKey {
        HomeKey::new("studio", HomeKind::User, "alice").unwrap()
    }

    fn seen(uid: i64, created: &str) -> Observation {
        Observation {
            domain_id: "d-abc".into(),
            directory: HomeDirectory::new("fs-0123456789abcdef0", Uid::new(uid).unwrap()).unwrap(),
            owner: Some(Owner::Profile("alice".into())),
            sso_user: None,
            created_at: Some(created.into()),
        }
    }

    #[test]
    fn records_round_trip_through_items() {
        let mut r = MappingRecord::new(home());
        r.domain_id = Some("d-abc".into());
        r.domain_ids.insert("d-abc".into());
        r.directory =
            Some(HomeDirectory::new("fs-0123456789abcdef0", Uid::new(200005).unwrap()).unwrap());
        r.previous = Some(PreviousDirectory {
            directory: HomeDirectory::new("fs-0123456789abcdef0", Uid::new(200000).unwrap())
                .unwrap(),
            domain_id: Some("d-old".into()),
            owner: Some(Owner::SsoUser("alice@example.com".into())),
        });
        r.owner = Some(Owner::SsoUser("alice@example.com".into()));
        r.restore_from = Some(RestoreSource {
            home: "old/space/team".parse().unwrap(),
            directory: HomeDirectory::new("fs-00000000", Uid::new(200010).unwrap()).unwrap(),
        });
        r.replication = false;
        r.version = 4;
        r.other.insert(
            "restore_detail".into(),
            AttributeValue::S("written by the workflow".into()),
        );
        r.last_restore = Some(RestoreOutcome {
            status: "SUCCESS".into(),
            execution: Some("arn:x".into()),
            restored_at: None,
            files_transferred: Some(3),
            bytes_written: Some(10),
            duration_ms: None,
        });
        assert_eq!(MappingRecord::from_item(&r.to_item()).unwrap(), r);
    }

    #[test]
    fn an_empty_uid_is_never_read_as_a_directory() {
        let mut item = MappingRecord::new(home()).to_item();
        item.insert(
            "file_system_id".into(),
            AttributeValue::S("fs-0123456789abcdef0".into()),
        );
        item.insert("uid".into(), AttributeValue::S(String::new()));
        assert_eq!(MappingRecord::from_item(&item).unwrap().directory, None);
        item.insert("uid".into(), AttributeValue::N("0".into()));
        assert!(MappingRecord::from_item(&item).is_err());
    }

    #[test]
    fn observing_decides_insert_redelivery_recreation_and_staleness() {
        let (d, r) = decide(None, &home(), &seen(200000, "2026-01-01T00:00:00Z"));
        assert!(matches!(d, Decision::Write(_)));
        let mut r = r;
        r.version = 1;
        let (d, _) = decide(
            Some(r.clone()),
            &home(),
            &seen(200000, "2026-01-01T00:00:00Z"),
        );
        assert!(
            matches!(d, Decision::Keep(_)),
            "a redelivered event writes nothing"
        );
        let (d, _) = decide(
            Some(r.clone()),
            &home(),
            &seen(200005, "2025-12-01T00:00:00Z"),
        );
        assert!(
            matches!(d, Decision::Keep(_)),
            "a late event never rolls the mapping back"
        );
        let (d, next) = decide(
            Some(r.clone()),
            &home(),
            &seen(200005, "2026-02-01T00:00:00Z"),
        );
        assert!(matches!(d, Decision::Write(_)));
        assert_eq!(next.previous.unwrap().directory.uid.get(), 200000);
        assert_eq!(next.directory.unwrap().uid.get(), 200005);
    }

    fn seen_by(uid: i64, created: &str, sso_user: &str) -> Observation {
        Observation {
            owner: Some(Owner::SsoUser(sso_user.into())),
            sso_user: Some(sso_user.into()),
            ..seen(uid, created)
        }
    }

    /// Observes `seen` on top of `current` as the table would, and returns the written row.
    fn observed(current: Option<MappingRecord>, seen: &Observation) -> MappingRecord {
        let (_, mut record) = decide(current, &home(), seen);
        record.version += 1;
        // Through the table's own encoding, as every reader gets it.
        MappingRecord::from_item(&record.to_item()).unwrap()
    }

    #[test]
    fn every_directory_keeps_the_owner_recorded_with_it() {
        let alice = Owner::SsoUser("alice@example.com".into());
        let mallory = Owner::SsoUser("mallory@example.com".into());
        let first = observed(
            None,
            &seen_by(200000, "2026-01-01T00:00:00Z", "alice@example.com"),
        );
        assert_eq!(first.owner.as_ref(), Some(&alice));

        // A redelivered event that claims another owner for the same directory changes nothing.
        let again = observed(
            Some(first.clone()),
            &seen_by(200000, "2026-01-01T00:00:00Z", "mallory@example.com"),
        );
        assert_eq!(again.owner.as_ref(), Some(&alice));

        // Recreated for mallory: alice's directory keeps alice as its owner.
        let second = observed(
            Some(first),
            &seen_by(200005, "2026-02-01T00:00:00Z", "mallory@example.com"),
        );
        assert_eq!(second.owner.as_ref(), Some(&mallory));
        assert_eq!(second.sso_user.as_deref(), Some("mallory@example.com"));
        let previous = second.previous.clone().unwrap();
        assert_eq!(previous.directory.uid.get(), 200000);
        assert_eq!(previous.owner.as_ref(), Some(&alice));

        // Recreated again for mallory: the previous directory is mallory's, recorded as hers.
        let third = observed(
            Some(second),
            &seen_by(200010, "2026-03-01T00:00:00Z", "mallory@example.com"),
        );
        let previous = third.previous.unwrap();
        assert_eq!(previous.directory.uid.get(), 200005);
        assert_eq!(previous.owner.as_ref(), Some(&mallory));
    }

    #[test]
    fn a_row_from_before_owners_were_recorded_implies_only_what_it_can() {
        let mut legacy = MappingRecord::new(home());
        legacy.directory =
            Some(HomeDirectory::new("fs-0123456789abcdef0", Uid::new(200000).unwrap()).unwrap());
        legacy.domain_id = Some("d-abc".into());
        legacy.sso_user = Some("alice@example.com".into());
        legacy.version = 3;
        let next = observed(
            Some(legacy),
            &seen_by(200005, "2026-02-01T00:00:00Z", "mallory@example.com"),
        );
        assert_eq!(
            next.previous.unwrap().owner,
            Some(Owner::SsoUser("alice@example.com".into()))
        );
        let mut space = MappingRecord::new("studio/space/team".parse().unwrap());
        space.directory =
            Some(HomeDirectory::new("fs-0123456789abcdef0", Uid::new(200000).unwrap()).unwrap());
        assert_eq!(
            space.current_owner(),
            None,
            "a space's owner is never guessed"
        );
    }
}
