//! A burst of 300 recreations against the DataSync slot semaphore: the concurrency limit of the
//! restore workflow lives in its `AcquireSlot` and `ReleaseSlot` states (conditional `UpdateItem`s
//! on one item of the slots table). This test takes those two states' parameters from
//! `modules/restore-workflow/definition.asl.json`, as the module renders them, and runs them for
//! 300 executions at once against the emulator's DynamoDB, retrying a refused acquire as the
//! state's `Retry` does. No Step Functions, no Lambda.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use serde_json::Value;
use studio_e2e::{Emulator, repo_root, unique_name};

const RECREATIONS: usize = 300;
const LIMIT: usize = 10;

/// The state machine definition rendered as `modules/restore-workflow/main.tf` does, with the
/// values that matter here (the slots table and the limit); the rest are placeholders.
fn rendered_definition(slots_table: &str, limit: usize) -> Value {
    let template =
        std::fs::read_to_string(repo_root().join("modules/restore-workflow/definition.asl.json"))
            .expect("reading the restore workflow's definition");
    let mut out = String::with_capacity(template.len());
    let mut rest = template.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find('}').expect("a closed placeholder");
        let name = &rest[start + 2..end];
        let value = match name {
            "slots_table" => slots_table.to_owned(),
            "max_concurrent_restores" => limit.to_string(),
            n if n.starts_with("retry_throttling_") => {
                r#"{ "ErrorEquals": ["ThrottlingException"], "MaxAttempts": 1 }"#.to_owned()
            }
            "security_group_arns" => "[]".to_owned(),
            "execution_tags" => {
                r#"[{ "Key": "studio-restore:owner", "Value.$": "$$.Execution.Id" }]"#.to_owned()
            }
            "task_options" | "native_options" => "{}".to_owned(),
            "timeout_seconds"
            | "studio_gid"
            | "slot_retry_interval_seconds"
            | "slot_retry_max_delay_seconds"
            | "slot_retry_max_attempts"
            | "copier_max_concurrency"
            | "copier_max_invocations"
            | "copier_invocation_limit" => "1".to_owned(),
            other => format!("placeholder-{other}"),
        };
        out.push_str(&value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    serde_json::from_str(&out).expect("the rendered definition is JSON")
}

/// The emulator's DynamoDB and a lock that sends one write at a time: moto applies a conditional
/// `UpdateItem` as a read and a write that concurrent requests interleave (unserialized, this test
/// saw the counter end at -1), where DynamoDB serializes the writes to one item.
struct Db(aws_sdk_dynamodb::Client, tokio::sync::Mutex<()>);

/// A state's `Parameters`, with `$$.Execution.Name` and `$$.State.EnteredTime` resolved.
struct UpdateItem {
    table: String,
    key: HashMap<String, AttributeValue>,
    update: String,
    condition: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

fn context_value(path: &str, execution: &str, entered: &str) -> String {
    match path {
        "$$.Execution.Name" => execution.to_owned(),
        "$$.State.EnteredTime" => entered.to_owned(),
        other => panic!("the slot states use only the execution name and time, not {other}"),
    }
}

fn attribute(value: &Value, execution: &str, entered: &str) -> AttributeValue {
    let (kind, v) = value
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("an attribute value");
    let text = match kind.strip_suffix(".$") {
        Some(_) => context_value(v.as_str().unwrap(), execution, entered),
        None => v.as_str().expect("a string attribute").to_owned(),
    };
    match kind.trim_end_matches(".$") {
        "S" => AttributeValue::S(text),
        "N" => AttributeValue::N(text),
        other => panic!("attribute type {other} is not used by the slot states"),
    }
}

fn update_item(state: &Value, execution: &str, entered: &str) -> UpdateItem {
    let p = &state["Parameters"];
    let map = |v: &Value| {
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), attribute(v, execution, entered)))
            .collect()
    };
    UpdateItem {
        table: p["TableName"].as_str().unwrap().to_owned(),
        key: map(&p["Key"]),
        update: p["UpdateExpression"].as_str().unwrap().to_owned(),
        condition: p["ConditionExpression"].as_str().unwrap().to_owned(),
        names: p["ExpressionAttributeNames"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| match k.strip_suffix(".$") {
                Some(k) => (
                    k.to_owned(),
                    context_value(v.as_str().unwrap(), execution, entered),
                ),
                None => (k.clone(), v.as_str().unwrap().to_owned()),
            })
            .collect(),
        values: map(&p["ExpressionAttributeValues"]),
    }
}

impl UpdateItem {
    /// `Ok(true)` when the write happened, `Ok(false)` when its condition refused it.
    async fn send(self, db: &Db) -> Result<bool, String> {
        let (db, _one_at_a_time) = (&db.0, db.1.lock().await);
        let out = db
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.key))
            .update_expression(self.update)
            .condition_expression(self.condition)
            .set_expression_attribute_names(Some(self.names))
            .set_expression_attribute_values(Some(self.values))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(format!(
                "{}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the emulator"]
async fn a_burst_of_300_recreations_never_holds_more_slots_than_the_limit() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let table = unique_name("burst-slots");
    // The slots table as modules/restore-workflow creates it.
    aws.dynamodb
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("creating the slots table");

    let definition = Arc::new(rendered_definition(&table, LIMIT));
    let db = Arc::new(Db(aws.dynamodb.clone(), tokio::sync::Mutex::new(())));
    for state in ["AcquireSlot", "ReleaseSlot"] {
        assert!(
            definition["States"][state].is_object(),
            "{state} is in the definition"
        );
    }

    let holding = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let refusals = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut executions = Vec::new();
    for i in 0..RECREATIONS {
        let (db, definition) = (db.clone(), definition.clone());
        let (holding, most, refusals) = (holding.clone(), most.clone(), refusals.clone());
        executions.push(tokio::spawn(async move {
            let name = format!("restore-{i:03}");
            let entered = format!("2026-01-01T00:00:{:02}Z", i % 60);
            let mut attempt = 0u64;
            // AcquireSlot, retried (with a jittered, capped delay) while its condition refuses.
            while !update_item(&definition["States"]["AcquireSlot"], &name, &entered)
                .send(&db)
                .await
                .expect("acquiring a slot")
            {
                refusals.fetch_add(1, Ordering::Relaxed);
                attempt += 1;
                // The state's Retry: backoff rate 1.5 from 100 ms, capped at 3 s, full jitter.
                let cap = (100.0 * 1.5f64.powi(attempt.min(20) as i32)).min(3000.0) as u64;
                let jitter = (i as u64 * 7919 + attempt * 104_729) % cap.max(1);
                tokio::time::sleep(Duration::from_millis(jitter)).await;
            }
            let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            // The copy, long enough for the burst to fill every slot.
            tokio::time::sleep(Duration::from_millis(300)).await;
            holding.fetch_sub(1, Ordering::SeqCst);
            // ReleaseSlot, twice: a repeated release never frees someone else's slot.
            assert!(
                update_item(&definition["States"]["ReleaseSlot"], &name, &entered)
                    .send(&db)
                    .await
                    .expect("releasing the slot")
            );
            assert!(
                !update_item(&definition["States"]["ReleaseSlot"], &name, &entered)
                    .send(&db)
                    .await
                    .expect("releasing the slot again")
            );
        }));
    }
    for execution in executions {
        execution.await.expect("every execution finishes");
    }
    let elapsed = started.elapsed();

    let item = aws
        .dynamodb
        .get_item()
        .table_name(&table)
        .key("id", AttributeValue::S("datasync-tasks".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the semaphore item");
    let most = most.load(Ordering::SeqCst);
    eprintln!(
        "{RECREATIONS} executions through {LIMIT} slots in {elapsed:?}: at most {most} held, {} refused acquires",
        refusals.load(Ordering::Relaxed)
    );
    assert!(most <= LIMIT, "{most} slots held at once, limit {LIMIT}");
    assert_eq!(most, LIMIT, "the burst filled every slot");
    assert!(refusals.load(Ordering::Relaxed) > 0, "the burst queued");
    assert_eq!(item.get("running"), Some(&AttributeValue::N("0".into())));
    let mut attributes: Vec<&str> = item.keys().map(String::as_str).collect();
    attributes.sort_unstable();
    assert_eq!(
        attributes,
        ["id", "running"],
        "no execution still holds a slot: {item:?}"
    );
    aws.dynamodb
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
}
