//! List resources (`terraform query`, Terraform 1.14+) through the provider service, in process:
//! schemas, validation, and the `ListResource` stream with identities, display names, objects on
//! request, the limit, warnings and errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use futures::StreamExt;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::identity::{IdentityAttribute, IdentitySchema};
use tfplugin::framework::list::{ListResource, ListResult, ListSink};
use tfplugin::framework::provider::{Context, DataSource, Provider, ProviderData, Resource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::framework::validators;
use tfplugin::testing::diagnostics_from_proto;
use tfplugin::values::msgpack::{decode_msgpack, encode_msgpack};
use tfplugin::values::path::AttributePath;
use tfplugin::values::types::Type;
use tfplugin::values::value::Value;
use tfplugin::wire::proto::tfplugin6 as pb;
use tfplugin::wire::proto::tfplugin6::provider_server::Provider as _;
use tfplugin::wire::server::ProviderService;
use tokio_util::sync::CancellationToken;
use tonic::Request;

/// A resource named by `name`, with that name as its identity.
struct Fruit {
    identity: bool,
    type_name: &'static str,
}

fn fruit_schema() -> Schema {
    Schema::new(
        0,
        Block::new().attributes([
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("id"),
            Attribute::string("name").required().description("name"),
        ]),
    )
}

fn fruit_identity_type() -> Type {
    fruit_identity().value_type()
}

fn fruit_identity() -> IdentitySchema {
    IdentitySchema::new(0, [IdentityAttribute::required_string("name", "the name")])
}

#[async_trait]
impl Resource for Fruit {
    fn type_name(&self) -> &'static str {
        self.type_name
    }
    fn schema(&self) -> Schema {
        fruit_schema()
    }
    fn identity_schema(&self) -> Option<IdentitySchema> {
        self.identity.then(fruit_identity)
    }
    async fn create(
        &self,
        planned: &Value,
        _config: &Value,
        _ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        (Some(planned.clone()), Diagnostics::new())
    }
    async fn read(&self, state: &Value, _ctx: &Context) -> (Option<Value>, Diagnostics) {
        (Some(state.clone()), Diagnostics::new())
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
        Diagnostics::new()
    }
}

const FRUITS: &[&str] = &["apple", "apricot", "banana", "blueberry", "cherry"];

/// Lists the fruits whose name starts with `prefix`; `poison` is listed with an unknown
/// identity, `rotten` ends the list with an error after a warning.
struct FruitList {
    /// How many results the list tried to send.
    tried: Arc<AtomicUsize>,
    type_name: &'static str,
}

#[async_trait]
impl ListResource for FruitList {
    fn type_name(&self) -> &'static str {
        self.type_name
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new().attributes([Attribute::string("prefix")
                .optional()
                .validate(validators::regex("^[a-z]+$", "lower-case letters"))
                .description("Only names starting with this.")]),
        )
    }
    async fn validate(&self, config: &Value, _ctx: &Context) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if config.get("prefix").as_str() == Some("zz") {
            diags.attribute_error(
                AttributePath::attribute("prefix"),
                "No fruit",
                "no fruit starts with zz",
            );
        }
        diags
    }
    async fn list(&self, config: &Value, sink: &ListSink, _ctx: &Context) -> Diagnostics {
        let prefix = config.get("prefix").as_str().unwrap_or("");
        match prefix {
            "poison" => {
                sink.send(ListResult {
                    identity: Value::object([("name", Value::Unknown)]),
                    display_name: "poison".into(),
                    resource: None,
                    diagnostics: Diagnostics::new(),
                })
                .await;
                return Diagnostics::new();
            }
            "rotten" => {
                sink.warn(Diagnostic::warning(
                    "Skipped",
                    "the rotten apple is not listed",
                ))
                .await;
                return Diagnostic::error("Could not list", "the basket fell").into();
            }
            _ => {}
        }
        for name in FRUITS.iter().filter(|n| n.starts_with(prefix)) {
            self.tried.fetch_add(1, Ordering::SeqCst);
            let wanted = sink
                .send(ListResult {
                    identity: Value::object([("name", Value::string(*name))]),
                    display_name: format!("the {name}"),
                    resource: Some(Value::object([
                        ("id", Value::string(format!("fruit/{name}"))),
                        ("name", Value::string(*name)),
                    ])),
                    diagnostics: Diagnostics::new(),
                })
                .await;
            if !wanted {
                break;
            }
        }
        Diagnostics::new()
    }
}

struct ToyProvider {
    tried: Arc<AtomicUsize>,
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
        vec![
            Arc::new(Fruit {
                identity: true,
                type_name: "toy_fruit",
            }),
            Arc::new(Fruit {
                identity: false,
                type_name: "toy_plain",
            }),
        ]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        ["toy_fruit", "toy_plain", "toy_nothing"]
            .into_iter()
            .map(|type_name| {
                Arc::new(FruitList {
                    tried: Arc::clone(&self.tried),
                    type_name,
                }) as Arc<dyn ListResource>
            })
            .collect()
    }
    async fn configure(
        &self,
        _config: &Value,
        _ctx: &Context,
    ) -> (Option<ProviderData>, Diagnostics) {
        (None, Diagnostics::new())
    }
}

fn service() -> (ProviderService, Arc<AtomicUsize>) {
    let tried = Arc::new(AtomicUsize::new(0));
    let provider = ToyProvider {
        tried: Arc::clone(&tried),
    };
    (
        ProviderService::new(Arc::new(provider), CancellationToken::new()),
        tried,
    )
}

fn config_type() -> Type {
    Type::object([("prefix", Type::String)])
}

fn config(prefix: Option<&str>) -> pb::DynamicValue {
    let value = match prefix {
        Some(p) => Value::object([("prefix", Value::string(p))]),
        None => Value::Null,
    };
    pb::DynamicValue {
        msgpack: encode_msgpack(&value, &config_type()).unwrap(),
        json: Vec::new(),
    }
}

/// The events of one `ListResource` call.
async fn list(
    service: &ProviderService,
    type_name: &str,
    prefix: Option<&str>,
    include_resource: bool,
    limit: i64,
) -> Vec<pb::list_resource::Event> {
    let stream = service
        .list_resource(Request::new(pb::list_resource::Request {
            type_name: type_name.into(),
            config: Some(config(prefix)),
            include_resource_object: include_resource,
            limit,
        }))
        .await
        .unwrap()
        .into_inner();
    stream.map(|event| event.unwrap()).collect().await
}

fn identity_name(event: &pb::list_resource::Event) -> String {
    let data = event
        .identity
        .as_ref()
        .unwrap()
        .identity_data
        .as_ref()
        .unwrap();
    decode_msgpack(&data.msgpack, &fruit_identity_type())
        .unwrap()
        .get("name")
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_schema_and_metadata_declare_list_resources_of_types_with_identity() {
    let (service, _) = service();
    let schema = service
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<_> = schema.list_resource_schemas.keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["toy_fruit"]);
    let block = schema.list_resource_schemas["toy_fruit"]
        .block
        .as_ref()
        .unwrap();
    assert_eq!(block.attributes[0].name, "prefix");
    // A list resource whose managed type is missing or has no identity is a provider bug, said
    // in the schema response rather than at the first `terraform query`.
    let diags = diagnostics_from_proto(schema.diagnostics);
    let details: Vec<_> = diags.iter().map(|d| d.detail.clone()).collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(
        details
            .iter()
            .any(|d| d.contains("\"toy_plain\"") && d.contains("no identity schema")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("\"toy_nothing\"") && d.contains("no managed resource type")),
        "{details:?}"
    );

    let metadata = service
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    let listed: Vec<_> = metadata
        .list_resources
        .iter()
        .map(|l| l.type_name.as_str())
        .collect();
    assert_eq!(listed, ["toy_fruit"]);
}

#[tokio::test]
async fn validation_runs_the_schema_validators_and_the_list_resources_own() {
    let (service, _) = service();
    let validate = |prefix: Option<&'static str>, type_name: &'static str| {
        let service = &service;
        async move {
            let response = service
                .validate_list_resource_config(Request::new(
                    pb::validate_list_resource_config::Request {
                        type_name: type_name.into(),
                        config: Some(config(prefix)),
                        include_resource_object: None,
                        limit: None,
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            diagnostics_from_proto(response.diagnostics)
        }
    };
    assert!(validate(Some("ap"), "toy_fruit").await.is_empty());
    assert!(
        validate(None, "toy_fruit").await.is_empty(),
        "no config block"
    );
    for (prefix, summary) in [("Ap", "lower-case letters"), ("zz", "no fruit starts")] {
        let diags = validate(Some(prefix), "toy_fruit").await;
        let d = diags.iter().next().expect("an error");
        assert!(d.is_error());
        assert_eq!(d.attribute, Some(AttributePath::attribute("prefix")));
        assert!(
            format!("{} {}", d.summary, d.detail).contains(summary),
            "{d:?}"
        );
    }
    let diags = validate(None, "toy_plain").await;
    assert!(
        diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("it has: toy_fruit"),
        "{diags:?}"
    );
}

#[tokio::test]
async fn results_stream_with_identity_display_name_and_the_object_on_request() {
    let (service, _) = service();
    let events = list(&service, "toy_fruit", Some("b"), true, 100).await;
    let names: Vec<_> = events.iter().map(identity_name).collect();
    assert_eq!(names, ["banana", "blueberry"]);
    assert_eq!(events[0].display_name, "the banana");
    let object = events[0].resource_object.as_ref().expect("asked for");
    let state = decode_msgpack(&object.msgpack, &fruit_schema().value_type()).unwrap();
    assert_eq!(state.get("id").as_str(), Some("fruit/banana"));
    assert!(events.iter().all(|e| e.diagnostic.is_empty()));

    // Without include_resource, no object is sent, though the list had one.
    let events = list(&service, "toy_fruit", Some("b"), false, 100).await;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.resource_object.is_none()));

    // No config block: no filter.
    assert_eq!(list(&service, "toy_fruit", None, false, 100).await.len(), 5);
}

#[tokio::test]
async fn the_limit_stops_the_list_itself() {
    let (service, tried) = service();
    let events = list(&service, "toy_fruit", None, false, 2).await;
    let names: Vec<_> = events.iter().map(identity_name).collect();
    assert_eq!(names, ["apple", "apricot"]);
    // The list learned from `send` that no more were wanted, and stopped looking.
    assert_eq!(tried.load(Ordering::SeqCst), 2);
    assert!(list(&service, "toy_fruit", None, false, 0).await.is_empty());
}

#[tokio::test]
async fn warnings_pass_errors_end_the_stream_and_bugs_are_named() {
    let (service, _) = service();
    let events = list(&service, "toy_fruit", Some("rotten"), false, 100).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e.identity.is_none()));
    let warning = diagnostics_from_proto(events[0].diagnostic.clone());
    assert!(!warning.has_errors() && warning.iter().next().unwrap().summary == "Skipped");
    let error = diagnostics_from_proto(events[1].diagnostic.clone());
    assert_eq!(error.iter().next().unwrap().detail, "the basket fell");

    let events = list(&service, "toy_fruit", Some("poison"), false, 100).await;
    assert_eq!(events.len(), 1);
    let diags = diagnostics_from_proto(events[0].diagnostic.clone());
    assert!(
        diags.has_errors()
            && diags
                .iter()
                .next()
                .unwrap()
                .detail
                .contains("unknown identity"),
        "{diags:?}"
    );

    // A config that breaks the schema's rules lists nothing and says why.
    let events = list(&service, "toy_fruit", Some("Ap"), false, 100).await;
    assert_eq!(events.len(), 1);
    let diags = diagnostics_from_proto(events[0].diagnostic.clone());
    assert_eq!(
        diags.iter().next().unwrap().attribute,
        Some(AttributePath::attribute("prefix"))
    );

    let events = list(&service, "toy_nothing", None, false, 100).await;
    assert!(
        diagnostics_from_proto(events[0].diagnostic.clone())
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("no list resource type \"toy_nothing\"")
    );
}
