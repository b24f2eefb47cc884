//! The probe Lambda: records every event it receives, then returns it.
//!
//! Each invocation writes one item into the table named by `PROBE_TABLE` (when set):
//! `id` (S, the request id), `function` (S), `event` (S, the event as JSON). The end-to-end tests
//! deploy it into the emulator and look for their event in that table, which proves the function
//! really ran, whichever way it was invoked (Invoke, EventBridge target, DynamoDB stream).
//!
//! The response is `{"function": ..., "request_id": ..., "event": <the event>}`, so a direct
//! Invoke can check the round trip too. An event `{"fail": "<message>"}` makes the function fail
//! with that message, to test error paths.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

struct Probe {
    dynamodb: aws_sdk_dynamodb::Client,
    table: Option<String>,
    function: String,
}

impl Probe {
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let (payload, context) = event.into_parts();
        if let Some(table) = &self.table {
            self.dynamodb
                .put_item()
                .table_name(table)
                .item("id", AttributeValue::S(context.request_id.clone()))
                .item("function", AttributeValue::S(self.function.clone()))
                .item("event", AttributeValue::S(payload.to_string()))
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "recording request {} in table {table}: {}",
                        context.request_id,
                        aws_sdk_dynamodb::error::DisplayErrorContext(e)
                    )
                })?;
        }
        if let Some(message) = payload.get("fail").and_then(Value::as_str) {
            return Err(message.into());
        }
        Ok(json!({
            "function": self.function,
            "request_id": context.request_id,
            "event": payload,
        }))
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    // The region comes from AWS_REGION, which Lambda (and the emulator) always sets.
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let probe = Probe {
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
        table: std::env::var("PROBE_TABLE").ok().filter(|t| !t.is_empty()),
        function: std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
    };
    let probe = &probe;
    lambda_runtime::run(service_fn(move |event| probe.handle(event))).await
}
