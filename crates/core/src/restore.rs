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
use crate::home::{HomeDirectory, Uid};
use crate::retry::{RetryPolicy, is_transient, retry};

/// The tag every object a restore creates carries, with the restore's id as its value.
pub const RESTORE_TAG: &str = "studio-restore:restore-id";

/// The POSIX group SageMaker Studio gives home directories on EFS.
pub const STUDIO_GID: u32 = 1001;

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

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            transfer_mode: TransferMode::Changed,
            overwrite_mode: OverwriteMode::Always,
            verify_mode: VerifyMode::OnlyFilesTransferred,
            ownership: Ownership::Target,
        }
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
    source: HomeDirectory,
    target: HomeDirectory,
    network: Network,
    options: TransferOptions,
}

impl RestorePlan {
    pub fn new(
        id: &str,
        source: HomeDirectory,
        target: HomeDirectory,
        network: Network,
        options: TransferOptions,
    ) -> Result<RestorePlan, Error> {
        if source == target {
            return Err(Error::Refused(format!(
                "the source and the target are the same directory ({source}): restoring a home into itself would do nothing but risk it"
            )));
        }
        if network.security_group_arns.is_empty() {
            return Err(Error::Invalid(
                "DataSync needs at least one security group to reach EFS".into(),
            ));
        }
        Ok(RestorePlan {
            id: id.to_owned(),
            source,
            target,
            network,
            options,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn source(&self) -> &HomeDirectory {
        &self.source
    }
    pub fn target(&self) -> &HomeDirectory {
        &self.target
    }
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
}

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

/// Runs restores with DataSync.
pub struct DataSyncRestore<'a> {
    clients: &'a Clients,
    cancel: CancellationToken,
    policy: RetryPolicy,
    polling: Polling,
}

/// What a restore created, so that all of it is deleted afterwards.
#[derive(Default)]
struct Created {
    access_point: Option<String>,
    locations: Vec<String>,
    task: Option<String>,
}

impl<'a> DataSyncRestore<'a> {
    pub fn new(clients: &'a Clients, cancel: CancellationToken) -> DataSyncRestore<'a> {
        DataSyncRestore {
            clients,
            cancel,
            policy: RetryPolicy::default(),
            polling: Polling::default(),
        }
    }

    pub fn with_polling(mut self, polling: Polling) -> Self {
        self.polling = polling;
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
        let cleanup_failures = self.clean_up(created).await;
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
        let tags = vec![
            ds::TagListEntry::builder()
                .key(RESTORE_TAG)
                .value(&plan.id)
                .build()
                .map_err(|e| Error::Invalid(e.to_string()))?,
        ];

        let (target_subdirectory, access_point) = match plan.options.ownership {
            Ownership::Target => {
                let ap = self.create_access_point(plan).await?;
                created.access_point = Some(ap.clone());
                ("/".to_owned(), Some(ap))
            }
            Ownership::Preserve => (plan.target.uid.directory(), None),
        };
        let source_location = self
            .create_location(
                &source_fs,
                &plan.source.uid.directory(),
                None,
                &plan.network,
                &tags,
                "source",
            )
            .await?;
        created.locations.push(source_location.clone());
        let target_location = self
            .create_location(
                &target_fs,
                &target_subdirectory,
                access_point.as_deref(),
                &plan.network,
                &tags,
                "target",
            )
            .await?;
        created.locations.push(target_location.clone());

        let (uid, gid) = match plan.options.ownership {
            // The access point's POSIX user owns everything written through it.
            Ownership::Target => (ds::Uid::None, ds::Gid::None),
            Ownership::Preserve => (ds::Uid::IntValue, ds::Gid::IntValue),
        };
        let options = ds::Options::builder()
            .verify_mode(ds::VerifyMode::from(plan.options.verify_mode.as_str()))
            .transfer_mode(ds::TransferMode::from(plan.options.transfer_mode.as_str()))
            .overwrite_mode(ds::OverwriteMode::from(
                plan.options.overwrite_mode.as_str(),
            ))
            .uid(uid)
            .gid(gid)
            .posix_permissions(ds::PosixPermissions::Preserve)
            .preserve_deleted_files(ds::PreserveDeletedFiles::Preserve)
            .preserve_devices(ds::PreserveDevices::None)
            .atime(ds::Atime::BestEffort)
            .mtime(ds::Mtime::Preserve)
            // File paths in home directories are personal data: keep them out of the logs.
            .log_level(ds::LogLevel::Off)
            .task_queueing(ds::TaskQueueing::Enabled)
            .build();
        let task = retry(&self.policy, &self.cancel, is_transient, || async {
            self.clients
                .datasync
                .create_task()
                .source_location_arn(&source_location)
                .destination_location_arn(&target_location)
                .name(format!("studio-restore-{}", short(&plan.id)))
                .options(options.clone())
                .set_tags(Some(tags.clone()))
                .send()
                .await
                .map_err(|e| {
                    Error::aws(
                        format!("creating the DataSync task for restore {}", plan.id),
                        &e,
                    )
                })
        })
        .await?
        .task_arn
        .ok_or_else(|| Error::Invalid("DataSync created a task but returned no ARN".into()))?;
        created.task = Some(task.clone());

        let execution_arn = retry(&self.policy, &self.cancel, is_transient, || async {
            self.clients
                .datasync
                .start_task_execution()
                .task_arn(&task)
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

        let mut wait = self.polling.first;
        loop {
            let current = self.describe_execution(&execution_arn).await?;
            let status = current.status.clone();
            *execution = Some(current.clone());
            match status.as_str() {
                "SUCCESS" => return Ok(current),
                "ERROR" => {
                    return Err(Error::Aws {
                        action: format!("copying {} to {}", plan.source, plan.target),
                        code: None,
                        message: format!(
                            "DataSync task execution {execution_arn} ended in ERROR: {}",
                            current.error.as_deref().unwrap_or("no detail given")
                        ),
                    });
                }
                _ => {}
            }
            let now = Instant::now();
            if now >= deadline {
                self.cancel_execution(&execution_arn, execution, "the create timeout ran out")
                    .await;
                return Err(Error::Timeout(format!(
                    "DataSync task execution {execution_arn} was still {status} when the create timeout ran out; it was cancelled"
                )));
            }
            let sleep = wait.min(deadline - now);
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.cancel.cancelled() => {
                    self.cancel_execution(&execution_arn, execution, "Terraform was interrupted").await;
                    return Err(Error::Cancelled(format!(
                        "Terraform was interrupted while DataSync task execution {execution_arn} was {status}; the execution was cancelled"
                    )));
                }
            }
            wait = (wait * 3 / 2).min(self.polling.max);
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

    async fn create_access_point(&self, plan: &RestorePlan) -> Result<String, Error> {
        use aws_sdk_efs::types as efs;
        let uid = plan.target.uid;
        let posix = efs::PosixUser::builder()
            .uid(i64::from(uid.get()))
            .gid(i64::from(STUDIO_GID))
            .build()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let root = efs::RootDirectory::builder().path(uid.directory()).build();
        let tag = efs::Tag::builder()
            .key(RESTORE_TAG)
            .value(&plan.id)
            .build()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let fs = &plan.target.file_system_id;
        let out = retry(&self.policy, &self.cancel, is_transient, || async {
            self.clients
                .efs
                .create_access_point()
                .client_token(format!("{}-{}", short(&plan.id), uid))
                .file_system_id(fs)
                .posix_user(posix.clone())
                .root_directory(root.clone())
                .tags(tag.clone())
                .send()
                .await
                .map_err(|e| {
                    Error::aws(
                        format!("creating an EFS access point for uid {uid} on {fs}"),
                        &e,
                    )
                })
        })
        .await?;
        out.access_point_arn()
            .map(str::to_owned)
            .ok_or_else(|| Error::Invalid("EFS created an access point but returned no ARN".into()))
    }

    async fn create_location(
        &self,
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
        let out = retry(&self.policy, &self.cancel, retryable, || async {
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
        })
        .await?;
        out.location_arn
            .ok_or_else(|| Error::Invalid("DataSync created a location but returned no ARN".into()))
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
            cleanup_failures: Vec::new(),
        })
    }

    /// Cancels the execution; once DataSync accepted, `execution` says how it ended (DataSync
    /// ends a cancelled execution in ERROR), not the step it was last seen in.
    async fn cancel_execution(
        &self,
        arn: &str,
        execution: &mut Option<RestoreExecution>,
        why: &str,
    ) {
        match self
            .clients
            .datasync
            .cancel_task_execution()
            .task_execution_arn(arn)
            .send()
            .await
        {
            Ok(_) => {
                if let Some(exec) = execution.as_mut() {
                    exec.status = "ERROR".into();
                    exec.error = Some(format!("Cancelled: {why}"));
                }
            }
            Err(e) => {
                tracing::warn!(execution = %arn, error = %Error::aws("cancelling", &e), "could not cancel the DataSync execution");
            }
        }
    }

    /// Deletes what a restore created, newest first. Runs even after cancellation, with its own
    /// short retry budget; returns what could not be deleted.
    async fn clean_up(&self, created: Created) -> Vec<String> {
        let cancel = CancellationToken::new();
        let policy = RetryPolicy {
            max_attempts: 5,
            ..self.policy
        };
        let mut failures = Vec::new();
        if let Some(task) = created.task {
            let res = retry(&policy, &cancel, is_transient, || async {
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
                failures.push(e.to_string());
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
        if let Some(ap) = created.access_point {
            let id = ap.rsplit('/').next().unwrap_or(&ap).to_owned();
            let res = retry(&policy, &cancel, is_transient, || async {
                self.clients
                    .efs
                    .delete_access_point()
                    .access_point_id(&id)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("deleting EFS access point {id}"), &e))
            })
            .await;
            if let Err(e) = res {
                failures.push(e.to_string());
            }
        }
        failures
    }

    /// Deletes any DataSync task or location tagged with this restore's id that an earlier,
    /// interrupted run left behind. Returns how many it deleted.
    pub async fn clean_up_leftovers(&self, restore_id: &str) -> Result<usize, Error> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let out = retry(&self.policy, &self.cancel, is_transient, || async {
                self.clients
                    .datasync
                    .list_tasks()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| Error::aws("listing DataSync tasks", &e))
            })
            .await?;
            arns.extend(
                out.tasks()
                    .iter()
                    .filter_map(|t| t.task_arn().map(|a| (true, a.to_owned()))),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        let mut token = None;
        loop {
            let out = retry(&self.policy, &self.cancel, is_transient, || async {
                self.clients
                    .datasync
                    .list_locations()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| Error::aws("listing DataSync locations", &e))
            })
            .await?;
            arns.extend(
                out.locations()
                    .iter()
                    .filter_map(|l| l.location_arn().map(|a| (false, a.to_owned()))),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        let mut created = Created::default();
        for (is_task, arn) in arns {
            let tags = self
                .clients
                .datasync
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(|e| Error::aws(format!("reading the tags of {arn}"), &e))?;
            let ours = tags
                .tags()
                .iter()
                .any(|t| t.key() == RESTORE_TAG && t.value() == Some(restore_id));
            if ours {
                if is_task {
                    created.task = Some(arn);
                } else {
                    created.locations.push(arn);
                }
            }
        }
        let count = usize::from(created.task.is_some()) + created.locations.len();
        let failures = self.clean_up(created).await;
        if failures.is_empty() {
            Ok(count)
        } else {
            Err(Error::Invalid(failures.join("; ")))
        }
    }
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
mod tests {
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
            dir(200000),
            dir(200000),
            network(),
            TransferOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Refused(_)), "{err}");
        assert!(
            RestorePlan::new(
                "r",
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
}
