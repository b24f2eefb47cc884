//! One declared restore, end to end: resolve the source and the target, wait until the target's
//! home directory is ready, copy with DataSync (or through the deployed restore workflow), and
//! record the outcome. The provider's `studio_profile_restore` resource is a thin adapter over
//! this module.

use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::aws::Clients;
use crate::error::Subject;
use crate::home::{HomeDirectory, HomeKey};
use crate::records::{HistoryEntry, HistoryTable, MappingTable};
use crate::resolve::{Domain, Home, Studio};
use crate::restore::{
    DataSyncRestore, Network, RestoreExecution, RestoreFailure, RestorePlan, TransferOptions,
};
use crate::source::{self as resolver, Target};
pub use crate::source::{Consent, HomeRef, ResolvedSource, SourceOrigin, SourceSpec};
use crate::workflow::{Directory, RestoreOptions, RestoreRequest};
pub use find::{Readiness, ResolvedTarget};

mod find;

/// How the copy runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// DataSync, driven from here.
    DataSync,
    /// The deployed restore workflow (`modules/restore-workflow`): start it and wait.
    StateMachine { arn: String },
    /// The copier Lambda function (`crate::native`): source and target on the file system it
    /// mounts.
    Native { function: String },
    /// [`Engine::Native`] with `copier` when one is given and it mounts the file system that
    /// both the source and the target are on (and the options are the native engine's),
    /// [`Engine::DataSync`] otherwise. [`ProfileRestore::choose_engine`] decides.
    Auto { copier: Option<String> },
}

impl Engine {
    /// The names of the engines, as declarations name them (the provider's `engine`).
    pub const NAMES: [&'static str; 4] = ["auto", "native", "datasync", "state_machine"];
    /// The engine when a declaration names none.
    pub const DEFAULT: &'static str = "auto";

    pub fn name(&self) -> &'static str {
        match self {
            Engine::Auto { .. } => Self::NAMES[0],
            Engine::Native { .. } => Self::NAMES[1],
            Engine::DataSync => Self::NAMES[2],
            Engine::StateMachine { .. } => Self::NAMES[3],
        }
    }
}

/// A declared restore: what the provider's `studio_profile_restore` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// Where the files come from.
    pub source: SourceSpec,
    /// What the declaration allowed (a source that belongs to someone else).
    pub consent: Consent,
    /// The profile or space the files go into.
    pub target: HomeRef,
    pub engine: Engine,
    /// The subnet and security groups DataSync uses (defaults: the target domain's).
    pub network: NetworkSpec,
    /// How DataSync copies.
    pub options: TransferOptions,
    /// When the target's home directory counts as ready.
    pub readiness: Readiness,
}

/// The mapping and history tables, when the modules are deployed.
#[derive(Debug, Clone)]
pub struct Tables {
    pub mapping: Option<String>,
    pub history: Option<String>,
    /// The DataSync slots table ([`crate::slots`]) whose budget the DataSync engine shares.
    pub slots: Option<String>,
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
    /// The engine that copied ([`Engine::name`]; never `auto`).
    pub engine: &'static str,
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
    /// The engine that was copying, once one had started ([`Engine::name`]).
    pub engine: Option<&'static str>,
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
            engine: None,
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
    /// Where the DataSync engine reports the copy's progress while it runs (the provider's
    /// `studio_restore` action streams it to Terraform).
    pub progress: Option<crate::restore::ProgressSink>,
}

impl<'a> ProfileRestore<'a> {
    fn studio(&self) -> Studio {
        Studio::new(
            self.clients.sagemaker.clone(),
            self.clients.retry,
            self.cancel.clone(),
        )
    }

    /// Resolves the source of a declared restore (the one resolver, [`crate::source`]) and
    /// checks it against the target: `target` is the target as SageMaker describes it now
    /// (`None`: it does not exist yet, so only the source can be resolved; without a directory
    /// only the live-home rule can be checked). The rest is checked at apply, before anything
    /// is created.
    pub async fn resolve_source(
        &self,
        spec: &SourceSpec,
        target: Option<&Home>,
        consent: Consent,
    ) -> Result<ResolvedSource, Error> {
        let studio = self.studio();
        let mapping = self
            .tables
            .mapping
            .as_deref()
            .map(|name| MappingTable::new(self.clients.dynamodb.clone(), name));
        let facts = resolver::gather(&studio, mapping.as_ref(), spec).await?;
        let target_dir = target.and_then(|t| t.directory.as_ref());
        let source = resolver::decide(spec, &facts, target_dir)?;
        let Some(target) = target else {
            return Ok(source);
        };
        let holders = if consent == Consent::AllowDifferentOwner {
            Vec::new()
        } else {
            resolver::live_holders(&studio, &source.directory).await?
        };
        match &target.directory {
            Some(directory) => resolver::check(
                &source,
                &Target {
                    home: target.key.clone(),
                    directory: directory.clone(),
                    owner: target.owner.clone(),
                    marked_refused: false,
                },
                &holders,
                consent,
            )?,
            None => resolver::check_live(
                &source,
                &target.key,
                &target.key.to_string(),
                &holders,
                consent,
            )?,
        }
        Ok(source)
    }

    /// The engine that copies `source` into `target`: `engine` itself, or what [`Engine::Auto`]
    /// picks; with the copier that [`Engine::Native`] runs on, read from its configuration.
    pub async fn choose_engine(
        &self,
        engine: &Engine,
        source: &HomeDirectory,
        target: &HomeDirectory,
        options: &TransferOptions,
    ) -> Result<(Engine, Option<crate::native::Copier>), Error> {
        let same_file_system = source.file_system_id == target.file_system_id;
        match engine {
            Engine::DataSync | Engine::StateMachine { .. } => Ok((engine.clone(), None)),
            Engine::Auto { copier: None } => Ok((Engine::DataSync, None)),
            Engine::Auto {
                copier: Some(function),
            } => {
                // No copier can serve it (not even one on the target's file system): no need to
                // look this one up.
                if !crate::native::native_serves(&target.file_system_id, source, target, options) {
                    return Ok((Engine::DataSync, None));
                }
                let copier = crate::native::inspect(self.clients, &self.cancel, function).await?;
                if crate::native::native_serves(&copier.file_system_id, source, target, options) {
                    Ok((
                        Engine::Native {
                            function: function.clone(),
                        },
                        Some(copier),
                    ))
                } else {
                    Ok((Engine::DataSync, None))
                }
            }
            Engine::Native { function } => {
                if !same_file_system {
                    return Err(Error::Invalid(format!(
                        "the native engine copies within one file system, but the source {source} and the target {target} are on two: use engine = \"auto\" or \"datasync\""
                    )));
                }
                crate::native::check_native_options(options)?;
                let copier = crate::native::inspect(self.clients, &self.cancel, function).await?;
                if copier.file_system_id != target.file_system_id {
                    return Err(Error::Invalid(format!(
                        "the copier {function} mounts {}, but the source {source} and the target {target} are on {}: deploy a copier for that file system, or use engine = \"auto\"",
                        copier.file_system_id, target.file_system_id
                    )));
                }
                Ok((engine.clone(), Some(copier)))
            }
        }
    }

    /// Runs the whole restore of `declared`, until `deadline`.
    pub async fn run(&self, declared: &Declaration, deadline: Instant) -> Result<Outcome, Failure> {
        let Declaration {
            source,
            consent,
            target,
            engine,
            network,
            options,
            readiness,
        } = declared;
        let resolved_target = self
            .wait_for_target(target, *readiness, deadline)
            .await
            .map_err(|e| Failure::before_copy(e.about(Subject::Target)))?;
        let target_dir = resolved_target.directory.clone();
        let resolved_source = self
            .resolve_source(source, Some(&resolved_target.home), *consent)
            .await
            .map_err(|e| Failure {
                target: Some(target_dir.clone()),
                ..Failure::before_copy(e.about(Subject::Source))
            })?;
        let source_dir = resolved_source.directory.clone();
        let chosen = self
            .choose_engine(engine, &source_dir, &target_dir, options)
            .await;
        let fail = |error: Error| Failure {
            error,
            source: Some(source_dir.clone()),
            target: Some(target_dir.clone()),
            execution: None,
            warnings: Vec::new(),
            restore_id: None,
            engine: None,
        };
        let (engine, copier) = chosen.map_err(fail)?;
        let engine = &engine;
        let restore_id = restore_id(&source_dir, &resolved_target);
        let target_key = resolved_target.home.key.clone();
        let mut warnings = Vec::new();
        // This run's lease holder: unique per run, so that its objects' owner tag
        // (crate::sweep::provider_owner) names this run and no other.
        let holder = crate::lease::process_holder(&format!(
            "restore {restore_id} from {source_dir} into {target_key}, run {:016x}",
            rand::random::<u64>()
        ));
        // The DataSync engine's plan is checked before the lease is taken: both create nothing.
        let datasync_plan = match engine {
            Engine::DataSync => {
                let network = network
                    .resolve(&resolved_target.domain, &self.clients.region, &target_dir)
                    .map_err(|e| fail(e.about(Subject::Network)))?;
                Some(
                    RestorePlan::new(
                        &restore_id,
                        &crate::sweep::provider_owner(&restore_id, None, &holder),
                        source_dir.clone(),
                        target_dir.clone(),
                        network,
                        *options,
                    )
                    .map_err(fail)?,
                )
            }
            // The workflow takes the lease itself, held by its execution: a lease taken here
            // would keep the execution this process waits for from ever taking it.
            Engine::StateMachine { .. } | Engine::Native { .. } | Engine::Auto { .. } => None,
        };
        let lease = match datasync_plan.is_some() || copier.is_some() {
            true => self
                .take_lease(&target_key, &holder, deadline, &mut warnings)
                .await
                .map_err(fail)?,
            false => None,
        };
        // Objects are owned through the lease when there is one: then whoever sweeps with
        // the same mapping table can tell when this run has ended.
        let datasync_plan = datasync_plan.map(|plan| match &lease {
            Some(_) => plan.owned_by(&crate::sweep::provider_owner(
                &restore_id,
                self.tables.mapping.as_deref(),
                &holder,
            )),
            None => plan,
        });
        // With the lease held, what ended restores left on these file systems goes; and is
        // this a retry after an interrupted copy?
        let interrupted = self
            .earlier_interrupted_attempt(
                &restore_id,
                &target_key,
                &source_dir,
                &target_dir,
                &mut warnings,
            )
            .await;
        let datasync_plan = match &interrupted {
            Some(_) => datasync_plan.map(RestorePlan::after_interrupted_attempt),
            None => datasync_plan,
        };
        // The DataSync engine takes a slot of the account's DataSync budget (shared with the
        // restore workflow) before it creates anything, and gives it back after everything it
        // created is deleted.
        let slot = match (&datasync_plan, &self.tables.slots) {
            (Some(plan), Some(table)) => {
                match crate::slots::Slots::new(
                    self.clients.dynamodb.clone(),
                    table,
                    self.clients.retry,
                )
                .acquire(plan.owner(), deadline, &self.cancel)
                .await
                {
                    Ok(slot) => Some(slot),
                    Err(e) => {
                        if let Some(lease) = lease {
                            if let Err(e) = lease.release().await {
                                warnings.push(format!("the lease on {target_key}: {e}"));
                            }
                        }
                        return Err(Failure {
                            warnings,
                            ..fail(e)
                        });
                    }
                }
            }
            _ => None,
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

        let result = match (engine, &datasync_plan) {
            (Engine::DataSync, Some(plan)) => {
                DataSyncRestore::new(self.clients, self.cancel.clone())
                    .with_progress(self.progress.clone())
                    .run(plan, deadline)
                    .await
                    .map(|mut exec| {
                        exec.after_interrupted_attempt = interrupted.clone();
                        exec
                    })
            }
            (Engine::DataSync, None) => unreachable!("the DataSync engine always has a plan"),
            (Engine::Native { .. }, _) => {
                let copier = copier
                    .as_ref()
                    .expect("the native engine always has its copier");
                match crate::native::CopyRequest::new(
                    &restore_id,
                    &source_dir,
                    &target_dir,
                    options,
                ) {
                    Ok(request) => {
                        crate::native::run(
                            self.clients,
                            &self.cancel,
                            self.progress.as_ref(),
                            copier,
                            &request,
                            deadline,
                        )
                        .await
                    }
                    Err(error) => Err(RestoreFailure {
                        error,
                        execution: None,
                        cleanup_failures: Vec::new(),
                    }),
                }
            }
            (Engine::Auto { .. }, _) => unreachable!("choose_engine never answers auto"),
            (Engine::StateMachine { arn }, _) => {
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
                        wait_for_app: *readiness == Readiness::App,
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
        // Released on every path: the copy ended (success, failure, timeout or cancellation)
        // and everything it created is deleted already.
        if let Some(slot) = slot {
            if let Err(e) = slot.release().await {
                warnings.push(format!(
                    "the DataSync slot could not be given back ({e}); the reconciler frees it"
                ));
            }
        }
        if let Some(lease) = lease {
            if let Err(e) = lease.release().await {
                warnings.push(format!("the lease on {target_key}: {e}"));
            }
        }
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
                    engine: engine.name(),
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
                    engine: Some(engine.name()),
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
        let scope = crate::sweep::Scope {
            file_systems: vec![source.file_system_id.clone(), target.file_system_id.clone()],
            mapping_table: self.tables.mapping.clone(),
            own_restore_id: Some(restore_id.to_owned()),
            only_owner: None,
        };
        match crate::sweep::Sweeper::new(self.clients).sweep(&scope).await {
            Ok(report) => {
                let own = report
                    .swept
                    .iter()
                    .filter(|s| {
                        matches!(crate::sweep::Owner::parse(&s.owner),
                            Some(crate::sweep::Owner::Provider { restore_id: r, .. }) if r == restore_id)
                    })
                    .map(|s| s.objects.len())
                    .sum::<usize>();
                if own > 0 {
                    why.get_or_insert_with(|| {
                        format!("it left {own} DataSync or EFS objects behind, deleted now")
                    });
                }
                for line in report.describe() {
                    tracing::info!(%line, "swept");
                }
                warnings.extend(report.failures.into_iter().map(|f| {
                    format!(
                        "cleanup: an object an ended restore left behind could not be removed: {f}"
                    )
                }));
            }
            Err(e) => warnings.push(format!(
                "cleanup: what ended restores left on {} and {} could not be looked for: {e}",
                source.file_system_id, target.file_system_id
            )),
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

    /// Takes the lease on the target's row (waiting for another holder until `deadline`).
    /// Without a mapping table there is nothing to hold a lease in: the restore goes on
    /// unprotected against a concurrent copy into the same home, with a warning saying so.
    async fn take_lease(
        &self,
        target: &HomeKey,
        holder: &str,
        deadline: Instant,
        warnings: &mut Vec<String>,
    ) -> Result<Option<crate::lease::Lease>, Error> {
        let Some(table) = &self.tables.mapping else {
            warnings.push(format!(
                "no mapping table is configured, so no lease kept another restore from copying into {target} at the same time"
            ));
            return Ok(None);
        };
        let leases = crate::lease::Leases::new(
            self.clients.dynamodb.clone(),
            self.clients.sfn.clone(),
            table,
        );
        match leases.acquire(target, holder, deadline, &self.cancel).await {
            Ok(lease) => Ok(Some(lease)),
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                warnings.push(format!(
                    "the mapping table {table} does not exist, so no lease kept another restore from copying into {target} at the same time: deploy modules/event-app (or set user_table) to protect it"
                ));
                Ok(None)
            }
            Err(e) => Err(e),
        }
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
        // arn:<partition>:sagemaker:<region>:<account>:domain/<id>: the network's ARNs are in
        // the domain's partition and account (aws, aws-us-gov, aws-cn, ...).
        let parts: Vec<&str> = domain.arn.split(':').collect();
        let (partition, account) = match parts.as_slice() {
            ["arn", partition, _, _, account, ..]
                if !partition.is_empty() && account.len() == 12 =>
            {
                (*partition, *account)
            }
            _ => {
                return Err(Error::Invalid(format!(
                    "cannot tell the partition and account of domain {} from its ARN {:?}",
                    domain.id, domain.arn
                )));
            }
        };
        let subnet_arn = match &self.subnet_arn {
            Some(s) => s.clone(),
            None => {
                let subnet = domain.subnet_ids.first().ok_or_else(|| {
                    Error::Invalid(format!(
                        "domain {} has no subnets to reach {} from: declare the subnet DataSync uses",
                        domain.id, target.file_system_id
                    ))
                })?;
                format!("arn:{partition}:ec2:{region}:{account}:subnet/{subnet}")
            }
        };
        let security_group_arns = match &self.security_group_arns {
            Some(s) if !s.is_empty() => s.clone(),
            _ => {
                if domain.security_group_ids.is_empty() {
                    return Err(Error::Invalid(format!(
                        "domain {} has no default security groups for DataSync to reach {} with: declare the security groups DataSync uses",
                        domain.id, target.file_system_id
                    )));
                }
                domain
                    .security_group_ids
                    .iter()
                    .map(|sg| format!("arn:{partition}:ec2:{region}:{account}:security-group/{sg}"))
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
    use crate::{HomeKind, Uid};

    const FS: &str = "fs-0123456789abcdef0";

    fn dir(uid: i64) -> HomeDirectory {
        HomeDirectory::new(FS, Uid::new(uid).unwrap()).unwrap()
    }

    fn domain(arn: &str) -> Domain {
        Domain {
            id: "d-1".into(),
            arn: arn.into(),
            name: "studio".into(),
            status: "InService".into(),
            auth_mode: "IAM".into(),
            home_efs_file_system_id: Some(FS.into()),
            vpc_id: Some("vpc-1".into()),
            subnet_ids: vec!["subnet-1".into()],
            security_group_ids: vec!["sg-1".into()],
            execution_role: None,
            url: None,
        }
    }

    #[test]
    fn the_default_network_is_in_the_domains_partition_and_account() {
        let network = NetworkSpec::default()
            .resolve(
                &domain("arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:domain/d-1"),
                "us-gov-west-1",
                &dir(200001),
            )
            .unwrap();
        assert_eq!(
            network.subnet_arn,
            "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:subnet/subnet-1"
        );
        assert_eq!(
            network.security_group_arns,
            ["arn:aws-us-gov:ec2:us-gov-west-1:123456789012:security-group/sg-1"]
        );
        let err = NetworkSpec::default()
            .resolve(&domain("d-1"), "us-east-1", &dir(200001))
            .unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err}");
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
