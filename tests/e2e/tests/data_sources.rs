//! Issue 6: the data sources `studio_domain`, `studio_user_profile`, `studio_space`,
//! `studio_home_directories` and `studio_restore_history`, with real Terraform and the provider
//! against the emulator. Each test creates its own domain and tables.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::{AuthMode, UserSettings};
use serde_json::Value;
use studio_e2e::{
    ACCOUNT_ID, Clients, Emulator, Provider, Studio, Terraform, TerraformVersion, create_tables,
    delete_and_wait, open_studio, unique_name, wait_in_service,
};

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn domain_user_profile_and_space_export_every_attribute() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("ds-lookup");
    let domain_id = create_domain(&aws, &domain_name, true).await;
    let alice_role = format!("arn:aws:iam::{ACCOUNT_ID}:role/alice-execution");
    create_profile(&aws, &domain_id, "alice", Some(&alice_role)).await;
    create_profile(&aws, &domain_id, "bob", None).await;
    create_space(&aws, &domain_id, "team").await;
    // Settled, so that the statuses Terraform reads are the ones described afterwards.
    for settled in [
        Studio::domain(&domain_id),
        Studio::user_profile(&domain_id, "alice"),
        Studio::user_profile(&domain_id, "bob"),
        Studio::space(&domain_id, "team"),
    ] {
        wait_in_service(&aws.sagemaker, settled).await;
    }

    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.write(
        "main.tf",
        &format!(
            r#"
data "studio_domain" "by_id" {{
  domain_id = "{domain_id}"
}}

data "studio_domain" "by_name" {{
  name = "{domain_name}"
}}

data "studio_user_profile" "alice" {{
  domain_name       = "{domain_name}"
  user_profile_name = "alice"
}}

data "studio_user_profile" "bob" {{
  domain_id         = "{domain_id}"
  user_profile_name = "bob"
}}

data "studio_space" "team" {{
  domain_id  = data.studio_domain.by_name.id
  space_name = "team"
}}
"#
        ),
    );
    tf.init();
    tf.apply();
    tf.assert_plan_empty();

    // studio_domain, by id and by name: the same domain, every attribute as SageMaker says.
    let described = aws
        .sagemaker
        .describe_domain()
        .domain_id(&domain_id)
        .send()
        .await
        .expect("describing the domain");
    let fs_id = described
        .home_efs_file_system_id()
        .expect("a file system")
        .to_string();
    for address in ["data.studio_domain.by_id", "data.studio_domain.by_name"] {
        let domain = tf.resource(address);
        assert_attributes(
            address,
            &domain,
            &[
                ("id", domain_id.as_str()),
                ("domain_id", &domain_id),
                ("name", &domain_name),
                ("arn", described.domain_arn().unwrap()),
                ("status", "InService"),
                ("auth_mode", "IAM"),
                ("home_efs_file_system_id", &fs_id),
                ("vpc_id", "vpc-0d5000000"),
                (
                    "default_execution_role",
                    &format!("arn:aws:iam::{ACCOUNT_ID}:role/studio-execution"),
                ),
            ],
        );
        assert_eq!(
            domain["subnet_ids"],
            serde_json::json!(["subnet-0d5000001", "subnet-0d5000002"]),
            "{address}"
        );
        assert_eq!(
            domain["security_group_ids"],
            serde_json::json!(["sg-0d5000001"]),
            "{address}"
        );
        assert_eq!(domain["url"].as_str(), described.url(), "{address}.url");
    }

    // studio_user_profile: alice has her own role; bob falls back to the domain's.
    for (name, role) in [
        ("alice", alice_role.clone()),
        (
            "bob",
            format!("arn:aws:iam::{ACCOUNT_ID}:role/studio-execution"),
        ),
    ] {
        let address = format!("data.studio_user_profile.{name}");
        let profile = tf.resource(&address);
        let described = aws
            .sagemaker
            .describe_user_profile()
            .domain_id(&domain_id)
            .user_profile_name(name)
            .send()
            .await
            .expect("describing the profile");
        let uid = described.home_efs_file_system_uid().expect("a uid");
        assert_attributes(
            &address,
            &profile,
            &[
                ("id", described.user_profile_arn().unwrap()),
                ("arn", described.user_profile_arn().unwrap()),
                ("domain_id", &domain_id),
                ("domain_name", &domain_name),
                ("user_profile_name", name),
                ("home", &format!("{domain_name}/user/{name}")),
                ("status", described.status().unwrap().as_str()),
                ("home_efs_file_system_id", &fs_id),
                ("home_efs_file_system_uid", uid),
                ("execution_role", &role),
                (
                    "creation_time",
                    &rfc3339(described.creation_time().unwrap()),
                ),
            ],
        );
        assert!(
            profile["single_sign_on_user_value"].is_null(),
            "{address}: an IAM domain has no SSO user"
        );
    }
    let alice_uid = tf.attribute("data.studio_user_profile.alice", "home_efs_file_system_uid");
    let bob_uid = tf.attribute("data.studio_user_profile.bob", "home_efs_file_system_uid");
    assert_ne!(
        alice_uid, bob_uid,
        "every profile has its own home directory"
    );

    // studio_space.
    let space = tf.resource("data.studio_space.team");
    let described = aws
        .sagemaker
        .describe_space()
        .domain_id(&domain_id)
        .space_name("team")
        .send()
        .await
        .expect("describing the space");
    assert_attributes(
        "data.studio_space.team",
        &space,
        &[
            ("id", described.space_arn().unwrap()),
            ("arn", described.space_arn().unwrap()),
            ("domain_id", &domain_id),
            ("domain_name", &domain_name),
            ("space_name", "team"),
            ("home", &format!("{domain_name}/space/team")),
            ("status", described.status().unwrap().as_str()),
            ("home_efs_file_system_id", &fs_id),
            (
                "home_efs_file_system_uid",
                described.home_efs_file_system_uid().unwrap(),
            ),
            (
                "creation_time",
                &rfc3339(described.creation_time().unwrap()),
            ),
        ],
    );
    // Studio makes the space's home directory when it first mounts it, at its first app.
    open_studio(&aws.sagemaker, Studio::space(&domain_id, "team")).await;
    assert!(
        emulator
            .home_dir(
                &fs_id,
                &tf.attribute("data.studio_space.team", "home_efs_file_system_uid")
            )
            .is_dir(),
        "the exported uid names the space's home directory"
    );
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_domain_without_security_groups_exports_an_empty_list() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("ds-nosg");
    let domain_id = create_domain(&aws, &domain_name, false).await;
    create_space(&aws, &domain_id, "team").await;
    // Also the oldest Terraform the project supports.
    for version in [TerraformVersion::V1_15, TerraformVersion::V1_0] {
        let tf = Terraform::with_version(&emulator, version);
        tf.write_providers(&[Provider::Studio]);
        tf.write(
            "main.tf",
            &format!(
                "data \"studio_domain\" \"d\" {{\n  name = \"{domain_name}\"\n}}\n\n\
                 data \"studio_space\" \"team\" {{\n  domain_id  = data.studio_domain.d.id\n  space_name = \"team\"\n}}\n"
            ),
        );
        tf.init();
        tf.apply();
        tf.assert_plan_empty();
        let domain = tf.resource("data.studio_domain.d");
        assert_eq!(
            domain["security_group_ids"],
            serde_json::json!([]),
            "{version:?}"
        );
        assert_eq!(domain["domain_id"], domain_id.as_str(), "{version:?}");
        assert_eq!(
            tf.attribute("data.studio_space.team", "home"),
            format!("{domain_name}/space/team")
        );
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn lookups_of_what_does_not_exist_fail_with_a_clear_message() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("ds-missing");
    let domain_id = create_domain(&aws, &domain_name, true).await;
    let ghost = unique_name("ghost");

    let cases: Vec<(String, Vec<String>)> = vec![
        (
            format!("data \"studio_domain\" \"d\" {{\n  name = \"{ghost}\"\n}}\n"),
            vec![
                "SageMaker domain not found".into(),
                format!("no SageMaker domain is named \"{ghost}\""),
            ],
        ),
        (
            "data \"studio_domain\" \"d\" {\n  domain_id = \"d-000000000000\"\n}\n".into(),
            vec![
                "SageMaker domain d-000000000000 does not exist".into(),
                "domain_id".into(),
            ],
        ),
        (
            format!(
                "data \"studio_user_profile\" \"p\" {{\n  domain_id         = \"{domain_id}\"\n  user_profile_name = \"{ghost}\"\n}}\n"
            ),
            vec![
                "SageMaker user profile not found".into(),
                format!("has no user profile named \"{ghost}\""),
            ],
        ),
        (
            format!(
                "data \"studio_space\" \"s\" {{\n  domain_name = \"{domain_name}\"\n  space_name  = \"{ghost}\"\n}}\n"
            ),
            vec![
                "SageMaker space not found".into(),
                format!("has no space named \"{ghost}\""),
            ],
        ),
        (
            format!(
                "data \"studio_user_profile\" \"p\" {{\n  domain_name       = \"{ghost}\"\n  user_profile_name = \"alice\"\n}}\n"
            ),
            vec!["SageMaker domain not found".into(), "domain_name".into()],
        ),
        // Bad input: a diagnostic naming the attribute, before anything is looked up.
        (
            format!(
                "data \"studio_domain\" \"d\" {{\n  domain_id = \"{domain_id}\"\n  name      = \"{domain_name}\"\n}}\n"
            ),
            vec![
                "Invalid attribute combination".into(),
                "exactly one of domain_id, name".into(),
            ],
        ),
        (
            "data \"studio_domain\" \"d\" {\n  domain_id = \"not-a-domain\"\n}\n".into(),
            vec!["domain_id must be a SageMaker domain id".into()],
        ),
        (
            format!(
                "data \"studio_user_profile\" \"p\" {{\n  domain_id         = \"{domain_id}\"\n  user_profile_name = \"no_underscores\"\n}}\n"
            ),
            vec!["user_profile_name must be a SageMaker name".into()],
        ),
    ];
    for (config, expected) in cases {
        let tf = Terraform::new(&emulator);
        tf.write_providers(&[Provider::Studio]);
        tf.write("main.tf", &config);
        tf.init();
        let failed = tf.plan_fails();
        let text = squash(&failed.stderr);
        for needle in &expected {
            assert!(
                text.contains(&squash(needle)),
                "expected {needle:?} in the error of\n{config}\n{failed}"
            );
        }
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn home_directories_shows_detached_after_deletion_and_attached_after_recreation() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("ds-homes");
    let domain_id = create_domain(&aws, &domain_name, true).await;
    let fs_id = file_system_of(&aws, &domain_id).await;
    let (user_table, history_table) = create_tables(&aws).await;

    let alice_uid = create_profile(&aws, &domain_id, "alice", None).await;
    let team_uid = create_space(&aws, &domain_id, "team").await;
    // What the event processor would have recorded; carol was deleted long ago, and her last
    // restore is on record.
    put_row(
        &aws,
        &user_table,
        &domain_name,
        "user",
        "alice",
        &domain_id,
        &fs_id,
        &alice_uid,
        &[],
    )
    .await;
    put_row(
        &aws,
        &user_table,
        &domain_name,
        "space",
        "team",
        &domain_id,
        &fs_id,
        &team_uid,
        &[],
    )
    .await;
    put_row(
        &aws,
        &user_table,
        &domain_name,
        "user",
        "carol",
        "d-0ld000000000",
        &fs_id,
        "199995",
        &[
            ("replication", AttributeValue::Bool(false)),
            ("restore_status", s("SUCCEEDED")),
            ("restored_at", s("2026-01-02T03:04:05Z")),
            ("previous_file_system_id", s(&fs_id)),
            ("previous_uid", AttributeValue::N("199990".into())),
        ],
    )
    .await;
    // A home of another domain, filtered out.
    put_row(
        &aws,
        &user_table,
        "other-domain",
        "user",
        "alice",
        "d-0ther0000000",
        &fs_id,
        "200000",
        &[],
    )
    .await;

    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.write(
        "tables_override.tf",
        &tables_override(&user_table, &history_table),
    );
    tf.write(
        "main.tf",
        &format!(
            r#"
data "studio_home_directories" "all" {{
  domain_name = "{domain_name}"
}}

data "studio_home_directories" "orphaned" {{
  domain_name = "{domain_name}"
  attached    = false
}}

data "studio_home_directories" "spaces" {{
  domain_name = "{domain_name}"
  kind        = "space"
}}

data "studio_home_directories" "everything" {{}}
"#
        ),
    );
    tf.init();
    tf.apply();
    tf.assert_plan_empty();

    let all = homes(&tf, "data.studio_home_directories.all");
    assert_eq!(
        keys(&all),
        [
            format!("{domain_name}/space/team"),
            format!("{domain_name}/user/alice"),
            format!("{domain_name}/user/carol")
        ]
    );
    assert_eq!(
        tf.attribute("data.studio_home_directories.all", "id"),
        format!("{domain_name}/*/*")
    );
    let alice = &all[&format!("{domain_name}/user/alice")];
    assert_home(
        alice,
        &[
            ("domain_name", Value::from(domain_name.as_str())),
            ("domain_id", Value::from(domain_id.as_str())),
            ("kind", Value::from("user")),
            ("user_profile_name", Value::from("alice")),
            ("space_name", Value::Null),
            ("attached", Value::from(true)),
            ("file_system_id", Value::from(fs_id.as_str())),
            ("uid", Value::from(alice_uid.as_str())),
            ("recorded_file_system_id", Value::from(fs_id.as_str())),
            ("recorded_uid", Value::from(alice_uid.as_str())),
            ("previous_file_system_id", Value::Null),
            ("previous_uid", Value::Null),
            ("replication", Value::from(true)),
            ("restore_from", Value::Null),
            ("last_restore_status", Value::Null),
            ("last_restore_time", Value::Null),
            ("last_restore_failure", Value::Null),
        ],
    );
    let team = &all[&format!("{domain_name}/space/team")];
    assert_home(
        team,
        &[
            ("kind", Value::from("space")),
            ("user_profile_name", Value::Null),
            ("space_name", Value::from("team")),
            ("attached", Value::from(true)),
            ("uid", Value::from(team_uid.as_str())),
        ],
    );
    let carol = &all[&format!("{domain_name}/user/carol")];
    assert_home(
        carol,
        &[
            ("domain_id", Value::from("d-0ld000000000")),
            ("attached", Value::from(false)),
            ("file_system_id", Value::from(fs_id.as_str())),
            ("uid", Value::from("199995")),
            ("previous_file_system_id", Value::from(fs_id.as_str())),
            ("previous_uid", Value::from("199990")),
            ("replication", Value::from(false)),
            ("last_restore_status", Value::from("SUCCEEDED")),
            ("last_restore_time", Value::from("2026-01-02T03:04:05Z")),
            ("last_restore_failure", Value::Null),
        ],
    );
    assert_eq!(
        keys(&homes(&tf, "data.studio_home_directories.orphaned")),
        [format!("{domain_name}/user/carol")]
    );
    assert_eq!(
        keys(&homes(&tf, "data.studio_home_directories.spaces")),
        [format!("{domain_name}/space/team")]
    );
    assert!(
        homes(&tf, "data.studio_home_directories.everything")
            .contains_key("other-domain/user/alice")
    );

    // alice is deleted: her files are orphaned at her old uid.
    delete_profile(&aws, &domain_id, "alice").await;
    tf.apply();
    let all = homes(&tf, "data.studio_home_directories.all");
    assert_home(
        &all[&format!("{domain_name}/user/alice")],
        &[
            ("attached", Value::from(false)),
            ("uid", Value::from(alice_uid.as_str())),
            ("domain_id", Value::from(domain_id.as_str())),
        ],
    );
    assert_eq!(
        keys(&homes(&tf, "data.studio_home_directories.orphaned")),
        [
            format!("{domain_name}/user/alice"),
            format!("{domain_name}/user/carol")
        ]
    );

    // alice is recreated: attached again, with a new uid (the table has not caught up yet).
    let new_uid = create_profile(&aws, &domain_id, "alice", None).await;
    assert_ne!(new_uid, alice_uid);
    tf.apply();
    let all = homes(&tf, "data.studio_home_directories.all");
    assert_home(
        &all[&format!("{domain_name}/user/alice")],
        &[
            ("attached", Value::from(true)),
            ("uid", Value::from(new_uid.as_str())),
            ("recorded_uid", Value::from(alice_uid.as_str())),
        ],
    );
    assert_eq!(
        keys(&homes(&tf, "data.studio_home_directories.orphaned")),
        [format!("{domain_name}/user/carol")]
    );
    tf.destroy();
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn restore_history_lists_a_home_newest_first() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("ds-history");
    let (user_table, history_table) = create_tables(&aws).await;
    let home = format!("{domain_name}/user/alice");
    let entries = [
        (
            1_767_225_600_000_i64,
            vec![
                ("event", s("created")),
                ("domain_id", s("d-aaaaaaaaaaaa")),
                ("file_system_id", s("fs-0123456789abcdef0")),
                ("uid", AttributeValue::N("200000".into())),
            ],
        ),
        (
            1_767_225_700_000,
            vec![
                ("event", s("replication_set")),
                ("status", s("disabled")),
                ("detail", s("automatic restore turned off")),
            ],
        ),
        (
            1_767_225_800_000,
            vec![
                ("event", s("restore_succeeded")),
                ("domain_id", s("d-aaaaaaaaaaaa")),
                ("file_system_id", s("fs-0123456789abcdef0")),
                ("uid", AttributeValue::N("200005".into())),
                ("source_file_system_id", s("fs-0123456789abcdef0")),
                ("source_uid", AttributeValue::N("200000".into())),
                ("status", s("SUCCEEDED")),
                (
                    "execution",
                    s("arn:aws:states:us-east-1:123456789012:execution:restore:x"),
                ),
                ("files_transferred", AttributeValue::N("12".into())),
                ("bytes_written", AttributeValue::N("4096".into())),
            ],
        ),
    ];
    for (at, attributes) in &entries {
        let mut item: HashMap<String, AttributeValue> = attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        item.insert("home".into(), s(&home));
        item.insert("at".into(), AttributeValue::N(at.to_string()));
        aws.dynamodb
            .put_item()
            .table_name(&history_table)
            .set_item(Some(item))
            .send()
            .await
            .expect("writing history");
    }
    // Another home's entry, never listed.
    aws.dynamodb
        .put_item()
        .table_name(&history_table)
        .item("home", s(&format!("{domain_name}/space/alice")))
        .item("at", AttributeValue::N("1767225900000".into()))
        .item("event", s("created"))
        .send()
        .await
        .expect("writing history");

    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.write(
        "tables_override.tf",
        &tables_override(&user_table, &history_table),
    );
    tf.write(
        "main.tf",
        &format!(
            r#"
data "studio_restore_history" "all" {{
  domain_name       = "{domain_name}"
  user_profile_name = "alice"
}}

data "studio_restore_history" "latest" {{
  domain_name       = "{domain_name}"
  user_profile_name = "alice"
  limit             = 2
}}

data "studio_restore_history" "nobody" {{
  domain_name = "{domain_name}"
  space_name  = "nobody"
}}
"#
        ),
    );
    tf.init();
    tf.apply();
    tf.assert_plan_empty();

    let all = tf.resource("data.studio_restore_history.all");
    assert_eq!(all["id"], Value::from(home.as_str()));
    let listed = all["entries"].as_array().expect("entries");
    let ats: Vec<i64> = listed.iter().map(|e| e["at"].as_i64().unwrap()).collect();
    assert_eq!(
        ats,
        [1_767_225_800_000, 1_767_225_700_000, 1_767_225_600_000],
        "newest first"
    );
    assert_eq!(
        listed[0],
        serde_json::json!({
            "at": 1_767_225_800_000_i64,
            "time": "2026-01-01T00:03:20Z",
            "event": "restore_succeeded",
            "domain_id": "d-aaaaaaaaaaaa",
            "file_system_id": "fs-0123456789abcdef0",
            "uid": "200005",
            "source_file_system_id": "fs-0123456789abcdef0",
            "source_uid": "200000",
            "status": "SUCCEEDED",
            "execution": "arn:aws:states:us-east-1:123456789012:execution:restore:x",
            "files_transferred": 12,
            "bytes_written": 4096,
            "detail": null
        })
    );
    assert_eq!(listed[1]["event"], "replication_set");
    assert_eq!(listed[1]["status"], "disabled");
    assert_eq!(listed[1]["detail"], "automatic restore turned off");
    assert_eq!(listed[1]["uid"], Value::Null);
    assert_eq!(listed[2]["time"], "2026-01-01T00:00:00Z");

    let latest = tf.resource("data.studio_restore_history.latest");
    assert_eq!(
        latest["entries"].as_array().unwrap()[..],
        listed[..2],
        "limit keeps the newest"
    );
    let nobody = tf.resource("data.studio_restore_history.nobody");
    assert_eq!(nobody["entries"], serde_json::json!([]));
    assert_eq!(
        nobody["id"],
        Value::from(format!("{domain_name}/space/nobody"))
    );

    // A bad limit is refused at plan time, naming the attribute.
    tf.write(
        "main.tf",
        &format!("data \"studio_restore_history\" \"bad\" {{\n  domain_name = \"{domain_name}\"\n  space_name = \"x\"\n  limit = 0\n}}\n"),
    );
    let failed = tf.plan_fails();
    assert!(squash(&failed.stderr).contains("limit"), "{failed}");
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn two_hundred_user_profile_lookups_in_one_plan() {
    const PROFILES: usize = 200;
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("ds-many");
    let domain_id = create_domain(&aws, &domain_name, false).await;
    let mut config = String::new();
    for i in 0..PROFILES {
        aws.sagemaker
            .create_user_profile()
            .domain_id(&domain_id)
            .user_profile_name(format!("user-{i}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating user-{i}: {}", DisplayErrorContext(e)));
        config.push_str(&format!(
            "data \"studio_user_profile\" \"p{i}\" {{\n  domain_name       = \"{domain_name}\"\n  user_profile_name = \"user-{i}\"\n}}\n\n"
        ));
    }
    config.push_str(&format!(
        "output \"uids\" {{\n  value = [{}]\n}}\n",
        (0..PROFILES)
            .map(|i| format!("data.studio_user_profile.p{i}.home_efs_file_system_uid"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.write("main.tf", &config);
    tf.init();
    let started = std::time::Instant::now();
    let plan = tf.plan();
    let took = started.elapsed();
    assert_eq!(
        plan.text().matches("Read complete after").count(),
        PROFILES,
        "every data source is read during the plan:\n{}",
        plan.text()
    );
    eprintln!("terraform plan with {PROFILES} studio_user_profile data sources: {took:?}");
    tf.apply();
    let uids = tf.output("uids");
    let uids: std::collections::BTreeSet<&str> = uids
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| u.as_str().expect("a uid"))
        .collect();
    assert_eq!(uids.len(), PROFILES, "{PROFILES} distinct home directories");
}

// ---------------------------------------------------------------------------------------------

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// Whitespace collapsed, so that Terraform's line wrapping does not matter.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn rfc3339(t: &aws_sdk_sagemaker::primitives::DateTime) -> String {
    t.fmt(aws_sdk_sagemaker::primitives::DateTimeFormat::DateTime)
        .unwrap()
}

#[track_caller]
fn assert_attributes(address: &str, values: &Value, expected: &[(&str, &str)]) {
    for (name, want) in expected {
        assert_eq!(
            values[*name].as_str(),
            Some(*want),
            "{address}.{name} in\n{values:#}"
        );
    }
}

#[track_caller]
fn assert_home(home: &Value, expected: &[(&str, Value)]) {
    for (name, want) in expected {
        assert_eq!(&home[*name], want, "{name} of\n{home:#}");
    }
}

/// The `homes` of a studio_home_directories data source, by home key.
fn homes(tf: &Terraform, address: &str) -> std::collections::BTreeMap<String, Value> {
    tf.resource(address)["homes"]
        .as_array()
        .expect("homes")
        .iter()
        .map(|h| (h["home"].as_str().unwrap().to_string(), h.clone()))
        .collect()
}

fn keys(homes: &std::collections::BTreeMap<String, Value>) -> Vec<String> {
    homes.keys().cloned().collect()
}

fn tables_override(user_table: &str, history_table: &str) -> String {
    format!(
        "provider \"studio\" {{\n  user_table    = \"{user_table}\"\n  history_table = \"{history_table}\"\n}}\n"
    )
}

async fn create_domain(aws: &Clients, name: &str, security_groups: bool) -> String {
    let mut settings = UserSettings::builder()
        .execution_role(format!("arn:aws:iam::{ACCOUNT_ID}:role/studio-execution"));
    if security_groups {
        settings = settings.security_groups("sg-0d5000001");
    }
    aws.sagemaker
        .create_domain()
        .domain_name(name)
        .auth_mode(AuthMode::Iam)
        .default_user_settings(settings.build())
        .subnet_ids("subnet-0d5000001")
        .subnet_ids("subnet-0d5000002")
        .vpc_id("vpc-0d5000000")
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating domain {name}: {}", DisplayErrorContext(e)))
        .domain_id
        .unwrap_or_else(|| panic!("CreateDomain {name} returned no DomainId"))
}

async fn file_system_of(aws: &Clients, domain_id: &str) -> String {
    aws.sagemaker
        .describe_domain()
        .domain_id(domain_id)
        .send()
        .await
        .expect("describing the domain")
        .home_efs_file_system_id
        .expect("a home file system")
}

/// Creates the profile and returns its HomeEfsFileSystemUid.
async fn create_profile(aws: &Clients, domain_id: &str, name: &str, role: Option<&str>) -> String {
    let mut request = aws
        .sagemaker
        .create_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name);
    if let Some(role) = role {
        request = request.user_settings(UserSettings::builder().execution_role(role).build());
    }
    request.send().await.unwrap_or_else(|e| {
        panic!(
            "creating profile {name} in {domain_id}: {}",
            DisplayErrorContext(e)
        )
    });
    aws.sagemaker
        .describe_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing profile {name}: {}", DisplayErrorContext(e)))
        .home_efs_file_system_uid
        .expect("a uid")
}

/// Deletes the profile and waits until it is gone (it is Deleting for a while before).
async fn delete_profile(aws: &Clients, domain_id: &str, name: &str) {
    delete_and_wait(&aws.sagemaker, Studio::user_profile(domain_id, name)).await;
}

/// Creates the space and returns its HomeEfsFileSystemUid.
async fn create_space(aws: &Clients, domain_id: &str, name: &str) -> String {
    aws.sagemaker
        .create_space()
        .domain_id(domain_id)
        .space_name(name)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "creating space {name} in {domain_id}: {}",
                DisplayErrorContext(e)
            )
        });
    aws.sagemaker
        .describe_space()
        .domain_id(domain_id)
        .space_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing space {name}: {}", DisplayErrorContext(e)))
        .home_efs_file_system_uid
        .expect("a uid")
}

/// A mapping row as the event processor writes it (ARCHITECTURE.md, "Mapping table").
#[allow(clippy::too_many_arguments)]
async fn put_row(
    aws: &Clients,
    table: &str,
    domain_name: &str,
    kind: &str,
    name: &str,
    domain_id: &str,
    fs_id: &str,
    uid: &str,
    extra: &[(&str, AttributeValue)],
) {
    let mut item: HashMap<String, AttributeValue> = HashMap::from([
        (
            "home".to_string(),
            s(&format!("{domain_name}/{kind}/{name}")),
        ),
        ("kind".to_string(), s(kind)),
        ("name".to_string(), s(name)),
        ("domain_name".to_string(), s(domain_name)),
        ("domain_id".to_string(), s(domain_id)),
        (
            "domain_ids".to_string(),
            AttributeValue::Ss(vec![domain_id.to_string()]),
        ),
        ("file_system_id".to_string(), s(fs_id)),
        ("uid".to_string(), AttributeValue::N(uid.to_string())),
        ("replication".to_string(), AttributeValue::Bool(true)),
        ("version".to_string(), AttributeValue::N("1".into())),
    ]);
    for (k, v) in extra {
        item.insert(k.to_string(), v.clone());
    }
    aws.dynamodb
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap_or_else(|e| panic!("writing the row of {name}: {}", DisplayErrorContext(e)));
}
