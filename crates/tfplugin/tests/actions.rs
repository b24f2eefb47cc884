//! Actions (Terraform 1.14+) through the provider service, in process: the schema and metadata
//! list them, ValidateActionConfig and PlanAction check the configuration naming the attribute,
//! and InvokeAction streams progress while the action runs, then one completed event.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use tfplugin::framework::action::{Action, ProgressReporter};
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::provider::{Context, DataSource, Provider, ProviderData, Resource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::framework::validators;
use tfplugin::testing::diagnostics_from_proto;
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;
use tfplugin::wire::proto::tfplugin6 as pb;
use tfplugin::wire::proto::tfplugin6::provider_server::Provider as _;
use tfplugin::wire::server::ProviderService;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tonic::Request;

/// Copies `steps` things one at a time, reporting each; a step waits for a permit from the
/// test, so that the test sees each progress event before the next step runs. `fail_at` fails
/// the copy at that step; `path` must not be the root.
struct ToyCopy {
    permits: Arc<Semaphore>,
    cancelled: Arc<std::sync::atomic::AtomicBool>,
}

fn copy_schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .description("Copies things.")
            .attribute(
                Attribute::int64("steps")
                    .required()
                    .validate(validators::int_at_least(1))
                    .description("How many things."),
            )
            .attribute(
                Attribute::int64("fail_at")
                    .optional()
                    .description("The step that fails."),
            )
            .attribute(
                Attribute::string("path")
                    .optional()
                    .description("Where to copy to."),
            ),
    )
}

#[async_trait]
impl Action for ToyCopy {
    fn type_name(&self) -> &'static str {
        "toy_copy"
    }
    fn schema(&self) -> Schema {
        copy_schema()
    }
    async fn validate(&self, config: &Value, _ctx: &Context) -> Diagnostics {
        match config.get("path").as_str() {
            Some("/") => Diagnostic::error("Invalid path", "path must not be the root")
                .at(AttributePath::attribute("path"))
                .into(),
            _ => Diagnostics::new(),
        }
    }
    async fn plan(&self, config: &Value, _ctx: &Context) -> Diagnostics {
        // What only the plan can check (in a provider: the remote objects exist).
        match (config.get("steps").as_i64(), config.get("fail_at").as_i64()) {
            (Some(steps), Some(at)) if at > steps => {
                Diagnostic::error("Invalid fail_at", "fail_at is after the last step")
                    .at(AttributePath::attribute("fail_at"))
                    .into()
            }
            _ => Diagnostics::new(),
        }
    }
    async fn invoke(
        &self,
        config: &Value,
        progress: &ProgressReporter,
        ctx: &Context,
    ) -> Diagnostics {
        let steps = config.get("steps").as_i64().unwrap_or(0);
        for step in 1..=steps {
            tokio::select! {
                permit = self.permits.acquire() => permit.unwrap().forget(),
                () = ctx.cancellation().cancelled() => {
                    self.cancelled.store(true, std::sync::atomic::Ordering::SeqCst);
                    return Diagnostic::error("Cancelled", format!("stopped before step {step}")).into();
                }
            }
            if config.get("fail_at").as_i64() == Some(step) {
                return Diagnostic::error("Copy failed", format!("step {step} failed")).into();
            }
            progress.report(format!("copied {step} of {steps}"));
        }
        let mut diags = Diagnostics::new();
        diags.warning("Copied", format!("{steps} things"));
        diags
    }
}

/// An action that panics.
struct Broken;

#[async_trait]
impl Action for Broken {
    fn type_name(&self) -> &'static str {
        "toy_broken"
    }
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new())
    }
    async fn invoke(
        &self,
        _config: &Value,
        progress: &ProgressReporter,
        _ctx: &Context,
    ) -> Diagnostics {
        progress.report("about to fail");
        panic!("the toy broke")
    }
}

struct ToyProvider {
    copy: Arc<ToyCopy>,
}

#[async_trait]
impl Provider for ToyProvider {
    fn type_name(&self) -> &'static str {
        "toy"
    }
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![]
    }
    fn actions(&self) -> Vec<Arc<dyn Action>> {
        vec![self.copy.clone(), Arc::new(Broken)]
    }
    async fn configure(
        &self,
        _config: &Value,
        _ctx: &Context,
    ) -> (Option<ProviderData>, Diagnostics) {
        (None, Diagnostics::new())
    }
}

struct Toy {
    service: ProviderService,
    permits: Arc<Semaphore>,
    cancelled: Arc<std::sync::atomic::AtomicBool>,
}

fn toy() -> Toy {
    let permits = Arc::new(Semaphore::new(0));
    let cancelled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let copy = Arc::new(ToyCopy {
        permits: permits.clone(),
        cancelled: cancelled.clone(),
    });
    Toy {
        service: ProviderService::new(Arc::new(ToyProvider { copy }), CancellationToken::new()),
        permits,
        cancelled,
    }
}

fn config(steps: Value, fail_at: Option<i64>, path: Option<&str>) -> Option<pb::DynamicValue> {
    let value = Value::object([
        ("steps", steps),
        ("fail_at", Value::opt_int(fail_at)),
        ("path", Value::opt_string(path.map(str::to_owned))),
    ]);
    Some(pb::DynamicValue {
        msgpack: tfplugin::values::msgpack::encode_msgpack(&value, &copy_schema().value_type())
            .unwrap(),
        json: Vec::new(),
    })
}

fn attribute_names(diags: &Diagnostics) -> Vec<String> {
    diags
        .iter()
        .map(|d| {
            d.attribute
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect()
}

#[derive(Debug, PartialEq)]
enum Event {
    Progress(String),
    Completed(Vec<(String, String)>),
}

fn event(e: pb::invoke_action::Event) -> Event {
    match e.r#type.expect("an event has a type") {
        pb::invoke_action::event::Type::Progress(p) => Event::Progress(p.message),
        pb::invoke_action::event::Type::Completed(c) => Event::Completed(
            diagnostics_from_proto(c.diagnostics)
                .into_iter()
                .map(|d| (d.summary, d.detail))
                .collect(),
        ),
    }
}

async fn invoke(
    service: &ProviderService,
    action_type: &str,
    config: Option<pb::DynamicValue>,
) -> tonic::codegen::BoxStream<pb::invoke_action::Event> {
    service
        .invoke_action(Request::new(pb::invoke_action::Request {
            action_type: action_type.into(),
            config,
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner()
}

async fn next(stream: &mut tonic::codegen::BoxStream<pb::invoke_action::Event>) -> Option<Event> {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event within 10 s")
        .map(|e| event(e.unwrap()))
}

#[tokio::test]
async fn the_schema_and_metadata_list_actions() {
    let Toy { service, .. } = toy();
    let schema = service
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<_> = schema.action_schemas.keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["toy_broken", "toy_copy"]);
    let block = schema.action_schemas["toy_copy"]
        .schema
        .as_ref()
        .unwrap()
        .block
        .as_ref()
        .unwrap();
    assert_eq!(block.description, "Copies things.");
    let steps = block.attributes.iter().find(|a| a.name == "steps").unwrap();
    assert!(steps.required && !steps.computed);
    assert_eq!(steps.r#type, br#""number""#);

    let metadata = service
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = metadata
        .actions
        .iter()
        .map(|a| a.type_name.as_str())
        .collect();
    assert_eq!(names, ["toy_broken", "toy_copy"]);
}

#[tokio::test]
async fn validate_and_plan_name_the_attribute() {
    let Toy { service, .. } = toy();
    let validate = |config| {
        service.validate_action_config(Request::new(pb::validate_action_config::Request {
            type_name: "toy_copy".into(),
            config,
        }))
    };
    // A schema validator, then the action's own check.
    let diags = diagnostics_from_proto(
        validate(config(Value::int(0), None, None))
            .await
            .unwrap()
            .into_inner()
            .diagnostics,
    );
    assert!(diags.has_errors());
    assert_eq!(attribute_names(&diags), ["steps"]);
    let diags = diagnostics_from_proto(
        validate(config(Value::int(2), None, Some("/")))
            .await
            .unwrap()
            .into_inner()
            .diagnostics,
    );
    assert_eq!(attribute_names(&diags), ["path"]);
    // Unknown values (validate runs before they are known) are not errors.
    let diags = diagnostics_from_proto(
        validate(config(Value::Unknown, None, None))
            .await
            .unwrap()
            .into_inner()
            .diagnostics,
    );
    assert!(diags.is_empty(), "{diags:?}");
    let clean = diagnostics_from_proto(
        validate(config(Value::int(2), Some(1), Some("/tmp")))
            .await
            .unwrap()
            .into_inner()
            .diagnostics,
    );
    assert!(clean.is_empty(), "{clean:?}");

    let plan = |config| {
        service.plan_action(Request::new(pb::plan_action::Request {
            action_type: "toy_copy".into(),
            config,
            client_capabilities: None,
        }))
    };
    let diags = diagnostics_from_proto(
        plan(config(Value::int(2), Some(3), None))
            .await
            .unwrap()
            .into_inner()
            .diagnostics,
    );
    assert!(diags.has_errors());
    assert_eq!(attribute_names(&diags), ["fail_at"]);
    // The schema's validators run at plan too, for values that only became known then.
    let diags = diagnostics_from_proto(
        plan(config(Value::int(0), None, None))
            .await
            .unwrap()
            .into_inner()
            .diagnostics,
    );
    assert_eq!(attribute_names(&diags), ["steps"]);
    let clean = diagnostics_from_proto(
        plan(config(Value::int(2), None, None))
            .await
            .unwrap()
            .into_inner()
            .diagnostics,
    );
    assert!(clean.is_empty(), "{clean:?}");

    let unknown = diagnostics_from_proto(
        service
            .plan_action(Request::new(pb::plan_action::Request {
                action_type: "toy_nothing".into(),
                config: None,
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner()
            .diagnostics,
    );
    assert!(
        unknown.iter().any(
            |d| d.summary == "Unknown action type" && d.detail.contains("toy_broken, toy_copy")
        )
    );
}

#[tokio::test]
async fn invoke_streams_each_progress_event_while_the_action_runs() {
    let Toy {
        service, permits, ..
    } = toy();
    let mut stream = invoke(&service, "toy_copy", config(Value::int(3), None, None)).await;
    for step in 1..=3 {
        // The action cannot take step `step` before this permit: each event arrives while it
        // still runs, not all of them at the end.
        let early = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
        assert!(early.is_err(), "an event before step {step} could run");
        permits.add_permits(1);
        assert_eq!(
            next(&mut stream).await,
            Some(Event::Progress(format!("copied {step} of 3")))
        );
    }
    assert_eq!(
        next(&mut stream).await,
        Some(Event::Completed(vec![("Copied".into(), "3 things".into())]))
    );
    assert_eq!(next(&mut stream).await, None);
}

#[tokio::test]
async fn a_failure_ends_the_stream_with_its_diagnostics() {
    let Toy {
        service, permits, ..
    } = toy();
    permits.add_permits(5);
    let mut stream = invoke(&service, "toy_copy", config(Value::int(3), Some(2), None)).await;
    assert_eq!(
        next(&mut stream).await,
        Some(Event::Progress("copied 1 of 3".into()))
    );
    assert_eq!(
        next(&mut stream).await,
        Some(Event::Completed(vec![(
            "Copy failed".into(),
            "step 2 failed".into()
        )]))
    );
    assert_eq!(next(&mut stream).await, None);

    // A configuration the schema refuses never runs.
    let mut stream = invoke(&service, "toy_copy", config(Value::int(0), None, None)).await;
    let Some(Event::Completed(diags)) = next(&mut stream).await else {
        panic!("a completed event")
    };
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(next(&mut stream).await, None);
    assert_eq!(permits.available_permits(), 3, "no step ran");

    // A panic is an error diagnostic, after the progress reported before it.
    let mut stream = invoke(&service, "toy_broken", None).await;
    assert_eq!(
        next(&mut stream).await,
        Some(Event::Progress("about to fail".into()))
    );
    let Some(Event::Completed(diags)) = next(&mut stream).await else {
        panic!("a completed event")
    };
    assert_eq!(diags[0].0, "The provider crashed");
    assert!(diags[0].1.contains("the toy broke"), "{diags:?}");
}

#[tokio::test]
async fn terraform_going_away_cancels_the_action() {
    let Toy {
        service,
        permits,
        cancelled,
    } = toy();
    permits.add_permits(1);
    let mut stream = invoke(&service, "toy_copy", config(Value::int(3), None, None)).await;
    assert_eq!(
        next(&mut stream).await,
        Some(Event::Progress("copied 1 of 3".into()))
    );
    drop(stream);
    tokio::time::timeout(Duration::from_secs(10), async {
        while !cancelled.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the action sees the cancellation");
}
