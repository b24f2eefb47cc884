//! Acts on changes of the mapping table, read from its DynamoDB stream.
//!
//! For each record, in stream order (one batch per shard at a time, so a home's changes arrive
//! in order):
//! - when the home's directory changed, [`workflow::plan_after_change`] decides whether a
//!   restore is due; the restore workflow is started under the request's deterministic
//!   execution name, so a redelivered record or a retried batch never starts a copy twice;
//! - a refused restore is recorded on the row (so that the reconciler does not start it) and in
//!   the history;
//! - a change of the row's restore status (written by the workflow) becomes a history row:
//!   the workflow cannot write the history itself, Step Functions has no clock in epoch
//!   milliseconds.
//!
//! A record that fails stops the batch there: with `PARTIAL_BATCH_RESPONSE=true` (the event
//! source mapping reports batch item failures) the response names it and Lambda retries from
//! it; otherwise the invocation fails and the mapping bisects the batch. Either way the records
//! before it are not processed again, and after its bounded retries it goes to the failure
//! queue instead of blocking the shard.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use studio_core::Error;
use studio_core::records::{
    HistoryEntry, HistoryTable, Item, MappingRecord, MappingTable, restore_status,
};
use studio_core::retry::RetryPolicy;
pub use studio_core::workflow::Started;
use studio_core::workflow::{self, RestoreOptions, RestorePlan, RestoreRequest};
use tokio_util::sync::CancellationToken;

/// A DynamoDB stream event, as Lambda delivers it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<StreamRecord>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StreamRecord {
    #[serde(rename = "eventID", default)]
    pub event_id: String,
    #[serde(rename = "eventName", default)]
    pub event_name: String,
    #[serde(default)]
    pub dynamodb: StreamChange,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamChange {
    #[serde(rename = "SequenceNumber", default)]
    pub sequence_number: String,
    #[serde(rename = "NewImage", default)]
    pub new_image: Option<serde_json::Map<String, Value>>,
    #[serde(rename = "OldImage", default)]
    pub old_image: Option<serde_json::Map<String, Value>>,
}

/// The response Lambda reads partial batch failures from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<BatchItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// The function's configuration, from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub mapping_table: String,
    pub history_table: String,
    pub state_machine_arn: String,
    pub partial_batch_response: bool,
    pub options: RestoreOptions,
}

impl Settings {
    pub fn from_env() -> Result<Settings, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let state_machine_arn = var("STATE_MACHINE_ARN").ok_or_else(|| {
            Error::Invalid(
                "STATE_MACHINE_ARN is not set: the function cannot start restores".into(),
            )
        })?;
        let options =
            RestoreOptions::from_settings("stream-processor", |name| std::env::var(name).ok())?;
        Ok(Settings {
            mapping_table: var("MAPPING_TABLE")
                .unwrap_or_else(|| studio_core::records::DEFAULT_USER_TABLE.into()),
            history_table: var("HISTORY_TABLE")
                .unwrap_or_else(|| studio_core::records::DEFAULT_HISTORY_TABLE.into()),
            state_machine_arn,
            partial_batch_response: var("PARTIAL_BATCH_RESPONSE").is_some_and(|v| v == "true"),
            options,
        })
    }
}

/// The AWS side of the handler, so that it can be tested without AWS.
pub trait Backend {
    fn start(
        &self,
        request: &RestoreRequest,
    ) -> impl Future<Output = Result<Started, Error>> + Send;
    fn append(&self, entry: &HistoryEntry) -> impl Future<Output = Result<(), Error>> + Send;
    /// Records on the row that the restore into its current directory was refused.
    fn mark_refused(
        &self,
        record: &MappingRecord,
        execution_name: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Handles one batch.
pub async fn handle<B: Backend + Sync>(
    backend: &B,
    settings: &Settings,
    event: &StreamEvent,
) -> Result<BatchResponse, Error> {
    for record in &event.records {
        if let Err(e) = process(backend, settings, record).await {
            tracing::error!(event_id = %record.event_id, sequence = %record.dynamodb.sequence_number, error = %e, "stream record failed");
            if settings.partial_batch_response {
                // Lambda retries from the first reported record; what follows it is not
                // processed now, so that a home's changes stay in order.
                return Ok(BatchResponse {
                    batch_item_failures: vec![BatchItemFailure {
                        item_identifier: record.dynamodb.sequence_number.clone(),
                    }],
                });
            }
            return Err(e);
        }
    }
    Ok(BatchResponse::default())
}

/// Handles one stream record.
pub async fn process<B: Backend + Sync>(
    backend: &B,
    settings: &Settings,
    record: &StreamRecord,
) -> Result<(), Error> {
    let old = record.dynamodb.old_image.as_ref().map(image).transpose()?;
    let Some(new_image) = record.dynamodb.new_image.as_ref() else {
        return Ok(()); // REMOVE: nothing to restore into.
    };
    let new_item = image(new_image)?;
    let new = MappingRecord::from_item(&new_item)?;
    let old = old.as_ref().map(MappingRecord::from_item).transpose()?;

    if let Some(entry) = restore_history(old.as_ref(), &new, &new_item) {
        backend.append(&entry).await?;
    }

    match workflow::plan_after_change(old.as_ref(), &new, &settings.options) {
        RestorePlan::Nothing => Ok(()),
        RestorePlan::Start(request) => {
            let started = backend.start(&request).await?;
            tracing::info!(home = %new.home, source = %format!("{}:/{}", request.source.file_system_id, request.source.uid),
                target_uid = %request.target.uid, execution = %request.execution_name(), ?started, "restore started");
            Ok(())
        }
        // A retry is the reconciler's decision (plan_pending), never a row change's.
        RestorePlan::Retry { .. } => Ok(()),
        RestorePlan::Refuse { reason, request } => {
            tracing::warn!(home = %new.home, %reason, "restore refused");
            let mut entry = HistoryEntry::new(&new.home, "restore_refused");
            entry.domain_id = new.domain_id.clone();
            if let Some(dir) = &new.directory {
                entry.file_system_id = Some(dir.file_system_id.clone());
                entry.uid = Some(dir.uid.get().into());
            }
            if let Some(request) = &request {
                entry.source_file_system_id = Some(request.source.file_system_id.clone());
                entry.source_uid = request.source.uid.parse().ok();
                entry.source_home = Some(request.source.home.clone());
                entry.execution = Some(request.execution_name());
                backend
                    .mark_refused(&new, &request.execution_name())
                    .await?;
            }
            entry.status = Some(restore_status::REFUSED.into());
            entry.detail = Some(reason);
            backend.append(&entry).await
        }
    }
}

/// The history row for a change of the row's restore status, written by the workflow.
pub fn restore_history(
    old: Option<&MappingRecord>,
    new: &MappingRecord,
    new_item: &Item,
) -> Option<HistoryEntry> {
    let outcome = new.last_restore.as_ref()?;
    let before = old.and_then(|o| o.last_restore.as_ref());
    if before.is_some_and(|b| b.status == outcome.status && b.execution == outcome.execution) {
        return None;
    }
    let event = match outcome.status.as_str() {
        restore_status::RUNNING => "restore_started",
        restore_status::SUCCEEDED => "restore_succeeded",
        restore_status::FAILED => "restore_failed",
        // REFUSED is recorded where it is decided.
        _ => return None,
    };
    let mut entry = HistoryEntry::new(&new.home, event);
    entry.domain_id = new.domain_id.clone();
    if let Some(dir) = &new.directory {
        entry.file_system_id = Some(dir.file_system_id.clone());
        entry.uid = Some(dir.uid.get().into());
    }
    if let Some(previous) = &new.previous {
        entry.source_file_system_id = Some(previous.directory.file_system_id.clone());
        entry.source_uid = Some(previous.directory.uid.get().into());
    }
    entry.status = Some(outcome.status.clone());
    entry.execution = outcome.execution.clone();
    entry.files_transferred = outcome.files_transferred;
    entry.bytes_written = outcome.bytes_written;
    if let Some(AttributeValue::S(detail)) = new_item.get("restore_detail") {
        entry.detail = Some(detail.clone());
    }
    Some(entry)
}

/// A stream image (DynamoDB JSON) as SDK attribute values.
pub fn image(json: &serde_json::Map<String, Value>) -> Result<Item, Error> {
    json.iter()
        .map(|(name, value)| Ok((name.clone(), attribute(name, value)?)))
        .collect()
}

fn attribute(name: &str, value: &Value) -> Result<AttributeValue, Error> {
    let bad = || {
        Error::Invalid(format!(
            "stream image attribute {name:?} is not DynamoDB JSON: {value}"
        ))
    };
    let object = value.as_object().filter(|o| o.len() == 1).ok_or_else(bad)?;
    let (tag, inner) = object.iter().next().expect("one entry");
    let strings = |v: &Value| -> Result<Vec<String>, Error> {
        v.as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|s| s.as_str().map(str::to_owned).ok_or_else(bad))
            .collect()
    };
    Ok(match tag.as_str() {
        "S" => AttributeValue::S(inner.as_str().ok_or_else(bad)?.to_owned()),
        "N" => AttributeValue::N(inner.as_str().ok_or_else(bad)?.to_owned()),
        "BOOL" => AttributeValue::Bool(inner.as_bool().ok_or_else(bad)?),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(strings(inner)?),
        "NS" => AttributeValue::Ns(strings(inner)?),
        "L" => AttributeValue::L(
            inner
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|v| attribute(name, v))
                .collect::<Result<_, _>>()?,
        ),
        "M" => AttributeValue::M(
            inner
                .as_object()
                .ok_or_else(bad)?
                .iter()
                .map(|(k, v)| Ok((k.clone(), attribute(k, v)?)))
                .collect::<Result<HashMap<_, _>, Error>>()?,
        ),
        // Binary attributes are not part of the data model; keep them out of the way.
        "B" | "BS" => AttributeValue::Null(true),
        _ => return Err(bad()),
    })
}

/// The real backend: Step Functions and the two tables.
pub struct AwsBackend {
    sfn: aws_sdk_sfn::Client,
    state_machine_arn: String,
    mapping: MappingTable,
    history: HistoryTable,
    policy: RetryPolicy,
    cancel: CancellationToken,
}

impl AwsBackend {
    pub async fn from_env(settings: &Settings) -> Result<AwsBackend, Error> {
        let clients = studio_core::aws::Clients::connect(&Default::default()).await?;
        Ok(AwsBackend {
            sfn: clients.sfn.clone(),
            state_machine_arn: settings.state_machine_arn.clone(),
            mapping: MappingTable::new(clients.dynamodb.clone(), settings.mapping_table.clone()),
            history: HistoryTable::new(clients.dynamodb.clone(), settings.history_table.clone()),
            policy: clients.retry,
            cancel: CancellationToken::new(),
        })
    }
}

impl Backend for AwsBackend {
    async fn start(&self, request: &RestoreRequest) -> Result<Started, Error> {
        workflow::start(
            &self.sfn,
            &self.state_machine_arn,
            request,
            &self.policy,
            &self.cancel,
        )
        .await
    }

    async fn append(&self, entry: &HistoryEntry) -> Result<(), Error> {
        self.history.append(entry).await.map(|_| ())
    }

    async fn mark_refused(
        &self,
        record: &MappingRecord,
        execution_name: &str,
    ) -> Result<(), Error> {
        self.mapping.mark_refused(record, execution_name).await
    }
}
