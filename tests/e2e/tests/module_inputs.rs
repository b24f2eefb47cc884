//! Issue 12, points 8 and 9: `modules/studio-restore` planned against the emulator with
//! Terraform 1.0.3 (the oldest supported; the modules' input types changed) and 1.15. Lambda
//! packages from S3 alone plan (no local zip is read); a function without a package, and every
//! input with a known format given a bad value, fail the plan with an error naming the variable.

use studio_e2e::{
    Emulator, Provider, TEST_SUBNET, TEST_VPC, Terraform, TerraformVersion, repo_root, unique_name,
};

/// A base64 SHA-256, as `openssl dgst -sha256 -binary f.zip | base64` prints it.
const HASH: &str = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";

/// A working directory holding modules/studio-restore with `arguments` added to its block.
fn configuration(emulator: &Emulator, version: TerraformVersion, arguments: &str) -> Terraform {
    let tf = Terraform::with_version(emulator, version);
    tf.write_providers(&[Provider::Aws]);
    // A local module source: an absolute path would make the modules a remote package, whose
    // composite could not reach its siblings through "../".
    std::os::unix::fs::symlink(repo_root().join("modules"), tf.dir().join("modules"))
        .expect("linking the modules into the working directory");
    tf.write(
        "main.tf",
        &format!(
            r#"
module "studio_restore" {{
  source         = "./modules/studio-restore"
  name_prefix    = "{prefix}"
  vpc_id         = "{TEST_VPC}"
  subnet_id      = "{TEST_SUBNET}"
  lambda_runtime = "provided.al2"
{arguments}
}}
"#,
            prefix = unique_name("mi"),
        ),
    );
    tf.init();
    tf
}

fn s3_package(function: &str) -> String {
    format!(
        r#"    {function} = {{ bucket = "my-artifacts", key = "studio-restore/0.1.0/studio-{function}.zip", object_version = "v-{function}", source_code_hash = "{HASH}" }}"#
    )
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn packages_from_s3_plan_without_any_local_zip() {
    let emulator = Emulator::from_env();
    for version in [TerraformVersion::V1_0, TerraformVersion::V1_15] {
        let packages = ["event-processor", "stream-processor", "reconciler"]
            .map(s3_package)
            .join("\n");
        let tf = configuration(
            &emulator,
            version,
            &format!("  lambda_s3_packages = {{\n{packages}\n  }}"),
        );
        let plan = tf.plan();
        let text = &plan.output.stdout;
        for function in ["event-processor", "stream-processor", "reconciler"] {
            assert!(
                text.contains(&format!("\"studio-restore/0.1.0/studio-{function}.zip\""))
                    && text.contains(&format!("\"v-{function}\"")),
                "{version:?}: the plan does not deploy {function} from S3:\n{text}"
            );
        }
        assert!(
            text.contains(HASH),
            "{version:?}: no source_code_hash:\n{text}"
        );
        assert!(
            !text
                .lines()
                .any(|l| l.trim_start().starts_with("+ filename")),
            "{version:?}: a local file in the plan:\n{text}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_function_without_a_package_fails_the_plan_naming_both_variables() {
    let emulator = Emulator::from_env();
    let packages = ["event-processor", "stream-processor"]
        .map(s3_package)
        .join("\n");
    let tf = configuration(
        &emulator,
        TerraformVersion::V1_0,
        &format!("  lambda_s3_packages = {{\n{packages}\n  }}"),
    );
    let failed = tf.plan_fails();
    // Terraform wraps long messages: compare with single spaces.
    let said = failed
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        said.contains(
            r#"no package for reconciler: set reconciler_zip or lambda_s3_packages["reconciler"]"#
        ),
        "{failed}"
    );
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn bad_inputs_fail_the_plan_naming_the_variable() {
    let emulator = Emulator::from_env();
    let lambda_dir = format!(
        "  lambda_dir = \"{}\"",
        repo_root().join("target/lambda").display()
    );
    let cases: &[(&str, &str)] = &[
        (
            r#"lambda_architecture = "arm64""#,
            "lambda_architecture must be x86_64",
        ),
        (
            "lambda_memory_mb = 64",
            "lambda_memory_mb must be a whole number from 128",
        ),
        (
            "log_retention_days = 45",
            "log_retention_days must be one of",
        ),
        (
            r#"reconcile_schedule = "every hour""#,
            "reconcile_schedule must be an EventBridge",
        ),
        (r#"domain_ids = ["sg-0123"]"#, "Every entry of domain_ids"),
        (
            r#"domain_names = ["data science"]"#,
            "Every entry of domain_names",
        ),
        (
            r#"efs_security_group_ids = { studio = "d-0123" }"#,
            "efs_security_group_ids must be",
        ),
        (
            r#"kms_key_arn = "alias/studio""#,
            "kms_key_arn must be null or a KMS key ARN",
        ),
        (
            r#"mapping_table_name = "a b""#,
            "mapping_table_name must be null or a DynamoDB",
        ),
        (
            r#"lambda_s3_packages = { reconciler = { bucket = "b", key = "k" } }"#,
            "lambda_s3_packages must map",
        ),
        (
            r#"notification_emails = ["ml-platform"]"#,
            "Every entry of notification_emails",
        ),
        (
            "create_notification_topic = false",
            "create_notification_topic is false and notification_topic_arn is null",
        ),
    ];
    for (argument, error) in cases {
        let tf = configuration(
            &emulator,
            TerraformVersion::V1_0,
            &format!("{lambda_dir}\n  {argument}"),
        );
        let failed = tf.plan_fails();
        // Terraform wraps long messages: compare with single spaces.
        let said = failed
            .stderr
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            said.contains(error),
            "{argument}: expected {error:?} in\n{failed}"
        );
    }
}

/// `examples/<name>` in a working directory, its module sources reaching modules/ through a link
/// (as `complete_example` does), its provider blocks pointed at the emulator.
fn example(emulator: &Emulator, name: &str) -> Terraform {
    let root = repo_root();
    let tf = Terraform::new(emulator);
    let dir = root.join("examples").join(name);
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {dir:?}: {e}")) {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path).expect("reading a .tf file");
            let text = text.replace("\"../../modules/", "\"./modules/");
            tf.write(path.file_name().unwrap().to_str().unwrap(), &text);
        }
    }
    std::os::unix::fs::symlink(root.join("modules"), tf.dir().join("modules"))
        .expect("linking the modules into the working directory");
    tf.write_provider_override(&[Provider::Aws]);
    tf
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_existing_domain_and_manual_restore_examples_plan() {
    let emulator = Emulator::from_env();
    let mut tf = example(&emulator, "existing-domain");
    tf.set_var("name_prefix", &unique_name("ex"))
        .set_var("vpc_id", TEST_VPC)
        .set_var("subnet_id", TEST_SUBNET)
        .set_var("domain_ids", r#"["d-0123456789ab"]"#)
        .set_var("efs_security_group_ids", r#"{ studio = "sg-0e2e0000" }"#)
        .set_var(
            "lambda_dir",
            &repo_root().join("target/lambda").display().to_string(),
        )
        .set_var("lambda_runtime", "provided.al2");
    tf.init();
    let plan = tf.plan();
    assert!(
        plan.output
            .stdout
            .contains("module.studio_restore.module.efs_access[\"studio\"]"),
        "{}",
        plan.output
    );

    let mut tf = example(&emulator, "manual-restore");
    tf.set_var(
        "state_machine_arn",
        "arn:aws:states:us-east-1:123456789012:stateMachine:studio-restore-restore",
    )
    .set_var(
        "source_home",
        r#"{ home = "studio/user/alice", domain_id = "d-old", file_system_id = "fs-0123", uid = "200001" }"#,
    )
    .set_var(
        "target_home",
        r#"{ domain_id = "d-new", domain_name = "studio", kind = "user", name = "alice", file_system_id = "fs-4567", uid = "200002" }"#,
    );
    tf.init();
    tf.plan();
}
