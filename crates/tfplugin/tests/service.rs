//! The provider service in process: what it does between the wire and a resource.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::provider::{Context, DataSource, Provider, ProviderData, Resource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::testing::diagnostics_from_proto;
use tfplugin::values::types::Type;
use tfplugin::values::value::Value;
use tfplugin::wire::proto::tfplugin6 as pb;
use tfplugin::wire::proto::tfplugin6::provider_server::Provider as _;
use tfplugin::wire::server::ProviderService;
use tokio_util::sync::CancellationToken;
use tonic::Request;

struct Toy {
    fail_delete: AtomicBool,
}

fn toy_schema() -> Schema {
    Schema::new(
        1,
        Block::new().attributes([
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("id"),
            Attribute::string("name")
                .required()
                .requires_replace()
                .description("name"),
            Attribute::string("note").optional().description("note"),
        ]),
    )
}

#[async_trait]
impl Resource for Toy {
    fn type_name(&self) -> &'static str {
        "toy_thing"
    }
    fn schema(&self) -> Schema {
        toy_schema()
    }
    async fn create(
        &self,
        planned: &Value,
        _config: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        let prefix = ctx
            .provider_data::<String>()
            .map(|p| p.to_string())
            .unwrap_or_default();
        let id = format!("{prefix}{}", planned.get("name").as_str().unwrap_or(""));
        ctx.set_private(b"created".to_vec());
        (
            Some(planned.clone().with_attr("id", Value::string(id))),
            Diagnostics::new(),
        )
    }
    async fn read(&self, state: &Value, _ctx: &Context) -> (Option<Value>, Diagnostics) {
        match state.get("name").as_str() {
            Some("gone") => (None, Diagnostics::new()),
            Some("panic") => panic!("read exploded"),
            _ => (Some(state.clone()), Diagnostics::new()),
        }
    }
    async fn update(
        &self,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        _ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        (Some(planned.clone()), Diagnostics::new())
    }
    async fn delete(&self, _state: &Value, _ctx: &Context) -> Diagnostics {
        if self.fail_delete.load(Ordering::SeqCst) {
            Diagnostic::error("Delete failed", "still there").into()
        } else {
            Diagnostics::new()
        }
    }
}

struct ToyProvider {
    toy: Arc<Toy>,
}

#[async_trait]
impl Provider for ToyProvider {
    fn type_name(&self) -> &'static str {
        "toy"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new().attribute(Attribute::string("prefix").optional().description("p")),
        )
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![self.toy.clone()]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![]
    }
    async fn configure(
        &self,
        config: &Value,
        _ctx: &Context,
    ) -> (Option<ProviderData>, Diagnostics) {
        let prefix = config.get("prefix").as_str().unwrap_or("").to_string();
        (Some(Arc::new(prefix)), Diagnostics::new())
    }
}

fn service() -> (ProviderService, Arc<Toy>) {
    let toy = Arc::new(Toy {
        fail_delete: AtomicBool::new(false),
    });
    let provider = Arc::new(ToyProvider { toy: toy.clone() });
    (
        ProviderService::new(provider, CancellationToken::new()),
        toy,
    )
}

fn ty() -> Type {
    toy_schema().value_type()
}

fn dv(value: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: tfplugin::values::msgpack::encode_msgpack(value, &ty()).unwrap(),
        json: Vec::new(),
    })
}

fn decode(value: Option<&pb::DynamicValue>) -> Value {
    tfplugin::wire::server::decode_value(value, &ty(), "test").unwrap()
}

fn thing(id: Option<&str>, name: &str) -> Value {
    Value::object([
        ("id", id.map(Value::string).unwrap_or(Value::Null)),
        ("name", Value::string(name)),
        ("note", Value::Null),
    ])
}

async fn plan(
    service: &ProviderService,
    prior: &Value,
    config: &Value,
    private: &[u8],
) -> pb::plan_resource_change::Response {
    let proposed = tfplugin::testing::proposed_new_state(prior, config);
    service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "toy_thing".into(),
            prior_state: dv(prior),
            proposed_new_state: dv(&proposed),
            config: dv(config),
            prior_private: private.to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

async fn apply(
    service: &ProviderService,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> pb::apply_resource_change::Response {
    service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "toy_thing".into(),
            prior_state: dv(prior),
            planned_state: dv(planned),
            config: dv(config),
            planned_private: b"planned".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn create_plans_unknown_ids_and_applies_with_provider_data() {
    let (service, _) = service();
    let configured = service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.0.3".into(),
            config: Some(pb::DynamicValue {
                msgpack: tfplugin::values::msgpack::encode_msgpack(
                    &Value::object([("prefix", Value::string("p-"))]),
                    &Type::object([("prefix", Type::String)]),
                )
                .unwrap(),
                json: Vec::new(),
            }),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(configured.diagnostics.is_empty());

    let config = thing(None, "a");
    let planned = plan(&service, &Value::Null, &config, b"").await;
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    let planned_state = decode(planned.planned_state.as_ref());
    assert!(planned_state.get("id").is_unknown());

    let applied = apply(&service, &Value::Null, &planned_state, &config).await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert_eq!(decode(applied.new_state.as_ref()), thing(Some("p-a"), "a"));
    assert_eq!(applied.private, b"created");
}

#[tokio::test]
async fn unchanged_config_plans_no_change_and_a_new_name_replaces() {
    let (service, _) = service();
    let prior = thing(Some("a"), "a");
    let same = plan(&service, &prior, &thing(None, "a"), b"private").await;
    assert_eq!(decode(same.planned_state.as_ref()), prior);
    assert!(same.requires_replace.is_empty());
    assert_eq!(
        same.planned_private, b"private",
        "private state passes through"
    );

    let renamed = plan(&service, &prior, &thing(None, "b"), b"").await;
    let paths: Vec<String> = renamed
        .requires_replace
        .iter()
        .map(|p| tfplugin::wire::server::path_from_proto(p).to_string())
        .collect();
    assert_eq!(paths, ["name"]);
}

#[tokio::test]
async fn destroy_plans_null_and_a_failed_delete_keeps_the_state() {
    let (service, toy) = service();
    let prior = thing(Some("a"), "a");
    let destroy = plan(&service, &prior, &Value::Null, b"keep").await;
    assert!(decode(destroy.planned_state.as_ref()).is_null());
    assert_eq!(destroy.planned_private, b"keep");

    toy.fail_delete.store(true, Ordering::SeqCst);
    let failed = apply(&service, &prior, &Value::Null, &Value::Null).await;
    assert_eq!(decode(failed.new_state.as_ref()), prior);
    assert_eq!(diagnostics_from_proto(failed.diagnostics).len(), 1);

    // Terraform 1.2 and older apply a destroy without planning it first.
    toy.fail_delete.store(false, Ordering::SeqCst);
    let deleted = apply(&service, &prior, &Value::Null, &Value::Null).await;
    assert!(deleted.diagnostics.is_empty());
    assert!(decode(deleted.new_state.as_ref()).is_null());
}

async fn read(service: &ProviderService, state: &Value) -> pb::read_resource::Response {
    service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "toy_thing".into(),
            current_state: dv(state),
            private: b"echo".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn read_echoes_private_state_and_reports_a_gone_object_as_null() {
    let (service, _) = service();
    let here = read(&service, &thing(Some("x"), "x")).await;
    assert_eq!(decode(here.new_state.as_ref()), thing(Some("x"), "x"));
    assert_eq!(here.private, b"echo");
    let gone = read(&service, &thing(Some("g"), "gone")).await;
    assert!(decode(gone.new_state.as_ref()).is_null());
}

#[tokio::test]
async fn a_panic_becomes_an_error_diagnostic_and_the_service_lives_on() {
    let (service, _) = service();
    let crashed = read(&service, &thing(Some("p"), "panic")).await;
    let diags = diagnostics_from_proto(crashed.diagnostics);
    assert!(
        diags
            .iter()
            .any(|d| d.summary == "The provider crashed" && d.detail.contains("read exploded")),
        "{diags:?}"
    );
    let fine = read(&service, &thing(Some("x"), "x")).await;
    assert!(fine.diagnostics.is_empty());
}

#[tokio::test]
async fn upgrade_reads_current_json_ignoring_removed_attributes() {
    let (service, _) = service();
    let response = service
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "toy_thing".into(),
            version: 1,
            raw_state: Some(pb::RawState {
                json: br#"{"id":"a","name":"a","removed":true}"#.to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(
        decode(response.upgraded_state.as_ref()),
        thing(Some("a"), "a")
    );

    let newer = service
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "toy_thing".into(),
            version: 7,
            raw_state: Some(pb::RawState {
                json: br#"{"id":"a","name":"a"}"#.to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(diagnostics_from_proto(newer.diagnostics).len(), 1);
}

#[tokio::test]
async fn unknown_types_and_unsupported_import_are_diagnostics_not_statuses() {
    let (service, _) = service();
    let unknown = service
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: "toy_nothing".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.diagnostics[0].detail.contains("toy_thing"));

    let import = service
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "toy_thing".into(),
            id: "a".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(import.imported_resources.is_empty());
    assert_eq!(import.diagnostics[0].summary, "Import not supported");

    let identities = service
        .get_resource_identity_schemas(Request::new(pb::get_resource_identity_schemas::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(identities.identity_schemas.is_empty());
}
