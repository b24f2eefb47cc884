//! The finders and the waiter of a declared restore, apart from its lifecycle: the target as
//! SageMaker reports it now, the wait until it is ready, and the latest recorded restore (for
//! import).

use std::time::Duration;

use tokio::time::Instant;

use super::ProfileRestore;
use crate::Error;
use crate::home::{HomeDirectory, HomeKey};
use crate::records::{HistoryEntry, HistoryTable};
use crate::resolve::{Domain, Home};
use crate::source::HomeRef;
use crate::wait::{Backoff, Stop, Waiter};

/// When the target's home directory counts as ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// The profile or space is InService with a uid.
    Profile,
    /// Also one of its apps is InService (Studio Classic creates the directory with the first app).
    App,
}

/// A resolved, ready target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTarget {
    pub domain: Domain,
    pub home: Home,
    pub directory: HomeDirectory,
}

impl ProfileRestore<'_> {
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
        let backoff = Backoff::new(Duration::from_millis(500), 2.0, Duration::from_secs(15));
        let mut waiter = Waiter::new(backoff, deadline, &self.cancel);
        loop {
            let Some(home) = studio.home(&domain, target.kind, &target.name).await? else {
                return Err(Error::NotFound(format!(
                    "the target {target} does not exist: create it first (restores only go into an existing profile or space)"
                )));
            };
            let in_service = home.status == "InService";
            let last = match (&home.directory, in_service) {
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
                    "no app of it is InService yet".to_owned()
                }
                (None, _) => "SageMaker has not assigned it a home directory uid yet".to_owned(),
                (_, false) => format!("its status is {}", home.status),
            };
            match waiter.pause().await {
                Ok(()) => {}
                Err(Stop::Deadline) => {
                    return Err(Error::Timeout(format!(
                        "the target {target} was not ready when the create timeout ran out: {last}"
                    )));
                }
                Err(Stop::Cancelled) => {
                    return Err(Error::Cancelled(format!(
                        "while waiting for the target {target}"
                    )));
                }
            }
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
