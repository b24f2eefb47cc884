//! Deleting a SageMaker domain without deleting its home directories.
//!
//! DeleteDomain's `RetentionPolicy.HomeEfsFileSystem` decides what happens to the domain's home
//! EFS file system: `Retain` keeps it (and every `/<uid>` home directory on it), `Delete` deletes
//! it (SageMaker API Reference, DeleteDomain and RetentionPolicy). It is a parameter of that one
//! call, not a setting of the domain, so whoever deletes the domain decides. hashicorp/aws 3.x
//! always sends `Delete`; [`delete_domain_keeping_homes`] deletes the domain first, with `Retain`,
//! and waits until it is gone, so that a later DeleteDomain finds nothing to delete.

use std::time::Duration;

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::types::{RetentionPolicy, RetentionType};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::resolve::Studio;
use crate::retry::{RetryPolicy, is_transient, retry};
use crate::wait::{Backoff, Stop, Waiter};

/// How a domain deletion ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// The domain was deleted with its home file system kept (its id, when SageMaker said).
    Deleted {
        home_efs_file_system_id: Option<String>,
    },
    /// There was no such domain (any more): nothing to do.
    AlreadyGone,
}

/// The pauses while the domain's profiles and spaces finish deleting and while it is `Deleting`.
const BACKOFF: Backoff = Backoff {
    first: Duration::from_millis(250),
    factor: 1.5,
    cap: Duration::from_secs(10),
};

/// Deletes domain `domain_id` with `RetentionPolicy.HomeEfsFileSystem = Retain` and waits until
/// it is gone.
///
/// A domain with user profiles or spaces cannot be deleted (SageMaker answers ResourceInUse): while
/// every one left is `Deleting` (deleted just before by the same caller), this waits for them; a live
/// one is an error naming it, and nothing is deleted. A domain that is already `Deleting` is
/// waited for (its retention was chosen by whoever deleted it). `Delete_Failed` is an error.
pub async fn delete_domain_keeping_homes(
    client: &Client,
    policy: RetryPolicy,
    domain_id: &str,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<Deletion, Error> {
    let studio = Studio::new(client.clone(), policy, cancel.clone());
    let mut waiter = Waiter::new(BACKOFF, deadline, cancel);
    let home_efs_file_system_id = loop {
        let domain = match studio.domain(domain_id).await {
            Ok(d) => d,
            Err(Error::NotFound(_)) => return Ok(Deletion::AlreadyGone),
            Err(e) => return Err(e),
        };
        if domain.status == "Deleting" {
            break domain.home_efs_file_system_id;
        }
        let members = studio.members(domain_id).await?;
        let live: Vec<String> = members
            .iter()
            .filter(|(_, _, status)| status != "Deleting")
            .map(|(kind, name, status)| format!("{kind} {name} ({status})"))
            .collect();
        if !live.is_empty() {
            return Err(Error::Refused(format!(
                "SageMaker domain {domain_id} still has user profiles or spaces: {}. A domain \
                 can be deleted only without them; delete them (and their apps) first",
                live.join(", ")
            )));
        }
        if members.is_empty() {
            let deleted = retry(&policy, cancel, is_transient, || async {
                client
                    .delete_domain()
                    .domain_id(domain_id)
                    .retention_policy(
                        RetentionPolicy::builder()
                            .home_efs_file_system(RetentionType::Retain)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("deleting SageMaker domain {domain_id}"), &e))
            })
            .await;
            match deleted {
                Ok(_) => break domain.home_efs_file_system_id,
                Err(Error::Aws { code: Some(c), .. }) if c == "ResourceNotFound" => {
                    return Ok(Deletion::AlreadyGone);
                }
                // A profile or space appeared since the listing: look again.
                Err(Error::Aws { code: Some(c), .. }) if c == "ResourceInUse" => {}
                Err(e) => return Err(e),
            }
        }
        pause(
            &mut waiter,
            domain_id,
            "its user profiles and spaces to be deleted",
        )
        .await?;
    };
    loop {
        match studio.domain(domain_id).await {
            Err(Error::NotFound(_)) => {
                return Ok(Deletion::Deleted {
                    home_efs_file_system_id,
                });
            }
            Err(e) => return Err(e),
            Ok(d) if d.status == "Delete_Failed" => {
                return Err(Error::Aws {
                    action: format!("deleting SageMaker domain {domain_id}"),
                    code: Some("Delete_Failed".into()),
                    message: "SageMaker could not delete the domain (status Delete_Failed; see \
                              its FailureReason in DescribeDomain)"
                        .into(),
                });
            }
            Ok(_) => pause(&mut waiter, domain_id, "it to be deleted").await?,
        }
    }
}

async fn pause(waiter: &mut Waiter<'_>, domain_id: &str, what: &str) -> Result<(), Error> {
    waiter.pause().await.map_err(|stop| match stop {
        Stop::Deadline => Error::Timeout(format!(
            "SageMaker domain {domain_id}: gave up waiting for {what}"
        )),
        Stop::Cancelled => Error::Cancelled(format!(
            "SageMaker domain {domain_id}: interrupted while waiting for {what}"
        )),
    })
}
