//! Issue 6: the `studio_restore_target` lifecycle with real Terraform against the emulator:
//! apply, empty plan, out-of-band change and removal show in the plan, import, destroy.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::AuthMode;
use studio_e2e::{
    Clients, Emulator, Provider, Terraform, TerraformVersion, create_domain, create_profile,
    create_tables, put_mapping_row, unique_name,
};

type Item = HashMap<String, AttributeValue>;

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn restore_target_lifecycle() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("rt-life");
    let domain_id = create_domain(&aws, &domain_name, AuthMode::Iam).await.0;
    let fs_id = aws
        .sagemaker
        .describe_domain()
        .domain_id(&domain_id)
        .send()
        .await
        .expect("describing the domain")
        .home_efs_file_system_id
        .expect("a file system");
    let alice_uid = create_profile(&aws, &domain_id, "alice").await;
    let (user_table, history_table) = create_tables(&aws).await;
    let target = format!("{domain_name}/user/bob");

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
resource "studio_restore_target" "bob" {{
  target = {{
    domain_name       = "{domain_name}"
    user_profile_name = "bob"
  }}
  source = {{
    domain_name       = "{domain_name}"
    user_profile_name = "alice"
  }}
}}
"#
        ),
    );
    tf.init();
    // The plan already shows where the files come from: alice's current home directory.
    let plan = tf.assert_plan_changes();
    assert!(
        plan.text().contains(&format!("\"{alice_uid}\"")),
        "{}",
        plan.text()
    );
    tf.apply();
    tf.assert_plan_empty();

    let state = tf.resource("studio_restore_target.bob");
    assert_eq!(state["id"], target.as_str());
    assert_eq!(state["status"], "pending");
    assert_eq!(state["source"]["file_system_id"], fs_id.as_str());
    assert_eq!(state["source"]["uid"], alice_uid.as_str());
    assert_eq!(state["source"]["space_name"], serde_json::Value::Null);
    assert!(
        state["set_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{state:#}"
    );

    // The row the automatic path reads: bob's restore_from, and nothing else pretends bob exists.
    let row = get_row(&aws, &user_table, &target)
        .await
        .expect("bob's row");
    let from = restore_from(&row);
    assert_eq!(from.0, format!("{domain_name}/user/alice"));
    assert_eq!(from.1, fs_id);
    assert_eq!(from.2, alice_uid);
    assert!(
        !row.contains_key("uid"),
        "bob has no directory yet: {row:?}"
    );
    assert_eq!(row["version"], AttributeValue::N("1".into()));
    let events = history_events(&aws, &history_table, &target).await;
    assert_eq!(events, ["target_set"]);

    // Out of band, someone points bob at another directory: the plan shows it and apply undoes it.
    aws.dynamodb
        .update_item()
        .table_name(&user_table)
        .key("home", s(&target))
        .update_expression("SET restore_from.#u = :u, #v = #v + :one")
        .expression_attribute_names("#u", "uid")
        .expression_attribute_names("#v", "version")
        .expression_attribute_values(":u", AttributeValue::N("299999".into()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("changing the row out of band");
    let plan = tf.assert_plan_changes();
    assert!(
        plan.text().contains("299999"),
        "the plan shows the changed uid:\n{}",
        plan.text()
    );
    assert!(plan.text().contains("update in-place"), "{}", plan.text());
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        restore_from(&get_row(&aws, &user_table, &target).await.unwrap()).2,
        alice_uid
    );

    // Out of band, the intent is removed: the plan creates it again.
    aws.dynamodb
        .update_item()
        .table_name(&user_table)
        .key("home", s(&target))
        .update_expression("REMOVE restore_from SET #v = #v + :one")
        .expression_attribute_names("#v", "version")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("removing the intent out of band");
    let plan = tf.assert_plan_changes();
    assert!(plan.text().contains("will be created"), "{}", plan.text());
    tf.apply();
    tf.assert_plan_empty();

    // The source is deleted: its directory is still known from the table, so nothing changes.
    put_mapping_row(
        &aws,
        &user_table,
        &domain_name,
        &domain_id,
        "alice",
        &fs_id,
        &alice_uid,
        &[],
    )
    .await;
    delete_profile(&aws, &domain_id, "alice").await;
    tf.assert_plan_empty();

    // Import by the target's home key gives the same state.
    let before = tf.resource("studio_restore_target.bob");
    tf.state_rm("studio_restore_target.bob");
    let failed = tf.run_failing(&[
        "import",
        "-input=false",
        "-no-color",
        "studio_restore_target.bob",
        "not-a-key",
    ]);
    assert!(
        squash(&failed.stderr).contains("<domain name>/user/<profile name>"),
        "{failed}"
    );
    let failed = tf.run_failing(&[
        "import",
        "-input=false",
        "-no-color",
        "studio_restore_target.bob",
        &format!("{domain_name}/user/nobody"),
    ]);
    assert!(
        squash(&failed.stderr).contains("No restore target is set for"),
        "{failed}"
    );
    tf.import("studio_restore_target.bob", &target);
    tf.assert_plan_empty();
    let imported = tf.resource("studio_restore_target.bob");
    for attribute in ["id", "target", "source", "status"] {
        assert_eq!(
            imported[attribute], before[attribute],
            "{attribute} after import"
        );
    }

    // Destroy removes only the intent: the row was only the intent, so it goes.
    tf.destroy();
    assert!(
        get_row(&aws, &user_table, &target).await.is_none(),
        "bob's row is gone"
    );
    let events = history_events(&aws, &history_table, &target).await;
    assert_eq!(events.last().map(String::as_str), Some("target_set"));
    assert!(events.len() >= 4, "{events:?}");
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn destroying_a_restore_target_keeps_the_rest_of_the_row() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("rt-keep");
    let (user_table, history_table) = create_tables(&aws).await;
    // carol is tracked already; her old colleague dave's home is only in the table.
    put_mapping_row(
        &aws,
        &user_table,
        &domain_name,
        "d-aaaaaaaaaaaa",
        "carol",
        "fs-0123456789abcdef0",
        "200010",
        &[],
    )
    .await;
    put_mapping_row(
        &aws,
        &user_table,
        &domain_name,
        "d-aaaaaaaaaaaa",
        "dave",
        "fs-0123456789abcdef0",
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
resource "studio_restore_target" "carol" {{
  target = {{
    domain_name       = "{domain_name}"
    user_profile_name = "carol"
  }}
  source = {{
    domain_name       = "{domain_name}"
    user_profile_name = "dave"
  }}
}}

resource "studio_restore_target" "explicit" {{
  target = {{
    domain_name = "{domain_name}"
    space_name  = "team"
  }}
  source = {{
    domain_name       = "old-domain"
    user_profile_name = "erin"
    file_system_id    = "fs-0aaaaaaaaaaaaaaa1"
    uid               = "200125"
  }}
}}
"#
        ),
    );
    tf.init();
    tf.apply();
    tf.assert_plan_empty();
    let row = get_row(&aws, &user_table, &format!("{domain_name}/user/carol"))
        .await
        .unwrap();
    assert_eq!(
        restore_from(&row).2,
        "200000",
        "resolved from the table: dave's last directory"
    );
    let row = get_row(&aws, &user_table, &format!("{domain_name}/space/team"))
        .await
        .unwrap();
    assert_eq!(
        restore_from(&row),
        (
            "old-domain/user/erin".into(),
            "fs-0aaaaaaaaaaaaaaa1".into(),
            "200125".into()
        )
    );
    tf.destroy();
    let row = get_row(&aws, &user_table, &format!("{domain_name}/user/carol"))
        .await
        .expect("carol's row stays");
    assert!(!row.contains_key("restore_from"), "{row:?}");
    assert_eq!(
        row["uid"],
        AttributeValue::N("200010".into()),
        "the rest of the row is untouched"
    );
    assert!(
        get_row(&aws, &user_table, &format!("{domain_name}/space/team"))
            .await
            .is_none()
    );
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn bad_restore_targets_fail_at_plan_time_naming_the_attribute() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("rt-bad");
    let (user_table, history_table) = create_tables(&aws).await;
    let cases = [
        // The source is the target.
        (
            format!(
                "target = {{\n domain_name = \"{domain_name}\"\n user_profile_name = \"a\"\n }}\n source = {{\n domain_name = \"{domain_name}\"\n user_profile_name = \"a\"\n }}"
            ),
            vec![
                "Source is the target",
                "cannot be restored from itself",
                "source",
            ],
        ),
        // The source resolves to nothing.
        (
            format!(
                "target = {{\n domain_name = \"{domain_name}\"\n user_profile_name = \"a\"\n }}\n source = {{\n domain_name = \"{domain_name}\"\n user_profile_name = \"ghost\"\n }}"
            ),
            vec![
                "The restore source has no home directory",
                "give the source's file_system_id and uid explicitly",
            ],
        ),
        // Both a profile and a space.
        (
            format!(
                "target = {{\n domain_name = \"{domain_name}\"\n user_profile_name = \"a\"\n space_name = \"b\"\n }}\n source = {{\n domain_name = \"{domain_name}\"\n user_profile_name = \"c\"\n }}"
            ),
            vec![
                "Invalid attribute combination",
                "exactly one of user_profile_name, space_name",
                "target",
            ],
        ),
        // Half a directory.
        (
            format!(
                "target = {{\n domain_name = \"{domain_name}\"\n user_profile_name = \"a\"\n }}\n source = {{\n domain_name = \"{domain_name}\"\n user_profile_name = \"c\"\n uid = \"200000\"\n }}"
            ),
            vec!["Incomplete source directory", "file_system_id"],
        ),
        // A uid that names no home directory.
        (
            format!(
                "target = {{\n domain_name = \"{domain_name}\"\n user_profile_name = \"a\"\n }}\n source = {{\n domain_name = \"{domain_name}\"\n user_profile_name = \"c\"\n file_system_id = \"fs-0123456789abcdef0\"\n uid = \"0\"\n }}"
            ),
            vec!["source.uid must be a positive number"],
        ),
    ];
    for (body, expected) in cases {
        let tf = Terraform::new(&emulator);
        tf.write_providers(&[Provider::Studio]);
        tf.write(
            "tables_override.tf",
            &tables_override(&user_table, &history_table),
        );
        let config = format!("resource \"studio_restore_target\" \"t\" {{\n{body}\n}}\n");
        tf.write("main.tf", &config);
        tf.init();
        let failed = tf.plan_fails();
        let text = squash(&failed.stderr);
        for needle in expected {
            assert!(
                text.contains(&squash(needle)),
                "expected {needle:?} in the error of\n{config}\n{failed}"
            );
        }
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_restore_that_consumes_the_intent_is_not_drift() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("rt-done");
    let (user_table, history_table) = create_tables(&aws).await;
    put_mapping_row(
        &aws,
        &user_table,
        &domain_name,
        "d-aaaaaaaaaaaa",
        "dave",
        "fs-0123456789abcdef0",
        "200000",
        &[],
    )
    .await;
    let target = format!("{domain_name}/user/erin");
    for version in [TerraformVersion::V1_0, TerraformVersion::V1_15] {
        let tf = Terraform::with_version(&emulator, version);
        tf.write_providers(&[Provider::Studio]);
        tf.write(
            "tables_override.tf",
            &tables_override(&user_table, &history_table),
        );
        tf.write(
            "main.tf",
            &format!(
                r#"
resource "studio_restore_target" "erin" {{
  target = {{
    domain_name       = "{domain_name}"
    user_profile_name = "erin"
  }}
  source = {{
    domain_name       = "{domain_name}"
    user_profile_name = "dave"
  }}
}}
"#
            ),
        );
        tf.init();
        tf.apply();
        tf.assert_plan_empty();
        assert_eq!(
            tf.attribute("studio_restore_target.erin", "status"),
            "pending",
            "{version:?}"
        );

        // erin appears and the restore workflow copies dave's files, consuming the intent
        // (what its RecordSucceededClearingTarget state writes).
        let restored_at = "2099-01-01T00:00:00.123Z";
        aws.dynamodb
            .update_item()
            .table_name(&user_table)
            .key("home", s(&target))
            .update_expression(
                "SET file_system_id = :fs, uid = :uid, restore_status = :ok, restored_at = :at REMOVE restore_from ADD #v :one",
            )
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":fs", s("fs-0123456789abcdef0"))
            .expression_attribute_values(":uid", AttributeValue::N("200005".into()))
            .expression_attribute_values(":ok", s("SUCCEEDED"))
            .expression_attribute_values(":at", s(restored_at))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await
            .expect("recording the restore");
        tf.assert_plan_empty();
        tf.run(&[
            "apply",
            "-refresh-only",
            "-auto-approve",
            "-input=false",
            "-no-color",
        ]);
        assert_eq!(
            tf.attribute("studio_restore_target.erin", "status"),
            "restored",
            "{version:?}"
        );
        tf.assert_plan_empty();

        // Destroy leaves the restored row alone.
        tf.destroy();
        let row = get_row(&aws, &user_table, &target)
            .await
            .expect("erin's row stays");
        assert_eq!(row["restore_status"], s("SUCCEEDED"));
        aws.dynamodb
            .delete_item()
            .table_name(&user_table)
            .key("home", s(&target))
            .send()
            .await
            .expect("starting over");
    }
}

// ---------------------------------------------------------------------------------------------

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn tables_override(user_table: &str, history_table: &str) -> String {
    format!(
        "provider \"studio\" {{\n  user_table    = \"{user_table}\"\n  history_table = \"{history_table}\"\n}}\n"
    )
}

/// `restore_from` of a row: (home, file system, uid).
#[track_caller]
fn restore_from(row: &Item) -> (String, String, String) {
    let Some(AttributeValue::M(m)) = row.get("restore_from") else {
        panic!("no restore_from in {row:?}");
    };
    let text = |k: &str| match &m[k] {
        AttributeValue::S(v) | AttributeValue::N(v) => v.clone(),
        other => panic!("{k}: {other:?}"),
    };
    (text("home"), text("file_system_id"), text("uid"))
}

async fn get_row(aws: &Clients, table: &str, home: &str) -> Option<Item> {
    aws.dynamodb
        .get_item()
        .table_name(table)
        .key("home", s(home))
        .consistent_read(true)
        .send()
        .await
        .expect("reading a row")
        .item
}

async fn history_events(aws: &Clients, table: &str, home: &str) -> Vec<String> {
    aws.dynamodb
        .query()
        .table_name(table)
        .key_condition_expression("home = :h")
        .expression_attribute_values(":h", s(home))
        .send()
        .await
        .expect("reading the history")
        .items()
        .iter()
        .map(|item| match &item["event"] {
            AttributeValue::S(e) => e.clone(),
            other => panic!("event {other:?}"),
        })
        .collect()
}

async fn delete_profile(aws: &Clients, domain_id: &str, name: &str) {
    aws.sagemaker
        .delete_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("deleting profile {name}: {}", DisplayErrorContext(e)));
}
