//! The stream processor Lambda: the mapping table's DynamoDB stream, in order per home.

use lambda_runtime::{LambdaEvent, service_fn};
use studio_stream_processor::{AwsBackend, Settings, StreamEvent, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_target(false)
        .without_time()
        .init();
    let settings = Settings::from_env()?;
    let backend = AwsBackend::from_env(&settings).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<StreamEvent>| {
        let (backend, settings) = (&backend, &settings);
        async move {
            let response = handle(backend, settings, &event.payload).await?;
            Ok::<_, lambda_runtime::Error>(response)
        }
    }))
    .await
}
