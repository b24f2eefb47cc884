//! The event processor Lambda: EventBridge delivers CloudTrail `CreateUserProfile` and
//! `CreateSpace` events; each is recorded in the mapping table (see the library part).

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use studio_core::domain_filter::DomainFilter;
use studio_event_processor::{AwsBackend, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_target(false)
        .without_time()
        .init();
    let backend = AwsBackend::from_env().await?;
    let domains = DomainFilter::from_settings(|name| std::env::var(name).ok());
    tracing::info!(?domains, "tracked domains (empty: every domain)");
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (backend, domains) = (&backend, &domains);
        async move {
            let outcome = handle(backend, domains, &event.payload).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(outcome)?)
        }
    }))
    .await
}
