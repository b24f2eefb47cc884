//! `studio_profile_restore` through real Terraform against the emulator, as a lifecycle:
//! apply, empty plan, the target recreated out of band shows as a replacement, apply again,
//! empty plan, import, destroy — and no DataSync location or access point left behind.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::{AuthMode, UserSettings};
use studio_e2e::{
    ACCOUNT_ID, Clients, Emulator, Terraform, TerraformVersion, unique_name, write_file,
};

/// A domain with subnets and security groups (DataSync's network defaults come from them).
async fn create_domain(aws: &Clients, name: &str) -> (String, String) {
    let id = aws
        .sagemaker
        .create_domain()
        .domain_name(name)
        .auth_mode(AuthMode::Iam)
        .default_user_settings(
            UserSettings::builder()
                .execution_role(format!("arn:aws:iam::{ACCOUNT_ID}:role/studio-execution"))
                .security_groups("sg-0e2e0000")
                .build(),
        )
        .subnet_ids("subnet-0e2e0000")
        .vpc_id("vpc-0e2e0000")
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating domain {name}: {}", DisplayErrorContext(e)))
        .domain_id
        .expect("a domain id");
    let fs = aws
        .sagemaker
        .describe_domain()
        .domain_id(&id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing {id}: {}", DisplayErrorContext(e)))
        .home_efs_file_system_id
        .expect("a home file system");
    (id, fs)
}

async fn create_profile(aws: &Clients, domain_id: &str, name: &str) -> String {
    aws.sagemaker
        .create_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating {name} in {domain_id}: {}", DisplayErrorContext(e)));
    aws.sagemaker
        .describe_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing {name}: {}", DisplayErrorContext(e)))
        .home_efs_file_system_uid
        .expect("a uid")
}

async fn recreate_profile(aws: &Clients, domain_id: &str, name: &str) -> String {
    aws.sagemaker
        .delete_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("deleting {name}: {}", DisplayErrorContext(e)));
    create_profile(aws, domain_id, name).await
}

async fn create_table(aws: &Clients, name: &str, range: Option<&str>) {
    let mut req = aws
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("home")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("home")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        );
    if let Some(range) = range {
        req = req
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(range)
                    .attribute_type(ScalarAttributeType::N)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(range)
                    .key_type(KeyType::Range)
                    .build()
                    .unwrap(),
            );
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("creating table {name}: {}", DisplayErrorContext(e)));
}

fn config(emulator: &Emulator, tables: &(String, String), body: &str) -> String {
    let url = emulator.endpoint();
    format!(
        r#"
terraform {{
  required_providers {{
    studio = {{ source = "studio-restore/studio" }}
  }}
}}

provider "studio" {{
  region        = "us-east-1"
  user_table    = "{user}"
  history_table = "{history}"
  endpoints {{
    sagemaker = "{url}"
    datasync  = "{url}"
    dynamodb  = "{url}"
    sfn       = "{url}"
    efs       = "{url}"
  }}
}}
{body}"#,
        user = tables.0,
        history = tables.1,
    )
}

fn restore_block(domain_id: &str, source_uid: &str) -> String {
    format!(
        r#"
resource "studio_profile_restore" "alice" {{
  source = {{
    domain_id         = "{domain_id}"
    user_profile_name = "alice"
    uid               = {source_uid}
  }}
  target = {{
    domain_id         = "{domain_id}"
    user_profile_name = "alice"
  }}
}}
"#
    )
}

async fn no_leftovers(aws: &Clients, fs: &str) {
    let locations = aws
        .datasync
        .list_locations()
        .send()
        .await
        .expect("listing locations");
    let ours: Vec<_> = locations
        .locations()
        .iter()
        .filter_map(|l| l.location_uri())
        .filter(|uri| uri.contains(fs))
        .collect();
    assert!(
        ours.is_empty(),
        "DataSync locations left behind on {fs}: {ours:?}"
    );
    let aps = aws
        .efs
        .describe_access_points()
        .file_system_id(fs)
        .send()
        .await
        .expect("listing access points");
    assert!(
        aps.access_points().is_empty(),
        "EFS access points left behind on {fs}: {:?}",
        aps.access_points()
    );
}

async fn lifecycle(version: TerraformVersion) {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (domain_id, fs) = create_domain(&aws, &unique_name("restore")).await;
    let tables = (unique_name("users"), unique_name("history"));
    create_table(&aws, &tables.0, None).await;
    create_table(&aws, &tables.1, Some("at")).await;

    let old_uid = create_profile(&aws, &domain_id, "alice").await;
    let old_home = emulator.home_dir(&fs, &old_uid);
    write_file(
        &old_home.join("notebooks/analysis.ipynb"),
        "{\"cells\": []}\n",
    );
    write_file(&old_home.join(".ssh/id_ed25519"), "key\n");
    std::fs::set_permissions(
        old_home.join(".ssh/id_ed25519"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/hostname", old_home.join("outside")).unwrap();
    let new_uid = recreate_profile(&aws, &domain_id, "alice").await;

    let tf = Terraform::with_version(&emulator, version);
    tf.write(
        "main.tf",
        &config(&emulator, &tables, &restore_block(&domain_id, &old_uid)),
    );
    tf.init();
    tf.apply();
    let new_home = emulator.home_dir(&fs, &new_uid);
    assert_eq!(
        std::fs::read_to_string(new_home.join("notebooks/analysis.ipynb")).unwrap(),
        "{\"cells\": []}\n"
    );
    let key = std::fs::symlink_metadata(new_home.join(".ssh/id_ed25519")).unwrap();
    assert_eq!(key.mode() & 0o777, 0o600, "modes are kept");
    if nix_is_root() {
        assert_eq!(
            key.uid().to_string(),
            new_uid,
            "files belong to the new uid"
        );
    }
    assert_eq!(
        std::fs::read_link(new_home.join("outside"))
            .unwrap()
            .to_str(),
        Some("/etc/hostname")
    );
    assert_eq!(
        tf.attribute("studio_profile_restore.alice", "status"),
        "SUCCESS"
    );
    assert_eq!(
        tf.attribute("studio_profile_restore.alice", "target_uid"),
        new_uid
    );
    assert_eq!(
        tf.attribute("studio_profile_restore.alice", "source_uid"),
        old_uid
    );
    tf.assert_plan_empty();

    // alice is recreated out of band: the plan says the restore must run again, and why.
    let newer_uid = recreate_profile(&aws, &domain_id, "alice").await;
    let plan = tf.assert_plan_changes();
    assert!(plan.text().contains("must be replaced"), "{}", plan.text());
    let reason = plan
        .text()
        .lines()
        .find(|l| l.contains("forces replacement"))
        .unwrap_or_default();
    assert!(
        reason.contains("target_uid") && reason.contains(&format!("= {new_uid} ->")),
        "the plan names the recreated target's uid as the reason:\n{}",
        plan.text()
    );
    tf.apply();
    assert!(
        emulator
            .home_dir(&fs, &newer_uid)
            .join("notebooks/analysis.ipynb")
            .is_file()
    );
    tf.assert_plan_empty();

    // Import by the id a user can read off the resource, then the plan is empty again.
    let id = tf.attribute("studio_profile_restore.alice", "id");
    assert_eq!(id, format!("{domain_id}/user/alice"));
    tf.state_rm("studio_profile_restore.alice");
    tf.import("studio_profile_restore.alice", &id);
    assert_eq!(
        tf.attribute("studio_profile_restore.alice", "target_uid"),
        newer_uid
    );
    tf.assert_plan_empty();

    tf.destroy();
    assert!(
        emulator
            .home_dir(&fs, &newer_uid)
            .join("notebooks/analysis.ipynb")
            .is_file(),
        "destroy never touches user files"
    );
    no_leftovers(&aws, &fs).await;
}

fn nix_is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn lifecycle_with_terraform_1_15() {
    lifecycle(TerraformVersion::V1_15).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn lifecycle_with_terraform_1_0() {
    lifecycle(TerraformVersion::V1_0).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_target_deleted_leaves_the_state_and_plans_a_create() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (domain_id, _fs) = create_domain(&aws, &unique_name("gone")).await;
    let tables = (unique_name("users"), unique_name("history"));
    create_table(&aws, &tables.0, None).await;
    create_table(&aws, &tables.1, Some("at")).await;
    let old_uid = create_profile(&aws, &domain_id, "alice").await;
    recreate_profile(&aws, &domain_id, "alice").await;
    let tf = Terraform::new(&emulator);
    tf.write(
        "main.tf",
        &config(&emulator, &tables, &restore_block(&domain_id, &old_uid)),
    );
    tf.init();
    tf.apply();
    aws.sagemaker
        .delete_user_profile()
        .domain_id(&domain_id)
        .user_profile_name("alice")
        .send()
        .await
        .unwrap();
    let plan = tf.assert_plan_changes();
    assert!(plan.text().contains("will be created"), "{}", plan.text());
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn bad_inputs_get_one_clear_diagnostic_with_the_attribute() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (domain_id, _fs) = create_domain(&aws, &unique_name("bad")).await;
    let tables = (unique_name("users"), unique_name("history"));
    create_table(&aws, &tables.0, None).await;
    create_table(&aws, &tables.1, Some("at")).await;
    create_profile(&aws, &domain_id, "alice").await;

    let cases = [
        (
            format!(
                r#"source = {{ domain_id = "{domain_id}", user_profile_name = "alice", space_name = "alice", uid = 200000 }}
  target = {{ domain_id = "{domain_id}", user_profile_name = "alice" }}"#
            ),
            "source",
        ),
        (
            format!(
                r#"source = {{ domain_id = "{domain_id}", uid = 200000 }}
  target = {{ domain_id = "{domain_id}", user_profile_name = "alice" }}"#
            ),
            "source",
        ),
        (
            format!(
                r#"source = {{ domain_id = "{domain_id}", user_profile_name = "alice", uid = 200000 }}
  target = {{ domain_id = "d-doesnotexist1", user_profile_name = "alice" }}"#
            ),
            "target.domain_id",
        ),
        (
            format!(
                r#"source = {{ domain_id = "{domain_id}", user_profile_name = "nobody" }}
  target = {{ domain_id = "{domain_id}", user_profile_name = "alice" }}"#
            ),
            "source",
        ),
    ];
    for (body, attribute) in cases {
        let tf = Terraform::new(&emulator);
        tf.write(
            "main.tf",
            &config(
                &emulator,
                &tables,
                &format!("resource \"studio_profile_restore\" \"x\" {{\n  {body}\n}}\n"),
            ),
        );
        tf.init();
        let out = tf.plan_fails();
        let text = format!("{}{}", out.stdout, out.stderr);
        assert_eq!(
            text.matches("Error:").count(),
            1,
            "exactly one diagnostic for {body}:\n{text}"
        );
        assert!(
            text.contains(attribute.split('.').next().unwrap()),
            "the diagnostic names {attribute}:\n{text}"
        );
    }

    // The same directory as source and target is refused, at plan now that the resolver checks
    // what it knows then (it used to get as far as apply).
    let uid = aws
        .sagemaker
        .describe_user_profile()
        .domain_id(&domain_id)
        .user_profile_name("alice")
        .send()
        .await
        .unwrap()
        .home_efs_file_system_uid
        .unwrap();
    let tf = Terraform::new(&emulator);
    tf.write(
        "main.tf",
        &config(&emulator, &tables, &restore_block(&domain_id, &uid)),
    );
    tf.init();
    let out = tf.apply_fails();
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(
        text.contains("same directory") || text.contains("target's own home directory"),
        "{text}"
    );
    assert!(
        !tf.dir().join("terraform.tfstate").exists() || tf.state_list().is_empty(),
        "a refused restore leaves nothing in the state"
    );
}
