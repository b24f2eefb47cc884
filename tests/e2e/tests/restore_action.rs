//! Issue 14, point 2, with real Terraform 1.15 against the emulator: `action "studio_restore"`.
//! An `aws_sagemaker_user_profile` (hashicorp/aws 3.39) carries an `action_trigger` on
//! `after_create`; recreating it (`-replace`) brings the old home's files into the new uid's home
//! by the end of the same apply, with the copy's progress in the output. `terraform apply
//! -invoke` runs the action alone. The configuration is `examples/actions/studio_restore` as
//! a user fills it in; `terraform providers schema -json` lists it; bad
//! configurations fail at validate and plan naming the attribute.

use aws_sdk_sagemaker::types::AuthMode;
use serde_json::Value;
use studio_e2e::{
    Emulator, LeakScope, Provider, Studio, Terraform, close_studio, create_domain, create_tables,
    hand_to_owner, open_studio, repo_root, unique_name, write_file,
};

const STUDIO: &str = "registry.terraform.io/studio-restore/studio";

/// `examples/actions/studio_restore` as a user fills it in (the docs' domain id), with an output
/// of alice's uid.
fn example(domain_id: &str) -> String {
    let path = repo_root().join("examples/actions/studio_restore/action.tf");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert!(text.contains("d-0123456789ab"), "the example's placeholder");
    text.replace("d-0123456789ab", domain_id)
}

const OUTPUTS: &str = r#"
output "uid" {
  value = aws_sagemaker_user_profile.alice.home_efs_file_system_uid
}
"#;

/// The progress lines the provider sent for the copy: `<status>: <n> files, <m> bytes
/// transferred (<execution>)`, as (status, files, bytes).
fn progress(stdout: &str) -> Vec<(String, i64, i64)> {
    stdout
        .lines()
        .filter_map(|line| {
            let (head, rest) = line.split_once(" files, ")?;
            let (status, files) = head.rsplit_once(": ")?;
            let status = status.rsplit(' ').next()?.to_owned();
            let bytes = rest.split_once(" bytes transferred")?.0;
            Some((
                status,
                files.trim().parse().ok()?,
                bytes.trim().parse().ok()?,
            ))
        })
        .collect()
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_schema_lists_the_action() {
    let emulator = Emulator::from_env();
    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.init();
    let output = tf.run(&["providers", "schema", "-json"]);
    let schema: Value = serde_json::from_str(&output.stdout).expect("schema JSON");
    let action = &schema["provider_schemas"][STUDIO]["action_schemas"]["studio_restore"];
    let attributes = action["block"]["attributes"]
        .as_object()
        .unwrap_or_else(|| {
            panic!(
                "studio_restore in the schema: {:#}",
                schema["provider_schemas"][STUDIO]["action_schemas"]
            )
        });
    for name in [
        "source",
        "target",
        "engine",
        "allow_different_owner",
        "transfer_mode",
    ] {
        assert!(attributes.contains_key(name), "{name}: {action:#}");
    }
    assert!(
        attributes["source"]["required"].as_bool() == Some(true),
        "{action:#}"
    );
    assert!(!attributes.contains_key("triggers") && !attributes.contains_key("status"));
    assert!(
        action["block"]["block_types"]["network"].is_object(),
        "{action:#}"
    );
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_profile_recreated_by_terraform_gets_its_files_back_in_the_same_apply() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (domain_id, fs) = create_domain(&aws, &unique_name("action"), AuthMode::Iam).await;
    let tables = create_tables(&aws).await;
    let mut tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Aws, Provider::Studio]);
    tf.write(
        "tables_override.tf",
        &format!(
            "provider \"studio\" {{\n  user_table    = \"{}\"\n  history_table = \"{}\"\n}}\n",
            tables.0, tables.1
        ),
    );
    tf.write("action.tf", &example(&domain_id));
    tf.write("outputs.tf", OUTPUTS);
    tf.init();

    // Bad configurations: validate names the attribute (a schema validator, then the
    // declaration's own rule), and so does the plan of an invocation (the resolver).
    let bad = |text: &str| tf.write("bad.tf", &text.replace("DOMAIN", &domain_id));
    bad(r#"
action "studio_restore" "bad" {
  config {
    source = { domain_id = "DOMAIN", user_profile_name = "alice", uid = 200001 }
    target = { domain_id = "DOMAIN", user_profile_name = "alice" }
    engine = "rsync"
  }
}
"#);
    let out = tf.run_failing(&["validate", "-no-color"]);
    assert!(
        out.stderr.contains("engine") && out.stderr.contains("rsync"),
        "validate names engine:\n{out}"
    );
    bad(r#"
action "studio_restore" "bad" {
  config {
    source = { domain_id = "DOMAIN", user_profile_name = "alice", uid = 200001 }
    target = { domain_id = "DOMAIN", user_profile_name = "alice" }
    engine = "state_machine"
  }
}
"#);
    let out = tf.run_failing(&["validate", "-no-color"]);
    assert!(
        out.stderr.contains("Missing state machine") && out.stderr.contains("state_machine_arn"),
        "validate names state_machine_arn:\n{out}"
    );
    bad(r#"
action "studio_restore" "bad" {
  config {
    source = { domain_id = "DOMAIN", user_profile_name = "alice", uid = 200001 }
    target = { domain_id = "d-000000000000", user_profile_name = "alice" }
  }
}
"#);
    tf.run(&["validate", "-no-color"]);
    let out = tf.run_failing(&[
        "plan",
        "-input=false",
        "-no-color",
        "-invoke=action.studio_restore.bad",
    ]);
    assert!(
        out.stderr.contains("Unknown target domain") && out.stderr.contains("domain_id"),
        "the plan names target.domain_id:\n{out}"
    );
    std::fs::remove_file(tf.dir().join("bad.tf")).unwrap();

    // The first create: the condition is false, nothing is restored.
    let first = tf.apply();
    assert!(progress(&first.stdout).is_empty(), "{first}");
    let old_uid = tf.output("uid").as_str().expect("a uid").to_owned();
    open_studio(&aws.sagemaker, Studio::user_profile(&domain_id, "alice")).await;
    let old_home = emulator.home_dir(&fs, &old_uid);
    write_file(
        &old_home.join("notebooks/analysis.ipynb"),
        "{\"cells\": []}\n",
    );
    write_file(&old_home.join("data/big.csv"), &"a,b\n".repeat(4096));
    hand_to_owner(&old_home);
    // A profile with a live app cannot be deleted: the user has left Studio.
    close_studio(&aws.sagemaker, Studio::user_profile(&domain_id, "alice")).await;

    // Recreated by Terraform: after_create runs the restore, in the same apply.
    tf.set_var("old_uid", &old_uid);
    let replaced = tf.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-replace=aws_sagemaker_user_profile.alice",
    ]);
    let new_uid = tf.output("uid").as_str().expect("a uid").to_owned();
    assert_ne!(new_uid, old_uid, "a recreated profile has a new uid");
    let new_home = emulator.home_dir(&fs, &new_uid);
    assert_eq!(
        std::fs::read_to_string(new_home.join("notebooks/analysis.ipynb")).unwrap_or_default(),
        "{\"cells\": []}\n",
        "the old home's files are in the new home at the end of the apply:\n{replaced}"
    );
    assert_eq!(
        std::fs::metadata(new_home.join("data/big.csv"))
            .map(|m| m.len())
            .unwrap_or(0),
        4 * 4096
    );
    let lines = progress(&replaced.stdout);
    assert!(
        lines.iter().any(|(status, _, _)| status == "SUCCESS"),
        "the output shows the copy's progress to its end:\n{replaced}"
    );
    let (_, files, bytes) = lines.last().unwrap().clone();
    assert!(files >= 2 && bytes >= 4 * 4096, "{lines:?}\n{replaced}");
    let alice = format!("user \"alice\" in domain {domain_id}");
    assert!(
        replaced
            .stdout
            .contains(&format!("Restoring {alice} into {alice}")),
        "the first progress line names the source and the target:\n{replaced}"
    );
    assert!(
        replaced.stdout.contains(&format!(
            "Restored {domain_id}/user/alice: {files} files, {bytes} bytes from {fs}:/{old_uid} into {fs}:/{new_uid}"
        )),
        "the last line names both homes and the final counts:\n{replaced}"
    );

    // Invoked alone: a file lost from the new home comes back, nothing else changes.
    std::fs::remove_file(new_home.join("notebooks/analysis.ipynb")).unwrap();
    let invoked = tf.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-invoke=action.studio_restore.alice",
    ]);
    assert!(
        progress(&invoked.stdout)
            .iter()
            .any(|(status, _, _)| status == "SUCCESS"),
        "{invoked}"
    );
    assert_eq!(
        std::fs::read_to_string(new_home.join("notebooks/analysis.ipynb")).unwrap_or_default(),
        "{\"cells\": []}\n",
        "{invoked}"
    );
    assert_eq!(tf.output("uid").as_str(), Some(new_uid.as_str()));
    tf.assert_plan_empty();

    // The resource's safety rules: the new home as its own source is refused at the invocation
    // (the plan only warns: the target might be recreated earlier in the apply), before
    // anything is created.
    tf.set_var("old_uid", &new_uid);
    let refused = tf.run_failing(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-invoke=action.studio_restore.alice",
    ]);
    // Terraform 1.15 prints a failed action on stdout.
    let printed = format!("{}{}", refused.stdout, refused.stderr);
    assert!(
        printed.contains("target's own home directory")
            && printed.contains("No DataSync task, location or access point"),
        "{refused}"
    );
    assert!(
        progress(&refused.stdout).is_empty(),
        "no copy ran:\n{refused}"
    );
    // Every DataSync object and access point of the three invocations is gone.
    LeakScope::file_system(&fs).assert_none_left(&aws).await;
}
