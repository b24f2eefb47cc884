//! `studio_profile_restore` through real Terraform against the emulator, as a lifecycle:
//! apply, empty plan, the target recreated out of band shows as a replacement, apply again,
//! empty plan, import, destroy — and no DataSync location or access point left behind.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use aws_sdk_sagemaker::types::AuthMode;
use serde_json::Value;
use studio_e2e::{
    Emulator, LeakScope, Studio, Terraform, TerraformOutput, TerraformVersion, create_domain,
    create_profile, create_table, delete_and_wait, hand_to_owner, open_studio, recreate_profile,
    unique_name, write_file,
};

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

async fn lifecycle(version: TerraformVersion) {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (domain_id, fs) = create_domain(&aws, &unique_name("restore"), AuthMode::Iam).await;
    let tables = (unique_name("users"), unique_name("history"));
    create_table(&aws, &tables.0, None).await;
    create_table(&aws, &tables.1, Some("at")).await;

    let old_uid = create_profile(&aws, &domain_id, "alice").await;
    let old_home = emulator.home_dir(&fs, &old_uid);
    open_studio(&aws.sagemaker, Studio::user_profile(&domain_id, "alice")).await;
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
    hand_to_owner(&old_home);
    let new_uid = recreate_profile(&aws, &domain_id, "alice").await;

    let tf = Terraform::with_version(&emulator, version);
    tf.write(
        "main.tf",
        &config(&emulator, &tables, &restore_block(&domain_id, &old_uid)),
    );
    tf.init();
    tf.apply();
    // Every DataSync task of this restore, recorded as it runs: a leaked one is found by its
    // ARN even when its locations are gone.
    let mut scope = LeakScope::file_system(&fs);
    scope.record_execution(&tf.attribute("studio_profile_restore.alice", "execution_arn"));
    let new_home = emulator.home_dir(&fs, &new_uid);
    assert_eq!(
        std::fs::read_to_string(new_home.join("notebooks/analysis.ipynb")).unwrap(),
        "{\"cells\": []}\n"
    );
    let key = std::fs::symlink_metadata(new_home.join(".ssh/id_ed25519")).unwrap();
    assert_eq!(key.mode() & 0o777, 0o600, "modes are kept");
    assert!(
        running_as_root(),
        "the emulator gives files away (chown) only when it runs as root, as CI does: without \
         it, that restored files belong to the new uid cannot be checked"
    );
    assert_eq!(
        key.uid().to_string(),
        new_uid,
        "files belong to the new uid"
    );
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
    scope.record_execution(&tf.attribute("studio_profile_restore.alice", "execution_arn"));
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
    scope.assert_none_left(&aws).await;
}

fn running_as_root() -> bool {
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
    let (domain_id, _fs) = create_domain(&aws, &unique_name("gone"), AuthMode::Iam).await;
    let tables = (unique_name("users"), unique_name("history"));
    create_table(&aws, &tables.0, None).await;
    create_table(&aws, &tables.1, Some("at")).await;
    let old_uid = create_profile(&aws, &domain_id, "alice").await;
    // Alice used Studio once: her home exists (Studio creates it at her first app).
    open_studio(&aws.sagemaker, Studio::user_profile(&domain_id, "alice")).await;
    recreate_profile(&aws, &domain_id, "alice").await;
    let tf = Terraform::new(&emulator);
    tf.write(
        "main.tf",
        &config(&emulator, &tables, &restore_block(&domain_id, &old_uid)),
    );
    tf.init();
    tf.apply();
    delete_and_wait(&aws.sagemaker, Studio::user_profile(&domain_id, "alice")).await;
    let plan = tf.assert_plan_changes();
    assert!(plan.text().contains("will be created"), "{}", plan.text());
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn bad_inputs_get_one_clear_diagnostic_with_the_attribute() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("bad");
    let (domain_id, _fs) = create_domain(&aws, &domain_name, AuthMode::Iam).await;
    let tables = (unique_name("users"), unique_name("history"));
    create_table(&aws, &tables.0, None).await;
    create_table(&aws, &tables.1, Some("at")).await;
    create_profile(&aws, &domain_id, "alice").await;

    // Each case: the body, the summary of the one diagnostic, and the expression it must be
    // attached to (Terraform highlights the configuration at the diagnostic's attribute path,
    // down into the object's attribute). A diagnostic at the wrong attribute highlights
    // something else.
    let source_both = format!(
        r#"{{ domain_id = "{domain_id}", user_profile_name = "alice", space_name = "alice-space", uid = 200000 }}"#
    );
    let source_none = format!(r#"{{ domain_id = "{domain_id}", uid = 200000 }}"#);
    let source_nobody = format!(r#"{{ domain_id = "{domain_id}", user_profile_name = "nobody" }}"#);
    let source_alice =
        format!(r#"{{ domain_id = "{domain_id}", user_profile_name = "alice", uid = 200000 }}"#);
    let target_alice = format!(r#"{{ domain_id = "{domain_id}", user_profile_name = "alice" }}"#);
    let target_unknown = r#"{ domain_id = "d-doesnotexist1", user_profile_name = "alice" }"#;
    let refused_into_alice =
        format!("Cannot restore into {domain_name}/user/alice from this source");
    let cases = [
        (
            &source_both,
            target_alice.as_str(),
            "Invalid attribute combination",
            source_both.as_str(),
        ),
        (
            &source_none,
            target_alice.as_str(),
            "Invalid attribute combination",
            source_none.as_str(),
        ),
        (
            &source_alice,
            target_unknown,
            "Unknown target domain",
            r#""d-doesnotexist1""#,
        ),
        (
            &source_nobody,
            target_alice.as_str(),
            refused_into_alice.as_str(),
            source_nobody.as_str(),
        ),
    ];
    for (source, target, summary, highlight) in cases {
        let tf = Terraform::new(&emulator);
        tf.write(
            "main.tf",
            &config(
                &emulator,
                &tables,
                &format!(
                    "resource \"studio_profile_restore\" \"x\" {{\n  source = {source}\n  target = {target}\n}}\n"
                ),
            ),
        );
        tf.init();
        let out = tf.run_failing(&["plan", "-json", "-input=false", "-no-color"]);
        let errors: Vec<Value> = diagnostics(&out)
            .into_iter()
            .filter(|d| d["severity"] == "error")
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "exactly one error for source = {source}, target = {target}:\n{out}"
        );
        let error = &errors[0];
        assert_eq!(error["summary"], summary, "{error:#}");
        assert_eq!(
            highlighted(error),
            Some(highlight),
            "the diagnostic is attached to {highlight}: {error:#}"
        );
    }

    // The same directory as source and target: plan warns (the target may be recreated earlier
    // in the same apply, as `scripts/demo` does), apply refuses it before creating anything.
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
    let text = format!("{}{}", out.stdout, out.stderr).replace('\n', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("Warning: The source is the target's current home directory"),
        "plan warns: {text}"
    );
    assert!(
        text.contains("Error:") && text.contains("target's own home directory"),
        "apply refuses: {text}"
    );
    assert!(
        !tf.dir().join("terraform.tfstate").exists() || tf.state_list().is_empty(),
        "a refused restore leaves nothing in the state"
    );
}

/// The diagnostics of a `-json` command: the `diagnostic` object of each such line of
/// Terraform's machine-readable UI.
fn diagnostics(out: &TerraformOutput) -> Vec<Value> {
    out.stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["type"] == "diagnostic")
        .map(|message| message["diagnostic"].clone())
        .collect()
}

/// The configuration text a diagnostic highlights: the expression at its attribute path.
fn highlighted(diagnostic: &Value) -> Option<&str> {
    let snippet = &diagnostic["snippet"];
    let code = snippet["code"].as_str()?;
    let start = usize::try_from(snippet["highlight_start_offset"].as_u64()?).ok()?;
    let end = usize::try_from(snippet["highlight_end_offset"].as_u64()?).ok()?;
    code.get(start..end)
}
