//! One lease per target home: whoever copies into a home directory first takes a conditional
//! lease on the home's row in the mapping table, and nobody else copies into that home until it
//! is released or has expired. Every engine takes it before it creates anything: the provider's
//! DataSync engine here, the restore workflow (and so the event path and the provider's
//! `state_machine` engine, which start it) in its `AcquireLease` state.
//!
//! Two attributes on the row (ARCHITECTURE.md, data model):
//! - `lease_holder` (S): who holds the lease, in words a person can act on: a provider process
//!   (`terraform-provider-studio pid … on …`) or a restore workflow execution (its ARN).
//! - `lease_expires_at` (S): until when a process's lease holds unless it is renewed, as
//!   `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC. Strings of that one format order like the times they
//!   name, which is what lets the workflow compare them: Step Functions gives a state machine
//!   its clock only as such a string (`$$.State.EnteredTime`), never as a number. A workflow
//!   execution's lease has no expiry: it lasts while the execution runs, which anyone can
//!   observe (`DescribeExecution`); an execution that was stopped or timed out without releasing
//!   it holds nothing.
//!
//! Every lease write adds 1 to the row's `version`, so a writer that read the row before (and
//! writes it whole, conditional on that version) re-reads it and keeps the lease: the record
//! code keeps attributes it does not know ([`crate::records::MappingRecord::other`]). A lease
//! on a home that has no row yet creates a stub row (the home key and its parts), deleted again
//! on release when nothing else was recorded in it meanwhile.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::home::HomeKey;
use crate::wait::{Backoff, Stop, Waiter};

/// The row attribute naming the lease's holder.
pub const HOLDER: &str = "lease_holder";
/// The row attribute holding a process lease's expiry.
pub const EXPIRES_AT: &str = "lease_expires_at";

/// How long a provider's lease lasts without renewal. It is renewed every third of this while
/// the restore runs, so a killed process blocks its home for at most this long.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// A lease as the row holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseState {
    pub holder: String,
    /// `None` for a workflow execution's lease, which lasts while the execution runs.
    pub expires_at: Option<String>,
}

/// A time as the lease attributes hold it: `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC.
pub fn timestamp(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// Whether `holder` is a Step Functions execution (its lease lasts while it runs).
pub fn is_execution(holder: &str) -> bool {
    holder.starts_with("arn:") && holder.contains(":states:") && holder.contains(":execution:")
}

/// What stands between `me` and the lease at `now`: `None` when it is free (no holder, `me`, or
/// a process lease that expired), else the holder. A workflow execution's lease is decided by
/// whether the execution still runs, which the caller asks Step Functions.
pub fn blocking<'a>(
    current: Option<&'a LeaseState>,
    me: &str,
    now: &str,
) -> Option<&'a LeaseState> {
    let lease = current?;
    if lease.holder == me {
        return None;
    }
    match &lease.expires_at {
        Some(expires) if expires.as_str() < now => None,
        _ => Some(lease),
    }
}

/// How a refused lease reads: who holds the home, and until when.
pub fn held_message(home: &HomeKey, lease: &LeaseState) -> String {
    let until = match &lease.expires_at {
        Some(at) => format!(
            "its lease runs until {at} unless renewed; a holder that was killed frees the home then"
        ),
        None => "it holds the home while that execution runs".to_owned(),
    };
    format!(
        "another restore is copying into {home}: {} ({until}). Nothing was created; apply again once that restore has ended",
        lease.holder
    )
}

/// The holder name of this process, for a provider restore.
pub fn process_holder(what: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unknown host".to_owned());
    format!(
        "terraform-provider-studio pid {} on {host}, {what}",
        std::process::id()
    )
}

/// The leases of one mapping table.
#[derive(Debug, Clone)]
pub struct Leases {
    dynamodb: aws_sdk_dynamodb::Client,
    sfn: aws_sdk_sfn::Client,
    table: String,
    ttl: Duration,
}

/// A held lease. Renewed in the background until [`Lease::release`]; dropped without release,
/// it stops being renewed and expires.
#[derive(Debug)]
pub struct Lease {
    leases: Leases,
    home: HomeKey,
    holder: String,
    created_row: bool,
    renewing: CancellationToken,
    renewer: Option<JoinHandle<Option<Error>>>,
}

impl Leases {
    pub fn new(
        dynamodb: aws_sdk_dynamodb::Client,
        sfn: aws_sdk_sfn::Client,
        table: impl Into<String>,
    ) -> Leases {
        Leases {
            dynamodb,
            sfn,
            table: table.into(),
            ttl: DEFAULT_TTL,
        }
    }

    pub fn with_ttl(mut self, ttl: Duration) -> Leases {
        self.ttl = ttl;
        self
    }

    /// Takes the lease on `home` for `holder`, waiting while someone else holds it, until
    /// `deadline`; then fails naming the holder. An error `ResourceNotFoundException` (no
    /// mapping table) is returned as it is, for the caller to decide.
    pub async fn acquire(
        &self,
        home: &HomeKey,
        holder: &str,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<Lease, Error> {
        let backoff = Backoff::new(Duration::from_millis(500), 2.0, Duration::from_secs(5));
        let mut waiter = Waiter::new(backoff, deadline, cancel);
        loop {
            if let Some(created_row) = self.try_take(home, holder, None).await? {
                return Ok(self.held(home, holder, created_row));
            }
            let current = self.read(home).await?;
            let now = timestamp(time::OffsetDateTime::now_utc());
            let Some(blocker) = blocking(current.as_ref(), holder, &now).cloned() else {
                continue; // freed meanwhile, or expired: take it
            };
            if is_execution(&blocker.holder) && !self.execution_runs(&blocker.holder).await? {
                // Stopped or timed out without releasing it: the lease ended with the execution.
                tracing::warn!(%home, holder = %blocker.holder, "taking over the lease of an execution that no longer runs");
                if let Some(created_row) =
                    self.try_take(home, holder, Some(&blocker.holder)).await?
                {
                    return Ok(self.held(home, holder, created_row));
                }
                continue;
            }
            if Instant::now() < deadline {
                tracing::info!(%home, holder = %blocker.holder, "waiting for the lease");
            }
            match waiter.pause().await {
                Ok(()) => {}
                Err(Stop::Deadline) => return Err(Error::Conflict(held_message(home, &blocker))),
                Err(Stop::Cancelled) => {
                    return Err(Error::Cancelled(format!(
                        "interrupted while waiting for the lease on {home}, held by {}",
                        blocker.holder
                    )));
                }
            }
        }
    }

    fn held(&self, home: &HomeKey, holder: &str, created_row: bool) -> Lease {
        let renewing = CancellationToken::new();
        let renewer = {
            let leases = self.clone();
            let (home, holder, stop) = (home.clone(), holder.to_owned(), renewing.clone());
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(leases.ttl / 3) => {}
                        _ = stop.cancelled() => return None,
                    }
                    if let Err(e) = leases.renew(&home, &holder).await {
                        tracing::error!(%home, error = %e, "could not renew the lease");
                        return Some(e);
                    }
                }
            })
        };
        Lease {
            leases: self.clone(),
            home: home.clone(),
            holder: holder.to_owned(),
            created_row,
            renewing,
            renewer: Some(renewer),
        }
    }

    /// One conditional write: the lease is ours if it is free, ours already, expired, or held by
    /// `dead` (an execution that no longer runs). `Some(created_row)` when taken.
    async fn try_take(
        &self,
        home: &HomeKey,
        holder: &str,
        dead: Option<&str>,
    ) -> Result<Option<bool>, Error> {
        let now = time::OffsetDateTime::now_utc();
        let mut req = self
            .dynamodb
            .update_item()
            .table_name(&self.table)
            .key("home", AttributeValue::S(home.to_string()))
            .update_expression(
                "SET #holder = :me, #expires = :expires, #kind = if_not_exists(#kind, :kind), #name = if_not_exists(#name, :name), #domain = if_not_exists(#domain, :domain) ADD #version :one",
            )
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#domain", "domain_name")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":me", AttributeValue::S(holder.to_owned()))
            .expression_attribute_values(
                ":expires",
                AttributeValue::S(timestamp(now + self.ttl)),
            )
            .expression_attribute_values(":kind", AttributeValue::S(home.kind.as_str().into()))
            .expression_attribute_values(":name", AttributeValue::S(home.name.clone()))
            .expression_attribute_values(":domain", AttributeValue::S(home.domain_name.clone()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::AllOld);
        req = match dead {
            None => req
                .condition_expression(
                    "attribute_not_exists(#holder) OR #holder = :me OR (attribute_exists(#expires) AND #expires < :now)",
                )
                .expression_attribute_values(":now", AttributeValue::S(timestamp(now))),
            Some(dead) => req
                .condition_expression("#holder = :dead")
                .expression_attribute_values(":dead", AttributeValue::S(dead.to_owned())),
        };
        match req.send().await {
            Ok(out) => Ok(Some(out.attributes().is_none_or(|a| a.is_empty()))),
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(Error::aws(
                format!("taking the lease on {home} in table {}", self.table),
                &e,
            )),
        }
    }

    async fn renew(&self, home: &HomeKey, holder: &str) -> Result<(), Error> {
        let expires = timestamp(time::OffsetDateTime::now_utc() + self.ttl);
        let res = self
            .dynamodb
            .update_item()
            .table_name(&self.table)
            .key("home", AttributeValue::S(home.to_string()))
            .update_expression("SET #expires = :expires ADD #version :one")
            .condition_expression("#holder = :me")
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":me", AttributeValue::S(holder.to_owned()))
            .expression_attribute_values(":expires", AttributeValue::S(expires))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(Error::Conflict(format!(
                "the lease on {home} was lost: it expired and another restore took it (a pause longer than {}s)",
                self.ttl.as_secs()
            ))),
            Err(e) => Err(Error::aws(format!("renewing the lease on {home}"), &e)),
        }
    }

    /// The lease on `home` as the row holds it now.
    pub async fn read(&self, home: &HomeKey) -> Result<Option<LeaseState>, Error> {
        let out = self
            .dynamodb
            .get_item()
            .table_name(&self.table)
            .key("home", AttributeValue::S(home.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                Error::aws(
                    format!("reading the lease on {home} in table {}", self.table),
                    &e,
                )
            })?;
        let item = out.item();
        let text = |name: &str| match item.and_then(|i| i.get(name)) {
            Some(AttributeValue::S(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        Ok(text(HOLDER).map(|holder| LeaseState {
            holder,
            expires_at: text(EXPIRES_AT),
        }))
    }

    async fn execution_runs(&self, arn: &str) -> Result<bool, Error> {
        match self
            .sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
        {
            Ok(out) => Ok(out.status().as_str() == "RUNNING"),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_execution_does_not_exist()) =>
            {
                Ok(false)
            }
            Err(e) => Err(Error::aws(
                format!("reading restore workflow execution {arn}, which holds a lease"),
                &e,
            )),
        }
    }
}

impl Lease {
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Gives the lease back (only if it is still ours) and deletes the stub row it created, if
    /// nothing else was recorded in it meanwhile. Reports a lease lost while it was held.
    pub async fn release(mut self) -> Result<(), Error> {
        self.renewing.cancel();
        let lost = match self.renewer.take() {
            Some(handle) => handle.await.ok().flatten(),
            None => None,
        };
        let leases = &self.leases;
        let home = &self.home;
        let res = leases
            .dynamodb
            .update_item()
            .table_name(&leases.table)
            .key("home", AttributeValue::S(home.to_string()))
            .update_expression("REMOVE #holder, #expires ADD #version :one")
            .condition_expression("#holder = :me")
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":me", AttributeValue::S(self.holder.clone()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        match res {
            Ok(_) => {}
            Err(e) if is_condition_failure(&e) => {}
            Err(e) => {
                return Err(Error::aws(
                    format!("releasing the lease on {home} in table {}", leases.table),
                    &e,
                ));
            }
        }
        if self.created_row {
            // Only a stub: no directory, no declared source, no replication flag, no lease.
            let res = leases
                .dynamodb
                .delete_item()
                .table_name(&leases.table)
                .key("home", AttributeValue::S(home.to_string()))
                .condition_expression(
                    "attribute_not_exists(#holder) AND attribute_not_exists(file_system_id) AND attribute_not_exists(restore_from) AND attribute_not_exists(previous_uid) AND attribute_not_exists(replication)",
                )
                .expression_attribute_names("#holder", HOLDER)
                .send()
                .await;
            if let Err(e) = res {
                if !is_condition_failure(&e) {
                    tracing::warn!(%home, error = %Error::aws("deleting the lease's stub row", &e), "the stub row stays");
                }
            }
        }
        match lost {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewing.cancel();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::HomeKind;

    fn lease(holder: &str, expires: Option<&str>) -> LeaseState {
        LeaseState {
            holder: holder.into(),
            expires_at: expires.map(str::to_owned),
        }
    }

    #[test]
    fn timestamps_have_one_width_so_they_order_as_strings() {
        let at = time::macros::datetime!(2026-01-02 03:04:05.006 UTC);
        assert_eq!(timestamp(at), "2026-01-02T03:04:05.006Z");
        let whole = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        assert_eq!(timestamp(whole), "2026-01-02T03:04:05.000Z");
        let other_zone = time::macros::datetime!(2026-01-02 05:04:05.006 +2);
        assert_eq!(timestamp(other_zone), "2026-01-02T03:04:05.006Z");
        // Step Functions' `$$.State.EnteredTime` has this shape too.
        assert!(timestamp(at).as_str() < "2026-01-02T03:04:05.007Z");
        assert!(timestamp(at + Duration::from_secs(60)).as_str() > "2026-01-02T03:04:59.999Z");
    }

    #[test]
    fn a_lease_blocks_until_it_expires_unless_it_is_ours() {
        let now = "2026-01-02T03:04:05.006Z";
        assert_eq!(blocking(None, "me", now), None);
        let live = lease("other", Some("2026-01-02T03:05:05.006Z"));
        assert_eq!(blocking(Some(&live), "me", now), Some(&live));
        assert_eq!(
            blocking(Some(&live), "other", now),
            None,
            "a holder renews its own"
        );
        let expired = lease("killed", Some("2026-01-02T03:04:05.005Z"));
        assert_eq!(blocking(Some(&expired), "me", now), None);
        // A workflow execution's lease has no expiry: Step Functions says whether it still runs.
        let execution = lease(
            "arn:aws:states:us-east-1:123456789012:execution:restore:x",
            None,
        );
        assert_eq!(blocking(Some(&execution), "me", now), Some(&execution));
    }

    #[test]
    fn execution_holders_are_told_apart_from_processes() {
        assert!(is_execution(
            "arn:aws:states:us-east-1:123456789012:execution:restore:x"
        ));
        assert!(!is_execution(&process_holder("restore r-1")));
        assert!(!is_execution(
            "arn:aws:states:us-east-1:123456789012:stateMachine:restore"
        ));
    }

    #[test]
    fn a_held_lease_names_its_holder_and_what_to_do() {
        let home = HomeKey::new("studio", HomeKind::User, "alice").unwrap();
        let msg = held_message(
            &home,
            &lease("terraform-provider-studio pid 7 on h", Some("T")),
        );
        assert!(msg.contains("studio/user/alice"), "{msg}");
        assert!(
            msg.contains("terraform-provider-studio pid 7 on h"),
            "{msg}"
        );
        assert!(msg.contains("until T"), "{msg}");
        assert!(msg.contains("Nothing was created"), "{msg}");
        let msg = held_message(&home, &lease("arn:aws:states:r:1:execution:sm:e", None));
        assert!(msg.contains("while that execution runs"), "{msg}");
    }
}
