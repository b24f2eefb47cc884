//! The `tfplugin6.Provider` gRPC service over a [`Provider`]: values in and out, schema
//! validation, the generic plan, private state, cancellation, and a panic in one call turned into
//! an error diagnostic instead of a dead plugin.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, RwLock};

use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::framework::action::{Action, ProgressReporter};
use crate::framework::diagnostics::{Diagnostic, Diagnostics, Severity};

use crate::framework::function::{Function, FunctionError};
use crate::framework::identity::IdentitySchema;
use crate::framework::provider::{
    ClientCapabilities, Context, DataSource, Provider, ProviderData, Resource,
};
use crate::framework::schema::{AttrType, Attribute, Block, BlockNesting, ObjectNesting, Schema};
use crate::values::path::{AttributePath, PathStep};
use crate::values::types::Type;
use crate::values::value::Value;
use crate::wire::proto::tfplugin6 as pb;

mod list;
/// A server-streaming response, as tonic's generated service names it.
type BoxStream<T> =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A resource or data source type with its schema, computed once.
struct Typed<T: ?Sized> {
    implementation: Arc<T>,
    schema: Schema,
    value_type: Type,
    /// A resource's identity schema and its value type.
    identity: Option<(IdentitySchema, Type)>,
}

impl<T: ?Sized> Typed<T> {
    fn new(implementation: Arc<T>, schema: Schema) -> Typed<T> {
        let value_type = schema.value_type();
        Typed {
            implementation,
            schema,
            value_type,
            identity: None,
        }
    }

    fn with_identity(mut self, identity: Option<IdentitySchema>) -> Typed<T> {
        self.identity = identity.map(|schema| {
            let ty = schema.value_type();
            (schema, ty)
        });
        self
    }
}

impl Typed<dyn Resource> {
    /// The identity of the object `state` describes, for a response: `None` for a type without
    /// identity, a null state, or an identity not wholly known yet (Terraform checks only an
    /// identity that is present: a create plan may leave it out). An identity that cannot be
    /// encoded is a provider bug.
    fn identity_data(
        &self,
        state: &Value,
        ctx: &Context,
        diags: &mut Diagnostics,
    ) -> Option<pb::ResourceIdentityData> {
        let (_, ty) = self.identity.as_ref()?;
        if state.is_null() {
            return None;
        }
        match self.implementation.identity(state, ctx) {
            Ok(Some(identity)) if identity.is_fully_known() => {
                match encode_value(&identity, ty, "resource identity") {
                    Ok(encoded) => Some(pb::ResourceIdentityData {
                        identity_data: Some(encoded),
                    }),
                    Err(e) => {
                        diags.extend(e);
                        None
                    }
                }
            }
            Ok(_) => None,
            Err(e) => {
                diags.extend(e);
                None
            }
        }
    }
}

/// A provider function with its signature, computed once.
struct TypedFunction {
    implementation: Arc<dyn Function>,
    parameter_types: Vec<Type>,
    return_type: Type,
}

/// The provider protocol service.
pub struct ProviderService {
    provider: Arc<dyn Provider>,
    provider_schema: Schema,
    provider_type: Type,
    resources: HashMap<String, Typed<dyn Resource>>,
    data_sources: HashMap<String, Typed<dyn DataSource>>,
    actions: HashMap<String, Typed<dyn Action>>,
    functions: HashMap<String, TypedFunction>,
    /// List resources (`terraform query`), see [`list`].
    list_resources: HashMap<String, list::TypedList>,
    schema_response: pb::get_provider_schema::Response,
    provider_data: RwLock<Option<ProviderData>>,
    /// Cancelled by `StopProvider` and on shutdown; every call's context gets a child.
    stop: CancellationToken,
}

impl ProviderService {
    /// Builds the service; `stop` cancels every in-flight call.
    pub fn new(provider: Arc<dyn Provider>, stop: CancellationToken) -> ProviderService {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources: HashMap<_, _> = provider
            .resources()
            .into_iter()
            .map(|r| {
                let schema = r.schema();
                let identity = r.identity_schema();
                (
                    r.type_name().to_string(),
                    Typed::new(r, schema).with_identity(identity),
                )
            })
            .collect();
        let data_sources: HashMap<_, _> = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let schema = d.schema();
                (d.type_name().to_string(), Typed::new(d, schema))
            })
            .collect();
        let actions: HashMap<_, _> = provider
            .actions()
            .into_iter()
            .map(|a| {
                let schema = a.schema();
                (a.type_name().to_string(), Typed::new(a, schema))
            })
            .collect();
        let mut functions = HashMap::new();
        let mut function_definitions = HashMap::new();
        for function in provider.functions() {
            let signature = function.signature();
            let name = function.name().to_string();
            function_definitions.insert(name.clone(), function_to_proto(&signature));
            functions.insert(
                name,
                TypedFunction {
                    implementation: function,
                    parameter_types: signature.parameters.iter().map(|p| p.ty.clone()).collect(),
                    return_type: signature.returns,
                },
            );
        }
        let (list_resources, list_resource_schemas, list_errors) =
            list::typed_lists(provider.list_resources(), &resources);
        let schema_response = pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(&provider_schema)),
            resource_schemas: resources
                .iter()
                .map(|(name, r)| (name.clone(), schema_to_proto(&r.schema)))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(name, d)| (name.clone(), schema_to_proto(&d.schema)))
                .collect(),
            functions: function_definitions,
            list_resource_schemas,
            action_schemas: actions
                .iter()
                .map(|(name, a)| {
                    (
                        name.clone(),
                        pb::ActionSchema {
                            schema: Some(schema_to_proto(&a.schema)),
                        },
                    )
                })
                .collect(),
            diagnostics: list_errors,
            provider_meta: None,
            server_capabilities: Some(server_capabilities()),
        };
        ProviderService {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            actions,
            functions,
            list_resources,
            schema_response,
            provider_data: RwLock::new(None),
            stop,
        }
    }

    fn context(&self, type_name: &str) -> Context {
        let data = self
            .provider_data
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        Context::new(type_name, self.stop.child_token()).with_provider_data(data)
    }

    fn resource(&self, type_name: &str) -> Result<&Typed<dyn Resource>, Diagnostics> {
        self.resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!(
                    "This provider has no resource type {type_name:?}; it has: {}.",
                    sorted_names(self.resources.keys())
                ),
            )
            .into()
        })
    }

    fn action(&self, type_name: &str) -> Result<&Typed<dyn Action>, Diagnostics> {
        self.actions.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown action type",
                format!(
                    "This provider has no action type {type_name:?}; it has: {}.",
                    sorted_names(self.actions.keys())
                ),
            )
            .into()
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&Typed<dyn DataSource>, Diagnostics> {
        self.data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source type",
                format!(
                    "This provider has no data source type {type_name:?}; it has: {}.",
                    sorted_names(self.data_sources.keys())
                ),
            )
            .into()
        })
    }
}

fn sorted_names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let mut names: Vec<_> = names.map(String::as_str).collect();
    names.sort_unstable();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

// ---------------------------------------------------------------------------------------------
// Conversions

/// The protocol form of a schema; descriptions are markdown.
pub fn schema_to_proto(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block_to_proto(&schema.block, schema.version)),
    }
}

fn block_to_proto(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute_to_proto).collect(),
        block_types: block
            .blocks
            .iter()
            .map(|nested| pb::schema::NestedBlock {
                type_name: nested.type_name.clone(),
                block: Some(block_to_proto(&nested.block, 0)),
                nesting: match nested.nesting {
                    BlockNesting::Single => pb::schema::nested_block::NestingMode::Single,
                    BlockNesting::List => pb::schema::nested_block::NestingMode::List,
                    BlockNesting::Set => pb::schema::nested_block::NestingMode::Set,
                    BlockNesting::Map => pb::schema::nested_block::NestingMode::Map,
                    BlockNesting::Group => pb::schema::nested_block::NestingMode::Group,
                } as i32,
                min_items: nested.min_items,
                max_items: nested.max_items,
            })
            .collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: block.deprecated.is_some(),
    }
}

fn attribute_to_proto(attribute: &Attribute) -> pb::schema::Attribute {
    let (ty, nested_type) = match &attribute.kind {
        AttrType::Simple(ty) => (ty.to_json_bytes(), None),
        AttrType::Nested(nested) => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: nested.attributes.iter().map(attribute_to_proto).collect(),
                nesting: match nested.nesting {
                    ObjectNesting::Single => pb::schema::object::NestingMode::Single,
                    ObjectNesting::List => pb::schema::object::NestingMode::List,
                    ObjectNesting::Set => pb::schema::object::NestingMode::Set,
                    ObjectNesting::Map => pb::schema::object::NestingMode::Map,
                } as i32,
            }),
        ),
    };
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: ty,
        nested_type,
        description: attribute.description.clone(),
        required: attribute.required,
        optional: attribute.optional,
        computed: attribute.computed,
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: attribute.deprecated.is_some(),
        write_only: false,
    }
}

/// The protocol form of an identity schema.
pub fn identity_schema_to_proto(schema: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: schema.version,
        identity_attributes: schema
            .attributes
            .iter()
            .map(
                |attribute| pb::resource_identity_schema::IdentityAttribute {
                    name: attribute.name.clone(),
                    r#type: attribute.ty.to_json_bytes(),
                    required_for_import: attribute.required_for_import,
                    optional_for_import: !attribute.required_for_import,
                    description: attribute.description.clone(),
                },
            )
            .collect(),
    }
}

/// The protocol form of a function's signature; descriptions are markdown.
pub fn function_to_proto(signature: &crate::framework::function::Signature) -> pb::Function {
    pb::Function {
        parameters: signature
            .parameters
            .iter()
            .map(|parameter| pb::function::Parameter {
                name: parameter.name.clone(),
                r#type: parameter.ty.to_json_bytes(),
                allow_null_value: false,
                allow_unknown_values: false,
                description: parameter.description.clone(),
                description_kind: pb::StringKind::Markdown as i32,
            })
            .collect(),
        variadic_parameter: None,
        r#return: Some(pb::function::Return {
            r#type: signature.returns.to_json_bytes(),
        }),
        summary: signature.summary.clone(),
        description: signature.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

fn function_error_to_proto(error: FunctionError) -> pb::FunctionError {
    pb::FunctionError {
        text: error.text,
        function_argument: error.argument.map(|index| index as i64),
    }
}

/// The protocol form of an attribute path.
pub fn path_to_proto(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::ElementKeyInt(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect(),
    }
}

/// Our attribute path from the protocol's (for the test harness).
pub fn path_from_proto(path: &pb::AttributePath) -> AttributePath {
    use pb::attribute_path::step::Selector;
    AttributePath::from_steps(
        path.steps
            .iter()
            .filter_map(|step| match step.selector.as_ref()? {
                Selector::AttributeName(name) => Some(PathStep::Attribute(name.clone())),
                Selector::ElementKeyString(key) => Some(PathStep::ElementKeyString(key.clone())),
                Selector::ElementKeyInt(index) => Some(PathStep::ElementKeyInt(*index)),
            })
            .collect(),
    )
}

/// The protocol form of diagnostics.
pub fn diagnostics_to_proto(diagnostics: Diagnostics) -> Vec<pb::Diagnostic> {
    diagnostics
        .into_iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary,
            detail: d.detail,
            attribute: d
                .attribute
                .filter(|p| !p.is_root())
                .map(|p| path_to_proto(&p)),
        })
        .collect()
}

/// Decodes a value Terraform sent: msgpack when present, else JSON, else null.
pub fn decode_value(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostics> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        crate::values::msgpack::decode_msgpack(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        crate::values::json::decode_json(&value.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|e| {
        Diagnostic::error(
            format!("Unreadable {what}"),
            format!("Terraform sent a {what} that does not match the schema: {e}"),
        )
        .into()
    })
}

/// Encodes a value as msgpack, the encoding Terraform reads in every response.
pub fn encode_value(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostics> {
    crate::values::msgpack::encode_msgpack(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostic::error(
                "Provider produced an invalid value",
                format!(
                    "The provider's {what} does not match its schema: {e}. This is a bug in the \
                     provider."
                ),
            )
            .into()
        })
}

fn capabilities(caps: Option<&pb::ClientCapabilities>) -> ClientCapabilities {
    caps.map(|c| ClientCapabilities {
        deferral_allowed: c.deferral_allowed,
        write_only_attributes_allowed: c.write_only_attributes_allowed,
    })
    .unwrap_or_default()
}

/// An identity as `{name = "value", ...}`, for messages and log lines.
fn identity_text(identity: &Value) -> String {
    match identity {
        Value::Object(attributes) => format!(
            "{{{}}}",
            attributes
                .iter()
                .map(|(name, value)| match value.as_str() {
                    Some(text) => format!("{name} = {text:?}"),
                    None => format!("{name} = {}", value.kind()),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.kind().to_string(),
    }
}

/// The `id` attribute of a state, for log lines.
fn instance_id(value: &Value) -> String {
    match value {
        Value::Object(attributes) => attributes
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    }
}

fn require_known(value: &Value, type_name: &str, what: &str, diags: &mut Diagnostics) {
    if !value.is_fully_known() {
        diags.error(
            "Provider returned unknown values",
            format!(
                "{type_name} returned a {what} with unknown values. This is a bug in the provider."
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Panic capture

/// Runs one call; a panic becomes an error diagnostic in an otherwise empty response.
async fn guarded<R: Default>(
    rpc: &'static str,
    call: impl Future<Output = R>,
    set_diagnostics: impl FnOnce(&mut R, Vec<pb::Diagnostic>),
) -> Result<Response<R>, Status> {
    match AssertUnwindSafe(call).catch_unwind().await {
        Ok(response) => Ok(Response::new(response)),
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(rpc, panic = %message, "provider panicked");
            let mut response = R::default();
            set_diagnostics(
                &mut response,
                diagnostics_to_proto(
                    Diagnostic::error(
                        "The provider crashed",
                        format!(
                            "{rpc} panicked: {message}. This is a bug in the provider; please \
                             report it with the log (TF_LOG=trace)."
                        ),
                    )
                    .into(),
                ),
            );
            Ok(Response::new(response))
        }
    }
}

/// What a panic said.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

macro_rules! rpc_span {
    ($rpc:expr, $type_name:expr) => {
        tracing::info_span!(
            "rpc",
            rpc = $rpc,
            tf_resource_type = $type_name,
            tf_resource_id = tracing::field::Empty
        )
    };
}

// ---------------------------------------------------------------------------------------------
// The service

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let mut resources: Vec<_> = self.resources.keys().cloned().collect();
        resources.sort();
        let mut data_sources: Vec<_> = self.data_sources.keys().cloned().collect();
        data_sources.sort();
        let mut functions: Vec<_> = self.functions.keys().cloned().collect();
        functions.sort();
        let mut actions: Vec<_> = self.actions.keys().cloned().collect();
        actions.sort();
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            diagnostics: Vec::new(),
            data_sources: data_sources
                .into_iter()
                .map(|type_name| pb::get_metadata::DataSourceMetadata { type_name })
                .collect(),
            resources: resources
                .into_iter()
                .map(|type_name| pb::get_metadata::ResourceMetadata { type_name })
                .collect(),
            functions: functions
                .into_iter()
                .map(|name| pb::get_metadata::FunctionMetadata { name })
                .collect(),
            list_resources: self
                .list_resource_names()
                .into_iter()
                .map(|type_name| pb::get_metadata::ListResourceMetadata { type_name })
                .collect(),
            actions: actions
                .into_iter()
                .map(|type_name| pb::get_metadata::ActionMetadata { type_name })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        tracing::debug!(rpc = "GetProviderSchema", "serving the schema");
        Ok(Response::new(self.schema_response.clone()))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        // Terraform 1.12+ asks on every schema load.
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .resources
                .iter()
                .filter_map(|(name, r)| {
                    let (schema, _) = r.identity.as_ref()?;
                    Some((name.clone(), identity_schema_to_proto(schema)))
                })
                .collect(),
            diagnostics: Vec::new(),
        }))
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("UpgradeResourceIdentity", request.type_name.as_str());
        let call = async {
            let result = async {
                let resource = self.resource(&request.type_name)?;
                let Some((_, ty)) = &resource.identity else {
                    return Err(Diagnostic::error(
                        "No resource identity",
                        format!("{} has no resource identity.", request.type_name),
                    )
                    .into());
                };
                let raw = request.raw_identity.unwrap_or_default();
                let json: serde_json::Value = serde_json::from_slice(&raw.json).map_err(|e| {
                    Diagnostic::error(
                        "Unreadable identity",
                        format!("The stored identity is not JSON: {e}"),
                    )
                })?;
                let ctx = self.context(&request.type_name);
                let upgraded = resource
                    .implementation
                    .upgrade_identity(request.version, &json, &ctx)
                    .await?;
                let mut diags = Diagnostics::new();
                require_known(
                    &upgraded,
                    &request.type_name,
                    "upgraded identity",
                    &mut diags,
                );
                if diags.has_errors() {
                    return Err(diags);
                }
                encode_value(&upgraded, ty, "upgraded identity")
            }
            .await;
            match result {
                Ok(identity) => pb::upgrade_resource_identity::Response {
                    upgraded_identity: Some(pb::ResourceIdentityData {
                        identity_data: Some(identity),
                    }),
                    diagnostics: Vec::new(),
                },
                Err(diags) => pb::upgrade_resource_identity::Response {
                    upgraded_identity: None,
                    diagnostics: diagnostics_to_proto(diags),
                },
            }
        };
        guarded("UpgradeResourceIdentity", call.instrument(span), |r, d| {
            r.diagnostics = d
        })
        .await
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response {
            functions: self.schema_response.functions.clone(),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!("rpc", rpc = "CallFunction", tf_function = %request.name);
        let call = async {
            let result = (|| {
                let function = self.functions.get(&request.name).ok_or_else(|| {
                    FunctionError::call(format!(
                        "This provider has no function {:?}; it has: {}.",
                        request.name,
                        sorted_names(self.functions.keys())
                    ))
                })?;
                if request.arguments.len() != function.parameter_types.len() {
                    return Err(FunctionError::call(format!(
                        "{} takes {} arguments, and {} were given.",
                        request.name,
                        function.parameter_types.len(),
                        request.arguments.len()
                    )));
                }
                let arguments = request
                    .arguments
                    .iter()
                    .zip(&function.parameter_types)
                    .enumerate()
                    .map(|(index, (argument, ty))| {
                        decode_value(Some(argument), ty, "function argument").map_err(|d| {
                            FunctionError::argument(
                                index,
                                d.iter()
                                    .map(ToString::to_string)
                                    .collect::<Vec<_>>()
                                    .join("; "),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let value = function.implementation.call(&arguments)?;
                encode_value(&value, &function.return_type, "function result").map_err(|d| {
                    FunctionError::call(
                        d.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                })
            })();
            match result {
                Ok(value) => pb::call_function::Response {
                    result: Some(value),
                    error: None,
                },
                Err(error) => pb::call_function::Response {
                    result: None,
                    error: Some(function_error_to_proto(error)),
                },
            }
        };
        guarded("CallFunction", call.instrument(span), |r, d| {
            r.error = Some(pb::FunctionError {
                text: d
                    .into_iter()
                    .map(|d| format!("{}: {}", d.summary, d.detail))
                    .collect::<Vec<_>>()
                    .join("; "),
                function_argument: None,
            })
        })
        .await
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("ValidateListResourceConfig", request.type_name.as_str());
        guarded(
            "ValidateListResourceConfig",
            self.validate_list_config(request).instrument(span),
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<tonic::codegen::BoxStream<pb::list_resource::Event>>, Status> {
        Ok(Response::new(self.list_events(request.into_inner())))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let call = async {
            let diags = match decode_value(
                request.config.as_ref(),
                &self.provider_type,
                "provider configuration",
            ) {
                Ok(config) => {
                    let mut diags =
                        crate::framework::schema::validate_config(&self.provider_schema, &config);
                    diags.extend(self.provider.validate_config(&config).await);
                    diags
                }
                Err(diags) => diags,
            };
            pb::validate_provider_config::Response {
                diagnostics: diagnostics_to_proto(diags),
            }
        };
        guarded(
            "ValidateProviderConfig",
            call.instrument(rpc_span!("ValidateProviderConfig", "provider")),
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("ValidateResourceConfig", request.type_name.as_str());
        let call = async {
            let diags = async {
                let resource = self.resource(&request.type_name)?;
                let config = decode_value(
                    request.config.as_ref(),
                    &resource.value_type,
                    "resource configuration",
                )?;
                let ctx = self
                    .context(&request.type_name)
                    .with_client_capabilities(capabilities(request.client_capabilities.as_ref()));
                let mut diags =
                    crate::framework::schema::validate_config(&resource.schema, &config);
                diags.extend(resource.implementation.validate(&config, &ctx).await);
                Ok::<_, Diagnostics>(diags)
            }
            .await
            .unwrap_or_else(|d| d);
            pb::validate_resource_config::Response {
                diagnostics: diagnostics_to_proto(diags),
            }
        };
        guarded("ValidateResourceConfig", call.instrument(span), |r, d| {
            r.diagnostics = d
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("ValidateDataResourceConfig", request.type_name.as_str());
        let call = async {
            let diags = async {
                let data_source = self.data_source(&request.type_name)?;
                let config = decode_value(
                    request.config.as_ref(),
                    &data_source.value_type,
                    "data source configuration",
                )?;
                let ctx = self.context(&request.type_name);
                let mut diags =
                    crate::framework::schema::validate_config(&data_source.schema, &config);
                diags.extend(data_source.implementation.validate(&config, &ctx).await);
                Ok::<_, Diagnostics>(diags)
            }
            .await
            .unwrap_or_else(|d| d);
            pb::validate_data_resource_config::Response {
                diagnostics: diagnostics_to_proto(diags),
            }
        };
        guarded(
            "ValidateDataResourceConfig",
            call.instrument(span),
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("UpgradeResourceState", request.type_name.as_str());
        let call = async {
            let result = async {
                let resource = self.resource(&request.type_name)?;
                let raw = request.raw_state.unwrap_or_default();
                if raw.json.is_empty() {
                    if raw.flatmap.is_empty() {
                        return Ok(None);
                    }
                    return Err(Diagnostic::error(
                        "Unsupported state format",
                        format!(
                            "The state of this {} is in the legacy flatmap format, which this \
                             provider never wrote.",
                            request.type_name
                        ),
                    )
                    .into());
                }
                let json: serde_json::Value = serde_json::from_slice(&raw.json).map_err(|e| {
                    Diagnostic::error(
                        "Unreadable state",
                        format!("The stored state is not JSON: {e}"),
                    )
                })?;
                let ctx = self.context(&request.type_name);
                let upgraded = resource
                    .implementation
                    .upgrade_state(request.version, &json, &ctx)
                    .await?;
                let mut diags = Diagnostics::new();
                require_known(&upgraded, &request.type_name, "upgraded state", &mut diags);
                if diags.has_errors() {
                    return Err(diags);
                }
                Ok(Some(encode_value(
                    &upgraded,
                    &resource.value_type,
                    "upgraded state",
                )?))
            }
            .await;
            match result {
                Ok(upgraded_state) => pb::upgrade_resource_state::Response {
                    upgraded_state,
                    diagnostics: Vec::new(),
                },
                Err(diags) => pb::upgrade_resource_state::Response {
                    upgraded_state: None,
                    diagnostics: diagnostics_to_proto(diags),
                },
            }
        };
        guarded("UpgradeResourceState", call.instrument(span), |r, d| {
            r.diagnostics = d
        })
        .await
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let call = async {
            let diags = async {
                let config = decode_value(
                    request.config.as_ref(),
                    &self.provider_type,
                    "provider configuration",
                )?;
                let ctx = self
                    .context("provider")
                    .with_terraform_version(request.terraform_version.clone())
                    .with_client_capabilities(capabilities(request.client_capabilities.as_ref()));
                tracing::info!(terraform_version = %request.terraform_version, "configuring the provider");
                let (data, diags) = self.provider.configure(&config, &ctx).await;
                if data.is_some() {
                    *self
                        .provider_data
                        .write()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()) = data;
                }
                Ok::<_, Diagnostics>(diags)
            }
            .await
            .unwrap_or_else(|d| d);
            pb::configure_provider::Response {
                diagnostics: diagnostics_to_proto(diags),
            }
        };
        guarded(
            "ConfigureProvider",
            call.instrument(rpc_span!("ConfigureProvider", "provider")),
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("ReadResource", request.type_name.as_str());
        let private_in = request.private.clone();
        let call = async {
            let result = async {
                let resource = self.resource(&request.type_name)?;
                let state = decode_value(
                    request.current_state.as_ref(),
                    &resource.value_type,
                    "state",
                )?;
                tracing::Span::current().record("tf_resource_id", instance_id(&state));
                let ctx = self
                    .context(&request.type_name)
                    .with_private(request.private.clone())
                    .with_client_capabilities(capabilities(request.client_capabilities.as_ref()));
                let (new_state, mut diags) = resource.implementation.read(&state, &ctx).await;
                let new_state = new_state.unwrap_or(Value::Null);
                require_known(&new_state, &request.type_name, "state", &mut diags);
                let new_identity = resource.identity_data(&new_state, &ctx, &mut diags);
                let encoded = match encode_value(&new_state, &resource.value_type, "state") {
                    Ok(encoded) => Some(encoded),
                    Err(e) => {
                        diags.extend(e);
                        // Keep the prior state rather than telling Terraform it is gone.
                        request.current_state.clone()
                    }
                };
                Ok::<_, Diagnostics>(pb::read_resource::Response {
                    new_state: encoded,
                    diagnostics: diagnostics_to_proto(diags),
                    private: ctx.private_out(),
                    deferred: None,
                    new_identity,
                })
            }
            .await;
            result.unwrap_or_else(|diags| pb::read_resource::Response {
                new_state: request.current_state.clone(),
                diagnostics: diagnostics_to_proto(diags),
                private: private_in,
                deferred: None,
                new_identity: request.current_identity.clone(),
            })
        };
        guarded("ReadResource", call.instrument(span), |r, d| {
            r.diagnostics = d
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("PlanResourceChange", request.type_name.as_str());
        let call = async {
            let result = async {
                let resource = self.resource(&request.type_name)?;
                let ty = &resource.value_type;
                let prior = decode_value(request.prior_state.as_ref(), ty, "prior state")?;
                let proposed =
                    decode_value(request.proposed_new_state.as_ref(), ty, "proposed state")?;
                let config = decode_value(request.config.as_ref(), ty, "configuration")?;
                tracing::Span::current().record("tf_resource_id", instance_id(&prior));
                let mut plan = crate::framework::plan::plan_resource_change(
                    &resource.schema,
                    &prior,
                    &proposed,
                    &config,
                );
                let ctx = self
                    .context(&request.type_name)
                    .with_private(request.prior_private.clone())
                    .with_client_capabilities(capabilities(request.client_capabilities.as_ref()));
                let mut diags = Diagnostics::new();
                if !plan.is_destroy() {
                    diags = resource
                        .implementation
                        .modify_plan(&prior, &config, &mut plan, &ctx)
                        .await;
                }
                let planned_identity =
                    resource.identity_data(&plan.planned_state, &ctx, &mut diags);
                let planned_state = encode_value(&plan.planned_state, ty, "planned state")?;
                Ok::<_, Diagnostics>(pb::plan_resource_change::Response {
                    planned_state: Some(planned_state),
                    requires_replace: plan.requires_replace.iter().map(path_to_proto).collect(),
                    planned_private: ctx.private_out(),
                    diagnostics: diagnostics_to_proto(diags),
                    legacy_type_system: false,
                    deferred: None,
                    planned_identity,
                })
            }
            .await;
            result.unwrap_or_else(|diags| pb::plan_resource_change::Response {
                diagnostics: diagnostics_to_proto(diags),
                ..Default::default()
            })
        };
        guarded("PlanResourceChange", call.instrument(span), |r, d| {
            r.diagnostics = d
        })
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("ApplyResourceChange", request.type_name.as_str());
        let call = async {
            let result = async {
                let resource = self.resource(&request.type_name)?;
                let ty = &resource.value_type;
                let prior = decode_value(request.prior_state.as_ref(), ty, "prior state")?;
                let planned = decode_value(request.planned_state.as_ref(), ty, "planned state")?;
                let config = decode_value(request.config.as_ref(), ty, "configuration")?;
                tracing::Span::current().record("tf_resource_id", instance_id(&prior));
                let ctx = self
                    .context(&request.type_name)
                    .with_private(request.planned_private.clone());
                let implementation = &resource.implementation;
                let (new_state, mut diags) = if planned.is_null() {
                    tracing::info!("deleting");
                    let diags = implementation.delete(&prior, &ctx).await;
                    // A failed delete keeps the object in state.
                    let kept = if diags.has_errors() {
                        prior
                    } else {
                        Value::Null
                    };
                    (kept, diags)
                } else if prior.is_null() {
                    tracing::info!("creating");
                    let (state, mut diags) = implementation.create(&planned, &config, &ctx).await;
                    if state.is_none() && !diags.has_errors() {
                        diags.error(
                            "Provider returned no state",
                            format!(
                                "Creating this {} returned neither a state nor an error. This is a \
                                 bug in the provider.",
                                request.type_name
                            ),
                        );
                    }
                    (state.unwrap_or(Value::Null), diags)
                } else {
                    tracing::info!("updating");
                    let (state, diags) =
                        implementation.update(&prior, &planned, &config, &ctx).await;
                    // No new state: the object is as it was.
                    (state.unwrap_or(prior), diags)
                };
                tracing::Span::current().record("tf_resource_id", instance_id(&new_state));
                require_known(&new_state, &request.type_name, "new state", &mut diags);
                let new_identity = resource.identity_data(&new_state, &ctx, &mut diags);
                let encoded = match encode_value(&new_state, ty, "new state") {
                    Ok(encoded) => Some(encoded),
                    Err(e) => {
                        diags.extend(e);
                        request.prior_state.clone()
                    }
                };
                Ok::<_, Diagnostics>(pb::apply_resource_change::Response {
                    new_state: encoded,
                    private: ctx.private_out(),
                    diagnostics: diagnostics_to_proto(diags),
                    legacy_type_system: false,
                    new_identity,
                })
            }
            .await;
            // Nothing could be decoded, so nothing was done: keep what Terraform had.
            result.unwrap_or_else(|diags| pb::apply_resource_change::Response {
                new_state: request.prior_state.clone(),
                private: request.planned_private.clone(),
                diagnostics: diagnostics_to_proto(diags),
                ..Default::default()
            })
        };
        guarded("ApplyResourceChange", call.instrument(span), |r, d| {
            r.diagnostics = d
        })
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("ImportResourceState", request.type_name.as_str());
        let call = async {
            let result = async {
                let resource = self.resource(&request.type_name)?;
                let ctx = self
                    .context(&request.type_name)
                    .with_client_capabilities(capabilities(request.client_capabilities.as_ref()));
                // Terraform 1.12+ sends an identity instead of an id for `import { identity }`.
                let identity = request
                    .identity
                    .as_ref()
                    .and_then(|i| i.identity_data.as_ref());
                let (state, mut diags, what) = match (identity, &resource.identity) {
                    (Some(identity), Some((_, ty))) => {
                        let identity = decode_value(Some(identity), ty, "resource identity")?;
                        let what = format!("the identity {}", identity_text(&identity));
                        tracing::Span::current().record("tf_resource_id", what.as_str());
                        let (state, diags) = resource
                            .implementation
                            .import_by_identity(&identity, &ctx)
                            .await;
                        (state, diags, what)
                    }
                    (Some(_), None) => {
                        return Err(Diagnostic::error(
                            "Import by identity not supported",
                            format!(
                                "{} has no resource identity: import it with an id.",
                                request.type_name
                            ),
                        )
                        .into());
                    }
                    (None, _) => {
                        tracing::Span::current().record("tf_resource_id", request.id.as_str());
                        let (state, diags) =
                            resource.implementation.import(&request.id, &ctx).await;
                        (state, diags, format!("the id {:?}", request.id))
                    }
                };
                let mut imported = Vec::new();
                if let Some(state) = state.filter(|s| !s.is_null()) {
                    let identity = resource.identity_data(&state, &ctx, &mut diags);
                    match encode_value(&state, &resource.value_type, "imported state") {
                        Ok(encoded) => imported.push(pb::import_resource_state::ImportedResource {
                            type_name: request.type_name.clone(),
                            state: Some(encoded),
                            private: ctx.private_out(),
                            identity,
                        }),
                        Err(e) => diags.extend(e),
                    }
                } else if !diags.has_errors() {
                    diags.error(
                        "Nothing to import",
                        format!("No {} was found with {what}.", request.type_name),
                    );
                }
                Ok::<_, Diagnostics>(pb::import_resource_state::Response {
                    imported_resources: imported,
                    diagnostics: diagnostics_to_proto(diags),
                    deferred: None,
                })
            }
            .await;
            result.unwrap_or_else(|diags| pb::import_resource_state::Response {
                diagnostics: diagnostics_to_proto(diags),
                ..Default::default()
            })
        };
        guarded("ImportResourceState", call.instrument(span), |r, d| {
            r.diagnostics = d
        })
        .await
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let request = request.into_inner();
        Ok(Response::new(pb::move_resource_state::Response {
            diagnostics: diagnostics_to_proto(
                Diagnostic::error(
                    "Move not supported",
                    format!(
                        "{} cannot be moved from {} ({}).",
                        request.target_type_name,
                        request.source_type_name,
                        request.source_provider_address
                    ),
                )
                .into(),
            ),
            ..Default::default()
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("ReadDataSource", request.type_name.as_str());
        let call = async {
            let result = async {
                let data_source = self.data_source(&request.type_name)?;
                let ty = &data_source.value_type;
                let config = decode_value(request.config.as_ref(), ty, "configuration")?;
                let ctx = self
                    .context(&request.type_name)
                    .with_client_capabilities(capabilities(request.client_capabilities.as_ref()));
                let (state, mut diags) = data_source.implementation.read(&config, &ctx).await;
                let state = match state {
                    Some(state) if !state.is_null() => {
                        require_known(&state, &request.type_name, "result", &mut diags);
                        Some(encode_value(&state, ty, "result")?)
                    }
                    _ => {
                        if !diags.has_errors() {
                            diags.error(
                                "No data",
                                format!("{} returned no data.", request.type_name),
                            );
                        }
                        None
                    }
                };
                Ok::<_, Diagnostics>(pb::read_data_source::Response {
                    state,
                    diagnostics: diagnostics_to_proto(diags),
                    deferred: None,
                })
            }
            .await;
            result.unwrap_or_else(|diags| pb::read_data_source::Response {
                diagnostics: diagnostics_to_proto(diags),
                ..Default::default()
            })
        };
        guarded("ReadDataSource", call.instrument(span), |r, d| {
            r.diagnostics = d
        })
        .await
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("ValidateActionConfig", request.type_name.as_str());
        let call = async {
            let diags = async {
                let action = self.action(&request.type_name)?;
                let config = decode_value(
                    request.config.as_ref(),
                    &action.value_type,
                    "action configuration",
                )?;
                let ctx = self.context(&request.type_name);
                let mut diags = crate::framework::schema::validate_config(&action.schema, &config);
                diags.extend(action.implementation.validate(&config, &ctx).await);
                Ok::<_, Diagnostics>(diags)
            }
            .await
            .unwrap_or_else(|d| d);
            pb::validate_action_config::Response {
                diagnostics: diagnostics_to_proto(diags),
            }
        };
        guarded("ValidateActionConfig", call.instrument(span), |r, d| {
            r.diagnostics = d
        })
        .await
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("PlanAction", request.action_type.as_str());
        let call = async {
            let diags = async {
                let action = self.action(&request.action_type)?;
                let config = decode_value(
                    request.config.as_ref(),
                    &action.value_type,
                    "action configuration",
                )?;
                let ctx = self
                    .context(&request.action_type)
                    .with_client_capabilities(capabilities(request.client_capabilities.as_ref()));
                // Terraform validates the configuration before it plans, but the validators may
                // only see known values then: what became known since is checked here.
                let mut diags = crate::framework::schema::validate_config(&action.schema, &config);
                if !diags.has_errors() {
                    diags.extend(action.implementation.plan(&config, &ctx).await);
                }
                Ok::<_, Diagnostics>(diags)
            }
            .await
            .unwrap_or_else(|d| d);
            pb::plan_action::Response {
                diagnostics: diagnostics_to_proto(diags),
                deferred: None,
            }
        };
        guarded("PlanAction", call.instrument(span), |r, d| {
            r.diagnostics = d
        })
        .await
    }

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<BoxStream<pb::invoke_action::Event>>, Status> {
        let request = request.into_inner();
        let span = rpc_span!("InvokeAction", request.action_type.as_str());
        let (events, stream) =
            tokio::sync::mpsc::unbounded_channel::<Result<pb::invoke_action::Event, Status>>();
        let completed = |diags: Diagnostics| pb::invoke_action::Event {
            r#type: Some(pb::invoke_action::event::Type::Completed(
                pb::invoke_action::event::Completed {
                    diagnostics: diagnostics_to_proto(diags),
                },
            )),
        };
        let prepared = (|| {
            let action = self.action(&request.action_type)?;
            let config = decode_value(
                request.config.as_ref(),
                &action.value_type,
                "action configuration",
            )?;
            let mut diags = crate::framework::schema::validate_config(&action.schema, &config);
            require_known(&config, &request.action_type, "configuration", &mut diags);
            if diags.has_errors() {
                return Err(diags);
            }
            Ok((action.implementation.clone(), config))
        })();
        let (action, config) = match prepared {
            Ok(prepared) => prepared,
            Err(diags) => {
                let _ = events.send(Ok(completed(diags)));
                return Ok(Response::new(Box::pin(
                    tokio_stream::wrappers::UnboundedReceiverStream::new(stream),
                )));
            }
        };
        let ctx = self
            .context(&request.action_type)
            .with_client_capabilities(capabilities(request.client_capabilities.as_ref()));
        // The action runs beside the stream: each progress message goes out as it is reported,
        // and the completed event ends the stream. A Terraform that stops listening (Ctrl-C
        // closes the stream) cancels the action, which then cleans up before it returns.
        tokio::spawn(
            async move {
                let (progress_tx, mut progress_rx) = tokio::sync::mpsc::unbounded_channel();
                let reporter = ProgressReporter::new(progress_tx);
                let cancel = ctx.cancellation().clone();
                let invocation = AssertUnwindSafe(action.invoke(&config, &reporter, &ctx))
                    .catch_unwind();
                tokio::pin!(invocation);
                let mut listening = true;
                let outcome = loop {
                    tokio::select! {
                        outcome = &mut invocation => break outcome,
                        Some(message) = progress_rx.recv() => {
                            let event = pb::invoke_action::Event {
                                r#type: Some(pb::invoke_action::event::Type::Progress(
                                    pb::invoke_action::event::Progress { message },
                                )),
                            };
                            if events.send(Ok(event)).is_err() && listening {
                                listening = false;
                                tracing::info!("Terraform stopped listening: cancelling the action");
                                cancel.cancel();
                            }
                        }
                        () = events.closed(), if listening => {
                            listening = false;
                            tracing::info!("Terraform stopped listening: cancelling the action");
                            cancel.cancel();
                        }
                    }
                };
                // Progress reported just before the end still goes out, in order.
                while let Ok(message) = progress_rx.try_recv() {
                    let _ = events.send(Ok(pb::invoke_action::Event {
                        r#type: Some(pb::invoke_action::event::Type::Progress(
                            pb::invoke_action::event::Progress { message },
                        )),
                    }));
                }
                let diags = outcome.unwrap_or_else(|panic| {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "(no message)".to_string());
                    tracing::error!(rpc = "InvokeAction", panic = %message, "provider panicked");
                    Diagnostic::error(
                        "The provider crashed",
                        format!(
                            "InvokeAction panicked: {message}. This is a bug in the provider; \
                             please report it with the log (TF_LOG=trace)."
                        ),
                    )
                    .into()
                });
                let _ = events.send(Ok(completed(diags)));
            }
            .instrument(span),
        );
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::UnboundedReceiverStream::new(stream),
        )))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        // Must not block: cancelling only signals; the in-flight calls wind down on their own.
        tracing::info!("StopProvider: cancelling in-flight operations");
        self.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}
