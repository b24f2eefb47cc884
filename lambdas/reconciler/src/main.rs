//! The reconciler Lambda: on a schedule and once at deploy.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use studio_reconciler::{AwsBackend, Mode, Settings, reconcile};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_target(false)
        .without_time()
        .init();
    let settings = Settings::from_env()?;
    let backend = AwsBackend::from_env(&settings).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (backend, settings) = (&backend, &settings);
        async move {
            let mode = Mode::from_event(&event.payload);
            let report = reconcile(backend, settings, mode).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
