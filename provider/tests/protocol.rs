//! The provider binary over the real transport, launched as Terraform launches it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tfplugin::framework::diagnostics::{Diagnostics, Severity};

use tfplugin::testing::{ClientCertificate, LaunchOptions, ProviderProcess, Transport};
use tfplugin::values::path::PathStep;
use tfplugin::values::value::Value;
use tfplugin::wire::proto::health::HealthCheckRequest;
use tfplugin::wire::proto::health::health_check_response::ServingStatus;
use tfplugin::wire::proto::tfplugin6 as pb;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-studio");

async fn launch(options: LaunchOptions) -> ProviderProcess {
    ProviderProcess::launch(BINARY, options)
        .await
        .expect("the provider starts and accepts the connection")
}

fn provider_config(pairs: &[(&str, Value)]) -> Value {
    let mut config = Value::object([
        ("region", Value::Null),
        ("profile", Value::Null),
        ("user_table", Value::Null),
        ("history_table", Value::Null),
        ("assume_role", Value::Null),
        ("endpoints", Value::Null),
    ]);
    for (name, value) in pairs {
        config.set_attr(*name, value.clone());
    }
    config
}

fn error_paths(diags: &Diagnostics) -> Vec<String> {
    let mut paths: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            d.attribute
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();
    paths.sort();
    paths
}

#[tokio::test]
async fn mtls_handshake_serves_the_provider_schema() {
    let mut provider = launch(LaunchOptions::default()).await;
    let handshake = provider.handshake.clone();
    assert_eq!(
        (
            handshake.core_version.as_str(),
            handshake.app_version.as_str(),
            handshake.network.as_str(),
            handshake.protocol.as_str()
        ),
        ("1", "6", "unix", "grpc")
    );
    assert!(
        handshake.server_cert.is_some(),
        "AutoMTLS prints a certificate"
    );

    let schema = provider.schema().await.unwrap();
    let block = schema.provider.unwrap().block.unwrap();
    let mut attributes: Vec<_> = block.attributes.iter().map(|a| a.name.as_str()).collect();
    attributes.sort_unstable();
    assert_eq!(
        attributes,
        [
            "history_table",
            "max_retries",
            "profile",
            "region",
            "retry_mode",
            "shared_config_files",
            "shared_credentials_files",
            "slots_table",
            "user_table"
        ]
    );
    let mut blocks: Vec<_> = block
        .block_types
        .iter()
        .map(|b| b.type_name.as_str())
        .collect();
    blocks.sort_unstable();
    assert_eq!(
        blocks,
        [
            "assume_role",
            "assume_role_with_web_identity",
            "default_tags",
            "endpoints"
        ]
    );
    assert!(
        block
            .attributes
            .iter()
            .all(|a| !a.description.is_empty()
                && a.description_kind == pb::StringKind::Markdown as i32),
        "every attribute is described, in markdown"
    );
    let capabilities = schema.server_capabilities.unwrap();
    assert!(capabilities.plan_destroy && capabilities.get_provider_schema_optional);

    let health = provider
        .health
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);
    assert!(
        provider.stdout_after_handshake().is_empty(),
        "nothing follows the handshake on stdout"
    );
}

#[tokio::test]
async fn plaintext_without_a_client_certificate() {
    let mut provider = launch(LaunchOptions {
        transport: Transport::Plaintext,
        ..LaunchOptions::default()
    })
    .await;
    assert_eq!(provider.handshake.server_cert, None);
    assert!(provider.schema().await.unwrap().provider.is_some());
}

#[tokio::test]
async fn a_client_certificate_other_than_terraforms_is_refused() {
    let attempt = ProviderProcess::launch(
        BINARY,
        LaunchOptions {
            client_certificate: ClientCertificate::Impostor,
            ..LaunchOptions::default()
        },
    )
    .await;
    // With TLS 1.3 the client learns of the rejection on its first call at the latest.
    match attempt {
        Err(error) => eprintln!("refused while connecting: {error}"),
        Ok(mut provider) => {
            assert!(
                provider.schema().await.is_err(),
                "the provider must only talk to the certificate Terraform announced"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
            let stderr = provider.stderr();
            assert!(
                stderr.contains("TLS handshake with a client failed"),
                "refused by the pinning verifier: {stderr}"
            );
        }
    }
}

#[tokio::test]
async fn run_by_hand_it_explains_itself_and_exits_1() {
    let output = tokio::process::Command::new(BINARY)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "stdout is only for the handshake");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("plugin for Terraform"), "{stderr}");
}

#[tokio::test]
async fn shutdown_ends_the_process_promptly() {
    let mut provider = launch(LaunchOptions::default()).await;
    provider.schema().await.unwrap();
    let started = Instant::now();
    provider.shutdown().await.expect("Shutdown is answered");
    let status = provider
        .wait_exit(Duration::from_secs(2))
        .await
        .expect("the process exits within Terraform's 2 s grace");
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn sigint_is_ignored() {
    let mut provider = launch(LaunchOptions {
        env: vec![("TF_LOG_PROVIDER".into(), "debug".into())],
        ..LaunchOptions::default()
    })
    .await;
    let pid = provider.pid().unwrap();
    let killed = tokio::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    // Only once the provider has handled the signal does "still serving" mean anything.
    let sent = Instant::now();
    while !provider.stderr().contains("SIGINT ignored") {
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "the provider never reported handling SIGINT: {}",
            provider.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        provider.schema().await.is_ok(),
        "still serving after SIGINT"
    );
    assert_eq!(provider.wait_exit(Duration::from_millis(10)).await, None);
}

#[tokio::test]
async fn stop_provider_cancels_a_running_call_and_returns_at_once() {
    let mut provider = launch(LaunchOptions {
        env: vec![("STUDIO_PROVIDER_TEST_HOOKS".into(), "1".into())],
        ..LaunchOptions::default()
    })
    .await;
    let type_name = "studio_test_wait_for_cancellation";
    let ty = provider.data_source_type(type_name).await.unwrap();
    let config = Value::object([("seconds", Value::int(60))]);
    let msgpack = tfplugin::values::msgpack::encode_msgpack(&config, &ty).unwrap();
    let mut client = provider.provider.clone();
    let started = Instant::now();
    let waiting = tokio::spawn(async move {
        client
            .read_data_source(pb::read_data_source::Request {
                type_name: type_name.into(),
                config: Some(pb::DynamicValue {
                    msgpack,
                    json: Vec::new(),
                }),
                provider_meta: None,
                client_capabilities: None,
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the read waits");

    let stop_started = Instant::now();
    assert_eq!(provider.stop().await.unwrap(), "");
    assert!(
        stop_started.elapsed() < Duration::from_secs(1),
        "StopProvider does not block"
    );

    let response = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the cancelled read ends")
        .unwrap()
        .unwrap()
        .into_inner();
    assert!(started.elapsed() < Duration::from_secs(10));
    let diags = tfplugin::testing::diagnostics_from_proto(response.diagnostics);
    assert!(diags.iter().any(|d| d.summary == "Cancelled"), "{diags:?}");
}

#[tokio::test]
async fn provider_config_errors_name_their_attribute() {
    let mut provider = launch(LaunchOptions::default()).await;
    let bad = provider_config(&[
        ("region", Value::string("eu-west")),
        ("profile", Value::string("platform-admin")),
        (
            "assume_role",
            Value::list(vec![Value::object([
                ("role_arn", Value::string("arn:aws:iam::12345:role/x")),
                ("session_name", Value::string("x")),
                ("external_id", Value::Null),
            ])]),
        ),
        (
            "endpoints",
            Value::object([
                ("sagemaker", Value::string("http://127.0.0.1:4599")),
                ("datasync", Value::Null),
                ("dynamodb", Value::string("127.0.0.1:4599")),
                ("sfn", Value::Null),
                ("efs", Value::Null),
                ("sts", Value::Null),
            ]),
        ),
        ("user_table", Value::string("ab")),
    ]);
    let diags = provider.validate_provider_config(&bad).await.unwrap();
    assert_eq!(
        error_paths(&diags),
        [
            "assume_role[0].role_arn",
            "assume_role[0].session_name",
            "endpoints.dynamodb",
            "region",
            "user_table"
        ],
        "{diags:?}"
    );
    let region = diags
        .iter()
        .find(|d| {
            d.attribute
                .as_ref()
                .is_some_and(|p| p.steps() == [PathStep::Attribute("region".into())])
        })
        .unwrap();
    assert!(
        region.detail.contains("eu-west-1"),
        "says what is expected: {}",
        region.detail
    );

    let good = provider_config(&[("region", Value::string("eu-west-1"))]);
    assert!(
        provider
            .validate_provider_config(&good)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn unknown_provider_values_pass_validation_and_configuration() {
    let mut provider = launch(LaunchOptions::default()).await;
    let unknown = provider_config(&[
        ("region", Value::Unknown),
        ("profile", Value::Unknown),
        ("assume_role", Value::Unknown),
        ("user_table", Value::Unknown),
    ]);
    let diags = provider.validate_provider_config(&unknown).await.unwrap();
    assert!(error_paths(&diags).is_empty(), "{diags:?}");
    let diags = provider.configure(&unknown).await.unwrap();
    assert!(error_paths(&diags).is_empty(), "{diags:?}");
}

#[tokio::test]
async fn debug_mode_prints_the_reattach_configuration() {
    let mut child = tokio::process::Command::new(BINARY)
        .arg("--debug")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let reattach = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
                return rest.trim_end_matches('\'').to_string();
            }
        }
        panic!("no TF_REATTACH_PROVIDERS line");
    })
    .await
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&reattach).unwrap();
    let entry = &json["registry.terraform.io/studio-restore/studio"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Pid"], pid);
    assert_eq!(entry["Addr"]["Network"], "unix");
    let socket = entry["Addr"]["String"].as_str().unwrap();
    assert!(std::path::Path::new(socket).exists());
    child.kill().await.unwrap();
}

/// A value of `ty` with every attribute null except `pairs` (objects of an object type filled
/// the same way, from their own pairs).
fn value_of(ty: &tfplugin::values::types::Type, pairs: &[(&str, Value)]) -> Value {
    let tfplugin::values::types::Type::Object(attributes) = ty else {
        panic!("an object type: {ty:?}")
    };
    let mut value = Value::object(attributes.keys().map(|name| (name.clone(), Value::Null)));
    for (name, v) in pairs {
        value.set_attr(*name, v.clone());
    }
    value
}

#[tokio::test]
async fn the_restore_action_validates_and_streams_over_the_real_transport() {
    let mut provider = launch(LaunchOptions::default()).await;
    let ty = provider.action_type("studio_restore").await.unwrap();
    let tfplugin::values::types::Type::Object(attributes) = &ty else {
        panic!("{ty:?}")
    };
    let home = |pairs: &[(&str, Value)], side: &str| value_of(&attributes[side], pairs);
    let config = |source: Value, engine: Option<&str>| {
        value_of(
            &ty,
            &[
                ("source", source),
                (
                    "target",
                    home(
                        &[
                            ("domain_id", Value::string("d-0123456789ab")),
                            ("user_profile_name", Value::string("alice")),
                        ],
                        "target",
                    ),
                ),
                ("engine", engine.map_or(Value::Null, Value::string)),
            ],
        )
    };
    let source = |uid: i64, space: Option<&str>| {
        home(
            &[
                ("domain_id", Value::string("d-0123456789ab")),
                ("user_profile_name", Value::string("alice")),
                ("uid", Value::int(uid)),
                ("space_name", space.map_or(Value::Null, Value::string)),
            ],
            "source",
        )
    };

    let good = config(source(200005, None), None);
    let diags = provider
        .validate_action_config("studio_restore", &good)
        .await
        .unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    let diags = provider
        .validate_action_config("studio_restore", &config(source(0, None), Some("rsync")))
        .await
        .unwrap();
    assert_eq!(error_paths(&diags), ["engine", "source.uid"], "{diags:?}");
    let diags = provider
        .validate_action_config(
            "studio_restore",
            &config(source(200005, Some("team")), None),
        )
        .await
        .unwrap();
    assert!(
        error_paths(&diags).iter().all(|p| p.starts_with("source")),
        "{diags:?}"
    );
    assert!(diags.has_errors(), "both kinds of home: {diags:?}");

    // Unconfigured (no AWS): the stream ends with one error saying so, and no copy ran.
    let (progress, diags) = provider
        .invoke_action("studio_restore", &good)
        .await
        .unwrap();
    assert!(progress.is_empty(), "{progress:?}");
    assert_eq!(
        diags.iter().map(|d| d.summary.as_str()).collect::<Vec<_>>(),
        ["The studio provider is not configured yet"],
        "{diags:?}"
    );
    provider.shutdown().await.unwrap();
}
