//! Hooks for the provider's protocol tests, present only when `STUDIO_PROVIDER_TEST_HOOKS=1`:
//! a data source that waits until the call is cancelled, to test `StopProvider` end to end.

use async_trait::async_trait;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::provider::{Context, DataSource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::values::value::Value;

/// The variable that enables the hooks.
pub const ENV: &str = "STUDIO_PROVIDER_TEST_HOOKS";

/// Whether the hooks are enabled.
pub fn enabled() -> bool {
    std::env::var(ENV).is_ok_and(|v| v == "1")
}

/// `studio_test_wait_for_cancellation`: reads forever (up to `seconds`) unless cancelled.
pub struct WaitForCancellation;

#[async_trait]
impl DataSource for WaitForCancellation {
    fn type_name(&self) -> &'static str {
        "studio_test_wait_for_cancellation"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .description("Test only: waits until Terraform stops the provider.")
                .attribute(
                    Attribute::int64("seconds")
                        .required()
                        .description("How long to wait at most."),
                ),
        )
    }

    async fn read(&self, config: &Value, ctx: &Context) -> (Option<Value>, Diagnostics) {
        let seconds = config.get("seconds").as_u64().unwrap_or(60);
        tokio::select! {
            () = ctx.cancellation().cancelled() => (
                None,
                Diagnostic::error("Cancelled", "The provider was stopped while waiting.").into(),
            ),
            () = tokio::time::sleep(std::time::Duration::from_secs(seconds)) => (Some(config.clone()), Diagnostics::new()),
        }
    }
}
