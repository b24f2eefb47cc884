//! The restore engine: copies one home directory into another with AWS DataSync, and cleans up
//! every DataSync object (and EFS access point) it created, on every path.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use aws_sdk_datasync::types as ds;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::aws::Clients;
use crate::error::Subject;
use crate::home::{HomeDirectory, Uid};
use crate::retry::{RetryPolicy, is_transient, retry};
use crate::sweep::{OWNER_TAG, Owned, Scope, Sweeper};
use crate::wait::{Backoff, Stop, Waiter};

/// The POSIX group SageMaker Studio gives home directories on EFS.
pub const STUDIO_GID: u32 = 1001;

/// The mode of a home directory that a restore creates because Studio has not mounted it yet:
/// private to its owner, as Studio creates it ("Amazon EFS auto-mounting in Studio": owner the
/// profile's uid, permissions 700).
pub const HOME_PERMISSIONS: &str = "0700";

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(Error::Invalid(format!(
                        "{other:?} is not a valid {}: expected one of {}",
                        stringify!($name),
                        Self::ALL.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ")
                    ))),
                }
            }
        }
    };
}

string_enum!(
    /// Copy only what differs (DataSync `CHANGED`) or everything (`ALL`).
    TransferMode { Changed = "CHANGED", All = "ALL" }
);
string_enum!(
    /// Whether files already in the target are overwritten.
    OverwriteMode { Always = "ALWAYS", Never = "NEVER" }
);
string_enum!(
    /// DataSync's verification after the copy.
    VerifyMode { OnlyFilesTransferred = "ONLY_FILES_TRANSFERRED", PointInTimeConsistent = "POINT_IN_TIME_CONSISTENT", None = "NONE" }
);
string_enum!(
    /// Who owns the restored files: the target profile's uid (through an EFS access point
    /// whose POSIX user is that uid, which EFS enforces on every write), or the source's
    /// numeric ids unchanged.
    Ownership { Target = "target", Preserve = "preserve" }
);

/// How DataSync copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferOptions {
    pub transfer_mode: TransferMode,
    pub overwrite_mode: OverwriteMode,
    pub verify_mode: VerifyMode,
    pub ownership: Ownership,
}

/// The defaults of every engine (the provider's resource, the restore workflow's
/// `task_options`): copy what differs, and never replace a file the user already has in the new
/// home (they may have started working before the restore ran).
impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            transfer_mode: TransferMode::Changed,
            overwrite_mode: OverwriteMode::Never,
            verify_mode: VerifyMode::OnlyFilesTransferred,
            ownership: Ownership::Target,
        }
    }
}

impl TransferOptions {
    /// The options of a restore that follows an interrupted attempt of the same copy into the
    /// same target. DataSync may leave partially written files behind when an execution is
    /// cancelled or fails (API reference, CancelTaskExecution); with `OverwriteMode = NEVER` the
    /// next copy would keep them, and `TransferMode = CHANGED` decides "unchanged" from metadata
    /// alone. So this attempt copies every file again and replaces what is at its path. The
    /// price: a file the user changed at a path the source also has, between the interrupted
    /// attempt and this one, is replaced too (files at other paths are never touched).
    pub fn after_interrupted_attempt(self) -> TransferOptions {
        TransferOptions {
            transfer_mode: TransferMode::All,
            overwrite_mode: OverwriteMode::Always,
            ..self
        }
    }

    /// The DataSync task `Options` of these settings, named as the DataSync API names them
    /// (`LogLevel` aside: it depends on whether there is a log group). The provider's engine
    /// sends exactly these; the restore workflow module's default `task_options` is tested
    /// against them, so that both engines copy alike.
    pub fn task_options(&self) -> Vec<(&'static str, &'static str)> {
        let (uid, gid) = match self.ownership {
            // The access point's POSIX user owns everything written through it.
            Ownership::Target => ("NONE", "NONE"),
            Ownership::Preserve => ("INT_VALUE", "INT_VALUE"),
        };
        vec![
            ("VerifyMode", self.verify_mode.as_str()),
            ("TransferMode", self.transfer_mode.as_str()),
            ("OverwriteMode", self.overwrite_mode.as_str()),
            ("Uid", uid),
            ("Gid", gid),
            ("PosixPermissions", "PRESERVE"),
            // Never delete anything in someone's home directory.
            ("PreserveDeletedFiles", "PRESERVE"),
            // Not supported between EFS locations (API reference, Options).
            ("PreserveDevices", "NONE"),
            ("Atime", "BEST_EFFORT"),
            ("Mtime", "PRESERVE"),
            ("TaskQueueing", "ENABLED"),
        ]
    }

    fn datasync_options(&self) -> ds::Options {
        let mut builder = ds::Options::builder()
            // File paths in home directories are personal data: keep them out of the logs.
            .log_level(ds::LogLevel::Off);
        for (name, value) in self.task_options() {
            builder = match name {
                "VerifyMode" => builder.verify_mode(value.into()),
                "TransferMode" => builder.transfer_mode(value.into()),
                "OverwriteMode" => builder.overwrite_mode(value.into()),
                "Uid" => builder.uid(value.into()),
                "Gid" => builder.gid(value.into()),
                "PosixPermissions" => builder.posix_permissions(value.into()),
                "PreserveDeletedFiles" => builder.preserve_deleted_files(value.into()),
                "PreserveDevices" => builder.preserve_devices(value.into()),
                "Atime" => builder.atime(value.into()),
                "Mtime" => builder.mtime(value.into()),
                "TaskQueueing" => builder.task_queueing(value.into()),
                other => {
                    unreachable!("task_options names an option the engine does not send: {other}")
                }
            };
        }
        builder.build()
    }
}

/// Where DataSync's network interfaces reach EFS from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub subnet_arn: String,
    pub security_group_arns: Vec<String>,
}

/// One restore, checked: the source and target are different, valid home directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePlan {
    id: String,
    /// The value of [`OWNER_TAG`] on everything this run creates ([`crate::sweep::provider_owner`]).
    owner: String,
    source: HomeDirectory,
    target: HomeDirectory,
    network: Network,
    options: TransferOptions,
}

impl RestorePlan {
    pub fn new(
        id: &str,
        owner: &str,
        source: HomeDirectory,
        target: HomeDirectory,
        network: Network,
        options: TransferOptions,
    ) -> Result<RestorePlan, Error> {
        if source == target {
            return Err(Error::Refused(format!(
                "the source and the target are the same directory ({source}): restoring a home into itself would do nothing but risk it"
            ))
            .about(Subject::Source));
        }
        if network.security_group_arns.is_empty() {
            return Err(Error::Invalid(
                "DataSync needs at least one security group to reach EFS".into(),
            )
            .about(Subject::Network));
        }
        Ok(RestorePlan {
            id: id.to_owned(),
            owner: owner.to_owned(),
            source,
            target,
            network,
            options,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn owner(&self) -> &str {
        &self.owner
    }
    /// This plan, its objects tagged with `owner` instead.
    pub fn owned_by(mut self, owner: &str) -> RestorePlan {
        self.owner = owner.to_owned();
        self
    }
    /// This plan, copying as after an interrupted attempt.
    pub fn after_interrupted_attempt(mut self) -> RestorePlan {
        self.options = self.options.after_interrupted_attempt();
        self
    }
    pub fn source(&self) -> &HomeDirectory {
        &self.source
    }
    pub fn target(&self) -> &HomeDirectory {
        &self.target
    }
}

/// How a restore's copy ended, as [`RestoreExecution::status`] says once it has ended: one
/// vocabulary for both engines (DataSync's own end states, and the workflow's execution
/// states for the `state_machine` engine, its success said as DataSync says it).
pub mod outcome {
    /// The copy succeeded (either engine).
    pub const SUCCESS: &str = "SUCCESS";
    /// The DataSync execution failed, or was cancelled (timeout, interruption).
    pub const ERROR: &str = "ERROR";
    /// The workflow execution failed, or the copy never reported an end.
    pub const FAILED: &str = "FAILED";
    /// The workflow execution ran past its own timeout.
    pub const TIMED_OUT: &str = "TIMED_OUT";
    /// The workflow execution was stopped (the provider's timeout or an interruption).
    pub const ABORTED: &str = "ABORTED";
    /// Every end a copy can report.
    pub const ALL: &[&str] = &[SUCCESS, ERROR, FAILED, TIMED_OUT, ABORTED];
}

/// What a DataSync task execution did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreExecution {
    pub execution_arn: String,
    pub status: String,
    pub files_transferred: i64,
    pub bytes_transferred: i64,
    pub bytes_written: i64,
    pub duration_ms: i64,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub error: Option<String>,
    /// Objects that could not be deleted afterwards (each with the reason).
    pub cleanup_failures: Vec<String>,
    /// Why this copy ran with [`TransferOptions::after_interrupted_attempt`], if it did.
    pub after_interrupted_attempt: Option<String>,
}

/// Where a running copy reports what it has done so far: every DataSync status read whose
/// status or counts changed (`FilesTransferred`, `BytesTransferred` of DescribeTaskExecution).
/// A receiver that went away only stops the reports, never the copy.
pub type ProgressSink = tokio::sync::mpsc::UnboundedSender<RestoreExecution>;

/// A failed restore: the error, and the execution when one had started.
#[derive(Debug)]
pub struct RestoreFailure {
    pub error: Error,
    pub execution: Option<RestoreExecution>,
    pub cleanup_failures: Vec<String>,
}

impl fmt::Display for RestoreFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(exec) = &self.execution {
            if !exec.execution_arn.is_empty() {
                write!(f, " (DataSync task execution {})", exec.execution_arn)?;
            }
        }
        Ok(())
    }
}

/// How often to ask DataSync for the execution's status.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    pub first: Duration,
    pub max: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            first: Duration::from_millis(250),
            max: Duration::from_secs(15),
        }
    }
}

impl Polling {
    /// From `first`, each pause `factor` times the one before, up to `max`.
    fn backoff(&self, factor: f64) -> Backoff {
        Backoff::new(self.first, factor, self.max)
    }
}

/// Runs restores with DataSync.
pub struct DataSyncRestore<'a> {
    clients: &'a Clients,
    cancel: CancellationToken,
    policy: RetryPolicy,
    polling: Polling,
    progress: Option<ProgressSink>,
    /// Set when a create call failed ambiguously (it may have taken effect): the run then
    /// looks for what its owner tag finds before it returns.
    ambiguous: std::sync::atomic::AtomicBool,
}

/// What a restore created, so that all of it is deleted afterwards.
#[derive(Default)]
struct Created {
    /// Access point ids.
    access_points: Vec<String>,
    locations: Vec<String>,
    task: Option<String>,
}

impl<'a> DataSyncRestore<'a> {
    pub fn new(clients: &'a Clients, cancel: CancellationToken) -> DataSyncRestore<'a> {
        DataSyncRestore {
            clients,
            cancel,
            policy: clients.retry,
            polling: Polling::default(),
            progress: None,
            ambiguous: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn with_polling(mut self, polling: Polling) -> Self {
        self.polling = polling;
        self
    }

    /// Reports the execution's progress to `sink` while the copy runs.
    pub fn with_progress(mut self, sink: Option<ProgressSink>) -> Self {
        self.progress = sink;
        self
    }

    /// Copies `plan.source` into `plan.target` and waits for the result, until `deadline`.
    /// Whatever happens, everything the restore created is deleted before this returns.
    pub async fn run(
        &self,
        plan: &RestorePlan,
        deadline: Instant,
    ) -> Result<RestoreExecution, RestoreFailure> {
        let mut created = Created::default();
        let mut execution = None;
        let outcome = self
            .copy(plan, deadline, &mut created, &mut execution)
            .await;
        let mut cleanup_failures = self.clean_up(created).await;
        if self.ambiguous.load(std::sync::atomic::Ordering::Relaxed) {
            // A create that failed ambiguously may have made an object nobody tracked: whatever
            // carries this run's owner tag goes too.
            let sweeper = Sweeper::new(self.clients);
            match sweeper.owned(&own_scope(plan)).await {
                Ok(owned) => {
                    for objects in owned.values() {
                        cleanup_failures.extend(sweeper.remove(objects).await.1);
                    }
                }
                Err(e) => cleanup_failures.push(format!(
                    "looking for objects tagged {OWNER_TAG} = {}: {e}",
                    plan.owner
                )),
            }
        }
        match outcome {
            Ok(mut exec) => {
                exec.cleanup_failures = cleanup_failures;
                Ok(exec)
            }
            Err(error) => Err(RestoreFailure {
                error,
                execution,
                cleanup_failures,
            }),
        }
    }

    async fn copy(
        &self,
        plan: &RestorePlan,
        deadline: Instant,
        created: &mut Created,
        execution: &mut Option<RestoreExecution>,
    ) -> Result<RestoreExecution, Error> {
        let source_fs = self.file_system_arn(&plan.source.file_system_id).await?;
        let target_fs = self.file_system_arn(&plan.target.file_system_id).await?;
        let tags = owner_tags(&self.clients.default_tags, plan)?;

        let (target_subdirectory, access_point) = match plan.options.ownership {
            Ownership::Target => {
                self.step("creating the target's EFS access point")?;
                let (arn, id, state) = self.create_access_point(plan, created).await?;
                created.access_points.push(id.clone());
                self.wait_for_access_point(&id, state, deadline).await?;
                ("/".to_owned(), Some(arn))
            }
            Ownership::Preserve => (plan.target.uid.directory(), None),
        };
        self.step("creating the DataSync source location")?;
        let source_location = self
            .create_location(
                plan,
                created,
                &source_fs,
                &plan.source.uid.directory(),
                None,
                &plan.network,
                &tags,
                "source",
            )
            .await?;
        created.locations.push(source_location.clone());
        self.step("creating the DataSync target location")?;
        let target_location = self
            .create_location(
                plan,
                created,
                &target_fs,
                &target_subdirectory,
                access_point.as_deref(),
                &plan.network,
                &tags,
                "target",
            )
            .await?;
        created.locations.push(target_location.clone());

        let options = plan.options.datasync_options();
        self.step("creating the DataSync task")?;
        let task = self
            .create_task(
                plan,
                created,
                &source_location,
                &target_location,
                options,
                deadline,
            )
            .await?;
        created.task = Some(task.clone());

        self.step("starting the DataSync task")?;
        let execution_arn = retry(&self.policy, &self.cancel, is_transient, || async {
            self.clients
                .datasync
                .start_task_execution()
                .task_arn(&task)
                .set_tags(Some(tags.clone()))
                .send()
                .await
                .map_err(|e| Error::aws(format!("starting DataSync task {task}"), &e))
        })
        .await?
        .task_execution_arn
        .ok_or_else(|| {
            Error::Invalid("DataSync started an execution but returned no ARN".into())
        })?;
        tracing::info!(restore = %plan.id, execution = %execution_arn, "DataSync execution started");
        *execution = Some(RestoreExecution {
            execution_arn: execution_arn.clone(),
            status: "LAUNCHING".into(),
            ..RestoreExecution::default()
        });

        let mut waiter = Waiter::new(self.polling.backoff(1.5), deadline, &self.cancel);
        loop {
            let current = self.describe_execution(&execution_arn).await?;
            let status = current.status.clone();
            if let Some(sink) = &self.progress {
                let seen = |e: &RestoreExecution| {
                    (e.status.clone(), e.files_transferred, e.bytes_transferred)
                };
                if execution.as_ref().map(seen) != Some(seen(&current)) {
                    let _ = sink.send(current.clone());
                }
            }
            *execution = Some(current.clone());
            match status.as_str() {
                "SUCCESS" => return Ok(current),
                "ERROR" => {
                    let detail = current.error.as_deref().unwrap_or("no detail given");
                    let hint = explain_transfer_error(detail, &plan.target)
                        .map(|h| format!(". {h}"))
                        .unwrap_or_default();
                    return Err(Error::Aws {
                        action: format!("copying {} to {}", plan.source, plan.target),
                        code: None,
                        message: format!(
                            "DataSync task execution {execution_arn} ended in ERROR: {detail}{hint}"
                        ),
                    });
                }
                _ => {}
            }
            match waiter.pause().await {
                Ok(()) => {}
                Err(Stop::Deadline) => {
                    self.cancel_execution(&execution_arn, execution, "the create timeout ran out")
                        .await;
                    return Err(Error::Timeout(format!(
                        "DataSync task execution {execution_arn} was still {status} when the create timeout ran out; it was cancelled"
                    )));
                }
                Err(Stop::Cancelled) => {
                    self.cancel_execution(&execution_arn, execution, "the restore was interrupted")
                        .await;
                    return Err(Error::Cancelled(format!(
                        "interrupted while DataSync task execution {execution_arn} was {status}; the execution was cancelled"
                    )));
                }
            }
        }
    }

    /// Fails when the restore was interrupted (its cancellation token), naming the step that would have come next: no
    /// create call starts after a Ctrl-C.
    fn step(&self, what: &str) -> Result<(), Error> {
        if self.cancel.is_cancelled() {
            return Err(Error::Cancelled(format!(
                "interrupted before {what}; nothing more was created, and what the restore had created was deleted"
            )));
        }
        Ok(())
    }

    /// Runs a create call with retries. A call that failed ambiguously (a server error or a
    /// lost response: it may have taken effect) is not simply repeated: first the objects
    /// tagged with this run's owner are looked up, and one that `adopt` picks (one this run
    /// does not track yet) is taken instead of creating a second.
    async fn create_or_adopt<T, F, Fut>(
        &self,
        plan: &RestorePlan,
        retryable: impl Fn(&Error) -> bool,
        mut create: F,
        adopt: impl Fn(&Owned) -> Option<String>,
    ) -> Result<Created1<T>, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let mut attempt = 0;
        loop {
            let err = match create().await {
                Ok(made) => return Ok(Created1::Made(made)),
                Err(e) => e,
            };
            if is_ambiguous(&err) || err.code() == Some("AccessPointAlreadyExists") {
                self.ambiguous
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                let owned = Sweeper::new(self.clients).owned(&own_scope(plan)).await?;
                if let Some(found) = owned.values().find_map(&adopt) {
                    tracing::info!(restore = %plan.id, object = %found, error = %err, "a create failed ambiguously but had taken effect; using what it made");
                    return Ok(Created1::Adopted(found));
                }
            }
            if attempt + 1 >= self.policy.max_attempts || !retryable(&err) {
                return Err(err);
            }
            tokio::select! {
                _ = tokio::time::sleep(self.policy.delay(attempt)) => {}
                _ = self.cancel.cancelled() => return Err(Error::Cancelled(format!("while retrying after: {err}"))),
            }
            attempt += 1;
        }
    }

    /// Creates the task. The account's task quota (100 per Region by default, DataSync user
    /// guide "Quotas") is shared with every other DataSync user of the account: while it is
    /// full, this waits for a task to be deleted, until `deadline`, instead of failing at once.
    async fn create_task(
        &self,
        plan: &RestorePlan,
        created: &Created,
        source_location: &str,
        target_location: &str,
        options: ds::Options,
        deadline: Instant,
    ) -> Result<String, Error> {
        let tags = owner_tags(&self.clients.default_tags, plan)?;
        let backoff = Backoff::new(Duration::from_secs(2), 2.0, Duration::from_secs(30));
        let mut waiter = Waiter::new(backoff, deadline, &self.cancel);
        loop {
            let made = self
                .create_or_adopt(
                    plan,
                    is_transient,
                    || async {
                        self.clients
                            .datasync
                            .create_task()
                            .source_location_arn(source_location)
                            .destination_location_arn(target_location)
                            .name(format!("studio-restore-{}", short(&plan.id)))
                            .options(options.clone())
                            .set_tags(Some(tags.to_vec()))
                            .send()
                            .await
                            .map_err(|e| {
                                Error::aws(
                                    format!("creating the DataSync task for restore {}", plan.id),
                                    &e,
                                )
                            })
                    },
                    |owned| {
                        owned
                            .tasks
                            .iter()
                            .find(|t| created.task.as_ref() != Some(*t))
                            .cloned()
                    },
                )
                .await;
            let err = match made {
                Ok(Created1::Made(out)) => {
                    return out.task_arn.ok_or_else(|| {
                        Error::Invalid("DataSync created a task but returned no ARN".into())
                    });
                }
                Ok(Created1::Adopted(arn)) => return Ok(arn),
                Err(e) if is_task_quota(&e) => e,
                Err(e) => return Err(e),
            };
            if Instant::now() < deadline {
                tracing::info!(restore = %plan.id, error = %err, "DataSync task quota full; waiting for a free task");
            }
            match waiter.pause().await {
                Ok(()) => {}
                Err(Stop::Deadline) => {
                    return Err(Error::Timeout(format!(
                        "the account's DataSync task quota stayed full until the create timeout ran out ({err}); delete unused DataSync tasks or ask for a higher quota, then apply again"
                    )));
                }
                Err(Stop::Cancelled) => {
                    return Err(Error::Cancelled(format!(
                        "while waiting for a free DataSync task (quota full: {err})"
                    )));
                }
            }
        }
    }

    async fn file_system_arn(&self, file_system_id: &str) -> Result<String, Error> {
        let out = retry(&self.policy, &self.cancel, is_transient, || async {
            self.clients
                .efs
                .describe_file_systems()
                .file_system_id(file_system_id)
                .send()
                .await
                .map_err(|e| Error::aws(format!("describing EFS file system {file_system_id}"), &e))
        })
        .await
        .map_err(|e| match e.code() {
            Some("FileSystemNotFound") => Error::NotFound(format!(
                "EFS file system {file_system_id} does not exist (was the old domain's home file system deleted instead of retained?)"
            )),
            _ => e,
        })?;
        out.file_systems()
            .first()
            .and_then(|fs| fs.file_system_arn().map(str::to_owned))
            .ok_or_else(|| {
                Error::NotFound(format!("EFS file system {file_system_id} does not exist"))
            })
    }

    /// An access point rooted at the target's home directory, whose POSIX user is the target
    /// (EFS makes it own everything written through it, and checks its permissions). Studio
    /// creates `/<uid>` only when the profile first mounts it (first app or space); until then
    /// nothing is there, and an access point without `CreationInfo` could not be mounted. So
    /// the root is created on first use as Studio would: owned by the target uid, group
    /// [`STUDIO_GID`], mode [`HOME_PERMISSIONS`] (EFS API reference, CreationInfo).
    async fn create_access_point(
        &self,
        plan: &RestorePlan,
        created: &Created,
    ) -> Result<(String, String, Option<String>), Error> {
        use aws_sdk_efs::types as efs;
        let uid = plan.target.uid;
        let posix = efs::PosixUser::builder()
            .uid(i64::from(uid.get()))
            .gid(i64::from(STUDIO_GID))
            .build()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let creation = efs::CreationInfo::builder()
            .owner_uid(i64::from(uid.get()))
            .owner_gid(i64::from(STUDIO_GID))
            .permissions(HOME_PERMISSIONS)
            .build()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let root = efs::RootDirectory::builder()
            .path(uid.directory())
            .creation_info(creation)
            .build();
        let tags = object_tags(&self.clients.default_tags, plan)
            .into_iter()
            .map(|(key, value)| {
                efs::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .map_err(|e| Error::Invalid(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let fs = &plan.target.file_system_id;
        // One token per run (its owner), the same for every retry of this call: EFS then
        // refuses a second access point for a repeated call instead of creating one.
        let token = client_token(&plan.owner);
        let made = self
            .create_or_adopt(
                plan,
                is_transient,
                || async {
                    self.clients
                        .efs
                        .create_access_point()
                        .client_token(&token)
                        .file_system_id(fs)
                        .posix_user(posix.clone())
                        .root_directory(root.clone())
                        .set_tags(Some(tags.clone()))
                        .send()
                        .await
                        .map_err(|e| {
                            Error::aws(
                                format!("creating an EFS access point for uid {uid} on {fs}"),
                                &e,
                            )
                        })
                },
                |owned| {
                    owned
                        .access_points
                        .iter()
                        .find(|a| !created.access_points.contains(a))
                        .cloned()
                },
            )
            .await?;
        let out = match made {
            Created1::Made(out) => out,
            Created1::Adopted(id) => {
                let described = retry(&self.policy, &self.cancel, is_transient, || async {
                    self.clients
                        .efs
                        .describe_access_points()
                        .access_point_id(&id)
                        .send()
                        .await
                        .map_err(|e| Error::aws(format!("reading EFS access point {id}"), &e))
                })
                .await?;
                let Some(ap) = described.access_points().first() else {
                    return Err(Error::NotFound(format!("EFS access point {id} vanished")));
                };
                return Ok((
                    ap.access_point_arn().unwrap_or_default().to_owned(),
                    id,
                    ap.life_cycle_state().map(|s| s.as_str().to_owned()),
                ));
            }
        };
        let (Some(arn), Some(id)) = (out.access_point_arn(), out.access_point_id()) else {
            return Err(Error::Invalid(
                "EFS created an access point but returned no ARN or id".into(),
            ));
        };
        let state = out.life_cycle_state().map(|s| s.as_str().to_owned());
        Ok((arn.to_owned(), id.to_owned(), state))
    }

    /// Waits until a new access point is `available` (EFS creates it asynchronously; DataSync
    /// cannot mount it before).
    async fn wait_for_access_point(
        &self,
        id: &str,
        mut state: Option<String>,
        deadline: Instant,
    ) -> Result<(), Error> {
        let mut waiter = Waiter::new(self.polling.backoff(2.0), deadline, &self.cancel);
        loop {
            match state.as_deref() {
                Some("available") => return Ok(()),
                Some("error") => {
                    return Err(Error::Aws {
                        action: format!("creating EFS access point {id}"),
                        code: None,
                        message: "EFS reports the access point in state error".into(),
                    });
                }
                _ => {}
            }
            match waiter.pause().await {
                Ok(()) => {}
                Err(Stop::Deadline) => {
                    return Err(Error::Timeout(format!(
                        "EFS access point {id} was still {} when the create timeout ran out",
                        state.as_deref().unwrap_or("not reported")
                    )));
                }
                Err(Stop::Cancelled) => {
                    return Err(Error::Cancelled(format!(
                        "while waiting for EFS access point {id}"
                    )));
                }
            }
            let out = retry(&self.policy, &self.cancel, is_transient, || async {
                self.clients
                    .efs
                    .describe_access_points()
                    .access_point_id(id)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("reading EFS access point {id}"), &e))
            })
            .await?;
            state = out
                .access_points()
                .first()
                .and_then(|a| a.life_cycle_state())
                .map(|s| s.as_str().to_owned());
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_location(
        &self,
        plan: &RestorePlan,
        created: &Created,
        file_system_arn: &str,
        subdirectory: &str,
        access_point: Option<&str>,
        network: &Network,
        tags: &[ds::TagListEntry],
        role: &str,
    ) -> Result<String, Error> {
        let ec2 = ds::Ec2Config::builder()
            .subnet_arn(&network.subnet_arn)
            .set_security_group_arns(Some(network.security_group_arns.clone()))
            .build()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        // Eventual consistency: a just-created access point may not be visible to DataSync yet.
        let retryable = |e: &Error| {
            is_transient(e)
                || (access_point.is_some() && e.code() == Some("InvalidRequestException"))
        };
        let made = self.create_or_adopt(plan, retryable, || async {
            self.clients
                .datasync
                .create_location_efs()
                .efs_filesystem_arn(file_system_arn)
                .subdirectory(subdirectory)
                .ec2_config(ec2.clone())
                .set_access_point_arn(access_point.map(str::to_owned))
                .in_transit_encryption(ds::EfsInTransitEncryption::Tls12)
                .set_tags(Some(tags.to_vec()))
                .send()
                .await
                .map_err(|e| Error::aws(format!("creating the DataSync {role} location on {file_system_arn}{subdirectory}"), &e))
        }, |owned| owned.locations.iter().find(|l| !created.locations.contains(l)).cloned())
        .await?;
        match made {
            Created1::Made(out) => out.location_arn.ok_or_else(|| {
                Error::Invalid("DataSync created a location but returned no ARN".into())
            }),
            Created1::Adopted(arn) => Ok(arn),
        }
    }

    async fn describe_execution(&self, arn: &str) -> Result<RestoreExecution, Error> {
        let out = retry(&self.policy, &self.cancel, is_transient, || async {
            self.clients
                .datasync
                .describe_task_execution()
                .task_execution_arn(arn)
                .send()
                .await
                .map_err(|e| Error::aws(format!("reading DataSync task execution {arn}"), &e))
        })
        .await?;
        let result = out.result();
        let error = result.and_then(|r| match (r.error_code(), r.error_detail()) {
            (None, None) => None,
            (code, detail) => Some(
                [code, detail]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": "),
            ),
        });
        Ok(RestoreExecution {
            execution_arn: arn.to_owned(),
            status: out
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            files_transferred: out.files_transferred(),
            bytes_transferred: out.bytes_transferred(),
            bytes_written: out.bytes_written(),
            duration_ms: result.and_then(|r| r.total_duration()).unwrap_or(0),
            started_at: out
                .start_time()
                .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
            completed_at: out
                .end_time()
                .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
            error,
            ..RestoreExecution::default()
        })
    }

    /// Cancels the execution and waits (briefly) until DataSync has ended it: a task whose
    /// execution is still `CANCELLING` cannot be deleted yet. Once DataSync accepted,
    /// `execution` says how it ended (DataSync ends a cancelled execution in ERROR), not the step
    /// it was last seen in.
    async fn cancel_execution(
        &self,
        arn: &str,
        execution: &mut Option<RestoreExecution>,
        why: &str,
    ) {
        // Runs after the caller's cancellation (the provider's Ctrl-C) too: its own budget, not the cancelled token.
        let cancel = CancellationToken::new();
        let cancelled = retry(&self.policy, &cancel, is_transient, || async {
            self.clients
                .datasync
                .cancel_task_execution()
                .task_execution_arn(arn)
                .send()
                .await
                .map_err(|e| Error::aws(format!("cancelling DataSync task execution {arn}"), &e))
        })
        .await;
        if let Err(e) = cancelled {
            tracing::warn!(execution = %arn, error = %e, "could not cancel the DataSync execution");
            return;
        }
        if let Some(exec) = execution.as_mut() {
            exec.status = outcome::ERROR.into();
            exec.error = Some(format!("Cancelled: {why}"));
        }
        let until = Instant::now() + CANCEL_WAIT;
        let mut waiter = Waiter::new(self.polling.backoff(2.0), until, &cancel);
        loop {
            let status = retry(&self.policy, &cancel, is_transient, || async {
                self.clients
                    .datasync
                    .describe_task_execution()
                    .task_execution_arn(arn)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("reading DataSync task execution {arn}"), &e))
            })
            .await
            .ok()
            .and_then(|out| out.status().map(|s| s.as_str().to_owned()));
            if matches!(status.as_deref(), None | Some("ERROR" | "SUCCESS")) {
                return;
            }
            if waiter.pause().await.is_err() {
                break;
            }
        }
        tracing::warn!(execution = %arn, "the DataSync execution was still ending after the cancel");
    }

    /// Deletes what a restore created, newest first. Runs even after cancellation, with its own
    /// short retry budget; returns what could not be deleted. Something already gone counts as
    /// deleted.
    async fn clean_up(&self, created: Created) -> Vec<String> {
        let cancel = CancellationToken::new();
        let policy = RetryPolicy {
            max_attempts: 6,
            ..self.policy
        };
        let mut failures = Vec::new();
        if let Some(task) = created.task {
            // A task whose cancelled execution is still ending may refuse deletion for a moment.
            let retryable =
                |e: &Error| is_transient(e) || e.code() == Some("InvalidRequestException");
            let res = retry(&policy, &cancel, retryable, || async {
                self.clients
                    .datasync
                    .delete_task()
                    .task_arn(&task)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("deleting DataSync task {task}"), &e))
            })
            .await;
            if let Err(e) = res {
                if self.exists_task(&task).await {
                    failures.push(e.to_string());
                }
            }
        }
        for location in created.locations.iter().rev() {
            let res = retry(&policy, &cancel, is_transient, || async {
                self.clients
                    .datasync
                    .delete_location()
                    .location_arn(location)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("deleting DataSync location {location}"), &e))
            })
            .await;
            if let Err(e) = res {
                failures.push(e.to_string());
            }
        }
        for id in &created.access_points {
            let res = retry(&policy, &cancel, is_transient, || async {
                self.clients
                    .efs
                    .delete_access_point()
                    .access_point_id(id)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("deleting EFS access point {id}"), &e))
            })
            .await;
            match res {
                Err(e) if e.code() != Some("AccessPointNotFound") => failures.push(e.to_string()),
                _ => {}
            }
        }
        failures
    }

    /// Whether a task still exists (after a failed delete: DataSync says "not found" with the
    /// same InvalidRequestException as other refusals).
    async fn exists_task(&self, task: &str) -> bool {
        match self
            .clients
            .datasync
            .describe_task()
            .task_arn(task)
            .send()
            .await
        {
            Ok(_) => true,
            Err(e) => Error::aws("", &e).code() != Some("InvalidRequestException"),
        }
    }
}

/// What a create call gave: the object it made, or one it had made before its response was
/// lost, found by the owner tag.
enum Created1<T> {
    Made(T),
    Adopted(String),
}

/// The tags of everything a run creates: the provider's default tags, then its owner tag (a
/// default tag never has the owner's key: [`crate::aws::check_default_tags`]).
fn object_tags<'a>(
    default_tags: &'a std::collections::BTreeMap<String, String>,
    plan: &'a RestorePlan,
) -> Vec<(&'a str, &'a str)> {
    default_tags
        .iter()
        .filter(|(key, _)| key.as_str() != OWNER_TAG)
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .chain([(OWNER_TAG, plan.owner.as_str())])
        .collect()
}

/// [`object_tags`] for DataSync.
fn owner_tags(
    default_tags: &std::collections::BTreeMap<String, String>,
    plan: &RestorePlan,
) -> Result<Vec<ds::TagListEntry>, Error> {
    object_tags(default_tags, plan)
        .into_iter()
        .map(|(key, value)| {
            ds::TagListEntry::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| Error::Invalid(e.to_string()))
        })
        .collect()
}

/// The scope in which a run looks for its own objects.
fn own_scope(plan: &RestorePlan) -> Scope {
    Scope {
        file_systems: vec![
            plan.source.file_system_id.clone(),
            plan.target.file_system_id.clone(),
        ],
        only_owner: Some(plan.owner.clone()),
        ..Scope::default()
    }
}

/// Whether a failed call may have taken effect: a server error, or no response at all.
fn is_ambiguous(err: &Error) -> bool {
    match err {
        Error::Aws {
            code: None,
            message,
            ..
        } => !message.is_empty(),
        Error::Aws {
            code: Some(code), ..
        } => matches!(
            code.as_str(),
            "InternalException"
                | "InternalServerError"
                | "InternalServerErrorException"
                | "InternalFailure"
                | "ServiceUnavailable"
                | "ServiceUnavailableException"
        ),
        _ => false,
    }
}

/// An EFS client token (at most 64 ASCII characters) for one run: 32 hex digits of its owner.
fn client_token(owner: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(owner.as_bytes()))[..32].to_owned()
}

/// How long a cancelled execution may take to end before its task is deleted anyway.
const CANCEL_WAIT: Duration = Duration::from_secs(60);

/// Whether CreateTask failed because the account's task quota is full. DataSync answers with an
/// `InvalidRequestException` (its only client error) that says so in the message.
fn is_task_quota(err: &Error) -> bool {
    let Error::Aws { code, message, .. } = err else {
        return false;
    };
    let message = message.to_ascii_lowercase();
    matches!(
        code.as_deref(),
        Some("InvalidRequestException" | "LimitExceededException")
    ) && ["quota", "limit", "maximum number"]
        .iter()
        .any(|w| message.contains(w))
}

/// Words in a DataSync error that mean "the writer was not allowed to".
const PERMISSION_ERRORS: &[&str] = &[
    "permission denied",
    "access denied",
    "operation not permitted",
    "not permitted",
    "read-only",
    "eacces",
    "eperm",
    "erofs",
];

/// What a DataSync error detail means for the user, when it is about permissions in the target:
/// the restore writes as the target's uid (the access point's POSIX user, which EFS enforces),
/// so a directory in the target home owned by someone else (often root) or read-only stops it.
pub fn explain_transfer_error(detail: &str, target: &HomeDirectory) -> Option<String> {
    let lower = detail.to_ascii_lowercase();
    if !PERMISSION_ERRORS.iter().any(|w| lower.contains(w)) {
        return None;
    }
    let uid = target.uid;
    let path = detail
        .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ',' | '(' | ')'))
        .find(|w| w.starts_with('/') && w.len() > 1)
        .map(|p| p.trim_end_matches([':', '.']))
        .map(|p| format!(" (DataSync names {p})"))
        .unwrap_or_default();
    Some(format!(
        "The target's home directory {target} holds a path that uid {uid} may not write{path}: a file or directory owned by another user (often root) or without write permission. The restore writes as uid {uid}, as the user's own apps do, so it cannot change such paths. Give that path to uid {uid} (chown/chmod) or remove it, then apply again"
    ))
}

fn short(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(48)
        .collect()
}

/// The uid of a directory path `/<uid>`: exactly one component, a positive number.
pub fn uid_of_directory(path: &str) -> Result<Uid, Error> {
    match path.strip_prefix('/') {
        Some(rest) if !rest.contains('/') => rest.parse(),
        _ => Err(Error::Refused(format!(
            "{path:?} is not a home directory: expected \"/<uid>\", a single numeric directory"
        ))),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn dir(uid: i64) -> HomeDirectory {
        HomeDirectory::new("fs-0123456789abcdef0", Uid::new(uid).unwrap()).unwrap()
    }

    fn network() -> Network {
        Network {
            subnet_arn: "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-1".into(),
            security_group_arns: vec![
                "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1".into(),
            ],
        }
    }

    #[test]
    fn a_restore_into_its_own_source_is_refused() {
        let err = RestorePlan::new(
            "r",
            "provider/r/-/0",
            dir(200000),
            dir(200000),
            network(),
            TransferOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err.inner(), Error::Refused(_)) && err.subject() == Some(Subject::Source),
            "{err}"
        );
        assert!(
            RestorePlan::new(
                "r",
                "provider/r/-/0",
                dir(200000),
                dir(200005),
                network(),
                TransferOptions::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn options_parse_and_name_what_is_expected() {
        assert_eq!("ALL".parse::<TransferMode>().unwrap(), TransferMode::All);
        assert_eq!(
            "POINT_IN_TIME_CONSISTENT".parse::<VerifyMode>().unwrap(),
            VerifyMode::PointInTimeConsistent
        );
        let err = "sometimes"
            .parse::<OverwriteMode>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"ALWAYS\", \"NEVER\""), "{err}");
    }

    #[test]
    fn only_single_numeric_directories_are_home_directories() {
        assert_eq!(uid_of_directory("/200005").unwrap().get(), 200005);
        for bad in [
            "/",
            "/0",
            "200005",
            "/200005/x",
            "/../200005",
            "/abc",
            "//200005",
        ] {
            assert!(uid_of_directory(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_engine_defaults_to_never_overwriting_and_a_retry_replaces_partial_files() {
        let defaults = TransferOptions::default();
        assert_eq!(defaults.overwrite_mode, OverwriteMode::Never);
        assert_eq!(defaults.transfer_mode, TransferMode::Changed);
        let retry = defaults.after_interrupted_attempt();
        assert_eq!(retry.overwrite_mode, OverwriteMode::Always);
        assert_eq!(retry.transfer_mode, TransferMode::All);
        assert_eq!(
            (retry.verify_mode, retry.ownership),
            (defaults.verify_mode, defaults.ownership),
            "only what decides about existing files changes"
        );
        // What the engine sends is what the options say.
        let sent = retry.datasync_options();
        assert_eq!(sent.overwrite_mode().map(|m| m.as_str()), Some("ALWAYS"));
        assert_eq!(sent.transfer_mode().map(|m| m.as_str()), Some("ALL"));
        assert_eq!(sent.uid().map(|m| m.as_str()), Some("NONE"));
        assert_eq!(sent.log_level().map(|m| m.as_str()), Some("OFF"));
        assert_eq!(sent.preserve_devices().map(|m| m.as_str()), Some("NONE"));
    }

    pub(crate) fn module_file(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../modules/restore-workflow")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// `Key = "VALUE"` lines of the `default` map of variable `task_options`.
    fn module_task_options() -> std::collections::BTreeMap<String, String> {
        let text = module_file("variables.tf");
        let block = &text[text
            .find("variable \"task_options\"")
            .expect("the variable")..];
        let map = &block[block.find("default = {").expect("a default map")..];
        let map = &map[..map.find("\n  }").expect("the map's end")];
        map.lines()
            .skip(1)
            .filter_map(|line| {
                let (k, v) = line.split_once('=')?;
                Some((k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
            })
            .collect()
    }

    /// The state machine definition with its template placeholders filled with dummies: inside a
    /// string, the placeholder's name (`"${mapping_table}"` is `"mapping_table"`); elsewhere 0.
    pub(crate) fn rendered_definition() -> serde_json::Value {
        let text = module_file("definition.asl.json");
        let mut out = String::new();
        for line in text.lines() {
            let mut rest = line;
            while let Some(at) = rest.find("${") {
                let (before, after) = rest.split_at(at);
                let end = after.find('}').expect("a closed placeholder");
                out.push_str(before);
                let quotes = out
                    .rsplit('\n')
                    .next()
                    .unwrap_or_default()
                    .matches('"')
                    .count();
                out.push_str(if quotes % 2 == 1 { &after[2..end] } else { "0" });
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            out.push('\n');
        }
        serde_json::from_str(&out).expect("the definition is JSON once rendered")
    }

    /// Every Task state of the definition, in branches too.
    fn task_states(value: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
        if let Some(states) = value.get("States").and_then(|s| s.as_object()) {
            for (name, state) in states {
                if state["Type"] == "Task" {
                    out.push((name.clone(), state.clone()));
                }
                for branch in state["Branches"].as_array().into_iter().flatten() {
                    task_states(branch, out);
                }
                if let Some(processor) = state.get("ItemProcessor").or(state.get("Iterator")) {
                    task_states(processor, out);
                }
            }
        }
    }

    /// The workflow writes the mapping row as `records` defines it: every attribute it names in
    /// a DynamoDB call on the mapping table is one the row reads and keeps (or one another writer
    /// owns), and every `restore_status` it records is one of `records::restore_status`.
    #[test]
    fn the_workflow_writes_the_mapping_row_as_core_defines_it() {
        use crate::records::{KNOWN_ATTRIBUTES, OTHER_WRITERS_ATTRIBUTES, restore_status};
        let mut tasks = Vec::new();
        task_states(&rendered_definition(), &mut tasks);
        let mut calls = 0;
        let mut statuses = std::collections::BTreeSet::new();
        for (name, state) in &tasks {
            let params = &state["Parameters"];
            if !state["Resource"]
                .as_str()
                .unwrap_or_default()
                .contains(":dynamodb:")
                || params["TableName"] != "mapping_table"
            {
                continue;
            }
            calls += 1;
            let mut attributes: Vec<String> = Vec::new();
            for part in ["Key", "Item"] {
                if let Some(object) = params[part].as_object() {
                    attributes.extend(object.keys().cloned());
                }
            }
            let names = params["ExpressionAttributeNames"].as_object();
            for (placeholder, attribute) in names.into_iter().flatten() {
                let attribute = attribute.as_str().expect("an attribute name");
                attributes.push(attribute.to_owned());
                if attribute == "restore_status" {
                    let value = placeholder.replacen('#', ":", 1);
                    let status = &params["ExpressionAttributeValues"][&value]["S"];
                    statuses.insert(
                        status
                            .as_str()
                            .unwrap_or_else(|| panic!("{name}: {value} is a literal status"))
                            .to_owned(),
                    );
                }
            }
            for attribute in attributes {
                assert!(
                    KNOWN_ATTRIBUTES.contains(&attribute.as_str())
                        || OTHER_WRITERS_ATTRIBUTES.contains(&attribute.as_str()),
                    "{name} writes {attribute}, which records.rs does not know"
                );
            }
        }
        assert!(
            calls >= 3,
            "the workflow records its restores ({calls} calls)"
        );
        for status in &statuses {
            assert!(
                restore_status::ALL.contains(&status.as_str()),
                "the workflow records restore_status {status}, not one of {:?}",
                restore_status::ALL
            );
        }
        for status in [
            restore_status::RUNNING,
            restore_status::SUCCEEDED,
            restore_status::FAILED,
        ] {
            assert!(statuses.contains(status), "the workflow records {status}");
        }
    }

    #[test]
    fn the_workflow_copies_with_the_same_options_as_the_provider() {
        let core: std::collections::BTreeMap<String, String> = TransferOptions::default()
            .task_options()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut module = module_task_options();
        // The workflow has a log group; the provider's engine logs nothing.
        assert_eq!(module.remove("LogLevel").as_deref(), Some("BASIC"));
        assert_eq!(
            module, core,
            "modules/restore-workflow task_options default"
        );

        let states = rendered_definition()["States"].clone();
        // The override of an attempt after an interruption is exactly what the core changes.
        let retry: std::collections::BTreeMap<String, String> = TransferOptions::default()
            .after_interrupted_attempt()
            .task_options()
            .into_iter()
            .filter(|(k, v)| core.get(*k).map(String::as_str) != Some(*v))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let replace: std::collections::BTreeMap<String, String> =
            serde_json::from_value(states["ReplacePartialFiles"]["Result"].clone()).unwrap();
        assert_eq!(replace, retry);
        for task in ["CreateTask", "CreateTaskWithExcludes"] {
            assert_eq!(
                states[task]["Parameters"]["Options.$"], "$.copy.options",
                "{task}"
            );
        }
        // A missing home directory is created as the provider creates it.
        let creation =
            &states["CreateTargetAccessPoint"]["Parameters"]["RootDirectory"]["CreationInfo"];
        assert_eq!(creation["Permissions"], HOME_PERMISSIONS);
        assert_eq!(
            creation["OwnerUid.$"], "States.StringToJson($.target.uid)",
            "owned by the target"
        );
    }

    /// Where a state can go next.
    fn next_states(state: &serde_json::Value) -> Vec<String> {
        let mut next = Vec::new();
        let mut push = |v: &serde_json::Value| {
            if let Some(n) = v.as_str() {
                next.push(n.to_owned());
            }
        };
        push(&state["Next"]);
        push(&state["Default"]);
        for list in ["Choices", "Catch"] {
            for item in state[list].as_array().into_iter().flatten() {
                push(&item["Next"]);
            }
        }
        next
    }

    #[test]
    fn every_path_of_the_workflow_that_created_something_goes_through_the_cleanup() {
        let states = rendered_definition()["States"].clone();
        let states = states.as_object().unwrap();
        // From the first object created, with CleanUp taken out, no end is reachable.
        let mut seen = std::collections::BTreeSet::new();
        let mut todo = vec!["CreateSourceLocation".to_owned()];
        while let Some(name) = todo.pop() {
            if name == "CleanUp" || !seen.insert(name.clone()) {
                continue;
            }
            let state = &states[&name];
            let kind = state["Type"].as_str().unwrap_or_default();
            assert!(
                !matches!(kind, "Succeed" | "Fail") && state["End"] != true,
                "{name} ends the execution without passing through CleanUp"
            );
            todo.extend(next_states(state));
        }
        assert!(seen.contains("StartTransfer") && seen.contains("ReadTransferResult"));
        // DataSync omits an execution's counters and Result when it has none: a JSONPath to
        // them is States.Runtime, which skips every Catch. Only Status is always there.
        for (name, state) in states {
            if state["Resource"]
                .as_str()
                .is_some_and(|r| r.ends_with(":describeTaskExecution"))
            {
                let selector = &state["ResultSelector"];
                assert!(
                    selector.is_null() || *selector == serde_json::json!({"Status.$": "$.Status"}),
                    "{name} selects optional fields: {selector}"
                );
            }
        }
    }

    #[test]
    fn permission_errors_name_the_class_of_the_problem_and_the_path() {
        let target = dir(200005);
        let hint = explain_transfer_error(
            "PermissionDenied: Permission denied: /projects/locked/notes.txt",
            &target,
        )
        .expect("a permission error is explained");
        assert!(hint.contains("uid 200005 may not write"), "{hint}");
        assert!(
            hint.contains("(DataSync names /projects/locked/notes.txt)"),
            "{hint}"
        );
        assert!(hint.contains("owned by another user"), "{hint}");
        assert!(
            explain_transfer_error("Operation not permitted", &target)
                .is_some_and(|h| !h.contains("DataSync names"))
        );
        assert_eq!(explain_transfer_error("disk quota exceeded", &target), None);
    }

    #[test]
    fn a_full_task_quota_is_told_from_other_invalid_requests() {
        let err = |code: &str, message: &str| Error::Aws {
            action: "creating the DataSync task".into(),
            code: Some(code.into()),
            message: message.into(),
        };
        assert!(is_task_quota(&err(
            "InvalidRequestException",
            "InvalidRequestException: You have reached the maximum number of tasks (limit 100)"
        )));
        assert!(!is_task_quota(&err(
            "InvalidRequestException",
            "InvalidRequestException: Invalid parameter: Atime"
        )));
        assert!(!is_task_quota(&Error::Timeout("quota".into())));
    }
}
