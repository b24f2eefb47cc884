//! Catches what the events missed. CloudTrail's delivery to EventBridge is best effort, a
//! stream record can end in the failure queue, and homes that existed before deployment were
//! never announced. A run:
//!
//! 1. lists every domain, user profile and space and records each home in the mapping table
//!    through the same conditional [`MappingTable::observe`] as the event processor (a missed
//!    recreation is recorded now, and its stream record starts the restore);
//! 2. in `reconcile` mode, starts the restores that are due and have no recorded execution into
//!    the home's current directory (execution names are deterministic, so a restore that is
//!    already running or finished is not started again), at most `MAX_STARTS` per run and only
//!    for homes created within `RECONCILE_MAX_AGE_HOURS` (an old home's owner has long since
//!    filled it; restoring into it is a decision for a person);
//! 3. finds restores the mapping table records as `RUNNING` whose workflow execution has ended
//!    without recording its outcome (stopped, timed out) and records them `FAILED`, with why;
//! 4. sweeps ([`studio_core::sweep`]) the tracked domains' file systems: every DataSync task,
//!    location and execution and EFS access point tagged with an owner that has ended (a stopped
//!    execution, a killed provider) is cancelled and deleted;
//! 5. frees DataSync slots held by restore executions that are no longer running;
//! 6. tries failed automatic restores again, as the same copy, by the [`RetrySchedule`]
//!    (`RESTORE_ATTEMPTS`, `RESTORE_RETRY_BACKOFF_SECONDS`).
//!
//! With `DOMAIN_IDS` or `DOMAIN_NAMES` set (the modules pass their `domain_ids` and
//! `domain_names`), only the domains with a listed id or name are looked at
//! ([`DomainFilter`]): a domain recreated under a listed name is tracked with its new id.
//! Errors of one domain or home are counted and logged; the run goes on.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use studio_core::domain_filter::DomainFilter;
use studio_core::home::HomeDirectory;
use studio_core::records::{
    HistoryEntry, HistoryTable, MappingRecord, MappingTable, Observation, Observed,
};
use studio_core::resolve::{Domain, Home, Studio};
use studio_core::retry::RetryPolicy;
use studio_core::slots::Slots;
use studio_core::sweep::{Scope, SweepReport, Sweeper};
use studio_core::workflow::{
    self, RestoreOptions, RestorePlan, RestoreRequest, RetrySchedule, Started,
};
use studio_core::{Error, HomeKey, HomeKind};
use tokio_util::sync::CancellationToken;

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Record homes only.
    Seed,
    /// Record homes, start missed restores, free stale slots.
    Reconcile,
}

impl Mode {
    /// `{"mode": "seed"}` seeds; anything else (the schedule's `{"mode": "reconcile"}`, an empty
    /// event) reconciles. A DynamoDB stream batch is a deployment (event-app's deployments
    /// table): it seeds, unless every item in it asks to reconcile.
    pub fn from_event(event: &Value) -> Mode {
        if let Some(records) = event.get("Records").and_then(Value::as_array) {
            let reconcile = !records.is_empty()
                && records.iter().all(|r| {
                    r.pointer("/dynamodb/NewImage/mode/S")
                        .and_then(Value::as_str)
                        == Some("reconcile")
                });
            return if reconcile {
                Mode::Reconcile
            } else {
                Mode::Seed
            };
        }
        match event.get("mode").and_then(Value::as_str) {
            Some("seed") => Mode::Seed,
            _ => Mode::Reconcile,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub mapping_table: String,
    pub history_table: String,
    pub slots_table: Option<String>,
    pub state_machine_arn: Option<String>,
    pub max_starts: usize,
    pub max_age: time::Duration,
    /// Only the domains with these ids or names (`DOMAIN_IDS`, `DOMAIN_NAMES`); empty: every
    /// domain.
    pub domains: DomainFilter,
    pub options: RestoreOptions,
    pub retry: RetrySchedule,
}

impl Settings {
    pub fn from_env() -> Result<Settings, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let number = |name: &str, default: i64| -> Result<i64, Error> {
            var(name).map_or(Ok(default), |v| {
                v.parse()
                    .map_err(|_| Error::Invalid(format!("{name}={v:?} is not a number")))
            })
        };
        let options = RestoreOptions::from_settings("reconciler", |name| std::env::var(name).ok())?;
        Ok(Settings {
            mapping_table: var("MAPPING_TABLE")
                .unwrap_or_else(|| studio_core::records::DEFAULT_USER_TABLE.into()),
            history_table: var("HISTORY_TABLE")
                .unwrap_or_else(|| studio_core::records::DEFAULT_HISTORY_TABLE.into()),
            slots_table: var("SLOTS_TABLE"),
            state_machine_arn: var("STATE_MACHINE_ARN"),
            max_starts: number("MAX_STARTS", 100)?.max(0) as usize,
            max_age: time::Duration::hours(number("RECONCILE_MAX_AGE_HOURS", 168)?),
            domains: DomainFilter::from_settings(|name| std::env::var(name).ok()),
            options,
            retry: {
                let default = RetrySchedule::default();
                let attempts = number("RESTORE_ATTEMPTS", i64::from(default.attempts))?;
                let backoff = number(
                    "RESTORE_RETRY_BACKOFF_SECONDS",
                    default.backoff.as_secs() as i64,
                )?;
                if !(1..=10).contains(&attempts) || backoff < 0 {
                    return Err(Error::Invalid(format!(
                        "RESTORE_ATTEMPTS={attempts} must be 1 to 10 and RESTORE_RETRY_BACKOFF_SECONDS={backoff} at least 0"
                    )));
                }
                RetrySchedule {
                    attempts: attempts as u32,
                    backoff: std::time::Duration::from_secs(backoff as u64),
                }
            },
        })
    }
}

/// What a run did (the function's response).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub domains: usize,
    pub homes: usize,
    pub inserted: usize,
    pub recreated: usize,
    pub unchanged: usize,
    pub unresolved: usize,
    pub restores_started: usize,
    pub restores_already_started: usize,
    pub restores_deferred: usize,
    /// Due restores the source resolver refused (someone else's files, a live home, a home
    /// marked refused): recorded on the row and in the history, never started.
    pub restores_refused: usize,
    pub slots_freed: usize,
    /// Restores recorded `RUNNING` whose execution had ended without recording its outcome,
    /// now recorded `FAILED`.
    pub runs_failed: usize,
    /// Owners whose leftovers were swept, and how many objects went.
    pub owners_swept: usize,
    pub objects_swept: usize,
    /// Failed automatic restores started again.
    pub restores_retried: usize,
    /// Whether the slot counter had drifted from its holders and was set right.
    pub slots_recounted: bool,
    pub errors: Vec<String>,
}

/// The AWS side of the reconciler, so that it can be tested without AWS.
pub trait Backend {
    fn domain_ids(&self) -> impl Future<Output = Result<Vec<String>, Error>> + Send;
    fn domain(&self, domain_id: &str) -> impl Future<Output = Result<Domain, Error>> + Send;
    fn homes_in(
        &self,
        domain_id: &str,
    ) -> impl Future<Output = Result<Vec<(HomeKind, String)>, Error>> + Send;
    fn home(
        &self,
        domain: &Domain,
        kind: HomeKind,
        name: &str,
    ) -> impl Future<Output = Result<Option<Home>, Error>> + Send;
    fn observe(
        &self,
        home: &HomeKey,
        seen: &Observation,
    ) -> impl Future<Output = Result<Observed, Error>> + Send;
    fn append(&self, entry: &HistoryEntry) -> impl Future<Output = Result<(), Error>> + Send;
    /// Records on the row that the restore into its current directory was refused.
    fn mark_refused(
        &self,
        record: &MappingRecord,
        execution_name: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    fn scan(&self) -> impl Future<Output = Result<Vec<MappingRecord>, Error>> + Send;
    fn start(
        &self,
        request: &RestoreRequest,
        attempt: u32,
    ) -> impl Future<Output = Result<Started, Error>> + Send;
    /// The execution names holding a DataSync slot.
    fn slot_holders(&self) -> impl Future<Output = Result<Vec<String>, Error>> + Send;
    fn is_running(&self, execution_name: &str) -> impl Future<Output = Result<bool, Error>> + Send;
    fn free_slot(&self, execution_name: &str) -> impl Future<Output = Result<(), Error>> + Send;
    /// Sets the slot counter to the number of holders if it drifted; the counter before and
    /// after, when it did.
    fn recount_slots(&self) -> impl Future<Output = Result<Option<(i64, usize)>, Error>> + Send;
    /// Whether a workflow execution (by ARN) still runs; `None`: it does not exist.
    fn execution_running(
        &self,
        execution_arn: &str,
    ) -> impl Future<Output = Result<Option<bool>, Error>> + Send;
    /// Records the row's running restore `execution_arn` failed, with `why` (only while the row
    /// still says so); whether it did.
    fn fail_run(
        &self,
        home: &HomeKey,
        execution_arn: &str,
        why: &str,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
    /// Sweeps what ended restores left on `file_systems`.
    fn sweep(
        &self,
        file_systems: Vec<String>,
    ) -> impl Future<Output = Result<SweepReport, Error>> + Send;
}

/// One run.
pub async fn reconcile<B: Backend + Sync>(
    backend: &B,
    settings: &Settings,
    mode: Mode,
) -> Result<Report, Error> {
    let mut report = Report::default();
    // Listing the domains is the one failure that ends the run: without it nothing is known.
    let domain_ids = backend.domain_ids().await?;
    let mut live = Live::new();
    for domain_id in domain_ids
        .into_iter()
        .filter(|id| settings.domains.may_track_id(id))
    {
        if let Err(e) = seed_domain(
            backend,
            &settings.domains,
            &domain_id,
            &mut report,
            &mut live,
        )
        .await
        {
            report.errors.push(e.to_string());
        }
    }
    if mode == Mode::Reconcile {
        // In this order: an ended run is recorded failed, what it left is swept and its slot
        // freed, and then it can be tried again in the same run.
        let records = match backend.scan().await {
            Ok(records) => records,
            Err(e) => {
                report.errors.push(e.to_string());
                Vec::new()
            }
        };
        fail_ended_runs(backend, &records, &mut report).await;
        let mut file_systems: std::collections::BTreeSet<String> =
            live.keys().map(|d| d.file_system_id.clone()).collect();
        for record in &records {
            file_systems.extend(record.directory.iter().map(|d| d.file_system_id.clone()));
            file_systems.extend(
                record
                    .previous
                    .iter()
                    .map(|p| p.directory.file_system_id.clone()),
            );
            file_systems.extend(
                record
                    .restore_from
                    .iter()
                    .map(|r| r.directory.file_system_id.clone()),
            );
        }
        match backend.sweep(file_systems.into_iter().collect()).await {
            Ok(swept) => {
                for line in swept.describe() {
                    tracing::info!(%line, "swept");
                }
                report.owners_swept += swept.swept.len();
                report.objects_swept += swept.objects_removed();
                report.errors.extend(swept.failures);
            }
            Err(e) => report.errors.push(e.to_string()),
        }
        if let Err(e) = free_stale_slots(backend, &mut report).await {
            report.errors.push(e.to_string());
        }
        if let Err(e) = start_missed(backend, settings, &mut report, &live).await {
            report.errors.push(e.to_string());
        }
    }
    for error in &report.errors {
        tracing::warn!(%error, "reconciler error");
    }
    tracing::info!(?report, "reconciled");
    Ok(report)
}

/// The live homes each directory is the current home directory of, as this run saw them.
type Live = HashMap<HomeDirectory, Vec<HomeKey>>;

async fn seed_domain<B: Backend + Sync>(
    backend: &B,
    domains: &DomainFilter,
    domain_id: &str,
    report: &mut Report,
    live: &mut Live,
) -> Result<(), Error> {
    let domain = backend.domain(domain_id).await?;
    if !domains.tracks(&domain) {
        tracing::debug!(reason = %domains.why_not(&domain), "domain skipped");
        return Ok(());
    }
    report.domains += 1;
    for (kind, name) in backend.homes_in(domain_id).await? {
        report.homes += 1;
        if let Err(e) = seed_home(backend, &domain, kind, &name, report, live).await {
            report.errors.push(e.to_string());
        }
    }
    Ok(())
}

async fn seed_home<B: Backend + Sync>(
    backend: &B,
    domain: &Domain,
    kind: HomeKind,
    name: &str,
    report: &mut Report,
    live: &mut Live,
) -> Result<(), Error> {
    let Some(home) = backend.home(domain, kind, name).await? else {
        return Ok(()); // Deleted since it was listed.
    };
    let Some(directory) = home.directory.clone() else {
        // No uid yet (still being created): never recorded as empty; a later run records it.
        report.unresolved += 1;
        return Ok(());
    };
    live.entry(directory.clone())
        .or_default()
        .push(home.key.clone());
    let seen = Observation {
        domain_id: domain.id.clone(),
        directory: directory.clone(),
        owner: home.owner.clone(),
        sso_user: home.sso_user.clone(),
        created_at: home.created_at.clone(),
    };
    let observed = backend.observe(&home.key, &seen).await?;
    let mut entry = HistoryEntry::new(&home.key, "created");
    entry.domain_id = Some(domain.id.clone());
    entry.file_system_id = Some(directory.file_system_id.clone());
    entry.uid = Some(directory.uid.get().into());
    match &observed {
        Observed::Inserted(_) => {
            report.inserted += 1;
            entry.detail = Some("recorded by the reconciler".into());
        }
        Observed::Recreated(record) | Observed::TargetAppeared(record) => {
            report.recreated += 1;
            if let Some(previous) = &record.previous {
                entry.source_file_system_id = Some(previous.directory.file_system_id.clone());
                entry.source_uid = Some(previous.directory.uid.get().into());
            }
            entry.detail =
                Some("a recreation the events missed, recorded by the reconciler".into());
        }
        Observed::Unchanged(_) | Observed::Stale(_) => {
            report.unchanged += 1;
            return Ok(());
        }
    }
    backend.append(&entry).await
}

async fn start_missed<B: Backend + Sync>(
    backend: &B,
    settings: &Settings,
    report: &mut Report,
    live: &Live,
) -> Result<(), Error> {
    let now = time::OffsetDateTime::now_utc();
    for record in backend.scan().await? {
        let holders = |directory: &HomeDirectory| live.get(directory).cloned().unwrap_or_default();
        let plan =
            workflow::plan_pending(&record, &settings.options, holders, &settings.retry, now);
        if matches!(plan, RestorePlan::Nothing) {
            continue;
        }
        let recent = record
            .created_at
            .as_deref()
            .and_then(|at| {
                time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
            })
            .is_some_and(|at| now - at <= settings.max_age);
        if !recent && record.restore_from.is_none() {
            continue;
        }
        let (request, attempt) = match plan {
            RestorePlan::Start(request) => (request, 0),
            RestorePlan::Retry {
                request,
                attempt,
                last_failure,
            } => {
                let mut entry = HistoryEntry::new(&record.home, "restore_retried");
                entry.domain_id = record.domain_id.clone();
                if let Some(dir) = &record.directory {
                    entry.file_system_id = Some(dir.file_system_id.clone());
                    entry.uid = Some(dir.uid.get().into());
                }
                entry.source_file_system_id = Some(request.source.file_system_id.clone());
                entry.source_uid = request.source.uid.parse().ok();
                entry.execution = Some(request.execution_name_for_attempt(attempt));
                entry.detail = Some(format!(
                    "attempt {} of {}; the previous attempt failed: {last_failure}",
                    attempt + 1,
                    settings.retry.attempts
                ));
                if let Err(e) = backend.append(&entry).await {
                    report.errors.push(e.to_string());
                }
                report.restores_retried += 1;
                (request, attempt)
            }
            RestorePlan::Refuse { reason, request } => {
                // What the stream processor would have refused, had it seen the change.
                if let Err(e) = refuse(backend, &record, &reason, request.as_deref()).await {
                    report.errors.push(e.to_string());
                }
                report.restores_refused += 1;
                continue;
            }
            RestorePlan::Nothing => continue,
        };
        if report.restores_started >= settings.max_starts {
            report.restores_deferred += 1;
            continue;
        }
        match backend.start(&request, attempt).await {
            Ok(Started::New) => {
                tracing::info!(home = %record.home, execution = %request.execution_name_for_attempt(attempt), "missed restore started");
                report.restores_started += 1;
            }
            Ok(Started::AlreadyStarted) => report.restores_already_started += 1,
            Err(e) => report.errors.push(e.to_string()),
        }
    }
    Ok(())
}

/// Records a refused restore: on the row (so that no later run starts it) and in the history.
async fn refuse<B: Backend + Sync>(
    backend: &B,
    record: &MappingRecord,
    reason: &str,
    request: Option<&RestoreRequest>,
) -> Result<(), Error> {
    tracing::warn!(home = %record.home, %reason, "restore refused");
    let mut entry = HistoryEntry::new(&record.home, "restore_refused");
    entry.domain_id = record.domain_id.clone();
    if let Some(dir) = &record.directory {
        entry.file_system_id = Some(dir.file_system_id.clone());
        entry.uid = Some(dir.uid.get().into());
    }
    if let Some(request) = request {
        entry.source_file_system_id = Some(request.source.file_system_id.clone());
        entry.source_uid = request.source.uid.parse().ok();
        entry.source_home = Some(request.source.home.clone());
        entry.execution = Some(request.execution_name());
        backend
            .mark_refused(record, &request.execution_name())
            .await?;
    }
    entry.status = Some(studio_core::records::restore_status::REFUSED.into());
    entry.detail = Some(format!("{reason} (seen by the reconciler)"));
    backend.append(&entry).await
}

/// Rows that say a workflow execution is copying (`RUNNING`) when that execution has ended:
/// stopped from outside or timed out, it recorded nothing. Recorded `FAILED` with the reason, and
/// in the history, so that the retry schedule applies.
async fn fail_ended_runs<B: Backend + Sync>(
    backend: &B,
    records: &[MappingRecord],
    report: &mut Report,
) {
    for record in records {
        let Some(outcome) = &record.last_restore else {
            continue;
        };
        let Some(execution) = outcome.execution.as_deref() else {
            continue;
        };
        if outcome.status != studio_core::records::restore_status::RUNNING
            || !studio_core::lease::is_execution(execution)
        {
            continue;
        }
        let why = match backend.execution_running(execution).await {
            Ok(Some(true)) => continue,
            Ok(Some(false)) => format!(
                "the restore workflow execution {execution} ended (stopped or timed out) without recording its outcome; what it left behind is swept"
            ),
            Ok(None) => format!("the restore workflow execution {execution} does not exist"),
            Err(e) => {
                report.errors.push(e.to_string());
                continue;
            }
        };
        match backend.fail_run(&record.home, execution, &why).await {
            Ok(true) => {
                report.runs_failed += 1;
                let mut entry = HistoryEntry::new(&record.home, "restore_failed");
                entry.domain_id = record.domain_id.clone();
                if let Some(dir) = &record.directory {
                    entry.file_system_id = Some(dir.file_system_id.clone());
                    entry.uid = Some(dir.uid.get().into());
                }
                entry.execution = Some(execution.to_owned());
                entry.status = Some(studio_core::records::restore_status::FAILED.into());
                entry.detail = Some(why);
                if let Err(e) = backend.append(&entry).await {
                    report.errors.push(e.to_string());
                }
            }
            Ok(false) => {}
            Err(e) => report.errors.push(e.to_string()),
        }
    }
}

async fn free_stale_slots<B: Backend + Sync>(
    backend: &B,
    report: &mut Report,
) -> Result<(), Error> {
    for holder in backend.slot_holders().await? {
        match backend.is_running(&holder).await {
            Ok(true) => {}
            Ok(false) => match backend.free_slot(&holder).await {
                Ok(()) => {
                    tracing::info!(execution = %holder, "freed the DataSync slot of an execution that ended without releasing it");
                    report.slots_freed += 1;
                }
                Err(e) => report.errors.push(e.to_string()),
            },
            Err(e) => report.errors.push(e.to_string()),
        }
    }
    // The holders are the truth: a counter that drifted from them is set right.
    if let Some((before, after)) = backend.recount_slots().await? {
        tracing::warn!(
            before,
            after,
            "the DataSync slot counter had drifted from its holders; set right"
        );
        report.slots_recounted = true;
    }
    Ok(())
}

/// The real backend.
pub struct AwsBackend {
    clients: studio_core::aws::Clients,
    studio: Studio,
    mapping: MappingTable,
    history: HistoryTable,
    sfn: aws_sdk_sfn::Client,
    slots: Option<Slots>,
    state_machine_arn: Option<String>,
    policy: RetryPolicy,
    cancel: CancellationToken,
}

impl AwsBackend {
    pub async fn from_env(settings: &Settings) -> Result<AwsBackend, Error> {
        let clients = studio_core::aws::Clients::connect(&Default::default()).await?;
        let cancel = CancellationToken::new();
        Ok(AwsBackend {
            clients: clients.clone(),
            studio: Studio::new(clients.sagemaker.clone(), clients.retry, cancel.clone()),
            mapping: MappingTable::new(clients.dynamodb.clone(), settings.mapping_table.clone()),
            history: HistoryTable::new(clients.dynamodb.clone(), settings.history_table.clone()),
            sfn: clients.sfn.clone(),
            slots: settings
                .slots_table
                .clone()
                .map(|table| Slots::new(clients.dynamodb.clone(), table, clients.retry)),
            state_machine_arn: settings.state_machine_arn.clone(),
            policy: clients.retry,
            cancel,
        })
    }

    fn state_machine_arn(&self) -> Result<&str, Error> {
        self.state_machine_arn.as_deref().ok_or_else(|| {
            Error::Invalid(
                "STATE_MACHINE_ARN is not set: the reconciler cannot start restores".into(),
            )
        })
    }
}

impl Backend for AwsBackend {
    async fn domain_ids(&self) -> Result<Vec<String>, Error> {
        self.studio.domain_ids().await
    }

    async fn domain(&self, domain_id: &str) -> Result<Domain, Error> {
        self.studio.domain(domain_id).await
    }

    async fn homes_in(&self, domain_id: &str) -> Result<Vec<(HomeKind, String)>, Error> {
        self.studio.homes_in(domain_id).await
    }

    async fn home(
        &self,
        domain: &Domain,
        kind: HomeKind,
        name: &str,
    ) -> Result<Option<Home>, Error> {
        self.studio.home(domain, kind, name).await
    }

    async fn observe(&self, home: &HomeKey, seen: &Observation) -> Result<Observed, Error> {
        self.mapping.observe(home, seen).await
    }

    async fn append(&self, entry: &HistoryEntry) -> Result<(), Error> {
        self.history.append(entry).await.map(|_| ())
    }

    async fn scan(&self) -> Result<Vec<MappingRecord>, Error> {
        self.mapping.scan().await
    }

    async fn mark_refused(
        &self,
        record: &MappingRecord,
        execution_name: &str,
    ) -> Result<(), Error> {
        self.mapping.mark_refused(record, execution_name).await
    }

    async fn start(&self, request: &RestoreRequest, attempt: u32) -> Result<Started, Error> {
        workflow::start_attempt(
            &self.sfn,
            self.state_machine_arn()?,
            request,
            attempt,
            &self.policy,
            &self.cancel,
        )
        .await
    }

    async fn execution_running(&self, execution_arn: &str) -> Result<Option<bool>, Error> {
        Sweeper::new(&self.clients)
            .execution_running(execution_arn)
            .await
    }

    async fn fail_run(
        &self,
        home: &HomeKey,
        execution_arn: &str,
        why: &str,
    ) -> Result<bool, Error> {
        Sweeper::new(&self.clients)
            .fail_run(self.mapping.name(), &home.to_string(), execution_arn, why)
            .await
    }

    async fn sweep(&self, file_systems: Vec<String>) -> Result<SweepReport, Error> {
        Sweeper::new(&self.clients)
            .sweep(&Scope {
                file_systems,
                mapping_table: Some(self.mapping.name().to_owned()),
                own_restore_id: None,
                only_owner: None,
            })
            .await
    }

    async fn slot_holders(&self) -> Result<Vec<String>, Error> {
        match &self.slots {
            Some(slots) => slots.holders().await,
            None => Ok(Vec::new()),
        }
    }

    /// A slot's holder: a workflow execution (by name) or a provider run (its owner value).
    async fn is_running(&self, holder: &str) -> Result<bool, Error> {
        let sweeper = Sweeper::new(&self.clients);
        if holder.starts_with("provider/") {
            // A provider run that cannot be told dead keeps its slot.
            return Ok(sweeper
                .provider_alive(holder, self.mapping.name())
                .await?
                .unwrap_or(true));
        }
        let arn = workflow::execution_arn(self.state_machine_arn()?, holder)
            .ok_or_else(|| Error::Invalid("STATE_MACHINE_ARN is not a state machine ARN".into()))?;
        Ok(sweeper.execution_running(&arn).await?.unwrap_or(false))
    }

    async fn free_slot(&self, holder: &str) -> Result<(), Error> {
        match &self.slots {
            Some(slots) => slots.free(holder).await,
            None => Ok(()),
        }
    }

    async fn recount_slots(&self) -> Result<Option<(i64, usize)>, Error> {
        match &self.slots {
            Some(slots) => slots.recount().await,
            None => Ok(None),
        }
    }
}
