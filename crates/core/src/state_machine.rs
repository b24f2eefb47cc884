//! The `state_machine` restore engine: start the deployed restore workflow and wait for it.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::aws::Clients;
use crate::restore::{RestoreExecution, RestoreFailure, outcome};
use crate::retry::{is_transient, retry};
use crate::wait::{Backoff, Stop, Waiter};
use crate::workflow::RestoreRequest;

/// How many deliberate repeats of one copy (after failed executions) are started at most.
const MAX_ATTEMPTS: u32 = 99;

/// Starts `request` on the state machine `arn` under its deterministic name (a second start of
/// the same copy joins the first execution while it runs or after it succeeded; after it failed,
/// the copy starts again as the next attempt) and waits until it ends or `deadline` passes.
pub async fn run(
    clients: &Clients,
    cancel: &CancellationToken,
    arn: &str,
    request: &RestoreRequest,
    deadline: Instant,
) -> Result<RestoreExecution, RestoreFailure> {
    let failure = |error: Error, execution: Option<RestoreExecution>| RestoreFailure {
        error,
        execution,
        cleanup_failures: Vec::new(),
    };
    let policy = clients.retry;
    // A running or succeeded execution of the same copy is joined; one that failed is not (the
    // tainted resource's retry would only read the old failure again): the next attempt's name.
    let mut attempt = 0;
    let mut request = request.clone();
    let execution_arn = loop {
        // The one StartExecution (crate::workflow::start_attempt): an execution of this name
        // that exists already is joined below, whatever its state.
        let existing = execution_arn(arn, &request.execution_name_for_attempt(attempt))
            .map_err(|e| failure(e, None))?;
        crate::workflow::start_attempt(&clients.sfn, arn, &request, attempt, &policy, cancel)
            .await
            .map_err(|e| failure(e, None))?;
        let status = retry(&policy, cancel, is_transient, || async {
            clients
                .sfn
                .describe_execution()
                .execution_arn(&existing)
                .send()
                .await
                .map_err(|e| {
                    Error::aws(format!("reading restore workflow execution {existing}"), &e)
                })
        })
        .await
        .map_err(|e| failure(e, None))?
        .status()
        .as_str()
        .to_owned();
        if matches!(status.as_str(), "RUNNING" | "SUCCEEDED") || attempt >= MAX_ATTEMPTS {
            break existing;
        }
        // An earlier execution of this copy ended without success: it may have left partial
        // files, which the next attempt replaces.
        request.options.after_interrupted_attempt = true;
        attempt += 1;
    };
    tracing::info!(execution = %execution_arn, "restore workflow started");
    let mut current = RestoreExecution {
        execution_arn: execution_arn.clone(),
        status: "RUNNING".into(),
        after_interrupted_attempt: (attempt > 0).then(|| {
            format!(
                "execution {} ended without success",
                crate::workflow::execution_arn(
                    arn,
                    &request.execution_name_for_attempt(attempt - 1)
                )
                .unwrap_or_default()
            )
        }),
        ..RestoreExecution::default()
    };
    let backoff = Backoff::new(Duration::from_millis(250), 1.5, Duration::from_secs(10));
    let mut waiter = Waiter::new(backoff, deadline, cancel);
    loop {
        let out = retry(&policy, cancel, is_transient, || async {
            clients
                .sfn
                .describe_execution()
                .execution_arn(&execution_arn)
                .send()
                .await
                .map_err(|e| {
                    Error::aws(
                        format!("reading restore workflow execution {execution_arn}"),
                        &e,
                    )
                })
        })
        .await
        .map_err(|e| failure(e, Some(current.clone())))?;
        current.status = out.status().as_str().to_owned();
        current.started_at = out
            .start_date()
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .ok();
        current.completed_at = out
            .stop_date()
            .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok());
        if let Some(output) = out.output() {
            read_counts(output, &mut current);
        }
        match current.status.as_str() {
            "SUCCEEDED" => {
                current.status = outcome::SUCCESS.into();
                return Ok(current);
            }
            "RUNNING" | "PENDING_REDRIVE" => {}
            other => {
                let detail = [out.error(), out.cause()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ");
                current.error = Some(detail.clone());
                return Err(failure(
                    Error::Aws {
                        action: "restoring through the restore workflow".into(),
                        code: out.error().map(str::to_owned),
                        message: format!("execution {execution_arn} ended {other}: {detail}"),
                    },
                    Some(current),
                ));
            }
        }
        match waiter.pause().await {
            Ok(()) => {}
            Err(Stop::Deadline) => {
                let left = stop(
                    clients,
                    &mut current,
                    &request,
                    "the create timeout ran out",
                )
                .await;
                return Err(RestoreFailure {
                    cleanup_failures: left,
                    ..failure(
                        Error::Timeout(format!(
                            "restore workflow execution {execution_arn} was still running when the create timeout ran out; it was stopped, and what it had created was removed"
                        )),
                        Some(current),
                    )
                });
            }
            Err(Stop::Cancelled) => {
                let left = stop(
                    clients,
                    &mut current,
                    &request,
                    "the restore was interrupted",
                )
                .await;
                return Err(RestoreFailure {
                    cleanup_failures: left,
                    ..failure(
                        Error::Cancelled(format!(
                            "interrupted while restore workflow execution {execution_arn} was running; it was stopped, and what it had created was removed"
                        )),
                        Some(current),
                    )
                });
            }
        }
    }
}

/// Stops the execution; once Step Functions accepted, `current` says how it ended (`ABORTED`),
/// not `RUNNING`. A stopped execution runs none of its clean-up states: what it created (found by
/// its owner tag, [`crate::sweep::OWNER_TAG`]) is removed here, its DataSync execution cancelled.
/// Returns what could not be removed.
async fn stop(
    clients: &Clients,
    current: &mut RestoreExecution,
    request: &RestoreRequest,
    why: &str,
) -> Vec<String> {
    let execution_arn = current.execution_arn.clone();
    match clients
        .sfn
        .stop_execution()
        .execution_arn(&execution_arn)
        .cause(why)
        .send()
        .await
    {
        Ok(_) => {
            current.status = outcome::ABORTED.into();
            current.error = Some(why.to_owned());
        }
        Err(e) => {
            let e = Error::aws("stopping", &e);
            tracing::warn!(execution = %execution_arn, error = %e, "could not stop the restore workflow");
            return vec![format!(
                "the restore workflow execution {execution_arn} could not be stopped ({e}); the reconciler removes what it leaves once it has ended"
            )];
        }
    }
    let scope = crate::sweep::Scope {
        file_systems: vec![
            request.source.file_system_id.clone(),
            request.target.file_system_id.clone(),
        ],
        only_owner: Some(execution_arn.clone()),
        ..crate::sweep::Scope::default()
    };
    match crate::sweep::Sweeper::new(clients).sweep(&scope).await {
        Ok(report) => report.failures,
        Err(e) => vec![format!(
            "what the stopped execution {execution_arn} created could not be looked for ({e}); the reconciler removes it"
        )],
    }
}

/// The ARN of execution `name` of state machine `arn`, or an error naming the malformed ARN.
fn execution_arn(arn: &str, name: &str) -> Result<String, Error> {
    crate::workflow::execution_arn(arn, name).ok_or_else(|| {
        Error::Invalid(format!(
            "{arn:?} is not the ARN of a Step Functions state machine (arn:<partition>:states:<region>:<account>:stateMachine:<name>)"
        ))
    })
}

/// Reads the DataSync counts from the workflow's output, wherever the workflow put them.
fn read_counts(output: &str, exec: &mut RestoreExecution) {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(output) else {
        return;
    };
    fn find<'v>(v: &'v serde_json::Value, key: &str) -> Option<&'v serde_json::Value> {
        match v {
            serde_json::Value::Object(map) => map
                .get(key)
                .or_else(|| map.values().find_map(|child| find(child, key))),
            serde_json::Value::Array(items) => items.iter().find_map(|child| find(child, key)),
            _ => None,
        }
    }
    let number = |key: &str| {
        find(&json, key).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    if let Some(n) = number("FilesTransferred") {
        exec.files_transferred = n;
    }
    if let Some(n) = number("BytesTransferred") {
        exec.bytes_transferred = n;
    }
    if let Some(n) = number("BytesWritten") {
        exec.bytes_written = n;
    }
    if let Some(n) = number("TotalDuration") {
        exec.duration_ms = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_found_wherever_the_workflow_put_them() {
        let mut exec = RestoreExecution::default();
        read_counts(
            r#"{"transfer":{"FilesTransferred":3,"BytesWritten":"42","Result":{"TotalDuration":7}}}"#,
            &mut exec,
        );
        assert_eq!(
            (exec.files_transferred, exec.bytes_written, exec.duration_ms),
            (3, 42, 7)
        );
    }
}
