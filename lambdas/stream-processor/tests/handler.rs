//! The stream processor's handler on DynamoDB stream events, against an in-memory backend.

use std::collections::HashSet;
use std::sync::Mutex;

use serde_json::{Value, json};
use studio_core::Error;
use studio_core::records::{HistoryEntry, MappingRecord};
use studio_core::workflow::{RestoreOptions, RestoreRequest};
use studio_stream_processor::{Backend, BatchItemFailure, Settings, Started, StreamEvent, handle};

const FS: &str = "fs-0123456789abcdef0";

#[derive(Default)]
struct Fake {
    names: Mutex<HashSet<String>>,
    starts: Mutex<Vec<RestoreRequest>>,
    history: Mutex<Vec<HistoryEntry>>,
    refused: Mutex<Vec<String>>,
}

impl Backend for Fake {
    async fn start(&self, request: &RestoreRequest) -> Result<Started, Error> {
        self.starts.lock().unwrap().push(request.clone());
        Ok(
            if self.names.lock().unwrap().insert(request.execution_name()) {
                Started::New
            } else {
                Started::AlreadyStarted
            },
        )
    }

    async fn append(&self, entry: &HistoryEntry) -> Result<(), Error> {
        self.history.lock().unwrap().push(entry.clone());
        Ok(())
    }

    async fn mark_refused(
        &self,
        _record: &MappingRecord,
        execution_name: &str,
    ) -> Result<(), Error> {
        self.refused.lock().unwrap().push(execution_name.to_owned());
        Ok(())
    }
}

fn settings(partial: bool) -> Settings {
    Settings {
        mapping_table: "studioUser".into(),
        history_table: "studioUserHistory".into(),
        state_machine_arn:
            "arn:aws:states:us-east-1:123456789012:stateMachine:studio-restore-restore".into(),
        partial_batch_response: partial,
        options: RestoreOptions {
            requested_by: "stream-processor".into(),
            ..RestoreOptions::default()
        },
    }
}

/// A mapping-table image in DynamoDB JSON, as the stream carries it: an IAM domain's profile,
/// whose directories belong to the profile name.
fn row(uid: u32, previous: Option<u32>, version: u32) -> Value {
    let mut image = json!({
        "home": {"S": "studio/user/alice"}, "kind": {"S": "user"}, "name": {"S": "alice"},
        "domain_name": {"S": "studio"}, "domain_id": {"S": "d-new123"}, "domain_ids": {"SS": ["d-new123"]},
        "file_system_id": {"S": FS}, "uid": {"N": uid.to_string()}, "owner": {"S": "profile:alice"},
        "replication": {"BOOL": true}, "version": {"N": version.to_string()},
        "created_at": {"S": "2026-11-26T15:00:00Z"}
    });
    if let Some(previous) = previous {
        image["previous_file_system_id"] = json!({"S": FS});
        image["previous_uid"] = json!({"N": previous.to_string()});
        image["previous_domain_id"] = json!({"S": "d-old123"});
        image["previous_owner"] = json!({"S": "profile:alice"});
    }
    image
}

fn record(seq: &str, name: &str, old: Option<Value>, new: Option<Value>) -> Value {
    let mut change = json!({"Keys": {"home": {"S": "studio/user/alice"}}, "SequenceNumber": seq, "StreamViewType": "NEW_AND_OLD_IMAGES"});
    if let Some(old) = old {
        change["OldImage"] = old;
    }
    if let Some(new) = new {
        change["NewImage"] = new;
    }
    json!({"eventID": format!("ev-{seq}"), "eventName": name, "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": change})
}

fn batch(records: Vec<Value>) -> StreamEvent {
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

#[tokio::test]
async fn a_recreation_starts_one_restore_from_the_previous_directory() {
    let fake = Fake::default();
    let event = batch(vec![
        record("100", "INSERT", None, Some(row(200001, None, 1))),
        record(
            "101",
            "MODIFY",
            Some(row(200001, None, 1)),
            Some(row(200006, Some(200001), 2)),
        ),
    ]);
    let response = handle(&fake, &settings(true), &event).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let starts = fake.starts.lock().unwrap().clone();
    assert_eq!(starts.len(), 1, "the first sighting starts nothing");
    assert_eq!(
        (starts[0].source.uid.as_str(), starts[0].target.uid.as_str()),
        ("200001", "200006")
    );
    assert_eq!(starts[0].target.home, "studio/user/alice");
    assert_eq!(starts[0].options.requested_by, "stream-processor");
}

#[tokio::test]
async fn a_redelivered_batch_starts_the_same_execution_name() {
    let fake = Fake::default();
    let event = batch(vec![record(
        "101",
        "MODIFY",
        Some(row(200001, None, 1)),
        Some(row(200006, Some(200001), 2)),
    )]);
    handle(&fake, &settings(true), &event).await.unwrap();
    handle(&fake, &settings(true), &event).await.unwrap();
    let starts = fake.starts.lock().unwrap().clone();
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[0].execution_name(), starts[1].execution_name());
    assert_eq!(
        fake.names.lock().unwrap().len(),
        1,
        "Step Functions runs it once"
    );
}

#[tokio::test]
async fn the_workflows_own_writes_start_nothing_and_become_history() {
    let fake = Fake::default();
    let before = row(200006, Some(200001), 2);
    let mut running = before.clone();
    running["restore_status"] = json!({"S": "RUNNING"});
    running["restore_execution"] =
        json!({"S": "arn:aws:states:us-east-1:1:execution:sm:restore-x"});
    let mut done = running.clone();
    done["restore_status"] = json!({"S": "SUCCEEDED"});
    done["files_transferred"] = json!({"N": "3"});
    done["bytes_written"] = json!({"N": "4013"});
    let mut failed = running.clone();
    failed["restore_status"] = json!({"S": "FAILED"});
    failed["restore_detail"] = json!({"S": "{\"Error\":\"TransferFailed\"}"});
    let event = batch(vec![
        record("200", "MODIFY", Some(before), Some(running.clone())),
        record("201", "MODIFY", Some(running.clone()), Some(done.clone())),
        record("202", "MODIFY", Some(done.clone()), Some(done)),
        record("203", "MODIFY", Some(running), Some(failed)),
    ]);
    handle(&fake, &settings(true), &event).await.unwrap();
    assert!(fake.starts.lock().unwrap().is_empty());
    let history = fake.history.lock().unwrap().clone();
    let events: Vec<&str> = history.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events,
        ["restore_started", "restore_succeeded", "restore_failed"]
    );
    assert_eq!(
        (history[1].files_transferred, history[1].bytes_written),
        (Some(3), Some(4013))
    );
    assert_eq!(history[1].source_uid, Some(200001));
    assert!(
        history[2]
            .detail
            .as_deref()
            .unwrap()
            .contains("TransferFailed")
    );
}

#[tokio::test]
async fn one_bad_record_is_reported_and_stops_the_batch_there() {
    let fake = Fake::default();
    let mut bad = row(200006, Some(200001), 2);
    bad["uid"] = json!({"N": "0"});
    let event = batch(vec![
        record(
            "300",
            "MODIFY",
            Some(row(200001, None, 1)),
            Some(row(200006, Some(200001), 2)),
        ),
        record(
            "301",
            "MODIFY",
            Some(row(200006, Some(200001), 2)),
            Some(bad),
        ),
        record(
            "302",
            "MODIFY",
            Some(row(200006, Some(200001), 3)),
            Some(row(200011, Some(200006), 4)),
        ),
    ]);
    let response = handle(&fake, &settings(true), &event).await.unwrap();
    assert_eq!(
        response.batch_item_failures,
        vec![BatchItemFailure {
            item_identifier: "301".into()
        }]
    );
    assert_eq!(
        fake.starts.lock().unwrap().len(),
        1,
        "records after the failed one wait for the retry, in order"
    );
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(
        json,
        json!({"batchItemFailures": [{"itemIdentifier": "301"}]})
    );

    // Without partial batch responses the invocation fails, and the mapping bisects.
    assert!(
        handle(&Fake::default(), &settings(false), &event)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_declared_restore_target_starts_when_it_appears() {
    let fake = Fake::default();
    let declared = json!({
        "home": {"S": "studio/user/alice"}, "kind": {"S": "user"}, "name": {"S": "alice"}, "domain_name": {"S": "studio"},
        "replication": {"BOOL": true}, "version": {"N": "1"},
        "restore_from": {"M": {"home": {"S": "old/space/team"}, "file_system_id": {"S": FS}, "uid": {"N": "200003"}}}
    });
    let mut appeared = row(200020, None, 2);
    appeared["restore_from"] = declared["restore_from"].clone();
    let event = batch(vec![
        record("400", "INSERT", None, Some(declared.clone())),
        record("401", "MODIFY", Some(declared), Some(appeared)),
    ]);
    handle(&fake, &settings(true), &event).await.unwrap();
    let starts = fake.starts.lock().unwrap().clone();
    assert_eq!(starts.len(), 1);
    assert_eq!(
        (
            starts[0].source.home.as_str(),
            starts[0].source.uid.as_str()
        ),
        ("old/space/team", "200003")
    );
    assert!(starts[0].options.clear_restore_from);
}

#[tokio::test]
async fn a_refused_restore_is_recorded_not_started() {
    let fake = Fake::default();
    // An SSO domain: alice's directory was recorded as hers, the recreated profile is mallory's.
    let mut old = row(200001, None, 1);
    old["sso_user"] = json!({"S": "alice@example.com"});
    old["owner"] = json!({"S": "sso:alice@example.com"});
    let mut new = row(200006, Some(200001), 2);
    new["sso_user"] = json!({"S": "mallory@example.com"});
    new["owner"] = json!({"S": "sso:mallory@example.com"});
    new["previous_owner"] = json!({"S": "sso:alice@example.com"});
    handle(
        &fake,
        &settings(true),
        &batch(vec![record("500", "MODIFY", Some(old), Some(new))]),
    )
    .await
    .unwrap();
    assert!(fake.starts.lock().unwrap().is_empty());
    assert_eq!(fake.refused.lock().unwrap().len(), 1);
    let history = fake.history.lock().unwrap().clone();
    assert_eq!(history[0].event, "restore_refused");
    assert!(
        history[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("mallory@example.com")
    );
    assert_eq!(
        history[0].source_home.as_deref(),
        Some("studio/user/alice"),
        "the history names the source home"
    );
}

#[tokio::test]
async fn a_second_recreation_compares_the_owner_recorded_with_the_source() {
    // alice's directory 200001; recreated for mallory (200006), refused and marked; recreated
    // again for mallory (200011). The row's SSO user is mallory's now: only the owner recorded
    // next to 200001 says whose files they are.
    let fake = Fake::default();
    let mut old = row(200006, Some(200001), 3);
    old["sso_user"] = json!({"S": "mallory@example.com"});
    old["owner"] = json!({"S": "sso:mallory@example.com"});
    old["previous_owner"] = json!({"S": "sso:alice@example.com"});
    let mut new = row(200011, Some(200006), 4);
    new["sso_user"] = json!({"S": "mallory@example.com"});
    new["owner"] = json!({"S": "sso:mallory@example.com"});
    new["previous_owner"] = json!({"S": "sso:mallory@example.com"});
    handle(
        &fake,
        &settings(true),
        &batch(vec![record("700", "MODIFY", Some(old), Some(new))]),
    )
    .await
    .unwrap();
    assert!(fake.starts.lock().unwrap().is_empty(), "nothing started");
    let history = fake.history.lock().unwrap().clone();
    let detail = history[0].detail.clone().unwrap();
    assert!(
        detail.contains("alice@example.com")
            && detail.contains("/200001")
            && detail.contains("/200011"),
        "{detail}"
    );
}

#[tokio::test]
async fn removals_and_replication_off_start_nothing() {
    let fake = Fake::default();
    let mut off = row(200006, Some(200001), 2);
    off["replication"] = json!({"BOOL": false});
    let event = batch(vec![
        record("600", "REMOVE", Some(row(200001, None, 1)), None),
        record("601", "MODIFY", Some(row(200001, None, 1)), Some(off)),
    ]);
    handle(&fake, &settings(false), &event).await.unwrap();
    assert!(fake.starts.lock().unwrap().is_empty());
}
