//! Records a SageMaker Studio home directory from a CloudTrail `CreateUserProfile` or
//! `CreateSpace` event.
//!
//! The event says only that a profile or space was created; the domain and the profile are
//! described to learn the home's file system and uid, then [`MappingTable::observe`] records
//! them: conditionally, so that a redelivered event changes nothing and a late one cannot roll
//! the row back. A history row says what happened.
//!
//! Failure policy: an error that may pass (throttling, a service fault) fails the invocation,
//! so that Lambda's asynchronous retries and then the failure queue keep the event. Anything
//! that will not get better (a failed API call, a profile deleted before it could be
//! described, a uid SageMaker did not report) is recorded in the history where the home is
//! known, and the event is done: a uid that cannot be determined is never written.

use serde::Serialize;
use serde_json::Value;
use studio_core::domain_filter::DomainFilter;
use studio_core::records::{HistoryEntry, HistoryTable, MappingTable, Observation, Observed};
use studio_core::resolve::{Domain, Home, Studio};
use studio_core::retry::is_transient;
use studio_core::{Error, HomeKey, HomeKind};

/// What the event names: a profile or space created in a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedHome {
    pub event_id: String,
    pub domain_id: String,
    pub kind: HomeKind,
    pub name: String,
}

/// Reads the CloudTrail record inside an EventBridge event. `Err` carries why the event is not
/// one to record (a failed call, another API, a malformed event).
pub fn parse(event: &Value) -> Result<CreatedHome, String> {
    let detail = event.get("detail").unwrap_or(event);
    let event_id = text(detail, &["eventID"]).unwrap_or_default().to_owned();
    let event_name = text(detail, &["eventName"]).unwrap_or_default();
    if let Some(code) = text(detail, &["errorCode"]) {
        return Err(format!(
            "the {event_name} call failed ({code}): nothing was created"
        ));
    }
    let kind = match event_name {
        "CreateUserProfile" => HomeKind::User,
        "CreateSpace" => HomeKind::Space,
        other => {
            return Err(format!(
                "event {other:?} is not CreateUserProfile or CreateSpace"
            ));
        }
    };
    let params = detail.get("requestParameters").unwrap_or(&Value::Null);
    let name_field = match kind {
        HomeKind::User => "userProfileName",
        HomeKind::Space => "spaceName",
    };
    let domain_id = text(params, &["domainId"]);
    let name = text(params, &[name_field]);
    match (domain_id, name) {
        (Some(domain_id), Some(name)) if !domain_id.is_empty() && !name.is_empty() => {
            Ok(CreatedHome {
                event_id,
                domain_id: domain_id.to_owned(),
                kind,
                name: name.to_owned(),
            })
        }
        _ => Err(format!(
            "the {event_name} event {event_id} names no domainId and {name_field}"
        )),
    }
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
}

/// What the handler did with one event (the function's response, and the log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Not an event to record.
    Ignored { reason: String },
    /// The home was recorded: `inserted`, `recreated`, `target_appeared`, `unchanged`
    /// (a redelivered event) or `stale` (a late event).
    Recorded {
        home: String,
        result: String,
        uid: u32,
    },
    /// The home could not be resolved to a directory; the history says why.
    Unresolved {
        home: Option<String>,
        reason: String,
    },
}

/// The AWS side of the handler, so that it can be tested without AWS.
pub trait Backend {
    fn domain(&self, domain_id: &str) -> impl Future<Output = Result<Domain, Error>> + Send;
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
}

/// Handles one EventBridge event. A home in a domain that `domains` does not track is ignored:
/// the event rule filters by domain id only (CloudTrail's request names no domain name), so the
/// domain is described and its name checked here.
pub async fn handle<B: Backend + Sync>(
    backend: &B,
    domains: &DomainFilter,
    event: &Value,
) -> Result<Outcome, Error> {
    let created = match parse(event) {
        Ok(created) => created,
        Err(reason) => {
            tracing::info!(%reason, "event ignored");
            return Ok(Outcome::Ignored { reason });
        }
    };
    if !domains.may_track_id(&created.domain_id) {
        let reason = format!(
            "domain {} is not tracked: its id is not listed in DOMAIN_IDS and no DOMAIN_NAMES are",
            created.domain_id
        );
        tracing::info!(%reason, "event ignored");
        return Ok(Outcome::Ignored { reason });
    }
    let what = format!(
        "{} {:?} in domain {}",
        created.kind, created.name, created.domain_id
    );
    let domain = match backend.domain(&created.domain_id).await {
        Ok(domain) => domain,
        Err(e) if is_transient(&e) => return Err(e),
        Err(e) => {
            // Without the domain there is no domain name, so no home key to record under.
            let reason = format!(
                "describing the domain of {what} (event {}): {e}",
                created.event_id
            );
            tracing::warn!(%reason, "home not recorded");
            return Ok(Outcome::Unresolved { home: None, reason });
        }
    };
    if !domains.tracks(&domain) {
        let reason = domains.why_not(&domain);
        tracing::info!(%reason, "event ignored");
        return Ok(Outcome::Ignored { reason });
    }
    let key = match HomeKey::new(&domain.name, created.kind, &created.name) {
        Ok(key) => key,
        Err(e) => {
            return Ok(Outcome::Unresolved {
                home: None,
                reason: e.to_string(),
            });
        }
    };
    let unresolved = |reason: String| async {
        tracing::warn!(home = %key, %reason, "home not recorded");
        let mut entry = HistoryEntry::new(&key, "seen");
        entry.domain_id = Some(domain.id.clone());
        entry.file_system_id = domain.home_efs_file_system_id.clone();
        entry.detail = Some(reason.clone());
        backend.append(&entry).await?;
        Ok::<_, Error>(Outcome::Unresolved {
            home: Some(key.to_string()),
            reason,
        })
    };
    let home = match backend.home(&domain, created.kind, &created.name).await {
        Ok(Some(home)) => home,
        Ok(None) => {
            return unresolved(format!("{what} was deleted before it could be described")).await;
        }
        Err(e) if is_transient(&e) => return Err(e),
        Err(e) => return unresolved(format!("describing {what}: {e}")).await,
    };
    let Some(directory) = home.directory.clone() else {
        return unresolved(format!(
            "SageMaker reported no home file system or uid for {what} (status {:?}); the reconciler records it once it does",
            home.status
        ))
        .await;
    };
    let seen = Observation {
        domain_id: domain.id.clone(),
        directory: directory.clone(),
        owner: home.owner.clone(),
        sso_user: home.sso_user.clone(),
        created_at: home.created_at.clone(),
    };
    let observed = backend.observe(&key, &seen).await?;
    let (result, entry) = history_for(&key, &seen, &observed);
    if let Some(entry) = entry {
        backend.append(&entry).await?;
    }
    tracing::info!(home = %key, %directory, result, "home recorded");
    Ok(Outcome::Recorded {
        home: key.to_string(),
        result: result.to_owned(),
        uid: directory.uid.get(),
    })
}

/// The history row for what [`MappingTable::observe`] did; none for a redelivered event.
pub fn history_for(
    key: &HomeKey,
    seen: &Observation,
    observed: &Observed,
) -> (&'static str, Option<HistoryEntry>) {
    let mut entry = HistoryEntry::new(key, "created");
    entry.domain_id = Some(seen.domain_id.clone());
    entry.file_system_id = Some(seen.directory.file_system_id.clone());
    entry.uid = Some(seen.directory.uid.get().into());
    let result = match observed {
        Observed::Inserted(_) => "inserted",
        Observed::Recreated(record) => {
            if let Some(previous) = &record.previous {
                entry.source_file_system_id = Some(previous.directory.file_system_id.clone());
                entry.source_uid = Some(previous.directory.uid.get().into());
            }
            entry.detail = Some("recreated: the previous directory is the restore source".into());
            "recreated"
        }
        Observed::TargetAppeared(_) => {
            entry.detail = Some("a declared restore target was created".into());
            "target_appeared"
        }
        Observed::Unchanged(_) => return ("unchanged", None),
        Observed::Stale(record) => {
            entry.event = "seen".into();
            entry.detail = Some(format!(
                "late event ignored: the table already holds a newer creation ({})",
                record.created_at.as_deref().unwrap_or("unknown time")
            ));
            "stale"
        }
    };
    (result, Some(entry))
}

/// The real backend: SageMaker and the two tables.
pub struct AwsBackend {
    studio: Studio,
    mapping: MappingTable,
    history: HistoryTable,
}

impl AwsBackend {
    /// Clients from the Lambda environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...) and the table
    /// names from `MAPPING_TABLE` and `HISTORY_TABLE`.
    pub async fn from_env() -> Result<AwsBackend, Error> {
        let clients = studio_core::aws::Clients::connect(&Default::default()).await?;
        let mapping = env_or("MAPPING_TABLE", studio_core::records::DEFAULT_USER_TABLE);
        let history = env_or("HISTORY_TABLE", studio_core::records::DEFAULT_HISTORY_TABLE);
        Ok(AwsBackend {
            studio: Studio::new(
                clients.sagemaker.clone(),
                clients.retry,
                tokio_util::sync::CancellationToken::new(),
            ),
            mapping: MappingTable::new(clients.dynamodb.clone(), mapping),
            history: HistoryTable::new(clients.dynamodb.clone(), history),
        })
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

impl Backend for AwsBackend {
    async fn domain(&self, domain_id: &str) -> Result<Domain, Error> {
        self.studio.domain(domain_id).await
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
}
