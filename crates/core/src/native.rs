//! The native engine: the copier Lambda function (`lambdas/copier`, deployed by
//! `modules/restore-workflow`) copies one home directory into another on the EFS file system it
//! mounts through its own access point, with the `studio-copy` engine. No DataSync task,
//! location or quota; seconds instead of minutes for a home of a few hundred megabytes.
//!
//! A copier serves one file system (a Lambda function mounts one), so the engine applies only
//! when the source and the target home are on that file system. One invocation copies until its
//! time is nearly used up and answers [`CopyResponse::done`] `false`; the caller invokes it
//! again with the same request, and the next invocation continues without copying finished files
//! again (the engine renames a file into place only once it is complete, and skips files whose
//! size and modification time match). Every invocation transfers something before it stops
//! (`studio_copy::Options::progress_before_deadline`), so the loop always ends.
//!
//! This module is the one authority on the request and response (the copier deserializes what
//! it serializes; the restore workflow's states read the response fields named here, and its
//! test checks them against this module) and on the copier's environment.

use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::aws::Clients;
use crate::home::{HomeDirectory, Uid};
use crate::restore::outcome::{ERROR, SUCCESS};
use crate::restore::{
    OverwriteMode, Ownership, ProgressSink, RestoreExecution, RestoreFailure, STUDIO_GID,
    TransferMode, TransferOptions, VerifyMode,
};
use crate::retry::{is_transient, retry};

/// The copier's environment: the file system its access point belongs to. The copier refuses a
/// request for another one, so that a request can never be served from the wrong file system.
pub const ENV_FILE_SYSTEM_ID: &str = "STUDIO_COPIER_FILE_SYSTEM_ID";
/// The copier's environment: where the function's file system config mounts the file system
/// (its `LocalMountPath`).
pub const ENV_MOUNT_PATH: &str = "STUDIO_COPIER_MOUNT_PATH";
/// The copier's environment: milliseconds of each invocation kept back from copying, for the
/// answer and for files in flight to finish (default [`DEFAULT_RESERVE`]).
pub const ENV_RESERVE_MS: &str = "STUDIO_COPIER_RESERVE_MS";
/// The copier's environment: worker threads (default [`DEFAULT_THREADS`]). EFS is latency
/// bound: parallel operations are what make many small files fast.
pub const ENV_THREADS: &str = "STUDIO_COPIER_THREADS";
/// The default of [`ENV_RESERVE_MS`].
pub const DEFAULT_RESERVE: Duration = Duration::from_secs(20);
/// The default of [`ENV_THREADS`].
pub const DEFAULT_THREADS: usize = 32;
/// How many per-entry errors a response names (it counts them all).
pub const MAX_ERROR_SAMPLES: usize = 20;

/// How many subtree names one [`ListResponse`] carries at most: the restore workflow passes the
/// list through its state (Step Functions limits a state's data to 256 KiB) and runs a Map
/// iteration for each. Directories beyond it are copied by the final whole-tree pass.
pub const MAX_SUBTREES: usize = 256;

/// What one invocation does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Copy the home (or its [`CopyRequest::subtree`]); answers a [`CopyResponse`].
    #[default]
    Copy,
    /// Name the source home's top-level directories, so that a caller can copy them in
    /// parallel (the restore workflow's Map state), and create the target home if it is missing
    /// as Studio would; answers a [`ListResponse`]. Copies nothing.
    ListSubtrees,
}

impl Operation {
    fn is_copy(&self) -> bool {
        *self == Operation::Copy
    }
}

/// One invocation's request: copy `/<source_uid>` into `/<target_uid>` on `file_system_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    /// The restore this copy is for (logs only).
    pub restore_id: String,
    pub file_system_id: String,
    pub source_uid: u32,
    pub target_uid: u32,
    /// `target` (every entry owned by the target uid and Studio's group) or `preserve`.
    pub ownership: String,
    /// [`crate::restore::OverwriteMode`]'s values (DataSync's names).
    pub overwrite_mode: String,
    /// [`crate::restore::TransferMode`]'s values (DataSync's names).
    pub transfer_mode: String,
    /// `ONLY_FILES_TRANSFERRED` or `NONE` (`POINT_IN_TIME_CONSISTENT` is DataSync's alone).
    pub verify_mode: String,
    /// Absent: [`Operation::Copy`].
    #[serde(default, skip_serializing_if = "Operation::is_copy")]
    pub operation: Operation,
    /// Copy only `/<source_uid>/<subtree>` into `/<target_uid>/<subtree>`: one name component
    /// (see [`check_subtree`]), as [`Operation::ListSubtrees`] names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtree: Option<String>,
    /// Counts of earlier invocations of the same restore, which the answer's
    /// [`CopyResponse::total`] adds to its own: the restore workflow passes the last answer's
    /// total (or its Map's per-subtree totals) here, so that the sums are made in u64 here
    /// rather than in Step Functions' intrinsic arithmetic.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carried: Vec<Tally>,
    /// The group of every copied entry with `ownership` `target`, and of a target home the
    /// copier creates. Absent: Studio's [`STUDIO_GID`]. The restore workflow passes its
    /// `studio_gid`, the gid its DataSync path's access point writes with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// A DataSync exclude filter (`SIMPLE_PATTERN`, `|`-separated, relative to the source home:
    /// [`crate::workflow::RestoreOptions::excludes`]) that the copier applies as DataSync would.
    /// Empty: nothing is excluded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub excludes: String,
    /// When the restore's copy started (RFC 3339: the restore workflow passes the
    /// `$$.State.EnteredTime` of its first copier state): each answer's
    /// [`CopyResponse::elapsed_ms`] counts from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

/// Files and bytes transferred.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    pub files: u64,
    pub bytes: u64,
}

impl Tally {
    /// The sum of `tallies` (saturating).
    pub fn sum<'a>(tallies: impl IntoIterator<Item = &'a Tally>) -> Tally {
        tallies.into_iter().fold(Tally::default(), |a, t| Tally {
            files: a.files.saturating_add(t.files),
            bytes: a.bytes.saturating_add(t.bytes),
        })
    }
}

/// The answer to [`Operation::ListSubtrees`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListResponse {
    /// Top-level directories of the source home (not symlinks), at most [`MAX_SUBTREES`].
    pub subtrees: Vec<String>,
    /// Top-level directories not named (a name that is not UTF-8, or beyond [`MAX_SUBTREES`]):
    /// the final whole-tree copy copies them.
    pub skipped: u64,
}

/// Checks that `name` is one name component that a subtree copy can open beneath the home: not
/// empty, not `.` or `..`, no `/` or NUL, at most 255 bytes (a name's limit on EFS).
pub fn check_subtree(name: &str) -> Result<(), Error> {
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\0')
        || name.len() > 255
    {
        return Err(Error::Invalid(format!(
            "subtree {name:?} is not one directory name of the home (no /, not . or .., at most 255 bytes): nothing was copied"
        )));
    }
    Ok(())
}

/// One invocation's answer. The counts are this invocation's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyResponse {
    /// The copy is complete (with or without per-entry errors); `false`: invoke again.
    pub done: bool,
    pub files: u64,
    pub bytes: u64,
    pub directories: u64,
    pub symlinks: u64,
    pub hard_links: u64,
    pub unchanged: u64,
    /// Devices, FIFOs and sockets skipped.
    pub special: u64,
    /// Entries left out by the request's [`CopyRequest::excludes`].
    #[serde(default)]
    pub excluded: u64,
    /// Entries that failed (the copy goes on with the others, as DataSync does).
    pub errors: u64,
    /// The first [`MAX_ERROR_SAMPLES`] errors, each naming its entry and operation.
    pub error_samples: Vec<String>,
    /// This invocation's files and bytes plus the request's [`CopyRequest::carried`].
    #[serde(default)]
    pub total: Tally,
    /// Milliseconds since the request's [`CopyRequest::started_at`] when this invocation
    /// answered (0 without it): the last answer's is the copy's duration.
    #[serde(default)]
    pub elapsed_ms: u64,
}

impl CopyRequest {
    /// The request of a restore of `source` into `target`, both on one file system.
    pub fn new(
        restore_id: &str,
        source: &HomeDirectory,
        target: &HomeDirectory,
        options: &TransferOptions,
    ) -> Result<CopyRequest, Error> {
        if source.file_system_id != target.file_system_id {
            return Err(Error::Invalid(format!(
                "the native engine copies within one file system, but {source} and {target} are on two: use the DataSync engine"
            )));
        }
        check_native_options(options)?;
        Ok(CopyRequest {
            restore_id: restore_id.to_owned(),
            file_system_id: target.file_system_id.clone(),
            source_uid: source.uid.get(),
            target_uid: target.uid.get(),
            ownership: options.ownership.as_str().to_owned(),
            overwrite_mode: options.overwrite_mode.as_str().to_owned(),
            transfer_mode: options.transfer_mode.as_str().to_owned(),
            verify_mode: options.verify_mode.as_str().to_owned(),
            operation: Operation::Copy,
            subtree: None,
            carried: Vec::new(),
            gid: None,
            excludes: String::new(),
            started_at: None,
        })
    }

    /// Milliseconds from [`CopyRequest::started_at`] to `now` (0 without it, or for a start in the
    /// future of this clock).
    pub fn elapsed_ms(&self, now: std::time::SystemTime) -> Result<u64, Error> {
        let Some(started) = &self.started_at else {
            return Ok(0);
        };
        // RFC 3339 with any offset: Step Functions documents `Z` and milliseconds; the emulator's
        // interpreter writes `+00:00` and microseconds.
        let started =
            time::OffsetDateTime::parse(started, &time::format_description::well_known::Rfc3339)
                .ok()
                .map(std::time::SystemTime::from)
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "started_at {started:?} is not an RFC 3339 timestamp: nothing was copied"
                    ))
                })?;
        Ok(now
            .duration_since(started)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
    }

    /// This request's settings, checked: the uids (not root, not the same) and the modes.
    pub fn settings(&self) -> Result<CopySettings, Error> {
        let uid = |name: &str, value: u32| {
            Uid::new(i64::from(value)).map_err(|e| Error::Invalid(format!("{name}: {e}")))
        };
        let source = uid("source_uid", self.source_uid)?;
        let target = uid("target_uid", self.target_uid)?;
        if source == target {
            return Err(Error::Invalid(format!(
                "source_uid and target_uid are both {source}: a home is not restored into itself"
            )));
        }
        if let Some(name) = &self.subtree {
            check_subtree(name)?;
        }
        let ownership: Ownership = self.ownership.parse()?;
        let verify: VerifyMode = self.verify_mode.parse()?;
        check_native_options(&TransferOptions {
            verify_mode: verify,
            ..TransferOptions::default()
        })?;
        let gid = self.gid.unwrap_or(STUDIO_GID);
        if gid == u32::MAX {
            return Err(Error::Invalid(format!(
                "gid {gid} is not a POSIX gid (at most {})",
                u32::MAX - 1
            )));
        }
        Ok(CopySettings {
            source,
            target,
            gid,
            owner: match ownership {
                Ownership::Target => Some((target.get(), gid)),
                Ownership::Preserve => None,
            },
            overwrite: self.overwrite_mode.parse()?,
            transfer: self.transfer_mode.parse()?,
            verify: verify == VerifyMode::OnlyFilesTransferred,
        })
    }
}

/// Whether a copier that mounts `copier_file_system` can restore `source` into `target` with
/// `options`: both homes on its file system, and nothing asked that only DataSync does. The one
/// statement of the native engine's reach: `auto` applies it
/// ([`crate::profile_restore::ProfileRestore::choose_engine`]), and the restore workflow's
/// `ChooseEngine` state is tested against it.
pub fn native_serves(
    copier_file_system: &str,
    source: &HomeDirectory,
    target: &HomeDirectory,
    options: &TransferOptions,
) -> bool {
    source.file_system_id == target.file_system_id
        && target.file_system_id == copier_file_system
        && check_native_options(options).is_ok()
}

/// What the native engine cannot do that `options` ask: `POINT_IN_TIME_CONSISTENT` verification
/// compares both whole trees after the copy, which only DataSync does.
pub fn check_native_options(options: &TransferOptions) -> Result<(), Error> {
    if options.verify_mode == VerifyMode::PointInTimeConsistent {
        return Err(Error::Invalid(format!(
            "verify_mode {} is DataSync's: the native engine verifies {} or {}",
            VerifyMode::PointInTimeConsistent,
            VerifyMode::OnlyFilesTransferred,
            VerifyMode::None
        )));
    }
    Ok(())
}

/// A request's settings, checked, for the copier to map onto the engine's options (this crate
/// does not depend on the engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySettings {
    pub source: Uid,
    pub target: Uid,
    /// The group of a target home the copier creates (and of every entry with `owner` set).
    pub gid: u32,
    /// `Some((uid, gid))`: every entry owned by them; `None`: the source's owners kept.
    pub owner: Option<(u32, u32)>,
    pub overwrite: OverwriteMode,
    pub transfer: TransferMode,
    /// Read each transferred file back and compare.
    pub verify: bool,
}

/// A deployed copier, as its configuration shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copier {
    /// The function's ARN.
    pub function_arn: String,
    /// The file system its access point belongs to.
    pub file_system_id: String,
}

/// Reads `function`'s configuration: which file system it mounts, through which access point.
/// A function without a file system config, or whose access point is gone, is not a copier.
pub async fn inspect(
    clients: &Clients,
    cancel: &CancellationToken,
    function: &str,
) -> Result<Copier, Error> {
    let policy = clients.retry;
    let config = retry(&policy, cancel, is_transient, || async {
        clients
            .lambda
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .map_err(|e| Error::aws(format!("reading the copier function {function}"), &e))
    })
    .await?;
    let access_point_arn = config
        .file_system_configs()
        .first()
        .map(|c| c.arn().to_owned())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{function} mounts no file system: it is not a copier (deploy one with modules/restore-workflow's `copier`)"
            ))
        })?;
    let access_point_id = access_point_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let points = retry(&policy, cancel, is_transient, || async {
        clients
            .efs
            .describe_access_points()
            .access_point_id(&access_point_id)
            .send()
            .await
            .map_err(|e| {
                Error::aws(
                    format!(
                        "reading access point {access_point_id} of the copier function {function}"
                    ),
                    &e,
                )
            })
    })
    .await?;
    let file_system_id = points
        .access_points()
        .first()
        .and_then(|p| p.file_system_id())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "access point {access_point_id} of the copier function {function} does not exist"
            ))
        })?;
    Ok(Copier {
        function_arn: config.function_arn().unwrap_or(function).to_owned(),
        file_system_id,
    })
}

/// Runs `request` on `copier` until the copy is complete, `deadline` passes or `cancel` fires,
/// reporting the running totals to `progress` after each invocation.
pub async fn run(
    clients: &Clients,
    cancel: &CancellationToken,
    progress: Option<&ProgressSink>,
    copier: &Copier,
    request: &CopyRequest,
    deadline: Instant,
) -> Result<RestoreExecution, RestoreFailure> {
    let started = std::time::SystemTime::now();
    let clock = Instant::now();
    let mut total = CopyResponse::default();
    let mut invocations = 0u64;
    let execution = |total: &CopyResponse, status: &str, error: Option<String>| RestoreExecution {
        execution_arn: copier.function_arn.clone(),
        status: status.to_owned(),
        files_transferred: total.files.min(i64::MAX as u64) as i64,
        bytes_transferred: total.bytes.min(i64::MAX as u64) as i64,
        bytes_written: total.bytes.min(i64::MAX as u64) as i64,
        duration_ms: clock.elapsed().as_millis().min(i64::MAX as u128) as i64,
        started_at: Some(timestamp(started)),
        completed_at: (status != RUNNING).then(|| timestamp(std::time::SystemTime::now())),
        error,
        ..RestoreExecution::default()
    };
    let fail = |error: Error, total: &CopyResponse| {
        let message = error.to_string();
        RestoreFailure {
            execution: Some(execution(total, ERROR, Some(message))),
            error,
            cleanup_failures: Vec::new(),
        }
    };
    let payload = serde_json::to_vec(request)
        .map_err(|e| fail(Error::Invalid(format!("the copier request: {e}")), &total))?;
    loop {
        if cancel.is_cancelled() {
            return Err(fail(
                Error::Cancelled(format!(
                    "the copy by {} was stopped after {invocations} invocations; applying again continues it",
                    copier.function_arn
                )),
                &total,
            ));
        }
        if Instant::now() >= deadline {
            return Err(fail(
                Error::Timeout(format!(
                    "the copy by {} was not complete after {invocations} invocations; applying again continues it",
                    copier.function_arn
                )),
                &total,
            ));
        }
        let answer = invoke(clients, cancel, &copier.function_arn, &payload)
            .await
            .map_err(|e| fail(e, &total))?;
        invocations += 1;
        total.add(&answer);
        if let Some(sink) = progress {
            let _ = sink.send(execution(&total, RUNNING, None));
        }
        if answer.done {
            break;
        }
    }
    if total.errors > 0 {
        let message = format!(
            "{} entries could not be copied (the others were): {}",
            total.errors,
            total.error_samples.join("; ")
        );
        return Err(fail(Error::Invalid(message), &total));
    }
    Ok(execution(&total, SUCCESS, None))
}

/// The status of a native copy while it runs, in progress reports: DataSync's name for the same
/// phase. Its ends are [`crate::restore::outcome`]'s, one vocabulary whichever engine copied.
pub const RUNNING: &str = "TRANSFERRING";

impl CopyResponse {
    /// Adds `other`'s counts and error samples (up to [`MAX_ERROR_SAMPLES`]) to these.
    pub fn add(&mut self, other: &CopyResponse) {
        self.done = other.done;
        self.files += other.files;
        self.bytes += other.bytes;
        self.directories += other.directories;
        self.symlinks += other.symlinks;
        self.hard_links += other.hard_links;
        self.unchanged += other.unchanged;
        self.special += other.special;
        self.excluded += other.excluded;
        self.elapsed_ms = self.elapsed_ms.max(other.elapsed_ms);
        self.errors += other.errors;
        let room = MAX_ERROR_SAMPLES.saturating_sub(self.error_samples.len());
        self.error_samples
            .extend(other.error_samples.iter().take(room).cloned());
    }
}

async fn invoke(
    clients: &Clients,
    cancel: &CancellationToken,
    function: &str,
    payload: &[u8],
) -> Result<CopyResponse, Error> {
    let out = retry(&clients.retry, cancel, is_transient, || async {
        clients
            .lambda
            .invoke()
            .function_name(function)
            .payload(Blob::new(payload.to_vec()))
            .send()
            .await
            .map_err(|e| Error::aws(format!("invoking the copier function {function}"), &e))
    })
    .await?;
    let body = out.payload().map(|b| b.as_ref()).unwrap_or_default();
    if let Some(kind) = out.function_error() {
        // The Lambda runtime's error document: {"errorType": ..., "errorMessage": ...}.
        let message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("errorMessage")
                    .and_then(|m| m.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        return Err(Error::Invalid(format!(
            "the copier function {function} failed ({kind}): {message}"
        )));
    }
    serde_json::from_slice(body).map_err(|e| {
        Error::Invalid(format!(
            "the copier function {function} answered something that is not a copy response ({e}): {}",
            String::from_utf8_lossy(body)
        ))
    })
}

fn timestamp(t: std::time::SystemTime) -> String {
    aws_smithy_types::DateTime::from(t)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(fs: &str, uid: i64) -> HomeDirectory {
        HomeDirectory {
            file_system_id: fs.into(),
            uid: Uid::new(uid).unwrap(),
        }
    }

    #[test]
    fn a_request_round_trips_and_parses_into_the_engines_options() {
        let request = CopyRequest::new(
            "r1",
            &home("fs-1", 200000),
            &home("fs-1", 200005),
            &TransferOptions::default(),
        )
        .unwrap();
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<CopyRequest>(&json).unwrap(), request);
        let parsed = request.settings().unwrap();
        assert_eq!(parsed.owner, Some((200005, STUDIO_GID)));
        assert!(parsed.verify);
        assert_eq!(parsed.source.get(), 200000);
    }

    #[test]
    fn requests_the_engine_cannot_serve_are_refused() {
        let opts = TransferOptions::default();
        assert!(CopyRequest::new("r", &home("fs-1", 2), &home("fs-2", 3), &opts).is_err());
        let pitc = TransferOptions {
            verify_mode: VerifyMode::PointInTimeConsistent,
            ..opts
        };
        assert!(CopyRequest::new("r", &home("fs-1", 2), &home("fs-1", 3), &pitc).is_err());
        let mut same = CopyRequest::new("r", &home("fs-1", 2), &home("fs-1", 3), &opts).unwrap();
        same.target_uid = 2;
        assert!(same.settings().is_err());
        let mut root = same.clone();
        root.target_uid = 0;
        assert!(root.settings().is_err());
        let mut odd = same;
        odd.target_uid = 3;
        odd.transfer_mode = "SOME".into();
        assert!(odd.settings().is_err());
        assert!(serde_json::from_str::<CopyRequest>(r#"{"restore_id":"r","extra":1}"#).is_err());
    }

    #[test]
    fn subtree_requests_name_one_component_and_old_requests_still_parse() {
        let opts = TransferOptions::default();
        let plain = CopyRequest::new("r", &home("fs-1", 2), &home("fs-1", 3), &opts).unwrap();
        // What the provider sends is unchanged: no operation, no subtree.
        let json = serde_json::to_value(&plain).unwrap();
        assert!(json.get("operation").is_none() && json.get("subtree").is_none());
        let list: CopyRequest = serde_json::from_value(serde_json::json!({
            "restore_id": "r", "file_system_id": "fs-1", "source_uid": 2, "target_uid": 3,
            "ownership": "target", "overwrite_mode": "NEVER", "transfer_mode": "CHANGED",
            "verify_mode": "NONE", "operation": "list_subtrees"
        }))
        .unwrap();
        assert_eq!(list.operation, Operation::ListSubtrees);
        assert!(
            serde_json::from_str::<CopyRequest>(
                &json
                    .to_string()
                    .replace("\"restore_id\"", "\"operation\":\"delete\",\"restore_id\"")
            )
            .is_err()
        );
        for good in [
            "src",
            ".ipynb_checkpoints",
            "a b",
            "\u{e9}t\u{e9}",
            "...",
            "x".repeat(255).as_str(),
        ] {
            let mut sub = plain.clone();
            sub.subtree = Some(good.to_owned());
            assert!(sub.settings().is_ok(), "{good:?}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "/etc",
            "../200000",
            "a\0b",
            "x".repeat(256).as_str(),
        ] {
            let mut sub = plain.clone();
            sub.subtree = Some(bad.to_owned());
            let err = sub.settings().unwrap_err();
            assert!(err.to_string().contains("subtree"), "{bad:?}: {err}");
        }
    }

    /// Every state of `value` (a definition or a Map's processor), nested ones too.
    fn states(value: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
        for (name, state) in value["States"].as_object().into_iter().flatten() {
            out.push((name.clone(), state.clone()));
            if let Some(processor) = state.get("ItemProcessor") {
                states(processor, out);
            }
        }
    }

    fn keys(value: &serde_json::Value) -> std::collections::BTreeSet<String> {
        value
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.trim_end_matches(".$").to_owned())
            .collect()
    }

    /// The restore workflow builds requests and reads answers by the names this module gives
    /// them: one authority.
    #[test]
    fn the_workflow_speaks_the_copiers_contract() {
        let definition = crate::restore::tests::rendered_definition();
        let mut all = Vec::new();
        states(&definition, &mut all);
        let state = |name: &str| {
            all.iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| s.clone())
                .unwrap_or_else(|| panic!("the workflow has no state {name}"))
        };
        let full = CopyRequest {
            operation: Operation::ListSubtrees,
            subtree: Some("s".into()),
            carried: vec![Tally::default()],
            gid: Some(crate::restore::STUDIO_GID),
            excludes: crate::workflow::DEFAULT_EXCLUDES.into(),
            started_at: Some("2026-11-28T10:00:00.000Z".into()),
            ..CopyRequest::new(
                "r",
                &home("fs-1", 2),
                &home("fs-1", 3),
                &TransferOptions::default(),
            )
            .unwrap()
        };
        let request_keys = keys(&serde_json::to_value(&full).unwrap());
        let built = state("NativeRequest")["Parameters"].clone();
        let mut sent = keys(&built["request"]);
        sent.extend(keys(&built["list"]));
        sent.extend(keys(&state("CopySubtrees")["ItemSelector"]["extra"]));
        assert_eq!(
            sent, request_keys,
            "the workflow's requests and CopyRequest"
        );
        assert_eq!(built["request"]["ownership"], Ownership::Target.as_str());
        assert_eq!(
            built["list"]["operation"],
            serde_json::to_value(Operation::ListSubtrees).unwrap()
        );
        assert_eq!(
            keys(&state("ContinueSubtree")["Parameters"]["extra"]),
            keys(&state("CopySubtrees")["ItemSelector"]["extra"])
        );
        // Every `answer.<field>` the workflow reads is a field of an answer.
        let copy = serde_json::to_value(CopyResponse::default()).unwrap();
        let list = serde_json::to_value(ListResponse::default()).unwrap();
        let tally = keys(&serde_json::to_value(Tally::default()).unwrap());
        let text = definition.to_string();
        let mut read = std::collections::BTreeSet::new();
        for part in text.split("answer.").skip(1) {
            let path: String = part
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == '.')
                .collect();
            // `"answer.$"` is where an invocation's answer is kept, not a read of it.
            if !path.is_empty() {
                read.insert(path.trim_end_matches('.').to_owned());
            }
        }
        for path in &read {
            let (field, inner) = path.split_once('.').unwrap_or((path, ""));
            let known = copy.get(field).is_some() || list.get(field).is_some();
            assert!(
                known,
                "the workflow reads answer.{path}, which no answer has"
            );
            if field == "total" && !inner.is_empty() {
                assert!(tally.contains(inner), "answer.{path} is not a Tally field");
            }
        }
        for needed in [
            "done",
            "errors",
            "error_samples",
            "total.files",
            "total.bytes",
            "subtrees",
        ] {
            assert!(
                read.contains(needed),
                "the workflow does not check answer.{needed}"
            );
        }
    }

    /// The restore workflow's `ChooseEngine` (with the module's `native_file_system_id`, empty
    /// without a copier or with `POINT_IN_TIME_CONSISTENT`) chooses as [`native_serves`] does.
    #[test]
    fn the_workflow_chooses_the_native_engine_by_the_same_rule() {
        let main_tf = crate::restore::tests::module_file("main.tf");
        assert!(
            main_tf.contains(r#"native_file_system_id = local.copier_enabled && lookup(var.task_options, "VerifyMode", "POINT_IN_TIME_CONSISTENT") != "POINT_IN_TIME_CONSISTENT" ? var.copier.file_system_id : """#),
            "the module's native_file_system_id is no longer what this test models"
        );
        let definition = crate::restore::tests::rendered_definition();
        let choose = &definition["States"]["ChooseEngine"];
        let choices = choose["Choices"]
            .as_array()
            .expect("ChooseEngine's choices");
        assert_eq!(choices.len(), 1, "{choose:#}");
        assert_eq!(choices[0]["Next"], "NativeRequest");
        assert_eq!(choose["Default"], "AcquireSlot");

        /// A Choice rule's value for `input`, `${native_file_system_id}` being `native`.
        fn holds(rule: &serde_json::Value, input: &serde_json::Value, native: &str) -> bool {
            if let Some(all) = rule["And"].as_array() {
                return all.iter().all(|r| holds(r, input, native));
            }
            if let Some(any) = rule["Or"].as_array() {
                return any.iter().any(|r| holds(r, input, native));
            }
            if rule.get("Not").is_some() {
                return !holds(&rule["Not"], input, native);
            }
            let path = rule["Variable"].as_str().expect("a Variable");
            let value = path
                .trim_start_matches("$.")
                .split('.')
                .fold(input, |v, key| &v[key]);
            match rule["StringEquals"].as_str() {
                Some("native_file_system_id") => value == native,
                Some(literal) => value == literal,
                None => panic!("ChooseEngine compares with something this test cannot: {rule}"),
            }
        }

        let verify_modes = [
            VerifyMode::OnlyFilesTransferred,
            VerifyMode::None,
            VerifyMode::PointInTimeConsistent,
        ];
        let mut natives = 0;
        for copier in [None, Some("fs-1")] {
            for verify_mode in verify_modes {
                for (source, target) in [
                    ("fs-1", "fs-1"),
                    ("fs-1", "fs-2"),
                    ("fs-2", "fs-1"),
                    ("fs-2", "fs-2"),
                ] {
                    // The module's rendering of native_file_system_id.
                    let native = match copier {
                        Some(fs) if verify_mode != VerifyMode::PointInTimeConsistent => fs,
                        _ => "",
                    };
                    let input = serde_json::json!({
                        "source": { "file_system_id": source, "uid": "2" },
                        "target": { "file_system_id": target, "uid": "3" },
                        "options": { "excludes": crate::workflow::DEFAULT_EXCLUDES },
                    });
                    let options = TransferOptions {
                        verify_mode,
                        ..TransferOptions::default()
                    };
                    let expected = copier.is_some_and(|fs| {
                        native_serves(fs, &home(source, 2), &home(target, 3), &options)
                    });
                    natives += usize::from(expected);
                    assert_eq!(
                        holds(&choices[0], &input, native),
                        expected,
                        "copier {copier:?}, {verify_mode}, {source} into {target}"
                    );
                }
            }
        }
        assert_eq!(natives, 2, "fs-1 into fs-1, verified or not");
    }

    #[test]
    fn elapsed_time_counts_from_the_requests_start() {
        let mut request = CopyRequest::new(
            "r",
            &home("fs-1", 2),
            &home("fs-1", 3),
            &TransferOptions::default(),
        )
        .unwrap();
        let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_324_000_250);
        assert_eq!(request.elapsed_ms(now).unwrap(), 0, "no start, no duration");
        // Step Functions' $$.State.EnteredTime, with and without fractional seconds.
        request.started_at = Some("2025-11-28T10:00:00.000Z".into());
        assert_eq!(request.elapsed_ms(now).unwrap(), 250);
        request.started_at = Some("2025-11-28T09:59:59Z".into());
        assert_eq!(request.elapsed_ms(now).unwrap(), 1250);
        request.started_at = Some("2025-11-28T10:00:00.000000+00:00".into());
        assert_eq!(
            request.elapsed_ms(now).unwrap(),
            250,
            "an offset, microseconds"
        );
        request.started_at = Some("2025-11-28T11:00:00+01:00".into());
        assert_eq!(request.elapsed_ms(now).unwrap(), 250);
        request.started_at = Some("2025-11-28T10:00:01Z".into());
        assert_eq!(
            request.elapsed_ms(now).unwrap(),
            0,
            "a start ahead of this clock"
        );
        request.started_at = Some("yesterday".into());
        let err = request.elapsed_ms(now).unwrap_err();
        assert!(err.to_string().contains("started_at"), "{err}");
    }

    #[test]
    fn responses_add_up_and_keep_a_bounded_number_of_samples() {
        let one = CopyResponse {
            files: 2,
            bytes: 10,
            errors: 15,
            error_samples: (0..15).map(|i| format!("e{i}")).collect(),
            ..CopyResponse::default()
        };
        let mut total = CopyResponse::default();
        total.add(&one);
        total.add(&CopyResponse {
            done: true,
            ..one.clone()
        });
        assert_eq!((total.files, total.bytes, total.errors), (4, 20, 30));
        assert_eq!(total.error_samples.len(), MAX_ERROR_SAMPLES);
        assert!(total.done);
    }
}
