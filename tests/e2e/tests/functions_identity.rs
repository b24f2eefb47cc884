//! Issue 14, points 4 and 5, with real Terraform 1.15 against the emulator: the provider's
//! functions called from a configuration (and a bad argument named in the error), the schema
//! Terraform reads (`terraform providers schema -json`), and `import` blocks with `identity`
//! for `studio_replication`, `studio_restore_target` and `studio_profile_restore`, each from a
//! working directory of its own (as from another machine), followed by an empty plan.

use aws_sdk_sagemaker::types::AuthMode;
use serde_json::Value;
use studio_e2e::{
    Emulator, Provider, Studio, Terraform, create_domain, create_profile, create_tables,
    hand_to_owner, open_studio, recreate_profile, unique_name, write_file,
};

const STUDIO: &str = "registry.terraform.io/studio-restore/studio";

fn tables_override(user_table: &str, history_table: &str) -> String {
    format!(
        "provider \"studio\" {{\n  user_table    = \"{user_table}\"\n  history_table = \"{history_table}\"\n}}\n"
    )
}

/// A Terraform 1.15 directory with the studio provider on the emulator and these tables.
fn studio_dir(emulator: &Emulator, tables: &(String, String)) -> Terraform {
    let tf = Terraform::new(emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.write("tables_override.tf", &tables_override(&tables.0, &tables.1));
    tf
}

/// The identity Terraform stored for `address`, from `terraform show -json`.
fn stored_identity(tf: &Terraform, address: &str) -> Value {
    let shown = tf.show_json();
    let resources = shown["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let resource = resources
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} in the state: {shown:#}"));
    assert_eq!(resource["identity_schema_version"], 0, "{resource:#}");
    resource["identity"].clone()
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_schema_lists_the_functions_and_identities() {
    let emulator = Emulator::from_env();
    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.init();
    let output = tf.run(&["providers", "schema", "-json"]);
    let schema: Value = serde_json::from_str(&output.stdout).expect("schema JSON");
    let studio = &schema["provider_schemas"][STUDIO];

    let functions = studio["functions"].as_object().expect("functions");
    let mut names: Vec<_> = functions.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["efs_home_path", "home_key", "parse_home_key"]);
    let parameters = |name: &str| -> Vec<String> {
        functions[name]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(parameters("home_key"), ["domain_name", "kind", "name"]);
    assert_eq!(parameters("parse_home_key"), ["key"]);
    assert_eq!(parameters("efs_home_path"), ["uid"]);
    assert_eq!(
        functions["efs_home_path"]["parameters"][0]["type"],
        "number"
    );
    assert_eq!(
        functions["parse_home_key"]["return_type"],
        serde_json::json!(["object", {"domain_name": "string", "kind": "string", "name": "string"}])
    );

    let identities = studio["resource_identity_schemas"]
        .as_object()
        .expect("resource identity schemas");
    let mut types: Vec<_> = identities.keys().map(String::as_str).collect();
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
        let identity = &identities[type_name];
        assert_eq!(identity["version"], 0, "{type_name}");
        let attributes = &identity["attributes"];
        assert_eq!(
            attributes[table]["optional_for_import"], true,
            "{identity:#}"
        );
        for required in [domain, "kind", "name"] {
            assert_eq!(
                attributes[required]["required_for_import"], true,
                "{type_name}.{required}: {identity:#}"
            );
        }
        assert_eq!(attributes.as_object().unwrap().len(), 4, "{identity:#}");
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_configuration_calls_each_function() {
    let emulator = Emulator::from_env();
    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.write(
        "main.tf",
        r#"
locals {
  key = provider::studio::home_key("data-science", "user", "alice")
}

output "key" {
  value = local.key
}

output "parts" {
  value = provider::studio::parse_home_key("data-science/space/team-a")
}

output "round_trip" {
  value = provider::studio::parse_home_key(local.key).name
}

output "path" {
  value = provider::studio::efs_home_path(200005)
}
"#,
    );
    tf.init();
    tf.apply();
    assert_eq!(tf.output("key"), "data-science/user/alice");
    assert_eq!(
        tf.output("parts"),
        serde_json::json!({"domain_name": "data-science", "kind": "space", "name": "team-a"})
    );
    assert_eq!(tf.output("round_trip"), "alice");
    assert_eq!(tf.output("path"), "/200005");
    tf.assert_plan_empty();

    for (call, parameter, says) in [
        (
            r#"provider::studio::home_key("data-science", "team", "alice")"#,
            "kind",
            r#"unknown home kind "team""#,
        ),
        (
            r#"provider::studio::home_key("data_science", "user", "alice")"#,
            "domain_name",
            r#"domain name "data_science" is not valid"#,
        ),
        (
            r#"provider::studio::parse_home_key("data-science/alice")"#,
            "key",
            "is not a home key",
        ),
        (
            "provider::studio::efs_home_path(0)",
            "uid",
            "uid 0 does not name a home directory",
        ),
    ] {
        tf.write(
            "main.tf",
            &format!("output \"bad\" {{\n  value = {call}\n}}\n"),
        );
        let failed = tf.plan_fails();
        let text = failed
            .stderr
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains(&format!("Invalid value for \"{parameter}\" parameter"))
                && text.contains(says),
            "{call}: the error names the argument {parameter:?} and says {says:?}:\n{failed}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_replication_and_a_restore_target_import_by_identity() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("ident");
    let domain_id = create_domain(&aws, &domain_name, AuthMode::Iam).await.0;
    create_profile(&aws, &domain_id, "alice").await;
    let tables = create_tables(&aws).await;
    let resources = format!(
        r#"
resource "studio_replication" "carol" {{
  domain_name       = "{domain_name}"
  user_profile_name = "carol"
  enabled           = false
}}

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
    );

    // One machine declares both.
    let first = studio_dir(&emulator, &tables);
    first.write("main.tf", &resources);
    first.init();
    first.apply();
    first.assert_plan_empty();
    let target_state = first.resource("studio_restore_target.bob");
    let replication_identity = stored_identity(&first, "studio_replication.carol");
    assert_eq!(
        replication_identity,
        serde_json::json!({
            "user_table": tables.0, "domain_name": domain_name, "kind": "user", "name": "carol"
        }),
        "the identity Terraform stored after create"
    );

    // Another imports them by identity: the table named for one, left out for the other.
    let second = studio_dir(&emulator, &tables);
    second.write(
        "main.tf",
        &format!(
            r#"{resources}
import {{
  to = studio_replication.carol
  identity = {{
    user_table  = "{user_table}"
    domain_name = "{domain_name}"
    kind        = "user"
    name        = "carol"
  }}
}}

import {{
  to = studio_restore_target.bob
  identity = {{
    domain_name = "{domain_name}"
    kind        = "user"
    name        = "bob"
  }}
}}
"#,
            user_table = tables.0
        ),
    );
    second.init();
    let plan = second.assert_plan_changes();
    assert!(
        plan.text()
            .contains("2 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.text()
    );
    second.apply();
    second.assert_plan_empty();
    let imported = second.resource("studio_restore_target.bob");
    // Not `set_at`: as with an import by id, it is read back from the history, a few
    // milliseconds off the time the first apply put in its state.
    for attribute in ["id", "target", "source", "status"] {
        assert_eq!(
            imported[attribute], target_state[attribute],
            "{attribute} after the import"
        );
    }
    assert_eq!(
        second.attribute("studio_replication.carol", "enabled"),
        "false"
    );
    assert_eq!(
        stored_identity(&second, "studio_replication.carol"),
        replication_identity
    );
    assert_eq!(
        stored_identity(&second, "studio_restore_target.bob"),
        serde_json::json!({
            "user_table": tables.0, "domain_name": domain_name, "kind": "user", "name": "bob"
        })
    );

    // An identity naming another table than the provider's is refused, naming the attribute.
    let third = studio_dir(&emulator, &tables);
    third.write(
        "main.tf",
        &format!(
            r#"{resources}
import {{
  to = studio_replication.carol
  identity = {{
    user_table  = "someone-elses-table"
    domain_name = "{domain_name}"
    kind        = "user"
    name        = "carol"
  }}
}}
"#
        ),
    );
    third.init();
    let failed = third.plan_fails();
    assert!(
        failed.stderr.contains("identity attribute `user_table`")
            && failed.stderr.contains("someone-elses-table"),
        "{failed}"
    );
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_profile_restore_imports_by_identity() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (domain_id, fs) = create_domain(&aws, &unique_name("ident-pr"), AuthMode::Iam).await;
    let tables = create_tables(&aws).await;
    let old_uid = create_profile(&aws, &domain_id, "alice").await;
    let old_home = emulator.home_dir(&fs, &old_uid);
    open_studio(&aws.sagemaker, Studio::user_profile(&domain_id, "alice")).await;
    write_file(&old_home.join("notes.md"), "# kept\n");
    hand_to_owner(&old_home);
    let new_uid = recreate_profile(&aws, &domain_id, "alice").await;
    let restore = format!(
        r#"
resource "studio_profile_restore" "alice" {{
  source = {{
    domain_id         = "{domain_id}"
    user_profile_name = "alice"
    uid               = {old_uid}
  }}
  target = {{
    domain_id         = "{domain_id}"
    user_profile_name = "alice"
  }}
}}
"#
    );

    let first = studio_dir(&emulator, &tables);
    first.write("main.tf", &restore);
    first.init();
    first.apply();
    assert!(emulator.home_dir(&fs, &new_uid).join("notes.md").is_file());
    let identity = serde_json::json!({
        "history_table": tables.1, "domain_id": domain_id, "kind": "user", "name": "alice"
    });
    assert_eq!(
        stored_identity(&first, "studio_profile_restore.alice"),
        identity
    );
    let restored = first.resource("studio_profile_restore.alice");

    let second = studio_dir(&emulator, &tables);
    second.write(
        "main.tf",
        &format!(
            r#"{restore}
import {{
  to = studio_profile_restore.alice
  identity = {{
    domain_id = "{domain_id}"
    kind      = "user"
    name      = "alice"
  }}
}}
"#
        ),
    );
    second.init();
    second.apply();
    second.assert_plan_empty();
    let imported = second.resource("studio_profile_restore.alice");
    for attribute in ["id", "target_uid", "source_uid", "status", "execution_arn"] {
        assert_eq!(
            imported[attribute], restored[attribute],
            "{attribute} after the import"
        );
    }
    assert_eq!(
        stored_identity(&second, "studio_profile_restore.alice"),
        identity
    );
}
