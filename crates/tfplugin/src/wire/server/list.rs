//! The list-resource RPCs (`terraform query`, Terraform 1.14+): `ValidateListResourceConfig` and
//! the `ListResource` server stream, over the [`ListResource`] trait.
//!
//! Terraform reads a list resource's results with the schemas of the managed resource type of
//! the same name (identity and state), so a list resource without such a type, or whose type has
//! no identity schema, is a provider bug that `GetProviderSchema` reports.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::BoxStream;

use super::{
    ProviderService, Typed, decode_value, diagnostics_to_proto, encode_value, schema_to_proto,
    sorted_names,
};
use crate::framework::diagnostics::{Diagnostic, Diagnostics};
use crate::framework::list::{ListMessage, ListResource, ListResult, ListSink};
use crate::framework::provider::Resource;
use crate::framework::schema::Schema;
use crate::values::types::Type;
use crate::wire::proto::tfplugin6 as pb;

/// A list resource with its schema and the types its results are encoded with.
pub(super) struct TypedList {
    implementation: Arc<dyn ListResource>,
    schema: Schema,
    config_type: Type,
    identity_type: Type,
    resource_type: Type,
}

/// How many results may wait between the list and Terraform's reading of the stream.
const BUFFERED_EVENTS: usize = 16;

/// The list resources by name, their schemas for `GetProviderSchema`, and the errors of list
/// resources that cannot be served (no managed resource type with identity of the same name).
pub(super) fn typed_lists(
    lists: Vec<Arc<dyn ListResource>>,
    resources: &HashMap<String, Typed<dyn Resource>>,
) -> (
    HashMap<String, TypedList>,
    HashMap<String, pb::Schema>,
    Vec<pb::Diagnostic>,
) {
    let mut typed = HashMap::new();
    let mut schemas = HashMap::new();
    let mut errors = Diagnostics::new();
    for list in lists {
        let name = list.type_name().to_string();
        let Some(resource) = resources.get(&name) else {
            errors.error(
                "List resource without a managed resource type",
                format!(
                    "The list resource {name:?} has no managed resource type of the same name, \
                     whose schema Terraform reads its results with. This is a bug in the provider."
                ),
            );
            continue;
        };
        let Some((_, identity_type)) = &resource.identity else {
            errors.error(
                "List resource without a resource identity",
                format!(
                    "The list resource {name:?} lists {name}, which has no identity schema: \
                     Terraform requires an identity for every listed object. This is a bug in \
                     the provider."
                ),
            );
            continue;
        };
        let schema = list.schema();
        schemas.insert(name.clone(), schema_to_proto(&schema));
        typed.insert(
            name,
            TypedList {
                implementation: list,
                config_type: schema.value_type(),
                schema,
                identity_type: identity_type.clone(),
                resource_type: resource.value_type.clone(),
            },
        );
    }
    (typed, schemas, diagnostics_to_proto(errors))
}

impl ProviderService {
    fn list_resource_type(&self, type_name: &str) -> Result<&TypedList, Diagnostics> {
        self.list_resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown list resource type",
                format!(
                    "This provider has no list resource type {type_name:?}; it has: {}.",
                    sorted_names(self.list_resources.keys())
                ),
            )
            .into()
        })
    }

    /// The list resource type names, sorted, for `GetMetadata`.
    pub(super) fn list_resource_names(&self) -> Vec<String> {
        let mut names: Vec<_> = self.list_resources.keys().cloned().collect();
        names.sort();
        names
    }

    /// `ValidateListResourceConfig`: the schema's validators, then the list resource's own.
    pub(super) async fn validate_list_config(
        &self,
        request: pb::validate_list_resource_config::Request,
    ) -> pb::validate_list_resource_config::Response {
        let diags = async {
            let list = self.list_resource_type(&request.type_name)?;
            let config = decode_value(
                request.config.as_ref(),
                &list.config_type,
                "list configuration",
            )?;
            let ctx = self.context(&request.type_name);
            let mut diags = if config.is_null() {
                Diagnostics::new()
            } else {
                crate::framework::schema::validate_config(&list.schema, &config)
            };
            diags.extend(list.implementation.validate(&config, &ctx).await);
            Ok::<_, Diagnostics>(diags)
        }
        .await
        .unwrap_or_else(|d| d);
        pb::validate_list_resource_config::Response {
            diagnostics: diagnostics_to_proto(diags),
        }
    }

    /// `ListResource`: the list runs in a task of its own and each result becomes one event as
    /// soon as it is found. At most `limit` results are sent; when Terraform stops reading (the
    /// limit reached on its side, Ctrl-C), the list's context is cancelled.
    pub(super) fn list_events(
        &self,
        request: pb::list_resource::Request,
    ) -> BoxStream<pb::list_resource::Event> {
        let span = tracing::info_span!(
            "rpc",
            rpc = "ListResource",
            tf_resource_type = %request.type_name
        );
        let prepared = (|| {
            let list = self.list_resource_type(&request.type_name)?;
            let config = decode_value(
                request.config.as_ref(),
                &list.config_type,
                "list configuration",
            )?;
            if !config.is_null() {
                let diags = crate::framework::schema::validate_config(&list.schema, &config);
                if diags.has_errors() {
                    return Err(diags);
                }
            }
            Ok::<_, Diagnostics>((list, config))
        })();
        let (list, config) = match prepared {
            Ok(prepared) => prepared,
            Err(diags) => return one_event(diags),
        };
        let ctx = self.context(&request.type_name);
        // Dropped with the stream: the list stops when Terraform stops reading.
        let stop_on_drop = ctx.cancellation().clone().drop_guard();
        let limit = usize::try_from(request.limit.max(0)).unwrap_or(usize::MAX);
        let (sender, receiver) = mpsc::channel(BUFFERED_EVENTS);
        let sink = ListSink::new(sender.clone(), request.include_resource_object, limit);
        let implementation = Arc::clone(&list.implementation);
        let type_name = request.type_name.clone();
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                tracing::info!(limit, "listing");
                let run = AssertUnwindSafe(implementation.list(&config, &sink, &ctx));
                let diags = match run.catch_unwind().await {
                    Ok(diags) => diags,
                    Err(panic) => Diagnostic::error(
                        "The provider crashed",
                        format!(
                            "ListResource of {type_name} panicked: {}. This is a bug in the \
                             provider; please report it with the log (TF_LOG=trace).",
                            super::panic_message(panic.as_ref())
                        ),
                    )
                    .into(),
                };
                if !diags.is_empty() {
                    let _ = sender.send(ListMessage::Diagnostics(diags)).await;
                }
            },
            span,
        ));
        let (identity_type, resource_type) =
            (list.identity_type.clone(), list.resource_type.clone());
        let type_name = request.type_name.clone();
        let include_resource = request.include_resource_object;
        let mut failed = false;
        ReceiverStream::new(receiver)
            .map(move |message| {
                let _keep = &stop_on_drop;
                match message {
                    ListMessage::Diagnostics(diags) => event(None, String::new(), None, diags),
                    ListMessage::Result(result) => encode_result(
                        result,
                        &type_name,
                        &identity_type,
                        &resource_type,
                        include_resource,
                    ),
                }
            })
            // After an error Terraform reads no further: neither does the stream.
            .take_while(move |event| {
                let go_on = !failed;
                failed |= event
                    .diagnostic
                    .iter()
                    .any(|d| d.severity == pb::diagnostic::Severity::Error as i32);
                std::future::ready(go_on)
            })
            .map(Ok)
            .boxed()
    }
}

/// One result as an event; a result whose identity or object does not match the schemas is an
/// error event (a provider bug).
fn encode_result(
    result: ListResult,
    type_name: &str,
    identity_type: &Type,
    resource_type: &Type,
    include_resource: bool,
) -> pb::list_resource::Event {
    let ListResult {
        identity,
        display_name,
        resource,
        mut diagnostics,
    } = result;
    let bug = |what: &str| -> Diagnostics {
        Diagnostic::error(
            "Provider returned unknown values",
            format!(
                "{type_name} listed {display_name:?} with an unknown {what}. This is a bug in the \
                 provider."
            ),
        )
        .into()
    };
    if !identity.is_fully_known() {
        return event(None, display_name.clone(), None, bug("identity"));
    }
    let identity = match encode_value(&identity, identity_type, "listed identity") {
        Ok(encoded) => encoded,
        Err(diags) => return event(None, display_name, None, diags),
    };
    let resource = match resource.filter(|_| include_resource) {
        Some(object) if !object.is_fully_known() => {
            return event(None, display_name.clone(), None, bug("object"));
        }
        Some(object) => match encode_value(&object, resource_type, "listed object") {
            Ok(encoded) => Some(encoded),
            Err(diags) => {
                diagnostics.extend(diags);
                return event(None, display_name, None, diagnostics);
            }
        },
        None => None,
    };
    event(Some(identity), display_name, resource, diagnostics)
}

fn event(
    identity: Option<pb::DynamicValue>,
    display_name: String,
    resource_object: Option<pb::DynamicValue>,
    diagnostics: Diagnostics,
) -> pb::list_resource::Event {
    pb::list_resource::Event {
        identity: identity.map(|identity| pb::ResourceIdentityData {
            identity_data: Some(identity),
        }),
        display_name,
        resource_object,
        diagnostic: diagnostics_to_proto(diagnostics),
    }
}

/// A stream of one event carrying `diags`: how a list that cannot start says why.
fn one_event(diags: Diagnostics) -> BoxStream<pb::list_resource::Event> {
    futures::stream::once(std::future::ready(Ok(event(
        None,
        String::new(),
        None,
        diags,
    ))))
    .boxed()
}
