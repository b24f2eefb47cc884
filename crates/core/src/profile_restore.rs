//! One declared restore, end to end: resolve the source and the target, wait until the target's
//! home directory is ready, copy with DataSync (or through the deployed restore workflow), and
//! record the outcome. The provider's `studio_profile_restore` resource is a thin adapter over
//! this module.

use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::aws::Clients;
use crate::home::{HomeDirectory, HomeKey};
use crate::records::{HistoryEntry, HistoryTable, MappingTable};
use crate::resolve::{Domain, Home, Studio};
use crate::restore::{
    DataSyncRestore, Network, RestoreExecution, RestoreFailure, RestorePlan, TransferOptions,
};
use crate::source::{self as resolver, Target};
pub use crate::source::{Consent, HomeRef, ResolvedSource, SourceOrigin, SourceSpec};
use crate::workflow::{Directory, RestoreOptions, RestoreRequest};

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

/// The mapping and history tables, when the modules are deployed.
#[derive(Debug, Clone)]
pub struct Tables {
    pub mapping: Option<String>,
    pub history: Option<String>,
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
        consent: Consent,
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
            .resolve_source(source, Some(&resolved_target.home), consent)
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
        let restore_id = restore_id(&source_dir, &resolved_target);
        let target_key = resolved_target.home.key.clone();
        let mut warnings = Vec::new();
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
                        ..RestoreOptions::default()
                    },
                )
                .map_err(fail)?;
                crate::state_machine::run(self.clients, &self.cancel, arn, &request, deadline).await
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
