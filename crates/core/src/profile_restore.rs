//! One declared restore, end to end: resolve the source and the target, wait until the target's
//! home directory is ready, copy with DataSync (or through the deployed restore workflow), and
//! record the outcome. The provider's `studio_profile_restore` resource is a thin adapter over
//! this module.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::aws::Clients;
use crate::home::{HomeDirectory, HomeKey, HomeKind, Uid, check_file_system_id};
use crate::records::{HistoryEntry, HistoryTable, MappingRecord};
use crate::resolve::{Domain, Home, Studio};
use crate::restore::{
    DataSyncRestore, Network, RestoreExecution, RestoreFailure, RestorePlan, TransferOptions,
};
use crate::workflow::{Directory, RestoreOptions, RestoreRequest};

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

/// The source, with the optional explicit directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub home: HomeRef,
    pub file_system_id: Option<String>,
    pub uid: Option<Uid>,
}

/// How the copy runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// DataSync, driven from here.
    DataSync,
    /// The deployed restore workflow (`modules/restore-workflow`): start it and wait.
    StateMachine { arn: String },
}

/// When the target's home directory counts as ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// The profile or space is InService with a uid.
    Profile,
    /// Also one of its apps is InService (Studio Classic creates the directory with the first app).
    App,
}

/// Where the source directory was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceOrigin {
    Explicit,
    SageMaker,
    /// The directory the source had before it was recreated (mapping table `previous`).
    MappingPrevious,
    MappingTable,
}

/// The mapping and history tables, when the modules are deployed.
#[derive(Debug, Clone)]
pub struct Tables {
    pub mapping: Option<String>,
    pub history: Option<String>,
}

/// A resolved source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedSource {
    pub directory: HomeDirectory,
    pub origin: SourceOrigin,
    pub home: Option<HomeKey>,
    pub sso_user: Option<String>,
}

/// A resolved, ready target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTarget {
    pub domain: Domain,
    pub home: Home,
    pub directory: HomeDirectory,
}

/// Everything the resource records about a finished restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub source: HomeDirectory,
    pub target: HomeDirectory,
    pub execution: RestoreExecution,
    /// Non-fatal problems (history not written, leftover objects) for warnings.
    pub warnings: Vec<String>,
    /// The id every DataSync object of this restore was tagged with.
    pub restore_id: String,
}

/// A failed restore, with what is known of it.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub source: Option<HomeDirectory>,
    pub target: Option<HomeDirectory>,
    pub execution: Option<RestoreExecution>,
    pub warnings: Vec<String>,
    pub restore_id: Option<String>,
}

impl Failure {
    fn before_copy(error: Error) -> Failure {
        Failure {
            error,
            source: None,
            target: None,
            execution: None,
            warnings: Vec::new(),
            restore_id: None,
        }
    }
}

/// The restore of one declared profile or space.
pub struct ProfileRestore<'a> {
    pub clients: &'a Clients,
    pub tables: Tables,
    pub cancel: CancellationToken,
    /// The declaration that asked for the restore (JSON), recorded in the history.
    pub request: Option<String>,
    /// Copies ([`copy_key`]) the caller knows an interrupted attempt of: the provider remembers
    /// the failed object it destroyed just before creating its replacement.
    pub interrupted: Vec<String>,
}

impl<'a> ProfileRestore<'a> {
    fn studio(&self) -> Studio {
        Studio::new(self.clients.sagemaker.clone(), self.cancel.clone())
    }

    /// The target as SageMaker reports it now, or `None` if the profile or space is gone.
    /// An error if its domain is gone too.
    pub async fn current_target(&self, target: &HomeRef) -> Result<Option<(Domain, Home)>, Error> {
        let studio = self.studio();
        let domain = match studio.domain(&target.domain_id).await {
            Ok(d) => d,
            Err(Error::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(studio
            .home(&domain, target.kind, &target.name)
            .await?
            .map(|home| (domain, home)))
    }

    /// Finds the source directory: explicit attributes, else SageMaker, else the mapping table.
    /// When SageMaker reports the source's current directory and that is the target itself (the
    /// profile was recreated in place), the directory it had before, from the mapping table, is
    /// the source.
    pub async fn resolve_source(
        &self,
        source: &SourceSpec,
        target_dir: Option<&HomeDirectory>,
    ) -> Result<ResolvedSource, Error> {
        if let Some(fs) = &source.file_system_id {
            check_file_system_id(fs)?;
        }
        if let (Some(fs), Some(uid)) = (&source.file_system_id, source.uid) {
            return Ok(ResolvedSource {
                directory: HomeDirectory::new(fs, uid)?,
                origin: SourceOrigin::Explicit,
                home: None,
                sso_user: None,
            });
        }
        let studio = self.studio();
        let domain = match studio.domain(&source.home.domain_id).await {
            Ok(d) => Some(d),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        if let Some(domain) = &domain {
            if let Some(home) = studio
                .home(domain, source.home.kind, &source.home.name)
                .await?
            {
                if let Some(dir) = &home.directory {
                    let dir = HomeDirectory::new(
                        source
                            .file_system_id
                            .as_deref()
                            .unwrap_or(&dir.file_system_id),
                        source.uid.unwrap_or(dir.uid),
                    )?;
                    if Some(&dir) != target_dir {
                        return Ok(ResolvedSource {
                            directory: dir,
                            origin: SourceOrigin::SageMaker,
                            home: Some(home.key.clone()),
                            sso_user: home.sso_user.clone(),
                        });
                    }
                    // Recreated in place: the source is what the home had before.
                    let record = self.mapping_row(&home.key).await?;
                    return match record.and_then(|r| r.previous.map(|p| (p, r.sso_user))) {
                        Some((prev, sso_user)) => Ok(ResolvedSource {
                            directory: prev.directory,
                            origin: SourceOrigin::MappingPrevious,
                            home: Some(home.key.clone()),
                            sso_user,
                        }),
                        None => Err(Error::Refused(format!(
                            "the source {} resolves to the target's own home directory {dir}, and the mapping table records no earlier directory for it: set source.uid (and source.file_system_id) to the old directory",
                            source.home
                        ))),
                    };
                }
            }
        }
        // The domain or the profile is gone: the mapping table remembers where it was.
        let record = self.find_mapping_row(&source.home, domain.as_ref()).await?;
        match record {
            Some(r) => match r.directory.clone() {
                Some(dir) => Ok(ResolvedSource {
                    directory: HomeDirectory::new(
                        source
                            .file_system_id
                            .as_deref()
                            .unwrap_or(&dir.file_system_id),
                        source.uid.unwrap_or(dir.uid),
                    )?,
                    origin: SourceOrigin::MappingTable,
                    home: Some(r.home.clone()),
                    sso_user: r.sso_user.clone(),
                }),
                None => Err(Error::NotFound(format!(
                    "the mapping table knows the source {} but records no directory for it: set source.file_system_id and source.uid",
                    source.home
                ))),
            },
            None => Err(Error::NotFound(format!(
                "cannot find the source {}: {} and the mapping table{} has no row for it. Set source.file_system_id and source.uid to the old home directory",
                source.home,
                if domain.is_some() {
                    "it does not exist in SageMaker"
                } else {
                    "the domain no longer exists"
                },
                self.tables
                    .mapping
                    .as_deref()
                    .map(|t| format!(" {t}"))
                    .unwrap_or_default()
            ))),
        }
    }

    async fn mapping_row(&self, home: &HomeKey) -> Result<Option<MappingRecord>, Error> {
        let Some(table) = &self.tables.mapping else {
            return Ok(None);
        };
        let table = crate::records::MappingTable::new(self.clients.dynamodb.clone(), table);
        match table.get(home).await {
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            other => other,
        }
    }

    /// The mapping row of a home whose domain may be gone: by domain name if the domain exists,
    /// else by a row that recorded this domain id.
    async fn find_mapping_row(
        &self,
        home: &HomeRef,
        domain: Option<&Domain>,
    ) -> Result<Option<MappingRecord>, Error> {
        if let Some(domain) = domain {
            return self
                .mapping_row(&HomeKey::new(&domain.name, home.kind, &home.name)?)
                .await;
        }
        let Some(table) = &self.tables.mapping else {
            return Ok(None);
        };
        let mut start = None;
        loop {
            let out = self
                .clients
                .dynamodb
                .scan()
                .table_name(table)
                .filter_expression("contains(domain_ids, :d) AND kind = :k AND #n = :n")
                .expression_attribute_names("#n", "name")
                .expression_attribute_values(":d", AttributeValue::S(home.domain_id.clone()))
                .expression_attribute_values(":k", AttributeValue::S(home.kind.as_str().to_owned()))
                .expression_attribute_values(":n", AttributeValue::S(home.name.clone()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await;
            let out = match out {
                Ok(out) => out,
                Err(e) => {
                    let err = Error::aws(format!("looking up {home} in table {table}"), &e);
                    if err.code() == Some("ResourceNotFoundException") {
                        return Ok(None);
                    }
                    return Err(err);
                }
            };
            if let Some(item) = out.items().first() {
                return MappingRecord::from_item(item).map(Some);
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(None),
            }
        }
    }

    /// Waits until the target exists with a uid (and, with [`Readiness::App`], an app in
    /// service), until `deadline`.
    pub async fn wait_for_target(
        &self,
        target: &HomeRef,
        readiness: Readiness,
        deadline: Instant,
    ) -> Result<ResolvedTarget, Error> {
        let studio = self.studio();
        let domain = studio
            .domain(&target.domain_id)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound(format!(
                    "the target domain {} does not exist in this account and region",
                    target.domain_id
                )),
                e => e,
            })?;
        let mut wait = Duration::from_millis(500);
        let mut last;
        loop {
            match studio.home(&domain, target.kind, &target.name).await? {
                None => {
                    return Err(Error::NotFound(format!(
                        "the target {target} does not exist: create it first (restores only go into an existing profile or space)"
                    )));
                }
                Some(home) => {
                    let in_service = home.status == "InService";
                    match (&home.directory, in_service) {
                        (Some(dir), true) => {
                            let ready = match readiness {
                                Readiness::Profile => true,
                                Readiness::App => {
                                    studio
                                        .has_app_in_service(&domain.id, target.kind, &target.name)
                                        .await?
                                }
                            };
                            if ready {
                                let directory = dir.clone();
                                return Ok(ResolvedTarget {
                                    domain,
                                    home,
                                    directory,
                                });
                            }
                            last = "no app of it is InService yet".into();
                        }
                        (None, _) => {
                            last = "SageMaker has not assigned it a home directory uid yet".into()
                        }
                        (_, false) => last = format!("its status is {}", home.status),
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout(format!(
                    "the target {target} was not ready when the create timeout ran out: {last}"
                )));
            }
            tokio::select! {
                _ = tokio::time::sleep(wait.min(deadline - now)) => {}
                _ = self.cancel.cancelled() => return Err(Error::Cancelled(format!("while waiting for the target {target}"))),
            }
            wait = (wait * 2).min(Duration::from_secs(15));
        }
    }

    /// Runs the whole restore.
    #[allow(clippy::too_many_arguments)]
    pub async fn run(
        &self,
        source: &SourceSpec,
        target: &HomeRef,
        engine: &Engine,
        network: &NetworkSpec,
        options: TransferOptions,
        readiness: Readiness,
        deadline: Instant,
    ) -> Result<Outcome, Failure> {
        let resolved_target = self
            .wait_for_target(target, readiness, deadline)
            .await
            .map_err(Failure::before_copy)?;
        let target_dir = resolved_target.directory.clone();
        let resolved_source = self
            .resolve_source(source, Some(&target_dir))
            .await
            .map_err(|e| Failure {
                target: Some(target_dir.clone()),
                ..Failure::before_copy(e)
            })?;
        let source_dir = resolved_source.directory.clone();
        let fail = |error: Error| Failure {
            error,
            source: Some(source_dir.clone()),
            target: Some(target_dir.clone()),
            execution: None,
            warnings: Vec::new(),
            restore_id: None,
        };
        if let (Some(a), Some(b)) = (&resolved_source.sso_user, &resolved_target.home.sso_user) {
            if a != b {
                return Err(fail(Error::Refused(format!(
                    "the source belonged to IAM Identity Center user {a:?}, but the target {target} belongs to {b:?}: a home is only restored to the same person"
                ))));
            }
        }
        let restore_id = restore_id(&source_dir, &resolved_target);
        let target_key = resolved_target.home.key.clone();
        let mut warnings = Vec::new();
        // Before this attempt's own history row: is this a retry after an interrupted copy?
        let interrupted = self
            .earlier_interrupted_attempt(
                engine,
                &restore_id,
                &target_key,
                &source_dir,
                &target_dir,
                &mut warnings,
            )
            .await;
        let options = match &interrupted {
            Some(_) => options.after_interrupted_attempt(),
            None => options,
        };
        self.record(
            &target_key,
            "restore_started",
            &resolved_target,
            &source_dir,
            None,
            &mut warnings,
        )
        .await;

        let result = match engine {
            Engine::DataSync => {
                let network = network
                    .resolve(&resolved_target.domain, &self.clients.region, &target_dir)
                    .map_err(fail)?;
                let plan = RestorePlan::new(
                    &restore_id,
                    source_dir.clone(),
                    target_dir.clone(),
                    network,
                    options,
                )
                .map_err(fail)?;
                DataSyncRestore::new(self.clients, self.cancel.clone())
                    .run(&plan, deadline)
                    .await
                    .map(|mut exec| {
                        exec.after_interrupted_attempt = interrupted.clone();
                        exec
                    })
            }
            Engine::StateMachine { arn } => {
                let source_home = resolved_source
                    .home
                    .clone()
                    .unwrap_or_else(|| target_key.clone());
                let source_domain = source.home.domain_id.clone();
                let request = RestoreRequest::new(
                    &Directory {
                        home: &source_home,
                        domain_id: &source_domain,
                        directory: &source_dir,
                    },
                    &Directory {
                        home: &target_key,
                        domain_id: &resolved_target.domain.id,
                        directory: &target_dir,
                    },
                    RestoreOptions {
                        wait_for_app: readiness == Readiness::App,
                        requested_by: "provider".into(),
                        after_interrupted_attempt: interrupted.is_some(),
                        ..RestoreOptions::default()
                    },
                )
                .map_err(fail)?;
                crate::state_machine::run(self.clients, &self.cancel, arn, &request, deadline)
                    .await
                    .map(|mut exec| {
                        if exec.after_interrupted_attempt.is_none() {
                            exec.after_interrupted_attempt = interrupted.clone();
                        }
                        exec
                    })
            }
        };
        match result {
            Ok(execution) => {
                warnings.extend(
                    execution
                        .cleanup_failures
                        .iter()
                        .map(|f| format!("cleanup: {f}")),
                );
                if let Some(why) = &execution.after_interrupted_attempt {
                    warnings.push(format!(
                        "An earlier attempt of this restore into {target_dir} was interrupted ({why}) and may have left partially copied files. This attempt copied every file again and replaced whatever was at the same path in the target (DataSync OverwriteMode ALWAYS, TransferMode ALL, for this attempt only), so no partial file is kept; files at other paths were not touched."
                    ));
                }
                self.record(
                    &target_key,
                    "restore_succeeded",
                    &resolved_target,
                    &source_dir,
                    Some(&execution),
                    &mut warnings,
                )
                .await;
                Ok(Outcome {
                    source: source_dir,
                    target: target_dir,
                    execution,
                    warnings,
                    restore_id,
                })
            }
            Err(RestoreFailure {
                error,
                execution,
                cleanup_failures,
            }) => {
                warnings.extend(
                    cleanup_failures
                        .into_iter()
                        .map(|f| format!("cleanup: {f}")),
                );
                let exec = execution.clone().unwrap_or_default();
                let mut failed = exec.clone();
                failed.status = if failed.status.is_empty() {
                    "FAILED".into()
                } else {
                    failed.status
                };
                self.record(
                    &target_key,
                    "restore_failed",
                    &resolved_target,
                    &source_dir,
                    Some(&failed),
                    &mut warnings,
                )
                .await;
                Err(Failure {
                    error,
                    source: Some(source_dir),
                    target: Some(target_dir),
                    execution,
                    warnings,
                    restore_id: Some(restore_id),
                })
            }
        }
    }

    /// Whether an earlier attempt of this restore (same source directory, same incarnation of
    /// the target) may have left partially copied files: the caller saw it fail, its DataSync
    /// objects were left behind (the provider was killed mid-copy; they are deleted here), or
    /// the history records it started a copy that did not succeed. `None` when nothing says so.
    async fn earlier_interrupted_attempt(
        &self,
        engine: &Engine,
        restore_id: &str,
        target_key: &HomeKey,
        source: &HomeDirectory,
        target: &HomeDirectory,
        warnings: &mut Vec<String>,
    ) -> Option<String> {
        let mut why = None;
        let key = copy_key(source, target);
        if self.interrupted.contains(&key) {
            why = Some("the failed attempt this apply replaced".to_owned());
        }
        if *engine == Engine::DataSync {
            let file_systems = [
                source.file_system_id.as_str(),
                target.file_system_id.as_str(),
            ];
            match DataSyncRestore::new(self.clients, self.cancel.clone())
                .clean_up_leftovers(restore_id, &file_systems)
                .await
            {
                Ok(0) => {}
                Ok(n) => {
                    why.get_or_insert_with(|| {
                        format!("it left {n} DataSync or EFS objects behind, deleted now")
                    });
                }
                Err(e) => warnings.push(format!(
                    "cleanup: objects an earlier attempt of restore {restore_id} left behind could not all be removed: {e}"
                )),
            }
        }
        if why.is_none() {
            if let Some(table) = &self.tables.history {
                let history = HistoryTable::new(self.clients.dynamodb.clone(), table);
                match history.list(target_key, Some(HISTORY_LOOKBACK)).await {
                    Ok(entries) => why = interrupted_attempt(&entries, source, target),
                    // No history table: nothing recorded, nothing to learn.
                    Err(e) if e.code() == Some("ResourceNotFoundException") => {}
                    Err(e) => warnings.push(format!(
                        "the history of {target_key} could not be read to tell whether an earlier attempt was interrupted: {e}"
                    )),
                }
            }
        }
        why
    }

    /// Appends a history row; a missing history table is a warning, never a failed restore.
    async fn record(
        &self,
        home: &HomeKey,
        event: &str,
        target: &ResolvedTarget,
        source: &HomeDirectory,
        execution: Option<&RestoreExecution>,
        warnings: &mut Vec<String>,
    ) {
        let Some(table) = &self.tables.history else {
            return;
        };
        let mut entry = HistoryEntry::new(home, event);
        entry.domain_id = Some(target.domain.id.clone());
        entry.file_system_id = Some(target.directory.file_system_id.clone());
        entry.uid = Some(i64::from(target.directory.uid.get()));
        entry.source_file_system_id = Some(source.file_system_id.clone());
        entry.source_uid = Some(i64::from(source.uid.get()));
        entry.request = self.request.clone();
        if let Some(exec) = execution {
            entry.status = Some(exec.status.clone());
            entry.execution = Some(exec.execution_arn.clone()).filter(|a| !a.is_empty());
            entry.files_transferred = Some(exec.files_transferred);
            entry.bytes_written = Some(exec.bytes_written);
            entry.detail = exec.error.clone();
        }
        let history = HistoryTable::new(self.clients.dynamodb.clone(), table);
        if let Err(e) = history.append(&entry).await {
            warnings.push(format!("the restore was not recorded in the history: {e}"));
        }
    }

    /// The latest successful restore into `target` from the history table (for import).
    pub async fn latest_restore(&self, target: &HomeRef) -> Result<Option<HistoryEntry>, Error> {
        let Some(table) = &self.tables.history else {
            return Err(Error::Invalid(
                "importing a restore needs the history table: set history_table in the provider"
                    .into(),
            ));
        };
        let domain = self.studio().domain(&target.domain_id).await?;
        let key = HomeKey::new(&domain.name, target.kind, &target.name)?;
        let history = HistoryTable::new(self.clients.dynamodb.clone(), table);
        let entries = history.list(&key, None).await?;
        Ok(entries.into_iter().find(|e| e.event == "restore_succeeded"))
    }
}

/// The user's network settings; defaults come from the target domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkSpec {
    pub subnet_arn: Option<String>,
    pub security_group_arns: Option<Vec<String>>,
}

impl NetworkSpec {
    /// The subnet and security groups DataSync uses: the declared ones, else the target
    /// domain's first subnet and its default security groups.
    pub fn resolve(
        &self,
        domain: &Domain,
        region: &str,
        target: &HomeDirectory,
    ) -> Result<Network, Error> {
        let account = domain
            .arn
            .split(':')
            .nth(4)
            .filter(|a| a.len() == 12)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "cannot tell the account of domain {} from its ARN {:?}",
                    domain.id, domain.arn
                ))
            })?;
        let subnet_arn = match &self.subnet_arn {
            Some(s) => s.clone(),
            None => {
                let subnet = domain.subnet_ids.first().ok_or_else(|| {
                    Error::Invalid(format!(
                        "domain {} has no subnets to reach {} from: set network.subnet_arn",
                        domain.id, target.file_system_id
                    ))
                })?;
                format!("arn:aws:ec2:{region}:{account}:subnet/{subnet}")
            }
        };
        let security_group_arns = match &self.security_group_arns {
            Some(s) if !s.is_empty() => s.clone(),
            _ => {
                if domain.security_group_ids.is_empty() {
                    return Err(Error::Invalid(format!(
                        "domain {} has no default security groups for DataSync to reach {} with: set network.security_group_arns",
                        domain.id, target.file_system_id
                    )));
                }
                domain
                    .security_group_ids
                    .iter()
                    .map(|sg| format!("arn:aws:ec2:{region}:{account}:security-group/{sg}"))
                    .collect()
            }
        };
        Ok(Network {
            subnet_arn,
            security_group_arns,
        })
    }
}

/// A restore's id: stable for the same copy into the same incarnation of the target.
pub fn restore_id(source: &HomeDirectory, target: &ResolvedTarget) -> String {
    let mut hash = Sha256::new();
    hash.update(source.to_string());
    hash.update("\0");
    hash.update(target.directory.to_string());
    hash.update("\0");
    hash.update(target.home.arn.as_bytes());
    hash.update(target.home.created_at.as_deref().unwrap_or_default());
    let digest = hex::encode(hash.finalize());
    format!("r-{}", &digest[..20])
}

/// How many history rows of the target are read to find an interrupted attempt.
const HISTORY_LOOKBACK: usize = 50;

/// The rule for "retry after an interrupted copy", on a home's history (newest first): among
/// the rows of this copy (same source directory, same target directory), since the latest
/// success, a failure that had started a copy (it names an execution), or a start whose end was
/// never recorded (the provider or Lambda died), means files may be partially copied. A failure
/// before any copy (no execution) copied nothing. A success ends the search: a later restore
/// of the same copy (new `triggers`) keeps the user's files again.
pub fn interrupted_attempt(
    entries_newest_first: &[HistoryEntry],
    source: &HomeDirectory,
    target: &HomeDirectory,
) -> Option<String> {
    let same_copy = |e: &&HistoryEntry| {
        e.file_system_id.as_deref() == Some(target.file_system_id.as_str())
            && e.uid == Some(i64::from(target.uid.get()))
            && e.source_file_system_id.as_deref() == Some(source.file_system_id.as_str())
            && e.source_uid == Some(i64::from(source.uid.get()))
    };
    // Whether the start being looked for (older than the rows seen so far) has a recorded end.
    let mut ended = false;
    for entry in entries_newest_first.iter().filter(same_copy) {
        match entry.event.as_str() {
            "restore_succeeded" => return None,
            "restore_failed" => match &entry.execution {
                Some(execution) => {
                    return Some(format!(
                        "execution {execution} ended {}",
                        entry.status.as_deref().unwrap_or("without success")
                    ));
                }
                None => ended = true,
            },
            "restore_started" if !ended => {
                return Some("a restore started but never recorded how it ended".to_owned());
            }
            "restore_started" => ended = false,
            _ => {}
        }
    }
    None
}

/// A copy of one directory into another, as a key: a target directory (uids are never reused in
/// a domain) is one incarnation of the target.
pub fn copy_key(source: &HomeDirectory, target: &HomeDirectory) -> String {
    format!("{source} -> {target}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: &str = "fs-0123456789abcdef0";

    fn dir(uid: i64) -> HomeDirectory {
        HomeDirectory::new(FS, Uid::new(uid).unwrap()).unwrap()
    }

    /// A history row of the copy 200000 -> `target`.
    fn row(event: &str, target: i64, execution: Option<&str>) -> HistoryEntry {
        let home = HomeKey::new("studio", HomeKind::User, "alice").unwrap();
        let mut entry = HistoryEntry::new(&home, event);
        entry.file_system_id = Some(FS.into());
        entry.uid = Some(target);
        entry.source_file_system_id = Some(FS.into());
        entry.source_uid = Some(200000);
        entry.execution = execution.map(str::to_owned);
        entry.status = execution.map(|_| "ERROR".to_owned());
        entry
    }

    fn interrupted(newest_first: &[HistoryEntry]) -> Option<String> {
        interrupted_attempt(newest_first, &dir(200000), &dir(200005))
    }

    #[test]
    fn a_copy_that_failed_or_never_ended_makes_the_next_attempt_replace_partial_files() {
        // Nothing recorded: a first restore keeps the user's files.
        assert_eq!(interrupted(&[]), None);
        // A DataSync execution that ended in ERROR (or was cancelled) may have written part of
        // a file.
        let failed = [
            row("restore_failed", 200005, Some("arn:exec-1")),
            row("restore_started", 200005, None),
        ];
        assert!(interrupted(&failed).is_some_and(|why| why.contains("arn:exec-1")));
        // A start with no end: the provider or Lambda died mid-copy.
        assert!(interrupted(&[row("restore_started", 200005, None)]).is_some());
        let killed_then_failed_early = [
            row("restore_failed", 200005, None),
            row("restore_started", 200005, None),
            row("restore_started", 200005, None),
        ];
        assert!(interrupted(&killed_then_failed_early).is_some());
    }

    #[test]
    fn a_success_or_a_failure_before_any_copy_keeps_the_users_files() {
        // Failed before DataSync started (no execution): nothing was copied.
        let early = [
            row("restore_failed", 200005, None),
            row("restore_started", 200005, None),
        ];
        assert_eq!(interrupted(&early), None);
        // After a success, a new restore of the same copy (changed triggers) never overwrites.
        let succeeded_after_a_failure = [
            row("restore_succeeded", 200005, Some("arn:exec-2")),
            row("restore_started", 200005, None),
            row("restore_failed", 200005, Some("arn:exec-1")),
            row("restore_started", 200005, None),
        ];
        assert_eq!(interrupted(&succeeded_after_a_failure), None);
        // Another copy's failure (an earlier incarnation of the target, another source) says
        // nothing about this one.
        let mut other_source = row("restore_failed", 200005, Some("arn:exec-3"));
        other_source.source_uid = Some(199995);
        assert_eq!(
            interrupted(&[other_source, row("restore_failed", 200010, Some("arn:x"))]),
            None
        );
    }
}
