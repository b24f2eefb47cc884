//! The restore workflow's input contract and its deterministic execution names.
//!
//! The restore workflow is a Step Functions state machine (`modules/restore-workflow`). Two
//! things start it: the stream processor Lambda, when a tracked home reappears with a new file
//! system or uid, and the provider's `state_machine` restore engine. Both build a
//! [`RestoreRequest`] here, so the JSON the state machine reads is written in one place:
//!
//! ```json
//! {
//!   "source":  { "domain_id": "d-old", "file_system_id": "fs-0123456789abcdef0", "uid": "200001",
//!                "home": "studio/user/alice" },
//!   "target":  { "domain_id": "d-new", "kind": "user", "name": "alice",
//!                "file_system_id": "fs-89abcdef01234567a", "uid": "200002", "home": "studio/user/alice" },
//!   "options": { "excludes": "*/.ipynb_checkpoints", "wait_for_app": true,
//!                "target_ready_checks": 120, "target_ready_interval_seconds": 30,
//!                "transfer_polls": 2880, "transfer_poll_seconds": 30,
//!                "clear_restore_from": false, "requested_by": "stream-processor",
//!                "after_interrupted_attempt": false }
//! }
//! ```
//!
//! Every field is always present: Amazon States Language paths fail at run time on a missing
//! field, so optional values are written as their neutral value (`""`, `false`) instead of
//! being left out. Uids are decimal strings, as SageMaker reports `HomeEfsFileSystemUid`.
//!
//! The execution name is a hash of the copy (source directory, target home and directory):
//! a redelivered stream record, a retried Lambda or a reconciler pass that starts the same copy
//! again gets `ExecutionAlreadyExists` instead of a second DataSync task.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::home::{HomeDirectory, check_file_system_id};
use crate::records::MappingRecord;
use crate::source::{self, Consent};
use crate::{Error, HomeKey, HomeKind, Uid};

/// Default DataSync exclude filter: Jupyter checkpoints are regenerated and only add noise.
pub const DEFAULT_EXCLUDES: &str = "*/.ipynb_checkpoints";

/// Step Functions allows at most 80 characters in an execution name.
const MAX_EXECUTION_NAME: usize = 80;

/// Where the files come from: a home directory `/<uid>` on a file system, possibly of a domain
/// that no longer exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDirectory {
    pub domain_id: String,
    pub file_system_id: String,
    pub uid: String,
    /// The home key (`<domain name>/<kind>/<name>`) the directory belonged to.
    pub home: String,
}

/// Where the files go: the current home directory of a live user profile or space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetHome {
    pub domain_id: String,
    /// `user` or `space`: which SageMaker API describes the target.
    pub kind: String,
    /// The user profile or space name.
    pub name: String,
    pub file_system_id: String,
    pub uid: String,
    /// The home key; the state machine records the outcome on this mapping-table row.
    pub home: String,
}

/// How the workflow runs. Every field is always serialized (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreOptions {
    /// A DataSync `SIMPLE_PATTERN` exclude filter (`|`-separated); `""` excludes nothing.
    pub excludes: String,
    /// Also wait for one of the target's apps to be `InService` (Studio creates the home
    /// directory with the right owner when the first app starts).
    pub wait_for_app: bool,
    /// How many times the workflow checks whether the target is ready before it gives up.
    pub target_ready_checks: u32,
    pub target_ready_interval_seconds: u32,
    /// How many times the workflow polls the DataSync execution before it cancels it.
    pub transfer_polls: u32,
    pub transfer_poll_seconds: u32,
    /// The restore consumes the target row's `restore_from`: remove it on success.
    pub clear_restore_from: bool,
    /// Who started the workflow (`stream-processor`, `reconciler`, `provider`): for the
    /// history and the notification.
    pub requested_by: String,
    /// An earlier attempt of this copy was interrupted and may have left partial files: copy
    /// every file again and replace what is at its path
    /// ([`crate::restore::TransferOptions::after_interrupted_attempt`]). Absent in requests of
    /// older starters, which the workflow reads as `false`.
    #[serde(default)]
    pub after_interrupted_attempt: bool,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            excludes: DEFAULT_EXCLUDES.to_owned(),
            wait_for_app: true,
            // 120 checks 30 s apart: the target gets an hour to become ready.
            target_ready_checks: 120,
            target_ready_interval_seconds: 30,
            // 2880 polls 30 s apart: a day of copying, well inside the 25,000-event history.
            transfer_polls: 2880,
            transfer_poll_seconds: 30,
            clear_restore_from: false,
            requested_by: "provider".to_owned(),
            after_interrupted_attempt: false,
        }
    }
}

impl RestoreOptions {
    /// The options of the automatic restores a function starts, from its configuration: `var`
    /// reads one setting (a Lambda's environment, as `modules/event-app` sets it; `None` when
    /// unset). `RESTORE_EXCLUDES` (set and empty: nothing excluded), `RESTORE_WAIT_FOR_APP`
    /// (`true`/`false`), `RESTORE_POLL_SECONDS` (how often the workflow looks at the target and
    /// at the transfer; the total waits stay an hour and a day).
    pub fn from_settings(
        requested_by: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<RestoreOptions, Error> {
        let mut options = RestoreOptions {
            requested_by: requested_by.to_owned(),
            ..RestoreOptions::default()
        };
        if let Some(excludes) = var("RESTORE_EXCLUDES") {
            options.excludes = excludes;
        }
        if let Some(wait) = var("RESTORE_WAIT_FOR_APP").filter(|v| !v.is_empty()) {
            options.wait_for_app = match wait.as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(Error::Invalid(format!(
                        "RESTORE_WAIT_FOR_APP={wait:?} is neither true nor false"
                    )));
                }
            };
        }
        if let Some(seconds) = var("RESTORE_POLL_SECONDS").filter(|v| !v.is_empty()) {
            let seconds: u32 = seconds.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                Error::Invalid(format!(
                    "RESTORE_POLL_SECONDS={seconds:?} is not a positive number"
                ))
            })?;
            options.target_ready_checks = (3600 / seconds).max(1);
            options.target_ready_interval_seconds = seconds;
            options.transfer_polls = (86400 / seconds).max(1);
            options.transfer_poll_seconds = seconds;
        }
        Ok(options)
    }
}

/// The input of one restore workflow execution: copy `source` into `target`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRequest {
    pub source: SourceDirectory,
    pub target: TargetHome,
    pub options: RestoreOptions,
}

/// One side of a copy, as the callers know it: parsed, so that the request can only hold valid
/// values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory<'a> {
    pub home: &'a HomeKey,
    pub domain_id: &'a str,
    pub directory: &'a HomeDirectory,
}

impl RestoreRequest {
    /// A request to copy `source` into the home directory of `target`. Refuses a copy of a
    /// directory onto itself and identifiers that could name anything but a home directory.
    pub fn new(
        source: &Directory<'_>,
        target: &Directory<'_>,
        options: RestoreOptions,
    ) -> Result<RestoreRequest, Error> {
        for side in [source, target] {
            check_domain_id(side.domain_id, side.home)?;
            check_file_system_id(&side.directory.file_system_id)?;
        }
        if source.directory == target.directory {
            return Err(Error::Refused(format!(
                "restore into {}: the source {} is the target's own home directory",
                target.home, source.directory
            )));
        }
        if options.target_ready_interval_seconds == 0 || options.transfer_poll_seconds == 0 {
            return Err(Error::Invalid(format!(
                "restore into {}: wait intervals must be at least one second",
                target.home
            )));
        }
        Ok(RestoreRequest {
            source: SourceDirectory {
                domain_id: source.domain_id.to_owned(),
                file_system_id: source.directory.file_system_id.clone(),
                uid: source.directory.uid.to_string(),
                home: source.home.to_string(),
            },
            target: TargetHome {
                domain_id: target.domain_id.to_owned(),
                kind: target.home.kind.as_str().to_owned(),
                name: target.home.name.clone(),
                file_system_id: target.directory.file_system_id.clone(),
                uid: target.directory.uid.to_string(),
                home: target.home.to_string(),
            },
            options,
        })
    }

    /// Parses and re-checks a request (the Lambdas read them back from Step Functions).
    pub fn from_json(json: &str) -> Result<RestoreRequest, Error> {
        let request: RestoreRequest = serde_json::from_str(json)
            .map_err(|e| Error::Invalid(format!("not a restore workflow input: {e}")))?;
        request.validate()?;
        Ok(request)
    }

    /// The JSON input for `StartExecution`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a restore request always serializes")
    }

    /// Checks every invariant [`RestoreRequest::new`] enforces, on a request that came from
    /// elsewhere.
    pub fn validate(&self) -> Result<(), Error> {
        let source_home: HomeKey = self.source.home.parse()?;
        let target_home: HomeKey = self.target.home.parse()?;
        let kind: HomeKind = self.target.kind.parse()?;
        if kind != target_home.kind || self.target.name != target_home.name {
            return Err(Error::Invalid(format!(
                "restore into {}: kind {:?} and name {:?} do not match the home key",
                self.target.home, self.target.kind, self.target.name
            )));
        }
        let source_directory =
            HomeDirectory::new(&self.source.file_system_id, self.source.uid.parse::<Uid>()?)?;
        let target_directory =
            HomeDirectory::new(&self.target.file_system_id, self.target.uid.parse::<Uid>()?)?;
        RestoreRequest::new(
            &Directory {
                home: &source_home,
                domain_id: &self.source.domain_id,
                directory: &source_directory,
            },
            &Directory {
                home: &target_home,
                domain_id: &self.target.domain_id,
                directory: &target_directory,
            },
            self.options.clone(),
        )
        .map(|_| ())
    }

    /// The deterministic execution name of this copy: `restore-<target uid>-<target>-<copy>`,
    /// two hashes: of the target home and directory, and of the source directory with the target. The same copy always
    /// gets the same name, so Step Functions starts it at most once (names stay reserved for 90
    /// days after an execution ends).
    pub fn execution_name(&self) -> String {
        self.named(None)
    }

    /// The name for a deliberate repeat of the same copy (a manual retry after a failure):
    /// attempt 0 is [`RestoreRequest::execution_name`].
    pub fn execution_name_for_attempt(&self, attempt: u32) -> String {
        self.named((attempt > 0).then_some(attempt))
    }

    fn named(&self, attempt: Option<u32>) -> String {
        let name = format!(
            "restore-{}-{}-{}",
            self.target.uid,
            self.target_tag(),
            self.copy_tag()
        );
        let name = match attempt {
            None => name,
            Some(n) => format!("{name}-retry{n}"),
        };
        debug_assert!(name.len() <= MAX_EXECUTION_NAME, "{name}");
        name
    }

    /// A hash of the target home and directory. Every execution into this directory carries it
    /// in its name, so a recorded execution tells whether this directory was restored already.
    pub fn target_tag(&self) -> String {
        target_tag(
            &self.target.home,
            &self.target.domain_id,
            &self.target.file_system_id,
            &self.target.uid,
        )
    }

    fn copy_tag(&self) -> String {
        digest(&[
            &self.source.file_system_id,
            &self.source.uid,
            &self.target_tag(),
        ])
    }
}

fn target_tag(home: &str, domain_id: &str, file_system_id: &str, uid: &str) -> String {
    digest(&["target", home, domain_id, file_system_id, uid])
}

/// 20 hex digits (80 bits) of SHA-256 over the parts, each terminated so that parts cannot run
/// into each other.
fn digest(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"studio-restore/v1\0");
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    hex::encode(hash.finalize())[..20].to_owned()
}

/// What to do about one home after its mapping row changed (stream processor) or when the
/// reconciler looks at it.
// Built once per record and consumed at once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestorePlan {
    /// No restore is due.
    Nothing,
    /// Start this restore (under [`RestoreRequest::execution_name`]).
    Start(RestoreRequest),
    /// A restore would be due, but a safety rule refuses it; record why. `request` is the refused
    /// restore when it could be built: recording its execution name on the row tells the
    /// reconciler this directory was decided.
    Refuse {
        reason: String,
        request: Option<Box<RestoreRequest>>,
    },
    /// The last automatic attempt of this restore failed and the next is due: start `request`
    /// as attempt `attempt` (under [`RestoreRequest::execution_name_for_attempt`]), replacing
    /// what the failed attempt may have copied partially.
    Retry {
        request: RestoreRequest,
        attempt: u32,
        /// Why the previous attempt failed, as recorded on the row.
        last_failure: String,
    },
}

/// How failed automatic restores are tried again: at most `attempts` attempts in all, attempt
/// `n + 1` no sooner than `backoff * 2^n` after attempt `n` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    pub attempts: u32,
    pub backoff: std::time::Duration,
}

impl Default for RetrySchedule {
    /// Three attempts, 10 and 20 minutes apart: a target not ready within the workflow's hour,
    /// a throttled account or a full DataSync quota usually clears by then; a restore that fails
    /// three times needs a person (the notification and the history say why).
    fn default() -> Self {
        RetrySchedule {
            attempts: 3,
            backoff: std::time::Duration::from_secs(600),
        }
    }
}

impl RetrySchedule {
    /// When attempt `failed + 1` may start, after attempt `failed` ended at `ended`.
    fn due_after(&self, failed: u32, ended: time::OffsetDateTime) -> time::OffsetDateTime {
        let factor = 2u32.saturating_pow(failed.min(16));
        ended + self.backoff.saturating_mul(factor)
    }
}

/// The attempt number of an execution, from its name (or ARN): `...-retry<n>` is attempt n, any
/// other name attempt 0.
pub fn attempt_of(execution: &str) -> u32 {
    let name = execution.rsplit(':').next().unwrap_or(execution);
    name.rsplit_once("-retry")
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

/// The name of attempt 0 of an execution (its name without `-retry<n>`).
fn first_attempt_name(execution: &str) -> &str {
    let name = execution.rsplit(':').next().unwrap_or(execution);
    match name.rsplit_once("-retry") {
        Some((base, n)) if n.parse::<u32>().is_ok() => base,
        _ => name,
    }
}

/// The restore a change of a mapping row calls for, from the stream record's old and new image.
///
/// A restore is due when the home's directory changed and either the row names a declared source
/// (`restore_from`, set by `studio_restore_target`: always honoured, and consumed), or the home
/// was recreated (it had a directory before) with replication on. Every due restore goes through
/// the one resolver's checks ([`source::check`]): a source owned by someone other than the new
/// directory's owner (a profile recreated for another IAM Identity Center user, a private space
/// recreated for another owner), and any automatic restore into a home marked refused, are
/// refused.
///
/// The source of a recreation is the directory the home had before. When that directory was
/// itself a recreation whose restore never finished (recreated twice in quick succession: A, B,
/// C), the restore into B was superseded, so the source is A, where the data still is; A's owner
/// is the one recorded with A.
pub fn plan_after_change(
    old: Option<&MappingRecord>,
    new: &MappingRecord,
    options: &RestoreOptions,
) -> RestorePlan {
    let Some(target) = source::target_of(new) else {
        return RestorePlan::Nothing;
    };
    let before = old.and_then(|o| o.directory.as_ref());
    if before == Some(&target.directory) {
        // The workflow's own writes, flag changes, redelivered events.
        return RestorePlan::Nothing;
    }
    if let Some(declared) = source::from_declared_target(new) {
        let mut options = options.clone();
        options.clear_restore_from = true;
        return checked(&declared, &target, new, &[], options);
    }
    let (Some(old), Some(_)) = (old, before) else {
        // A home seen for the first time (or a declared target without a source).
        return RestorePlan::Nothing;
    };
    if !new.replication {
        return RestorePlan::Nothing;
    }
    let Some(previous) = &new.previous else {
        return RestorePlan::Nothing;
    };
    let from = match (&old.previous, old.directory.as_ref()) {
        (Some(earlier), Some(superseded))
            if old.replication && !restored(old, superseded, RestoreStatus::Succeeded) =>
        {
            source::from_previous(old, earlier)
        }
        _ => source::from_previous(new, previous),
    };
    checked(&from, &target, new, &[], options.clone())
}

/// The restore the reconciler should (re)start for a row, if one is due and none was recorded
/// into the row's current directory: the events or the stream processing missed it. Starting it
/// again is harmless: the execution name is deterministic. The same checks as
/// [`plan_after_change`] apply, with `holders` telling which live homes have a directory as
/// their current one. A restore recorded as failed is tried again by `schedule`, as the same
/// copy ([`RestorePlan::Retry`]).
pub fn plan_pending(
    record: &MappingRecord,
    options: &RestoreOptions,
    holders: impl Fn(&HomeDirectory) -> Vec<HomeKey>,
    schedule: &RetrySchedule,
    now: time::OffsetDateTime,
) -> RestorePlan {
    let Some(target) = source::target_of(record) else {
        return RestorePlan::Nothing;
    };
    if !restored(record, &target.directory, RestoreStatus::Any) {
        return pending(record, options, holders);
    }
    // A restore into this directory was recorded: only a failed one is tried again, as the
    // same copy, once its backoff has passed.
    let Some(outcome) = &record.last_restore else {
        return RestorePlan::Nothing;
    };
    let Some(execution) = outcome.execution.as_deref() else {
        return RestorePlan::Nothing;
    };
    if outcome.status != crate::records::restore_status::FAILED {
        return RestorePlan::Nothing;
    }
    let failed = attempt_of(execution);
    if failed + 1 >= schedule.attempts {
        return RestorePlan::Nothing;
    }
    let ended = outcome.restored_at.as_deref().and_then(|at| {
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
    });
    if ended.is_none_or(|ended| now < schedule.due_after(failed, ended)) {
        return RestorePlan::Nothing;
    }
    match pending(record, options, holders) {
        RestorePlan::Start(mut request)
            if request.execution_name() == first_attempt_name(execution) =>
        {
            request.options.after_interrupted_attempt = true;
            RestorePlan::Retry {
                request,
                attempt: failed + 1,
                last_failure: record
                    .other
                    .get(crate::records::RESTORE_DETAIL)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_else(|| "no detail was recorded".into()),
            }
        }
        // Another copy is due now (a new declared source): not a retry of the failed one.
        RestorePlan::Start(_) | RestorePlan::Nothing | RestorePlan::Retry { .. } => {
            RestorePlan::Nothing
        }
        refused @ RestorePlan::Refuse { .. } => refused,
    }
}

fn pending(
    record: &MappingRecord,
    options: &RestoreOptions,
    holders: impl Fn(&HomeDirectory) -> Vec<HomeKey>,
) -> RestorePlan {
    let Some(target) = source::target_of(record) else {
        return RestorePlan::Nothing;
    };
    if let Some(declared) = source::from_declared_target(record) {
        let mut options = options.clone();
        options.clear_restore_from = true;
        return checked(&declared, &target, record, &[], options);
    }
    match &record.previous {
        Some(previous) if record.replication => {
            let from = source::from_previous(record, previous);
            let live = holders(&from.directory);
            checked(&from, &target, record, &live, options.clone())
        }
        _ => RestorePlan::Nothing,
    }
}

/// The request for a copy from `from` into the row's current directory, if the resolver's
/// checks let it through; else the refusal, with the request it refused when it can be built.
fn checked(
    from: &source::ResolvedSource,
    target: &source::Target,
    record: &MappingRecord,
    holders: &[HomeKey],
    options: RestoreOptions,
) -> RestorePlan {
    let source_home = from.home.clone().unwrap_or_else(|| record.home.clone());
    let domain_id = from
        .domain_id
        .as_deref()
        .or(record.domain_id.as_deref())
        .unwrap_or_default();
    let plan = request(&source_home, domain_id, &from.directory, record, options);
    match (
        source::check(from, target, holders, Consent::Automatic),
        plan,
    ) {
        (Ok(()), plan) => plan,
        (Err(e), RestorePlan::Start(refused)) => RestorePlan::Refuse {
            reason: e.to_string(),
            request: Some(Box::new(refused)),
        },
        (Err(e), _) => RestorePlan::Refuse {
            reason: e.to_string(),
            request: None,
        },
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RestoreStatus {
    Succeeded,
    Any,
}

/// Whether the row records a restore into `directory` (of its current domain), by the target tag
/// in the recorded execution's name.
fn restored(record: &MappingRecord, directory: &HomeDirectory, status: RestoreStatus) -> bool {
    let (Some(outcome), Some(domain_id)) = (&record.last_restore, record.domain_id.as_deref())
    else {
        return false;
    };
    let tag = target_tag(
        &record.home.to_string(),
        domain_id,
        &directory.file_system_id,
        &directory.uid.to_string(),
    );
    let into_directory = outcome
        .execution
        .as_deref()
        .is_some_and(|execution| execution.contains(&format!("-{tag}-")));
    into_directory
        && (status == RestoreStatus::Any
            || outcome.status == crate::records::restore_status::SUCCEEDED)
}

fn request(
    source_home: &HomeKey,
    source_domain_id: &str,
    source: &HomeDirectory,
    target: &MappingRecord,
    options: RestoreOptions,
) -> RestorePlan {
    let (Some(directory), Some(domain_id)) = (&target.directory, target.domain_id.as_deref())
    else {
        return RestorePlan::Nothing;
    };
    let made = RestoreRequest::new(
        &Directory {
            home: source_home,
            domain_id: source_domain_id,
            directory: source,
        },
        &Directory {
            home: &target.home,
            domain_id,
            directory,
        },
        options,
    );
    match made {
        Ok(request) => RestorePlan::Start(request),
        Err(e) => RestorePlan::Refuse {
            reason: e.to_string(),
            request: None,
        },
    }
}

/// Whether [`start`] started the restore or found it started already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    New,
    /// An execution of this name exists (running or finished): the same copy is not started twice.
    AlreadyStarted,
}

/// Starts the restore workflow for `request` under its deterministic execution name. An existing
/// execution of that name is success: this is what makes redelivered events, retried batches and
/// reconciler passes start each copy once.
pub async fn start(
    sfn: &aws_sdk_sfn::Client,
    state_machine_arn: &str,
    request: &RestoreRequest,
    policy: &crate::retry::RetryPolicy,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Started, Error> {
    start_attempt(sfn, state_machine_arn, request, 0, policy, cancel).await
}

/// [`start`], as attempt `attempt` of the copy.
pub async fn start_attempt(
    sfn: &aws_sdk_sfn::Client,
    state_machine_arn: &str,
    request: &RestoreRequest,
    attempt: u32,
    policy: &crate::retry::RetryPolicy,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Started, Error> {
    let name = request.execution_name_for_attempt(attempt);
    let input = request.to_json();
    crate::retry::retry(policy, cancel, crate::retry::is_transient, || async {
        match sfn
            .start_execution()
            .state_machine_arn(state_machine_arn)
            .name(&name)
            .input(&input)
            .send()
            .await
        {
            Ok(_) => Ok(Started::New),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_execution_already_exists()) => {
                Ok(Started::AlreadyStarted)
            }
            Err(e) => Err(Error::aws(
                format!(
                    "starting restore {name} into {} (uid {}) with state machine {state_machine_arn}",
                    request.target.home, request.target.uid
                ),
                &e,
            )),
        }
    })
    .await
}

/// The ARN of an execution, from its state machine's ARN and its name (what `StartExecution`
/// returns, and what `ExecutionAlreadyExists` does not).
pub fn execution_arn(state_machine_arn: &str, execution_name: &str) -> Option<String> {
    state_machine_arn.contains(":stateMachine:").then(|| {
        format!(
            "{}:{execution_name}",
            state_machine_arn.replacen(":stateMachine:", ":execution:", 1)
        )
    })
}

fn check_domain_id(id: &str, home: &HomeKey) -> Result<(), Error> {
    let ok = id.len() > 2
        && id.len() <= 63
        && id.starts_with("d-")
        && id[2..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "restore for {home}: {id:?} is not a SageMaker domain id (d-...)"
        )))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_workflow_tags_its_objects_with_the_owner_tag() {
        // crate::sweep: a workflow execution owns what it creates, by its ARN. Every Tags list
        // of the definition is the module's local.execution_tags: the owner tag (its
        // local.owner_tag, which tests/emulator/test_iam_policies.py checks is
        // crate::sweep::OWNER_TAG) valued with the execution's ARN, then the module's tags.
        let asl = include_str!("../../../modules/restore-workflow/definition.asl.json");
        let tags = asl.matches("\"Tags\":").count();
        assert!(
            tags >= 6,
            "the workflow tags what it creates, and its DataSync execution"
        );
        assert_eq!(
            asl.matches("\"Tags\": ${execution_tags}").count(),
            tags,
            "every Tags list of the workflow is the execution tags"
        );
        let module = include_str!("../../../modules/restore-workflow/main.tf");
        let owner_first = "[{ Key = local.owner_tag, \"Value.$\" = \"$$.Execution.Id\" }]";
        let definition = module
            .split_once("execution_tags = concat(")
            .expect("main.tf defines local.execution_tags")
            .1;
        assert!(
            definition.trim_start().starts_with(owner_first),
            "the owner tag, valued with the execution's ARN, comes first"
        );
        assert!(module.contains("execution_tags               = jsonencode(local.execution_tags)"));
    }

    use super::*;

    use crate::owner::Owner;

    const FS: &str = "fs-0123456789abcdef0";

    fn alice() -> HomeKey {
        HomeKey::new("studio", HomeKind::User, "alice").unwrap()
    }

    fn request(source_uid: u32, target_uid: u32) -> Result<RestoreRequest, Error> {
        let home = alice();
        let source = HomeDirectory::new(FS, Uid::new(source_uid.into()).unwrap()).unwrap();
        let target = HomeDirectory::new(FS, Uid::new(target_uid.into()).unwrap()).unwrap();
        RestoreRequest::new(
            &Directory {
                home: &home,
                domain_id: "d-old1",
                directory: &source,
            },
            &Directory {
                home: &home,
                domain_id: "d-new1",
                directory: &target,
            },
            RestoreOptions::default(),
        )
    }

    #[test]
    fn the_json_carries_every_field_the_state_machine_reads() {
        let json: serde_json::Value =
            serde_json::from_str(&request(200001, 200002).unwrap().to_json()).unwrap();
        assert_eq!(json["source"]["uid"], "200001");
        assert_eq!(json["source"]["home"], "studio/user/alice");
        assert_eq!(json["target"]["kind"], "user");
        assert_eq!(json["target"]["name"], "alice");
        assert_eq!(json["target"]["uid"], "200002");
        assert_eq!(json["target"]["file_system_id"], FS);
        for field in [
            "excludes",
            "wait_for_app",
            "target_ready_checks",
            "target_ready_interval_seconds",
            "transfer_polls",
            "transfer_poll_seconds",
            "clear_restore_from",
            "requested_by",
        ] {
            assert!(
                json["options"].get(field).is_some(),
                "options.{field} missing"
            );
        }
    }

    #[test]
    fn a_functions_settings_give_its_restore_options() {
        let settings = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let defaults = RestoreOptions::from_settings("reconciler", settings(&[])).unwrap();
        assert_eq!(
            defaults,
            RestoreOptions {
                requested_by: "reconciler".into(),
                ..RestoreOptions::default()
            }
        );
        let set = RestoreOptions::from_settings(
            "stream-processor",
            settings(&[
                ("RESTORE_EXCLUDES", ""),
                ("RESTORE_WAIT_FOR_APP", "false"),
                ("RESTORE_POLL_SECONDS", "5"),
            ]),
        )
        .unwrap();
        assert_eq!(set.excludes, "");
        assert!(!set.wait_for_app);
        assert_eq!(
            (set.target_ready_checks, set.target_ready_interval_seconds),
            (720, 5)
        );
        assert_eq!((set.transfer_polls, set.transfer_poll_seconds), (17280, 5));
        for bad in [
            &[("RESTORE_POLL_SECONDS", "0")][..],
            &[("RESTORE_POLL_SECONDS", "soon")],
            &[("RESTORE_WAIT_FOR_APP", "yes")],
        ] {
            assert!(RestoreOptions::from_settings("x", settings(bad)).is_err());
        }
    }

    #[test]
    fn a_directory_is_never_copied_onto_itself() {
        let err = request(200001, 200001).unwrap_err();
        assert!(matches!(err, Error::Refused(_)), "{err}");
    }

    #[test]
    fn names_are_deterministic_valid_and_distinct_per_copy() {
        let a = request(200001, 200002).unwrap();
        assert_eq!(
            a.execution_name(),
            request(200001, 200002).unwrap().execution_name()
        );
        assert_ne!(
            a.execution_name(),
            request(200001, 200003).unwrap().execution_name()
        );
        assert_ne!(
            a.execution_name(),
            request(200004, 200002).unwrap().execution_name()
        );
        assert_ne!(a.execution_name(), a.execution_name_for_attempt(1));
        assert_eq!(a.execution_name(), a.execution_name_for_attempt(0));
        for name in [a.execution_name(), a.execution_name_for_attempt(u32::MAX)] {
            assert!(name.len() <= 80, "{name}");
            assert!(
                name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                "{name}"
            );
        }
        assert!(
            a.execution_name()
                .starts_with(&format!("restore-200002-{}-", a.target_tag()))
        );
        assert_eq!(
            a.target_tag(),
            request(200004, 200002).unwrap().target_tag()
        );
    }

    #[test]
    fn parsed_requests_are_checked_again() {
        let good = request(200001, 200002).unwrap();
        assert_eq!(RestoreRequest::from_json(&good.to_json()).unwrap(), good);
        let mut bad = good.clone();
        bad.target.uid = String::new();
        assert!(RestoreRequest::from_json(&bad.to_json()).is_err());
        let mut bad = good.clone();
        bad.source.uid = "0".into();
        assert!(RestoreRequest::from_json(&bad.to_json()).is_err());
        let mut bad = good.clone();
        bad.source.file_system_id = format!("{FS}/../x");
        assert!(RestoreRequest::from_json(&bad.to_json()).is_err());
        let mut bad = good.clone();
        bad.target.kind = "space".into();
        assert!(RestoreRequest::from_json(&bad.to_json()).is_err());
        assert!(RestoreRequest::from_json("{}").is_err());
    }

    #[test]
    fn execution_arns_follow_the_state_machine() {
        assert_eq!(
            execution_arn(
                "arn:aws:states:us-east-1:123456789012:stateMachine:restore",
                "x"
            )
            .as_deref(),
            Some("arn:aws:states:us-east-1:123456789012:execution:restore:x")
        );
        // Every partition: GovCloud and China ARNs keep theirs.
        assert_eq!(
            execution_arn(
                "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:restore",
                "x"
            )
            .as_deref(),
            Some("arn:aws-cn:states:cn-north-1:123456789012:execution:restore:x")
        );
        assert_eq!(execution_arn("nonsense", "x"), None);
    }

    fn dir(uid: u32) -> HomeDirectory {
        HomeDirectory::new(FS, Uid::new(uid.into()).unwrap()).unwrap()
    }

    fn row(uid: Option<u32>, previous: Option<u32>) -> MappingRecord {
        let mut record = MappingRecord::new(alice());
        record.domain_id = Some("d-new1".into());
        record.directory = uid.map(dir);
        record.owner = Some(Owner::Profile("alice".into()));
        record.previous = previous.map(|p| crate::records::PreviousDirectory {
            directory: dir(p),
            domain_id: Some("d-old1".into()),
            owner: Some(Owner::Profile("alice".into())),
        });
        record.version = 1;
        record
    }

    fn started(plan: RestorePlan) -> RestoreRequest {
        match plan {
            RestorePlan::Start(request) => request,
            other => panic!("expected a restore, got {other:?}"),
        }
    }

    #[test]
    fn a_recreated_home_is_restored_from_its_previous_directory() {
        let options = RestoreOptions::default();
        let old = row(Some(200001), None);
        let new = row(Some(200002), Some(200001));
        let request = started(plan_after_change(Some(&old), &new, &options));
        assert_eq!(
            (request.source.uid.as_str(), request.target.uid.as_str()),
            ("200001", "200002")
        );
        assert_eq!(request.source.domain_id, "d-old1");
        assert!(!request.options.clear_restore_from);
    }

    #[test]
    fn nothing_is_due_without_a_recreation() {
        let options = RestoreOptions::default();
        // First sighting (INSERT), the workflow's own write, a home that was deleted from the table.
        assert_eq!(
            plan_after_change(None, &row(Some(200001), None), &options),
            RestorePlan::Nothing
        );
        let same = row(Some(200002), Some(200001));
        assert_eq!(
            plan_after_change(Some(&same), &same, &options),
            RestorePlan::Nothing
        );
        assert_eq!(
            plan_after_change(Some(&same), &row(None, None), &options),
            RestorePlan::Nothing
        );
        // Replication off.
        let mut new = row(Some(200002), Some(200001));
        new.replication = false;
        assert_eq!(
            plan_after_change(Some(&row(Some(200001), None)), &new, &options),
            RestorePlan::Nothing
        );
    }

    #[test]
    fn a_declared_source_is_restored_when_the_target_appears_and_consumed() {
        let mut new = row(Some(200007), None);
        let bob = HomeKey::new("other", HomeKind::Space, "bob").unwrap();
        new.restore_from = Some(crate::records::RestoreSource {
            home: bob,
            directory: dir(200003),
        });
        let mut old = new.clone();
        old.directory = None;
        let request = started(plan_after_change(
            Some(&old),
            &new,
            &RestoreOptions::default(),
        ));
        assert_eq!(request.source.home, "other/space/bob");
        assert_eq!(request.source.uid, "200003");
        assert!(request.options.clear_restore_from);
    }

    fn sso(user: &str) -> Option<Owner> {
        Some(Owner::SsoUser(user.into()))
    }

    #[test]
    fn a_profile_recreated_for_another_sso_user_is_refused() {
        let mut old = row(Some(200001), None);
        old.owner = sso("alice@example.com");
        let mut new = row(Some(200002), Some(200001));
        new.previous.as_mut().unwrap().owner = sso("alice@example.com");
        new.owner = sso("mallory@example.com");
        match plan_after_change(Some(&old), &new, &RestoreOptions::default()) {
            RestorePlan::Refuse { reason, request } => {
                assert!(
                    reason.contains("alice@example.com") && reason.contains("mallory@example.com"),
                    "{reason}"
                );
                assert!(
                    reason.contains("200001") && reason.contains("200002"),
                    "names both homes: {reason}"
                );
                assert_eq!(
                    request.unwrap().target.uid,
                    "200002",
                    "the refused copy is named, so the reconciler skips it"
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        new.owner = sso("alice@example.com");
        started(plan_after_change(
            Some(&old),
            &new,
            &RestoreOptions::default(),
        ));
    }

    #[test]
    fn a_second_recreation_for_another_person_compares_the_recorded_owner() {
        // alice's A (200001); recreated for mallory as B (200002): refused and marked. Recreated
        // again for mallory as C (200003): the source would be A (B was never restored), which
        // is still alice's, whatever the row says about the current profile.
        let options = RestoreOptions::default();
        let mut old = row(Some(200002), Some(200001));
        old.owner = sso("mallory@example.com");
        old.previous.as_mut().unwrap().owner = sso("alice@example.com");
        let mut new = row(Some(200003), Some(200002));
        new.owner = sso("mallory@example.com");
        new.previous.as_mut().unwrap().owner = sso("mallory@example.com");
        let RestorePlan::Refuse { reason, .. } = plan_after_change(Some(&old), &new, &options)
        else {
            panic!("A is alice's: refused");
        };
        assert!(
            reason.contains("alice@example.com") && reason.contains("200001"),
            "{reason}"
        );
        // Once refused, the home stays refused for automatic restores, even for alice herself.
        old.last_restore = Some(crate::records::RestoreOutcome {
            status: crate::records::restore_status::REFUSED.into(),
            execution: Some("restore-200002-x-y".into()),
            restored_at: None,
            files_transferred: None,
            bytes_written: None,
            duration_ms: None,
        });
        new.last_restore = old.last_restore.clone();
        new.owner = sso("alice@example.com");
        let RestorePlan::Refuse { reason, .. } = plan_after_change(Some(&old), &new, &options)
        else {
            panic!("a home marked refused stays refused");
        };
        assert!(reason.contains("refused before"), "{reason}");
        // ...until a human declares the source.
        new.restore_from = Some(crate::records::RestoreSource {
            home: alice(),
            directory: dir(200001),
        });
        assert_eq!(
            started(plan_after_change(Some(&old), &new, &options))
                .source
                .uid,
            "200001"
        );
    }

    #[test]
    fn a_private_space_recreated_for_another_owner_is_refused() {
        let team = HomeKey::new("studio", HomeKind::Space, "team").unwrap();
        let mut old = row(Some(200001), None);
        old.home = team.clone();
        old.owner = Some(Owner::PrivateSpace("alice".into()));
        let mut new = row(Some(200002), Some(200001));
        new.home = team;
        new.previous.as_mut().unwrap().owner = old.owner.clone();
        new.owner = Some(Owner::PrivateSpace("bob".into()));
        assert!(matches!(
            plan_after_change(Some(&old), &new, &RestoreOptions::default()),
            RestorePlan::Refuse { .. }
        ));
        assert!(
            matches!(
                plan_pending(
                    &new,
                    &RestoreOptions::default(),
                    |_| Vec::new(),
                    &RetrySchedule::default(),
                    time::OffsetDateTime::now_utc()
                ),
                RestorePlan::Refuse { .. }
            ),
            "the reconciler compares the same owners"
        );
        new.owner = Some(Owner::SharedSpace("studio".into()));
        assert!(
            matches!(
                plan_after_change(Some(&old), &new, &RestoreOptions::default()),
                RestorePlan::Refuse { .. }
            ),
            "a private space's files never become a shared space's"
        );
        new.owner = old.owner.clone();
        started(plan_after_change(
            Some(&old),
            &new,
            &RestoreOptions::default(),
        ));
    }

    #[test]
    fn the_reconciler_refuses_what_the_stream_processor_would_have_refused() {
        let mut record = row(Some(200002), Some(200001));
        record.previous.as_mut().unwrap().owner = sso("alice@example.com");
        record.owner = sso("mallory@example.com");
        let RestorePlan::Refuse { reason, request } = plan_pending(
            &record,
            &RestoreOptions::default(),
            |_| Vec::new(),
            &RetrySchedule::default(),
            time::OffsetDateTime::now_utc(),
        ) else {
            panic!("refused");
        };
        assert!(reason.contains("alice@example.com"), "{reason}");
        assert!(request.is_some());
        // A previous directory that is someone's live home now is never copied.
        record.owner = record.previous.as_ref().unwrap().owner.clone();
        let bob: HomeKey = "studio/user/bob".parse().unwrap();
        let RestorePlan::Refuse { reason, .. } = plan_pending(
            &record,
            &RestoreOptions::default(),
            |d| {
                if d.uid.get() == 200001 {
                    vec![bob.clone()]
                } else {
                    Vec::new()
                }
            },
            &RetrySchedule::default(),
            time::OffsetDateTime::now_utc(),
        ) else {
            panic!("refused");
        };
        assert!(reason.contains("studio/user/bob"), "{reason}");
    }

    #[test]
    fn a_double_recreation_restores_from_where_the_data_still_is() {
        let options = RestoreOptions::default();
        // A (200001) -> B (200002): its restore started but never finished; then C (200003).
        let mut old = row(Some(200002), Some(200001));
        let into_b = started(plan_after_change(
            Some(&row(Some(200001), None)),
            &old,
            &options,
        ));
        old.last_restore = Some(crate::records::RestoreOutcome {
            status: "RUNNING".into(),
            execution: Some(format!(
                "arn:aws:states:us-east-1:1:execution:sm:{}",
                into_b.execution_name()
            )),
            restored_at: None,
            files_transferred: None,
            bytes_written: None,
            duration_ms: None,
        });
        let new = row(Some(200003), Some(200002));
        assert_eq!(
            started(plan_after_change(Some(&old), &new, &options))
                .source
                .uid,
            "200001"
        );
        // Once B was restored, C gets B.
        old.last_restore.as_mut().unwrap().status = "SUCCEEDED".into();
        assert_eq!(
            started(plan_after_change(Some(&old), &new, &options))
                .source
                .uid,
            "200002"
        );
    }

    #[test]
    fn the_reconciler_starts_only_restores_not_recorded_into_the_current_directory() {
        let options = RestoreOptions::default();
        let mut record = row(Some(200002), Some(200001));
        let request = started(plan_pending(
            &record,
            &options,
            |_| Vec::new(),
            &RetrySchedule::default(),
            time::OffsetDateTime::now_utc(),
        ));
        record.last_restore = Some(crate::records::RestoreOutcome {
            status: "FAILED".into(),
            execution: Some(format!(
                "arn:aws:states:us-east-1:1:execution:sm:{}",
                request.execution_name()
            )),
            restored_at: None,
            files_transferred: None,
            bytes_written: None,
            duration_ms: None,
        });
        assert_eq!(
            plan_pending(
                &record,
                &options,
                |_| Vec::new(),
                &RetrySchedule::default(),
                time::OffsetDateTime::now_utc()
            ),
            RestorePlan::Nothing
        );
        // A later recreation makes a new restore due.
        record.previous = Some(crate::records::PreviousDirectory {
            directory: dir(200002),
            domain_id: None,
            owner: Some(Owner::Profile("alice".into())),
        });
        record.directory = Some(dir(200009));
        assert_eq!(
            started(plan_pending(
                &record,
                &options,
                |_| Vec::new(),
                &RetrySchedule::default(),
                time::OffsetDateTime::now_utc()
            ))
            .source
            .uid,
            "200002"
        );
        assert_eq!(
            plan_pending(
                &row(Some(200001), None),
                &options,
                |_| Vec::new(),
                &RetrySchedule::default(),
                time::OffsetDateTime::now_utc()
            ),
            RestorePlan::Nothing
        );
    }

    #[test]
    fn a_failed_automatic_restore_is_retried_as_the_same_copy_by_the_schedule() {
        let options = RestoreOptions::default();
        let schedule = RetrySchedule {
            attempts: 3,
            backoff: std::time::Duration::from_secs(600),
        };
        let now = time::OffsetDateTime::now_utc();
        let at = |ago: i64| {
            (now - time::Duration::seconds(ago))
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let mut record = row(Some(200002), Some(200001));
        let first = started(plan_pending(
            &record,
            &options,
            |_| Vec::new(),
            &schedule,
            now,
        ));
        let failed = |attempt: u32, status: &str, ago: i64| crate::records::RestoreOutcome {
            status: status.into(),
            execution: Some(format!(
                "arn:aws:states:us-east-1:1:execution:sm:{}",
                first.execution_name_for_attempt(attempt)
            )),
            restored_at: Some(at(ago)),
            files_transferred: None,
            bytes_written: None,
            duration_ms: None,
        };
        record.other.insert(
            "restore_detail".into(),
            aws_sdk_dynamodb::types::AttributeValue::S("the target was not ready".into()),
        );
        // Attempt 0 failed 11 minutes ago: attempt 1 is due (10 minutes), as the same copy,
        // replacing partial files, with the failure's reason.
        record.last_restore = Some(failed(0, "FAILED", 660));
        match plan_pending(&record, &options, |_| Vec::new(), &schedule, now) {
            RestorePlan::Retry {
                request,
                attempt,
                last_failure,
            } => {
                assert_eq!(attempt, 1);
                assert_eq!(request.execution_name(), first.execution_name());
                assert!(request.options.after_interrupted_attempt);
                assert_eq!(last_failure, "the target was not ready");
                assert_eq!(attempt_of(&request.execution_name_for_attempt(attempt)), 1);
            }
            other => panic!("expected a retry, got {other:?}"),
        }
        // Not before its backoff; attempt 1's backoff is twice as long.
        record.last_restore = Some(failed(0, "FAILED", 540));
        assert_eq!(
            plan_pending(&record, &options, |_| Vec::new(), &schedule, now),
            RestorePlan::Nothing
        );
        record.last_restore = Some(failed(1, "FAILED", 1100));
        assert_eq!(
            plan_pending(&record, &options, |_| Vec::new(), &schedule, now),
            RestorePlan::Nothing
        );
        record.last_restore = Some(failed(1, "FAILED", 1300));
        assert!(matches!(
            plan_pending(&record, &options, |_| Vec::new(), &schedule, now),
            RestorePlan::Retry { attempt: 2, .. }
        ));
        // The last attempt failed: a person decides.
        record.last_restore = Some(failed(2, "FAILED", 86400));
        assert_eq!(
            plan_pending(&record, &options, |_| Vec::new(), &schedule, now),
            RestorePlan::Nothing
        );
        // Running, succeeded or refused restores are never retried.
        for status in ["RUNNING", "SUCCEEDED", "REFUSED"] {
            record.last_restore = Some(failed(0, status, 86400));
            assert_eq!(
                plan_pending(&record, &options, |_| Vec::new(), &schedule, now),
                RestorePlan::Nothing,
                "{status}"
            );
        }
        // A failure without a recorded end time waits (it cannot be placed in the schedule).
        let mut undated = failed(0, "FAILED", 0);
        undated.restored_at = None;
        record.last_restore = Some(undated);
        assert_eq!(
            plan_pending(&record, &options, |_| Vec::new(), &schedule, now),
            RestorePlan::Nothing
        );
        // One attempt in all: never retried.
        record.last_restore = Some(failed(0, "FAILED", 86400));
        let once = RetrySchedule {
            attempts: 1,
            ..schedule
        };
        assert_eq!(
            plan_pending(&record, &options, |_| Vec::new(), &once, now),
            RestorePlan::Nothing
        );
    }

    #[test]
    fn the_event_app_readme_states_the_retry_defaults_of_the_schedule() {
        let readme = include_str!("../../../modules/event-app/README.md");
        let d = RetrySchedule::default();
        assert!(
            readme.contains(&format!("null: the reconciler's default ({})", d.attempts)),
            "restore_attempts"
        );
        assert!(
            readme.contains(&format!(
                "null: the reconciler's default ({})",
                d.backoff.as_secs()
            )),
            "restore_retry_backoff_seconds"
        );
    }
}
