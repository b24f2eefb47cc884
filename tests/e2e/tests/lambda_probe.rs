//! The emulator really runs our Rust Lambdas: the probe function (tests/probe-lambda), deployed
//! as a `provided.al2` zip with Lambda CreateFunction, runs when invoked directly, for an
//! EventBridge event, and for a DynamoDB stream record, and records each event in a table.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use aws_sdk_lambda::error::DisplayErrorContext;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, EventSourcePosition, FunctionCode, Runtime, State};
use serde_json::{Value, json};
use studio_e2e::{Clients, Emulator, eventually, lambda_zip, unique_name};

/// Deliveries are asynchronous; a cold start of the dev binary takes about a second.
const DELIVERY: Duration = Duration::from_secs(60);

/// A deployed probe function and the table it records events in.
struct Probe {
    aws: Clients,
    function: String,
    arn: String,
    table: String,
}

impl Probe {
    async fn deploy() -> Probe {
        let emulator = Emulator::from_env();
        let aws = emulator.clients().await;
        let zip = tokio::task::spawn_blocking(|| {
            lambda_zip("studio-probe-lambda", "studio-probe-lambda")
        })
        .await
        .expect("building the probe zip");
        let table = unique_name("probe-log");
        create_table(&aws, &table, "id", None).await;
        let role =
            tokio::task::spawn_blocking(move || emulator.create_role(&unique_name("probe-role")))
                .await
                .expect("creating the role");
        let function = unique_name("probe");
        let created = aws
            .lambda
            .create_function()
            .function_name(&function)
            .runtime(Runtime::Providedal2)
            .handler("bootstrap")
            .role(&role)
            .timeout(30)
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(zip.bytes()))
                    .build(),
            )
            .environment(
                Environment::builder()
                    .variables("PROBE_TABLE", &table)
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating function {function}: {}", DisplayErrorContext(e)));
        let arn = created
            .function_arn
            .expect("CreateFunction returns a FunctionArn");
        eventually(
            &format!("function {function} to be Active"),
            Duration::from_secs(30),
            || async {
                let state = aws
                    .lambda
                    .get_function_configuration()
                    .function_name(&function)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("describing {function}: {}", DisplayErrorContext(e)))
                    .state;
                (state == Some(State::Active)).then_some(())
            },
        )
        .await;
        Probe {
            aws,
            function,
            arn,
            table,
        }
    }

    /// Every event the probe recorded whose JSON contains `marker`.
    async fn received(&self, marker: &str) -> Vec<Value> {
        let scanned = self
            .aws
            .dynamodb
            .scan()
            .table_name(&self.table)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "scanning {}: {}",
                    self.table,
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            });
        scanned
            .items()
            .iter()
            .filter_map(|item| item.get("event")?.as_s().ok())
            .filter(|event| event.contains(marker))
            .map(|event| serde_json::from_str(event).expect("the probe records JSON"))
            .collect()
    }

    /// Waits until the probe has recorded an event containing `marker`, and returns it.
    async fn await_event(&self, marker: &str, how: &str) -> Value {
        let what = format!(
            "probe {} to record the event {marker} ({how})",
            self.function
        );
        eventually(&what, DELIVERY, || async {
            self.received(marker).await.into_iter().next()
        })
        .await
    }

    async fn remove(self) {
        let _ = self
            .aws
            .lambda
            .delete_function()
            .function_name(&self.function)
            .send()
            .await;
        let _ = self
            .aws
            .dynamodb
            .delete_table()
            .table_name(&self.table)
            .send()
            .await;
    }
}

async fn create_table(
    aws: &Clients,
    name: &str,
    key: &str,
    stream: Option<StreamViewType>,
) -> Option<String> {
    let mut request = aws
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        );
    if let Some(view) = stream {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(view)
                .build()
                .unwrap(),
        );
    }
    let created = request.send().await.unwrap_or_else(|e| {
        panic!(
            "creating table {name}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(e)
        )
    });
    created.table_description.and_then(|t| t.latest_stream_arn)
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_probe_runs_when_invoked() {
    let probe = Probe::deploy().await;
    let marker = unique_name("invoke");
    let answer = probe
        .aws
        .lambda
        .invoke()
        .function_name(&probe.function)
        .payload(Blob::new(json!({ "marker": marker }).to_string()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("invoking {}: {}", probe.function, DisplayErrorContext(e)));
    let payload: Value =
        serde_json::from_slice(answer.payload().expect("a payload").as_ref()).expect("JSON");
    assert_eq!(answer.function_error(), None, "the probe failed: {payload}");
    assert_eq!(payload["event"]["marker"], marker, "{payload}");
    assert_eq!(payload["function"], probe.function.as_str(), "{payload}");
    assert_eq!(probe.received(&marker).await, [json!({ "marker": marker })]);

    let failed = probe
        .aws
        .lambda
        .invoke()
        .function_name(&probe.function)
        .payload(Blob::new(json!({ "fail": "asked to fail" }).to_string()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("invoking {}: {}", probe.function, DisplayErrorContext(e)));
    let error = String::from_utf8_lossy(failed.payload().expect("a payload").as_ref()).into_owned();
    assert!(
        failed.function_error().is_some(),
        "a failing handler reports FunctionError: {error}"
    );
    assert!(error.contains("asked to fail"), "{error}");
    probe.remove().await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_probe_runs_for_an_eventbridge_event() {
    let probe = Probe::deploy().await;
    let marker = unique_name("event");
    let rule = unique_name("probe-rule");
    let events = &probe.aws.eventbridge;
    let pattern = json!({ "source": ["studio.e2e"], "detail": { "marker": [marker] } });
    events
        .put_rule()
        .name(&rule)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "creating rule {rule}: {}",
                aws_sdk_eventbridge::error::DisplayErrorContext(e)
            )
        });
    events
        .put_targets()
        .rule(&rule)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("probe")
                .arn(&probe.arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "targeting {rule} at {}: {}",
                probe.arn,
                aws_sdk_eventbridge::error::DisplayErrorContext(e)
            )
        });
    let put = events
        .put_events()
        .entries(
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .source("studio.e2e")
                .detail_type("Probe Event")
                .detail(json!({ "marker": marker }).to_string())
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "putting the event: {}",
                aws_sdk_eventbridge::error::DisplayErrorContext(e)
            )
        });
    assert_eq!(put.failed_entry_count(), 0, "{put:?}");

    let event = probe.await_event(&marker, "EventBridge rule target").await;
    assert_eq!(event["source"], "studio.e2e", "{event:#}");
    assert_eq!(event["detail-type"], "Probe Event", "{event:#}");
    assert_eq!(event["detail"], json!({ "marker": marker }), "{event:#}");

    let _ = events
        .remove_targets()
        .rule(&rule)
        .ids("probe")
        .send()
        .await;
    let _ = events.delete_rule().name(&rule).send().await;
    probe.remove().await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_probe_runs_for_a_dynamodb_stream_record() {
    let probe = Probe::deploy().await;
    let source = unique_name("probe-source");
    let stream = create_table(
        &probe.aws,
        &source,
        "home",
        Some(StreamViewType::NewAndOldImages),
    )
    .await
    .unwrap_or_else(|| panic!("table {source} has no stream ARN"));
    let mapping = probe
        .aws
        .lambda
        .create_event_source_mapping()
        .event_source_arn(&stream)
        .function_name(&probe.function)
        .starting_position(EventSourcePosition::Latest)
        .batch_size(1)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "mapping {stream} to {}: {}",
                probe.function,
                DisplayErrorContext(e)
            )
        });
    let uuid = mapping
        .uuid
        .expect("CreateEventSourceMapping returns a UUID");
    eventually(
        "the event-source mapping to be Enabled",
        Duration::from_secs(30),
        || async {
            let state = probe
                .aws
                .lambda
                .get_event_source_mapping()
                .uuid(&uuid)
                .send()
                .await
                .unwrap_or_else(|e| panic!("describing mapping {uuid}: {}", DisplayErrorContext(e)))
                .state;
            (state.as_deref() == Some("Enabled")).then_some(())
        },
    )
    .await;

    let marker = unique_name("record");
    probe
        .aws
        .dynamodb
        .put_item()
        .table_name(&source)
        .item("home", AttributeValue::S(marker.clone()))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "putting {marker} into {source}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        });

    let event = probe
        .await_event(&marker, "DynamoDB stream event-source mapping")
        .await;
    let records = event["Records"]
        .as_array()
        .unwrap_or_else(|| panic!("no Records in {event:#}"));
    assert_eq!(records.len(), 1, "BatchSize 1: {event:#}");
    assert_eq!(records[0]["eventName"], "INSERT", "{event:#}");
    assert_eq!(records[0]["eventSource"], "aws:dynamodb", "{event:#}");
    assert_eq!(
        records[0]["dynamodb"]["NewImage"]["home"]["S"],
        marker.as_str(),
        "{event:#}"
    );

    let _ = probe
        .aws
        .lambda
        .delete_event_source_mapping()
        .uuid(&uuid)
        .send()
        .await;
    let _ = probe
        .aws
        .dynamodb
        .delete_table()
        .table_name(&source)
        .send()
        .await;
    probe.remove().await;
}
