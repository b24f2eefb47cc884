//! The provider functions and the resource identities of the provider binary, over the real
//! transport, as Terraform 1.8+ (functions) and 1.12+ (identity) call them.

use tfplugin::framework::function::FunctionError;
use tfplugin::testing::{LaunchOptions, ProviderProcess};
use tfplugin::values::types::Type;
use tfplugin::values::value::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-studio");

async fn launch() -> ProviderProcess {
    ProviderProcess::launch(BINARY, LaunchOptions::default())
        .await
        .expect("the provider starts and accepts the connection")
}

/// The provider configured with a region and `user_table`, everything else null. Configuring
/// builds the AWS clients without calling AWS.
async fn configured(user_table: &str) -> ProviderProcess {
    let mut provider = launch().await;
    let Type::Object(attributes) = provider.provider_type().await.unwrap() else {
        panic!("the provider block is an object");
    };
    let config = Value::object(attributes.keys().map(|name| (name.clone(), Value::Null)))
        .with_attr("region", Value::string("us-east-1"))
        .with_attr("user_table", Value::string(user_table));
    let diags = provider.configure(&config).await.unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    provider
}

fn strings(values: &[&str]) -> Vec<Value> {
    values.iter().map(|s| Value::string(*s)).collect()
}

fn failed_at(result: Result<Value, FunctionError>) -> (Option<usize>, String) {
    let error = result.expect_err("the call fails");
    (error.argument, error.text)
}

#[tokio::test]
async fn functions_are_declared_with_their_parameters() {
    let mut provider = launch().await;
    let schema = provider.schema().await.unwrap();
    let mut names: Vec<_> = schema.functions.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["efs_home_path", "home_key", "parse_home_key"]);
    let parameters = |name: &str| -> Vec<String> {
        schema.functions[name]
            .parameters
            .iter()
            .map(|p| p.name.clone())
            .collect()
    };
    assert_eq!(parameters("home_key"), ["domain_name", "kind", "name"]);
    assert_eq!(parameters("parse_home_key"), ["key"]);
    assert_eq!(parameters("efs_home_path"), ["uid"]);
    for function in schema.functions.values() {
        assert!(!function.summary.is_empty() && !function.description.is_empty());
        for parameter in &function.parameters {
            assert!(parameter.description.len() > 10, "{}", parameter.name);
        }
    }
    let listed = provider.functions().await.unwrap();
    assert_eq!(listed.functions, schema.functions);
}

#[tokio::test]
async fn home_key_and_parse_home_key_are_inverse() {
    let mut provider = launch().await;
    let key = provider
        .call_function("home_key", &strings(&["data-science", "space", "team-a"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key, Value::string("data-science/space/team-a"));
    let parts = provider
        .call_function("parse_home_key", &[key])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        parts,
        Value::object([
            ("domain_name", Value::string("data-science")),
            ("kind", Value::string("space")),
            ("name", Value::string("team-a")),
        ])
    );
}

#[tokio::test]
async fn bad_arguments_are_named() {
    let mut provider = launch().await;
    let mut home_key = async |arguments: &[&str]| {
        failed_at(
            provider
                .call_function("home_key", &strings(arguments))
                .await
                .unwrap(),
        )
    };
    let (at, text) = home_key(&["data_science", "user", "alice"]).await;
    assert_eq!(at, Some(0));
    assert!(
        text.starts_with("domain_name: domain name \"data_science\" is not valid"),
        "{text}"
    );
    let (at, text) = home_key(&["data-science", "team", "alice"]).await;
    assert_eq!(at, Some(1));
    assert!(
        text.starts_with("kind: unknown home kind \"team\""),
        "{text}"
    );
    let (at, text) = home_key(&["data-science", "user", "al/ice"]).await;
    assert_eq!(at, Some(2));
    assert!(
        text.starts_with("name: user name \"al/ice\" is not valid"),
        "{text}"
    );

    let (at, text) = failed_at(
        provider
            .call_function("parse_home_key", &strings(&["data-science/alice"]))
            .await
            .unwrap(),
    );
    assert_eq!(at, Some(0));
    assert!(text.contains("is not a home key"), "{text}");
}

#[tokio::test]
async fn efs_home_path_is_the_uid_directory() {
    let mut provider = launch().await;
    let path = provider
        .call_function("efs_home_path", &[Value::int(200005)])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(path, Value::string("/200005"));
    for (uid, says) in [
        (Value::int(0), "uid 0 does not name a home directory"),
        (Value::int(-7), "uid -7 does not name a home directory"),
        (Value::float(2.5), "2.5 is not a whole number"),
        (
            Value::int(1 << 40),
            "uid 1099511627776 does not name a home directory",
        ),
    ] {
        let (at, text) = failed_at(
            provider
                .call_function("efs_home_path", &[uid])
                .await
                .unwrap(),
        );
        assert_eq!(at, Some(0));
        assert!(text.starts_with("uid: ") && text.contains(says), "{text}");
    }
}

#[tokio::test]
async fn three_resources_have_an_identity_of_version_0() {
    let mut provider = launch().await;
    let schemas = provider.identity_schemas().await.unwrap().identity_schemas;
    let mut types: Vec<_> = schemas.keys().map(String::as_str).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "studio_profile_restore",
            "studio_replication",
            "studio_restore_target"
        ]
    );
    for (type_name, table, domain) in [
        ("studio_profile_restore", "history_table", "domain_id"),
        ("studio_replication", "user_table", "domain_name"),
        ("studio_restore_target", "user_table", "domain_name"),
    ] {
        let schema = &schemas[type_name];
        assert_eq!(schema.version, 0);
        let attributes: Vec<_> = schema
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
        assert_eq!(
            attributes,
            [
                (table, false, true),
                (domain, true, false),
                ("kind", true, false),
                ("name", true, false),
            ],
            "{type_name}"
        );
        assert!(
            schema
                .identity_attributes
                .iter()
                .all(|a| a.description.len() > 10 && a.r#type == br#""string""#)
        );
    }
}

#[tokio::test]
async fn a_replication_imports_by_identity_with_the_configured_table() {
    let mut provider = configured("mapping-one").await;
    let identity = |table: Value, kind: &str| {
        Value::object([
            ("user_table", table),
            ("domain_name", Value::string("data-science")),
            ("kind", Value::string(kind)),
            ("name", Value::string("alice")),
        ])
    };
    let imported = provider
        .import_resource_state_by_identity("studio_replication", &identity(Value::Null, "user"))
        .await
        .unwrap();
    assert!(
        imported.diagnostics.is_empty(),
        "{:?}",
        imported.diagnostics
    );
    assert_eq!(
        imported.state.get("id"),
        &Value::string("data-science/user/alice")
    );
    assert_eq!(
        imported.state.get("user_profile_name"),
        &Value::string("alice")
    );
    assert_eq!(
        imported.identity,
        identity(Value::string("mapping-one"), "user"),
        "the table the identity left out is the configured one"
    );

    // The same identity with the table named explicitly.
    let explicit = provider
        .import_resource_state_by_identity(
            "studio_replication",
            &identity(Value::string("mapping-one"), "user"),
        )
        .await
        .unwrap();
    assert_eq!(explicit.state, imported.state);

    // An import by id returns the same identity.
    let by_id = provider
        .import_resource_state("studio_replication", "data-science/user/alice")
        .await
        .unwrap();
    assert_eq!(by_id.identity, imported.identity);

    let other_table = provider
        .import_resource_state_by_identity(
            "studio_replication",
            &identity(Value::string("mapping-two"), "user"),
        )
        .await
        .unwrap();
    let error = other_table.diagnostics.iter().next().expect("an error");
    assert_eq!(error.summary, "Invalid import identity");
    assert!(
        error.detail.contains("identity attribute `user_table`")
            && error.detail.contains("\"mapping-two\"")
            && error.detail.contains("\"mapping-one\""),
        "{}",
        error.detail
    );
    assert!(other_table.state.is_null());

    let bad_kind = provider
        .import_resource_state_by_identity("studio_replication", &identity(Value::Null, "team"))
        .await
        .unwrap();
    let error = bad_kind.diagnostics.iter().next().expect("an error");
    assert!(
        error.detail.starts_with(
            "identity attribute `kind` of studio_replication: unknown home kind \"team\""
        ),
        "{}",
        error.detail
    );
}

#[tokio::test]
async fn a_profile_restore_identity_names_its_domain_id() {
    let mut provider = configured("mapping-one").await;
    let identity = Value::object([
        ("history_table", Value::Null),
        ("domain_id", Value::string("data-science")),
        ("kind", Value::string("user")),
        ("name", Value::string("alice")),
    ]);
    let imported = provider
        .import_resource_state_by_identity("studio_profile_restore", &identity)
        .await
        .unwrap();
    let error = imported.diagnostics.iter().next().expect("an error");
    assert!(
        error.detail.starts_with("identity attribute `domain_id` of studio_profile_restore: \"data-science\" is not a SageMaker domain id"),
        "{}",
        error.detail
    );
}

#[tokio::test]
async fn stored_identities_of_version_0_are_read_and_others_refused() {
    let mut provider = launch().await;
    let stored = serde_json::json!({
        "user_table": "mapping-one", "domain_name": "data-science", "kind": "user", "name": "alice"
    });
    let (identity, diags) = provider
        .upgrade_resource_identity("studio_restore_target", 0, &stored)
        .await
        .unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(identity.get("user_table"), &Value::string("mapping-one"));
    assert_eq!(identity.get("name"), &Value::string("alice"));

    let (identity, diags) = provider
        .upgrade_resource_identity("studio_restore_target", 1, &stored)
        .await
        .unwrap();
    assert!(identity.is_null());
    let error = diags.iter().next().expect("an error");
    assert_eq!(error.summary, "Unsupported identity version");
    assert!(
        error.detail.contains("identity schema version 1")
            && error.detail.contains("only version 0"),
        "{}",
        error.detail
    );
}
