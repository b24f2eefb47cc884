//! The harness's Terraform runner against the emulator: the lifecycle every provider and module
//! test relies on (init, apply, an empty second plan, import, state queries, destroy), with both
//! Terraform versions and with a configuration that brings its own provider block.

use studio_e2e::{Emulator, Provider, Terraform, TerraformVersion, unique_name};

fn table_config(name: &str) -> String {
    format!(
        r#"resource "aws_dynamodb_table" "homes" {{
  name             = "{name}"
  hash_key         = "home"
  billing_mode     = "PAY_PER_REQUEST"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {{
    name = "home"
    type = "S"
  }}
}}

output "table_arn" {{
  value = aws_dynamodb_table.homes.arn
}}
"#
    )
}

async fn table_exists(emulator: &Emulator, name: &str) -> bool {
    let aws = emulator.clients().await;
    match aws.dynamodb.describe_table().table_name(name).send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(e) => panic!(
            "describing table {name}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(e)
        ),
    }
}

async fn lifecycle(version: TerraformVersion) {
    let emulator = Emulator::from_env();
    let name = unique_name("harness");
    let tf = Terraform::with_version(&emulator, version);
    tf.write_providers(&[Provider::Aws]);
    tf.write("main.tf", &table_config(&name));

    tf.init();
    tf.apply();
    tf.assert_plan_empty();
    assert!(
        table_exists(&emulator, &name).await,
        "apply did not create table {name}"
    );
    assert_eq!(tf.state_list(), ["aws_dynamodb_table.homes"]);
    let table = tf.resource("aws_dynamodb_table.homes");
    assert_eq!(table["name"], name.as_str(), "{table:#}");
    assert_eq!(table["stream_enabled"], true, "{table:#}");
    let arn = tf.output("table_arn");
    assert!(
        arn.as_str()
            .is_some_and(|a| a.ends_with(&format!(":table/{name}"))),
        "output table_arn: {arn}"
    );

    // Forget it, import it back: the state matches again.
    tf.state_rm("aws_dynamodb_table.homes");
    assert!(tf.state_list().is_empty());
    tf.import("aws_dynamodb_table.homes", &name);
    // Terraform 1.0's import records no outputs; the apply only writes them.
    tf.apply();
    tf.assert_plan_empty();

    // A change shows in the plan.
    tf.write(
        "main.tf",
        &table_config(&name).replace("NEW_AND_OLD_IMAGES", "KEYS_ONLY"),
    );
    let plan = tf.assert_plan_changes();
    assert!(plan.text().contains("stream_view_type"), "{}", plan.text());
    tf.write("main.tf", &table_config(&name));

    tf.destroy();
    assert!(
        !table_exists(&emulator, &name).await,
        "destroy left table {name}"
    );
    assert!(tf.state_list().is_empty());
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn terraform_1_15_lifecycle() {
    lifecycle(TerraformVersion::V1_15).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn terraform_1_0_lifecycle() {
    lifecycle(TerraformVersion::V1_0).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn provider_override_points_a_configured_provider_at_the_emulator() {
    let emulator = Emulator::from_env();
    let name = unique_name("override");
    let tf = Terraform::new(&emulator);
    // As an example would declare it: real AWS in another region.
    tf.write(
        "versions.tf",
        r#"terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "3.39.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}
"#,
    );
    tf.write("main.tf", &table_config(&name));
    tf.write_provider_override(&[Provider::Aws]);
    tf.init();
    tf.apply();
    let arn = tf.output("table_arn");
    assert!(
        arn.as_str()
            .is_some_and(|a| a.starts_with("arn:aws:dynamodb:us-east-1:")),
        "the override's region is used: {arn}"
    );
    assert!(table_exists(&emulator, &name).await);
    tf.destroy();
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_failing_apply_reports_terraforms_error() {
    let emulator = Emulator::from_env();
    let name = unique_name("twice");
    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Aws]);
    // A second table of the same name, created after the first: DynamoDB refuses it.
    let second = table_config(&name)
        .replace("\"homes\"", "\"again\"")
        .replace("output \"table_arn\"", "output \"again_arn\"")
        .replace("aws_dynamodb_table.homes", "aws_dynamodb_table.again");
    tf.write("main.tf", &table_config(&name));
    tf.write(
        "again.tf",
        &second.replace(
            "  billing_mode     = \"PAY_PER_REQUEST\"\n",
            "  billing_mode     = \"PAY_PER_REQUEST\"\n  depends_on       = [aws_dynamodb_table.homes]\n",
        ),
    );
    tf.init();
    let failed = tf.apply_fails();
    assert!(
        failed.stderr.contains("Error") && failed.stderr.contains(&name),
        "{failed}"
    );
    let message = failed.to_string();
    assert!(
        message.contains("----- stderr -----") && message.contains("apply"),
        "{message}"
    );
    tf.destroy();
}
