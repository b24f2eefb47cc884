//! The copier Lambda: one home directory into another on the file system it mounts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{LambdaEvent, service_fn};
use studio_copier::{Settings, serve};
use studio_core::native::CopyRequest;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_target(false)
        .without_time()
        .init();
    let settings = Settings::from_env()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<CopyRequest>| {
        let settings = settings.clone();
        async move {
            // The invocation's own deadline (epoch milliseconds), as time left from now.
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            let left = Duration::from_millis(event.context.deadline).saturating_sub(now);
            let response =
                tokio::task::spawn_blocking(move || serve(&settings, &event.payload, left))
                    .await??;
            Ok::<_, lambda_runtime::Error>(response)
        }
    }))
    .await
}
