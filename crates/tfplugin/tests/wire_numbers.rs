//! The field numbers of the protocol-6.10 additions (functions, resource identity, list
//! resources, actions), pinned on the encoded bytes: they are the wire contract with Terraform
//! 1.15 (tfplugin6.proto of v1.15) and must never change.

use std::collections::HashMap;

use prost::Message;
use tfplugin::wire::proto::tfplugin6 as pb;

/// The field number of the one field set in `message` (a varint or length-delimited field).
fn field(message: &impl Message) -> u64 {
    let bytes = message.encode_to_vec();
    let mut rest = bytes.as_slice();
    let key = prost::encoding::decode_varint(&mut rest).expect("a field key");
    let value = prost::encoding::decode_varint(&mut rest).expect("a value or a length");
    match key & 7 {
        0 => assert!(rest.is_empty(), "exactly one field is set"),
        2 => assert_eq!(rest.len() as u64, value, "exactly one field is set"),
        other => panic!("unexpected wire type {other}"),
    }
    key >> 3
}

fn dv() -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: vec![0xc0],
        json: Vec::new(),
    })
}

fn identity() -> Option<pb::ResourceIdentityData> {
    Some(pb::ResourceIdentityData {
        identity_data: dv(),
    })
}

fn diagnostics() -> Vec<pb::Diagnostic> {
    vec![pb::Diagnostic::default()]
}

fn caps() -> Option<pb::ClientCapabilities> {
    Some(pb::ClientCapabilities::default())
}

#[test]
fn schema_and_metadata_fields() {
    fn one<T: Default>(name: &str) -> HashMap<String, T> {
        HashMap::from([(name.to_string(), T::default())])
    }
    let schema = pb::get_provider_schema::Response::default;
    assert_eq!(
        field(&pb::get_provider_schema::Response {
            functions: one("f"),
            ..schema()
        }),
        7
    );
    assert_eq!(
        field(&pb::get_provider_schema::Response {
            list_resource_schemas: one("l"),
            ..schema()
        }),
        9
    );
    assert_eq!(
        field(&pb::get_provider_schema::Response {
            action_schemas: one("a"),
            ..schema()
        }),
        11
    );
    assert_eq!(
        field(&pb::ActionSchema {
            schema: Some(pb::Schema::default())
        }),
        1
    );

    let metadata = pb::get_metadata::Response::default;
    assert_eq!(
        field(&pb::get_metadata::Response {
            functions: vec![Default::default()],
            ..metadata()
        }),
        5
    );
    assert_eq!(
        field(&pb::get_metadata::Response {
            list_resources: vec![Default::default()],
            ..metadata()
        }),
        7
    );
    assert_eq!(
        field(&pb::get_metadata::Response {
            actions: vec![Default::default()],
            ..metadata()
        }),
        9
    );
    assert_eq!(
        field(&pb::get_metadata::FunctionMetadata { name: "f".into() }),
        1
    );
}

#[test]
fn function_fields() {
    let f = pb::Function::default;
    let parameter = pb::function::Parameter::default;
    let checks = [
        (
            field(&pb::Function {
                parameters: vec![parameter()],
                ..f()
            }),
            1,
        ),
        (
            field(&pb::Function {
                variadic_parameter: Some(parameter()),
                ..f()
            }),
            2,
        ),
        (
            field(&pb::Function {
                r#return: Some(Default::default()),
                ..f()
            }),
            3,
        ),
        (
            field(&pb::Function {
                summary: "s".into(),
                ..f()
            }),
            4,
        ),
        (
            field(&pb::Function {
                description: "d".into(),
                ..f()
            }),
            5,
        ),
        (
            field(&pb::Function {
                description_kind: 1,
                ..f()
            }),
            6,
        ),
        (
            field(&pb::Function {
                deprecation_message: "m".into(),
                ..f()
            }),
            7,
        ),
        (
            field(&pb::function::Parameter {
                name: "n".into(),
                ..parameter()
            }),
            1,
        ),
        (
            field(&pb::function::Parameter {
                r#type: b"x".to_vec(),
                ..parameter()
            }),
            2,
        ),
        (
            field(&pb::function::Parameter {
                allow_null_value: true,
                ..parameter()
            }),
            3,
        ),
        (
            field(&pb::function::Parameter {
                allow_unknown_values: true,
                ..parameter()
            }),
            4,
        ),
        (
            field(&pb::function::Parameter {
                description: "d".into(),
                ..parameter()
            }),
            5,
        ),
        (
            field(&pb::function::Parameter {
                description_kind: 1,
                ..parameter()
            }),
            6,
        ),
        (
            field(&pb::function::Return {
                r#type: b"x".to_vec(),
            }),
            1,
        ),
        (
            field(&pb::FunctionError {
                text: "t".into(),
                function_argument: None,
            }),
            1,
        ),
        (
            field(&pb::FunctionError {
                text: String::new(),
                function_argument: Some(0),
            }),
            2,
        ),
        (
            field(&pb::get_functions::Response {
                functions: HashMap::from([("f".into(), f())]),
                diagnostics: vec![],
            }),
            1,
        ),
        (
            field(&pb::get_functions::Response {
                functions: HashMap::new(),
                diagnostics: diagnostics(),
            }),
            2,
        ),
        (
            field(&pb::call_function::Request {
                name: "f".into(),
                arguments: vec![],
            }),
            1,
        ),
        (
            field(&pb::call_function::Request {
                name: String::new(),
                arguments: vec![Default::default()],
            }),
            2,
        ),
        (
            field(&pb::call_function::Response {
                result: dv(),
                error: None,
            }),
            1,
        ),
        (
            field(&pb::call_function::Response {
                result: None,
                error: Some(Default::default()),
            }),
            2,
        ),
    ];
    for (index, (got, want)) in checks.into_iter().enumerate() {
        assert_eq!(got, want, "check {index}");
    }
}

#[test]
fn identity_fields() {
    let checks = [
        (
            field(&pb::read_resource::Request {
                current_identity: identity(),
                ..Default::default()
            }),
            6,
        ),
        (
            field(&pb::read_resource::Response {
                new_identity: identity(),
                ..Default::default()
            }),
            5,
        ),
        (
            field(&pb::plan_resource_change::Request {
                prior_identity: identity(),
                ..Default::default()
            }),
            8,
        ),
        (
            field(&pb::plan_resource_change::Response {
                planned_identity: identity(),
                ..Default::default()
            }),
            7,
        ),
        (
            field(&pb::apply_resource_change::Request {
                planned_identity: identity(),
                ..Default::default()
            }),
            7,
        ),
        (
            field(&pb::apply_resource_change::Response {
                new_identity: identity(),
                ..Default::default()
            }),
            5,
        ),
        (
            field(&pb::import_resource_state::Request {
                identity: identity(),
                ..Default::default()
            }),
            4,
        ),
        (
            field(&pb::import_resource_state::ImportedResource {
                identity: identity(),
                ..Default::default()
            }),
            4,
        ),
        (
            field(&pb::upgrade_resource_identity::Request {
                type_name: "t".into(),
                ..Default::default()
            }),
            1,
        ),
        (
            field(&pb::upgrade_resource_identity::Request {
                version: 1,
                ..Default::default()
            }),
            2,
        ),
        (
            field(&pb::upgrade_resource_identity::Request {
                raw_identity: Some(Default::default()),
                ..Default::default()
            }),
            3,
        ),
        (
            field(&pb::upgrade_resource_identity::Response {
                upgraded_identity: identity(),
                diagnostics: vec![],
            }),
            1,
        ),
        (
            field(&pb::upgrade_resource_identity::Response {
                upgraded_identity: None,
                diagnostics: diagnostics(),
            }),
            2,
        ),
    ];
    for (index, (got, want)) in checks.into_iter().enumerate() {
        assert_eq!(got, want, "check {index}");
    }
}

#[test]
fn list_resource_and_action_fields() {
    let checks = [
        (
            field(&pb::list_resource::Request {
                type_name: "t".into(),
                ..Default::default()
            }),
            1,
        ),
        (
            field(&pb::list_resource::Request {
                config: dv(),
                ..Default::default()
            }),
            2,
        ),
        (
            field(&pb::list_resource::Request {
                include_resource_object: true,
                ..Default::default()
            }),
            3,
        ),
        (
            field(&pb::list_resource::Request {
                limit: 5,
                ..Default::default()
            }),
            4,
        ),
        (
            field(&pb::list_resource::Event {
                identity: identity(),
                ..Default::default()
            }),
            1,
        ),
        (
            field(&pb::list_resource::Event {
                display_name: "d".into(),
                ..Default::default()
            }),
            2,
        ),
        (
            field(&pb::list_resource::Event {
                resource_object: dv(),
                ..Default::default()
            }),
            3,
        ),
        (
            field(&pb::list_resource::Event {
                diagnostic: diagnostics(),
                ..Default::default()
            }),
            4,
        ),
        (
            field(&pb::validate_list_resource_config::Request {
                type_name: "t".into(),
                ..Default::default()
            }),
            1,
        ),
        (
            field(&pb::validate_list_resource_config::Request {
                config: dv(),
                ..Default::default()
            }),
            2,
        ),
        (
            field(&pb::validate_list_resource_config::Request {
                include_resource_object: dv(),
                ..Default::default()
            }),
            3,
        ),
        (
            field(&pb::validate_list_resource_config::Request {
                limit: dv(),
                ..Default::default()
            }),
            4,
        ),
        (
            field(&pb::validate_list_resource_config::Response {
                diagnostics: diagnostics(),
            }),
            1,
        ),
        (
            field(&pb::plan_action::Request {
                action_type: "a".into(),
                ..Default::default()
            }),
            1,
        ),
        (
            field(&pb::plan_action::Request {
                config: dv(),
                ..Default::default()
            }),
            2,
        ),
        (
            field(&pb::plan_action::Request {
                client_capabilities: caps(),
                ..Default::default()
            }),
            3,
        ),
        (
            field(&pb::plan_action::Response {
                diagnostics: diagnostics(),
                deferred: None,
            }),
            1,
        ),
        (
            field(&pb::plan_action::Response {
                diagnostics: vec![],
                deferred: Some(Default::default()),
            }),
            2,
        ),
        (
            field(&pb::invoke_action::Request {
                action_type: "a".into(),
                ..Default::default()
            }),
            1,
        ),
        (
            field(&pb::invoke_action::Request {
                config: dv(),
                ..Default::default()
            }),
            2,
        ),
        (
            field(&pb::invoke_action::Request {
                client_capabilities: caps(),
                ..Default::default()
            }),
            3,
        ),
        (
            field(&pb::invoke_action::Event {
                r#type: Some(pb::invoke_action::event::Type::Progress(Default::default())),
            }),
            1,
        ),
        (
            field(&pb::invoke_action::Event {
                r#type: Some(pb::invoke_action::event::Type::Completed(Default::default())),
            }),
            2,
        ),
        (
            field(&pb::invoke_action::event::Progress {
                message: "m".into(),
            }),
            1,
        ),
        (
            field(&pb::invoke_action::event::Completed {
                diagnostics: diagnostics(),
            }),
            1,
        ),
        (
            field(&pb::validate_action_config::Request {
                type_name: "t".into(),
                config: None,
            }),
            1,
        ),
        (
            field(&pb::validate_action_config::Request {
                type_name: String::new(),
                config: dv(),
            }),
            2,
        ),
        (
            field(&pb::validate_action_config::Response {
                diagnostics: diagnostics(),
            }),
            1,
        ),
    ];
    for (index, (got, want)) in checks.into_iter().enumerate() {
        assert_eq!(got, want, "check {index}");
    }
}
