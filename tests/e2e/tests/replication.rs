//! Issue 6: the `studio_replication` lifecycle with real Terraform against the emulator: apply,
//! empty plan, the setting survives a recreation of the profile, an out-of-band change shows in
//! the plan, import, destroy (back to the default: on).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use studio_e2e::{
    Clients, Emulator, Provider, Terraform, create_tables, put_mapping_row, unique_name,
};

type Item = HashMap<String, AttributeValue>;

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn replication_lifecycle() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("repl-life");
    let (user_table, history_table) = create_tables(&aws).await;
    let carol = format!("{domain_name}/user/carol");
    let team = format!("{domain_name}/space/team");
    put_mapping_row(
        &aws,
        &user_table,
        &domain_name,
        "d-aaaaaaaaaaaa",
        "carol",
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
    let config = |carol_enabled: bool| {
        format!(
            r#"
resource "studio_replication" "carol" {{
  domain_name       = "{domain_name}"
  user_profile_name = "carol"
  enabled           = {carol_enabled}
}}

# A space that does not exist yet.
resource "studio_replication" "team" {{
  domain_name = "{domain_name}"
  space_name  = "team"
  enabled     = false
}}
"#
        )
    };
    tf.write("main.tf", &config(false));
    tf.init();
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(tf.attribute("studio_replication.carol", "id"), carol);
    assert_eq!(tf.attribute("studio_replication.team", "id"), team);

    let row = get_row(&aws, &user_table, &carol)
        .await
        .expect("carol's row");
    assert_eq!(row["replication"], AttributeValue::Bool(false));
    assert_eq!(
        row["uid"],
        AttributeValue::N("200000".into()),
        "the rest of the row is untouched"
    );
    assert_eq!(
        row["version"],
        AttributeValue::N("2".into()),
        "a conditional write on version 1"
    );
    let row = get_row(&aws, &user_table, &team)
        .await
        .expect("a row for the space to come");
    assert_eq!(row["replication"], AttributeValue::Bool(false));
    assert!(!row.contains_key("uid"));
    let entries = history(&aws, &history_table, &carol).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["event"], s("replication_set"));
    assert_eq!(entries[0]["status"], s("disabled"));

    // carol is deleted and recreated: the event processor records her new directory, and the
    // setting stays.
    aws.dynamodb
        .update_item()
        .table_name(&user_table)
        .key("home", s(&carol))
        .update_expression(
            "SET uid = :new, previous_uid = :old, previous_file_system_id = :fs, #v = #v + :one",
        )
        .expression_attribute_names("#v", "version")
        .expression_attribute_values(":new", AttributeValue::N("200005".into()))
        .expression_attribute_values(":old", AttributeValue::N("200000".into()))
        .expression_attribute_values(":fs", s("fs-0123456789abcdef0"))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("recording the recreation");
    tf.assert_plan_empty();

    // Out of band, someone turns it back on: the plan shows it, apply turns it off again.
    set_flag(&aws, &user_table, &carol, true).await;
    let plan = tf.assert_plan_changes();
    assert!(
        plan.text().contains("enabled") && plan.text().contains("update in-place"),
        "{}",
        plan.text()
    );
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        get_row(&aws, &user_table, &carol).await.unwrap()["replication"],
        AttributeValue::Bool(false)
    );

    // Turned on in the configuration: an update in place.
    tf.write("main.tf", &config(true));
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        get_row(&aws, &user_table, &carol).await.unwrap()["replication"],
        AttributeValue::Bool(true)
    );
    let statuses: Vec<AttributeValue> = history(&aws, &history_table, &carol)
        .await
        .iter()
        .map(|h| h["status"].clone())
        .collect();
    assert_eq!(statuses.last(), Some(&s("enabled")));

    // Import by home key.
    for (address, id) in [
        ("studio_replication.carol", &carol),
        ("studio_replication.team", &team),
    ] {
        let before = tf.resource(address);
        tf.state_rm(address);
        let failed = tf.run_failing(&["import", "-input=false", "-no-color", address, "carol"]);
        assert!(
            squash(&failed.stderr).contains("<domain name>/space/<space name>"),
            "{failed}"
        );
        tf.import(address, id);
        assert_eq!(tf.resource(address), before, "{address} after import");
    }
    tf.assert_plan_empty();

    // Destroy: back to the default. The space's row existed only for the setting, so it goes;
    // carol's row stays, on.
    tf.destroy();
    let row = get_row(&aws, &user_table, &carol)
        .await
        .expect("carol's row stays");
    assert_eq!(row["replication"], AttributeValue::Bool(true));
    assert_eq!(row["uid"], AttributeValue::N("200005".into()));
    assert!(
        get_row(&aws, &user_table, &team).await.is_none(),
        "the space's row is gone"
    );
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_missing_row_reads_as_on_and_bad_names_fail_at_plan_time() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("repl-bad");
    let (user_table, history_table) = create_tables(&aws).await;
    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.write(
        "tables_override.tf",
        &tables_override(&user_table, &history_table),
    );
    tf.write(
        "main.tf",
        &format!("resource \"studio_replication\" \"r\" {{\n  domain_name = \"{domain_name}\"\n  user_profile_name = \"zoe\"\n  enabled = false\n}}\n"),
    );
    tf.init();
    tf.apply();
    // The row disappears (the table was recreated, say): the setting reads as on, and the plan
    // puts it back.
    aws.dynamodb
        .delete_item()
        .table_name(&user_table)
        .key("home", s(&format!("{domain_name}/user/zoe")))
        .send()
        .await
        .expect("deleting the row");
    let plan = tf.assert_plan_changes();
    assert!(plan.text().contains("enabled"), "{}", plan.text());
    tf.apply();
    tf.assert_plan_empty();
    tf.destroy();

    for (body, expected) in [
        (
            "user_profile_name = \"a\"\n  space_name = \"b\"",
            "exactly one of user_profile_name, space_name",
        ),
        (
            "space_name = \"bad_name\"",
            "space_name must be a SageMaker name",
        ),
    ] {
        tf.write(
            "main.tf",
            &format!("resource \"studio_replication\" \"r\" {{\n  domain_name = \"{domain_name}\"\n  {body}\n  enabled = true\n}}\n"),
        );
        let failed = tf.plan_fails();
        assert!(
            squash(&failed.stderr).contains(expected),
            "expected {expected:?}:\n{failed}"
        );
    }
}

async fn set_flag(aws: &Clients, table: &str, home: &str, enabled: bool) {
    aws.dynamodb
        .update_item()
        .table_name(table)
        .key("home", s(home))
        .update_expression("SET replication = :r, #v = #v + :one")
        .expression_attribute_names("#v", "version")
        .expression_attribute_values(":r", AttributeValue::Bool(enabled))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("changing the flag out of band");
}

async fn history(aws: &Clients, table: &str, home: &str) -> Vec<Item> {
    aws.dynamodb
        .query()
        .table_name(table)
        .key_condition_expression("home = :h")
        .expression_attribute_values(":h", s(home))
        .send()
        .await
        .expect("reading the history")
        .items()
        .to_vec()
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
