//! Resource identity and provider functions through the provider service, in process.

use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::framework::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::framework::function::{
    Function, FunctionError, Parameter, Signature, string_argument,
};
use tfplugin::framework::identity::{IdentityAttribute, IdentitySchema};
use tfplugin::framework::provider::{Context, DataSource, Provider, ProviderData, Resource};
use tfplugin::framework::schema::{Attribute, Block, Schema};
use tfplugin::testing::{diagnostics_from_proto, identity_schema_type};
use tfplugin::values::types::Type;
use tfplugin::values::value::Value;
use tfplugin::wire::proto::tfplugin6 as pb;
use tfplugin::wire::proto::tfplugin6::provider_server::Provider as _;
use tfplugin::wire::server::{ProviderService, decode_value};
use tokio_util::sync::CancellationToken;
use tonic::Request;

/// A resource whose id is `<realm>/<name>`; its identity is the two parts.
struct Keyed;

fn keyed_schema() -> Schema {
    Schema::new(
        0,
        Block::new().attributes([
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("id"),
            Attribute::string("name")
                .required()
                .requires_replace()
                .description("name"),
        ]),
    )
}

fn keyed_identity_schema() -> IdentitySchema {
    IdentitySchema::new(
        3,
        [
            IdentityAttribute::optional_string("realm", "the realm"),
            IdentityAttribute::required_string("name", "the name"),
        ],
    )
}

#[async_trait]
impl Resource for Keyed {
    fn type_name(&self) -> &'static str {
        "toy_keyed"
    }
    fn schema(&self) -> Schema {
        keyed_schema()
    }
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(keyed_identity_schema())
    }
    fn identity(&self, state: &Value, _ctx: &Context) -> Result<Option<Value>, Diagnostics> {
        let Some(id) = state.get("id").as_str() else {
            return Ok(None);
        };
        let (realm, name) = id.split_once('/').expect("realm/name");
        Ok(Some(Value::object([
            ("realm", Value::string(realm)),
            ("name", Value::string(name)),
        ])))
    }
    async fn import_by_identity(
        &self,
        identity: &Value,
        ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        let realm = identity.get("realm").as_str().unwrap_or("home");
        let name = identity.get("name").as_str().unwrap_or("");
        self.import(&format!("{realm}/{name}"), ctx).await
    }
    async fn import(&self, id: &str, _ctx: &Context) -> (Option<Value>, Diagnostics) {
        match id.split_once('/') {
            Some((_, name)) => (
                Some(Value::object([
                    ("id", Value::string(id)),
                    ("name", Value::string(name)),
                ])),
                Diagnostics::new(),
            ),
            None => (
                None,
                Diagnostic::error("Invalid import id", "realm/name").into(),
            ),
        }
    }
    async fn create(
        &self,
        planned: &Value,
        _config: &Value,
        _ctx: &Context,
    ) -> (Option<Value>, Diagnostics) {
        let id = format!("home/{}", planned.get("name").as_str().unwrap_or(""));
        (
            Some(planned.clone().with_attr("id", Value::string(id))),
            Diagnostics::new(),
        )
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

/// A resource without identity.
struct Plain;

#[async_trait]
impl Resource for Plain {
    fn type_name(&self) -> &'static str {
        "toy_plain"
    }
    fn schema(&self) -> Schema {
        keyed_schema()
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

/// `repeat(text, times)`: `text` `times` times; `times` must be 0 to 3.
struct Repeat;

impl Function for Repeat {
    fn name(&self) -> &'static str {
        "repeat"
    }
    fn signature(&self) -> Signature {
        Signature {
            parameters: vec![
                Parameter::new("text", Type::String, "what to repeat"),
                Parameter::new("times", Type::Number, "how often"),
            ],
            returns: Type::list(Type::String),
            summary: "Repeats a text".into(),
            description: "A list of `times` copies of `text`.".into(),
        }
    }
    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let text = string_argument(arguments, 0, "text")?;
        let times = arguments[1]
            .as_i64()
            .filter(|t| (0..=3).contains(t))
            .ok_or_else(|| FunctionError::argument(1, "times: 0 to 3"))?;
        Ok(Value::list((0..times).map(|_| Value::string(text))))
    }
}

struct ToyProvider;

#[async_trait]
impl Provider for ToyProvider {
    fn type_name(&self) -> &'static str {
        "toy"
    }
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Keyed), Arc::new(Plain)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![]
    }
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(Repeat)]
    }
    async fn configure(
        &self,
        _config: &Value,
        _ctx: &Context,
    ) -> (Option<ProviderData>, Diagnostics) {
        (None, Diagnostics::new())
    }
}

fn service() -> ProviderService {
    ProviderService::new(Arc::new(ToyProvider), CancellationToken::new())
}

fn encode(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: tfplugin::values::msgpack::encode_msgpack(value, ty).unwrap(),
        json: Vec::new(),
    })
}

fn state_dv(value: &Value) -> Option<pb::DynamicValue> {
    encode(value, &keyed_schema().value_type())
}

fn identity_type() -> Type {
    keyed_identity_schema().value_type()
}

fn identity(data: Option<&pb::ResourceIdentityData>) -> Value {
    decode_value(
        data.and_then(|d| d.identity_data.as_ref()),
        &identity_type(),
        "identity",
    )
    .unwrap()
}

fn keyed(id: Option<&str>, name: &str) -> Value {
    Value::object([
        ("id", id.map_or(Value::Unknown, Value::string)),
        ("name", Value::string(name)),
    ])
}

async fn call(
    service: &ProviderService,
    name: &str,
    arguments: &[(Value, Type)],
) -> pb::call_function::Response {
    service
        .call_function(Request::new(pb::call_function::Request {
            name: name.into(),
            arguments: arguments
                .iter()
                .map(|(v, t)| encode(v, t).unwrap())
                .collect(),
        }))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn the_schema_declares_functions_and_identities() {
    let service = service();
    let schema = service
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let repeat = &schema.functions["repeat"];
    let names: Vec<_> = repeat.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["text", "times"]);
    assert_eq!(repeat.parameters[1].r#type, br#""number""#);
    assert!(!repeat.parameters[0].allow_null_value && !repeat.parameters[0].allow_unknown_values);
    assert_eq!(
        repeat.r#return.as_ref().unwrap().r#type,
        br#"["list","string"]"#
    );
    assert_eq!(repeat.summary, "Repeats a text");
    assert!(schema.list_resource_schemas.is_empty() && schema.action_schemas.is_empty());

    let functions = service
        .get_functions(Request::new(pb::get_functions::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(functions.functions, schema.functions);

    let metadata = service
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(metadata.functions[0].name, "repeat");

    let identities = service
        .get_resource_identity_schemas(Request::new(pb::get_resource_identity_schemas::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        identities.identity_schemas.keys().collect::<Vec<_>>(),
        ["toy_keyed"],
        "only the resource with an identity"
    );
    let keyed = &identities.identity_schemas["toy_keyed"];
    assert_eq!(keyed.version, 3);
    let flags: Vec<_> = keyed
        .identity_attributes
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.required_for_import,
                a.optional_for_import,
            )
        })
        .collect();
    assert_eq!(flags, [("realm", false, true), ("name", true, false)]);
    assert_eq!(identity_schema_type(keyed).unwrap(), identity_type());
}

#[tokio::test]
async fn functions_return_results_and_errors_naming_the_argument() {
    let service = service();
    let ok = call(
        &service,
        "repeat",
        &[
            (Value::string("ab"), Type::String),
            (Value::int(2), Type::Number),
        ],
    )
    .await;
    assert!(ok.error.is_none(), "{:?}", ok.error);
    let result = decode_value(ok.result.as_ref(), &Type::list(Type::String), "result").unwrap();
    assert_eq!(
        result,
        Value::list([Value::string("ab"), Value::string("ab")])
    );

    let bad = call(
        &service,
        "repeat",
        &[
            (Value::string("ab"), Type::String),
            (Value::int(9), Type::Number),
        ],
    )
    .await;
    let error = bad.error.expect("an error");
    assert_eq!(error.function_argument, Some(1));
    assert_eq!(error.text, "times: 0 to 3");
    assert!(bad.result.is_none());

    let few = call(&service, "repeat", &[(Value::string("ab"), Type::String)]).await;
    let error = few.error.expect("an error");
    assert_eq!(error.function_argument, None);
    assert!(
        error.text.contains("takes 2 arguments, and 1 were given"),
        "{}",
        error.text
    );

    let unknown = call(&service, "nope", &[]).await;
    assert!(
        unknown
            .error
            .unwrap()
            .text
            .contains("no function \"nope\"; it has: repeat")
    );
}

#[tokio::test]
async fn read_plan_apply_and_import_return_the_identity() {
    let service = service();
    let state = keyed(Some("home/alice"), "alice");
    let expected = Value::object([
        ("realm", Value::string("home")),
        ("name", Value::string("alice")),
    ]);

    let read = service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "toy_keyed".into(),
            current_state: state_dv(&state),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(identity(read.new_identity.as_ref()), expected);

    // A create plan does not know the id yet: no identity, which Terraform accepts.
    let config = keyed(None, "bob").with_attr("id", Value::Null);
    let create = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "toy_keyed".into(),
            prior_state: state_dv(&Value::Null),
            proposed_new_state: state_dv(&config),
            config: state_dv(&config),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(create.diagnostics.is_empty(), "{:?}", create.diagnostics);
    assert!(create.planned_identity.is_none());

    let applied = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "toy_keyed".into(),
            prior_state: state_dv(&Value::Null),
            planned_state: create.planned_state.clone(),
            config: state_dv(&config),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        identity(applied.new_identity.as_ref()),
        Value::object([
            ("realm", Value::string("home")),
            ("name", Value::string("bob"))
        ])
    );

    // An update plan keeps the id: its identity is known.
    let config = keyed(None, "alice").with_attr("id", Value::Null);
    let update = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "toy_keyed".into(),
            prior_state: state_dv(&state),
            proposed_new_state: state_dv(&state),
            config: state_dv(&config),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(identity(update.planned_identity.as_ref()), expected);

    let by_id = service
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "toy_keyed".into(),
            id: "home/alice".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        identity(by_id.imported_resources[0].identity.as_ref()),
        expected
    );
}

#[tokio::test]
async fn import_by_identity_reaches_the_resource() {
    let service = service();
    let import = |type_name: &str, identity: Value| {
        let request = pb::import_resource_state::Request {
            type_name: type_name.into(),
            identity: Some(pb::ResourceIdentityData {
                identity_data: encode(&identity, &identity_type()),
            }),
            ..Default::default()
        };
        let service = &service;
        async move {
            service
                .import_resource_state(Request::new(request))
                .await
                .unwrap()
                .into_inner()
        }
    };
    // The optional attribute left out: the resource supplies it.
    let imported = import(
        "toy_keyed",
        Value::object([("realm", Value::Null), ("name", Value::string("carol"))]),
    )
    .await;
    assert!(
        imported.diagnostics.is_empty(),
        "{:?}",
        imported.diagnostics
    );
    let first = &imported.imported_resources[0];
    let state = decode_value(first.state.as_ref(), &keyed_schema().value_type(), "state").unwrap();
    assert_eq!(state, keyed(Some("home/carol"), "carol"));
    assert_eq!(
        identity(first.identity.as_ref()),
        Value::object([
            ("realm", Value::string("home")),
            ("name", Value::string("carol"))
        ])
    );

    let plain = import(
        "toy_plain",
        Value::object([("realm", Value::Null), ("name", Value::string("carol"))]),
    )
    .await;
    let diags = diagnostics_from_proto(plain.diagnostics);
    let error = diags.iter().next().unwrap();
    assert_eq!(error.summary, "Import by identity not supported");
    assert!(error.detail.contains("toy_plain has no resource identity"));
    assert!(plain.imported_resources.is_empty());
}

#[tokio::test]
async fn identities_of_the_current_version_are_read_and_others_refused() {
    let service = service();
    let upgrade = |version: i64| {
        let service = &service;
        async move {
            service
                .upgrade_resource_identity(Request::new(pb::upgrade_resource_identity::Request {
                    type_name: "toy_keyed".into(),
                    version,
                    raw_identity: Some(pb::RawState {
                        json: br#"{"realm":"home","name":"dave"}"#.to_vec(),
                        flatmap: Default::default(),
                    }),
                }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let current = upgrade(3).await;
    assert!(current.diagnostics.is_empty());
    assert_eq!(
        identity(current.upgraded_identity.as_ref()),
        Value::object([
            ("realm", Value::string("home")),
            ("name", Value::string("dave"))
        ])
    );
    let older = upgrade(2).await;
    assert!(older.upgraded_identity.is_none());
    let diags = diagnostics_from_proto(older.diagnostics);
    assert!(
        diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("identity schema version 2"),
        "{diags:?}"
    );
}

#[tokio::test]
async fn a_provider_without_list_resources_names_the_unknown_type() {
    // Actions and list resources are both served (tests/actions.rs, tests/list_resources.rs):
    // a type the provider does not have gets a diagnostic naming it, not UNIMPLEMENTED.
    let service = service();
    let response = service
        .validate_list_resource_config(Request::new(pb::validate_list_resource_config::Request {
            type_name: "toy_keyed".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let diags = diagnostics_from_proto(response.diagnostics);
    assert!(
        diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("no list resource type \"toy_keyed\"; it has: none"),
        "{diags:?}"
    );
}
