//! Nobody receives someone else's files: `studio_profile_restore` through real Terraform against
//! the emulator refuses another person's directory, a live home, and a directory of a deleted
//! domain that a recreated domain of the same name took over; each refusal names both homes,
//! leaves nothing in the state, no DataSync object and no copied file. The explicit opt-in
//! (`allow_different_owner`) shows in the plan and copies.
//!
//! The mapping table is written by `MappingTable::observe`, the code the event processor and the
//! reconciler run, from what SageMaker describes.

use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::AuthMode;
use studio_core::records::{MappingTable, Observation};
use studio_core::resolve::Studio;
use studio_e2e::{
    Clients, Emulator, Provider, Terraform, create_domain, create_table, delete_profile,
    unique_name, write_file,
};

const SECRET: &str = "only-for-its-owner\n";

/// Creates a profile (for IAM Identity Center user `sso`, on an SSO domain), waits until it is
/// InService with a uid, and records it in `table` as the event path would. Returns the uid.
async fn create_profile(
    aws: &Clients,
    table: &MappingTable,
    domain_id: &str,
    name: &str,
    sso: Option<&str>,
) -> String {
    let mut req = aws
        .sagemaker
        .create_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name);
    if let Some(user) = sso {
        req = req
            .single_sign_on_user_identifier("UserName")
            .single_sign_on_user_value(user);
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("creating {name} in {domain_id}: {}", DisplayErrorContext(e)));
    let studio = Studio::new(
        aws.sagemaker.clone(),
        studio_core::retry::RetryPolicy::default(),
        tokio_util::sync::CancellationToken::new(),
    );
    let domain = studio.domain(domain_id).await.unwrap();
    // Pending until InService (a strict emulator), and a uid only then.
    let home = studio_e2e::eventually(
        "the profile to be InService with a uid",
        std::time::Duration::from_secs(60),
        || async {
            let home = studio
                .home(&domain, studio_core::HomeKind::User, name)
                .await
                .ok()??;
            (home.status == "InService" && home.directory.is_some()).then_some(home)
        },
    )
    .await;
    let directory = home.directory.clone().unwrap();
    table
        .observe(
            &home.key,
            &Observation {
                domain_id: domain_id.to_owned(),
                directory: directory.clone(),
                owner: home.owner.clone(),
                sso_user: home.sso_user.clone(),
                created_at: home.created_at.clone(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("recording {name}: {e}"));
    directory.uid.to_string()
}

/// Fresh mapping and history tables, and the mapping table's client.
async fn tables(aws: &Clients) -> (String, String, MappingTable) {
    let (user, history) = (unique_name("owners"), unique_name("owners-history"));
    create_table(aws, &user, None).await;
    create_table(aws, &history, Some("at")).await;
    let mapping = MappingTable::new(aws.dynamodb.clone(), user.clone());
    (user, history, mapping)
}

/// A working directory with the AWS provider and the studio provider, the latter on our tables.
fn terraform(emulator: &Emulator, user: &str, history: &str, body: &str) -> Terraform {
    let tf = Terraform::new(emulator);
    tf.write_providers(&[Provider::Aws, Provider::Studio]);
    // Merged into the provider block `write_providers` wrote.
    tf.write(
        "studio_override.tf",
        &format!(
            "provider \"studio\" {{\n  user_table    = \"{user}\"\n  history_table = \"{history}\"\n}}\n"
        ),
    );
    tf.write("main.tf", body);
    tf.init();
    tf
}

fn restore(domain_id: &str, source: &str, target: &str, extra: &str) -> String {
    format!(
        r#"
resource "studio_profile_restore" "r" {{
  source = {{
    domain_id         = "{domain_id}"
    user_profile_name = "{source}"
    {extra}
  }}
  target = {{
    domain_id         = "{domain_id}"
    user_profile_name = "{target}"
  }}
}}
"#
    )
}

/// Nothing of a refused restore exists: no state, no DataSync location or access point on the
/// file system, no file of the source in the target.
async fn nothing_created(aws: &Clients, tf: &Terraform, fs: &str, target_home: &std::path::Path) {
    // A plan that failed wrote no state at all.
    if tf.dir().join("terraform.tfstate").exists() {
        let state = tf.state_list();
        assert!(
            !state
                .iter()
                .any(|a| a.starts_with("studio_profile_restore")),
            "a refused restore leaves nothing in the state: {state:?}"
        );
    }
    let locations = aws.datasync.list_locations().send().await.unwrap();
    let ours: Vec<_> = locations
        .locations()
        .iter()
        .filter_map(|l| l.location_uri())
        .filter(|uri| uri.contains(fs))
        .collect();
    assert!(ours.is_empty(), "DataSync locations on {fs}: {ours:?}");
    let aps = aws
        .efs
        .describe_access_points()
        .file_system_id(fs)
        .send()
        .await
        .unwrap();
    assert!(aps.access_points().is_empty(), "access points on {fs}");
    assert!(
        !target_home.join("secret.txt").exists(),
        "no file reached {}",
        target_home.display()
    );
}

fn text(out: &studio_e2e::TerraformOutput) -> String {
    format!("{}{}", out.stdout, out.stderr)
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_source_that_is_another_live_profiles_home_is_refused_at_plan_and_at_apply() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("live");
    let (domain_id, fs) = create_domain(&aws, &domain_name, AuthMode::Iam).await;
    let (user, history, mapping) = tables(&aws).await;
    create_profile(&aws, &mapping, &domain_id, "alice", None).await;
    delete_profile(&aws, &domain_id, "alice").await;
    let alice = create_profile(&aws, &mapping, &domain_id, "alice", None).await;
    let bob = create_profile(&aws, &mapping, &domain_id, "bob", None).await;
    write_file(&emulator.home_dir(&fs, &bob).join("secret.txt"), SECRET);
    let alice_home = emulator.home_dir(&fs, &alice);

    // Known at plan: bob's uid, named as alice's old directory.
    let tf = terraform(
        &emulator,
        &user,
        &history,
        &restore(&domain_id, "alice", "alice", &format!("uid = {bob}")),
    );
    let refused = text(&tf.plan_fails());
    assert!(
        refused.contains(&format!("{domain_name}/user/bob"))
            && refused.contains(&format!("/{bob}"))
            && refused.contains(&format!("/{alice}")),
        "the diagnostic names the live home and the target:\n{refused}"
    );
    assert!(refused.contains("live"), "{refused}");
    nothing_created(&aws, &tf, &fs, &alice_home).await;

    // Unknown until apply: the uid depends on a resource created in the same apply.
    let tf = terraform(
        &emulator,
        &user,
        &history,
        &format!(
            r#"
resource "aws_sqs_queue" "q" {{
  name = "{queue}"
}}
{restore}"#,
            queue = unique_name("owner-q"),
            restore = restore(
                &domain_id,
                "alice",
                "alice",
                &format!("uid = length(aws_sqs_queue.q.id) > 0 ? {bob} : 1"),
            )
        ),
    );
    let plan = tf.plan();
    assert!(
        plan.text()
            .contains("studio_profile_restore.r will be created"),
        "the uid is unknown at plan, so the plan cannot refuse yet:\n{}",
        plan.text()
    );
    let refused = text(&tf.apply_fails());
    assert!(
        refused.contains(&format!("{domain_name}/user/bob"))
            && refused.contains(&format!("/{alice}")),
        "refused at apply, naming both homes:\n{refused}"
    );
    nothing_created(&aws, &tf, &fs, &alice_home).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn an_sso_profile_recreated_for_another_person_gets_nothing_unless_declared() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("sso");
    let (domain_id, fs) = create_domain(&aws, &domain_name, AuthMode::Sso).await;
    let (user, history, mapping) = tables(&aws).await;
    let first = create_profile(
        &aws,
        &mapping,
        &domain_id,
        "alice",
        Some("alice@example.com"),
    )
    .await;
    write_file(&emulator.home_dir(&fs, &first).join("secret.txt"), SECRET);
    delete_profile(&aws, &domain_id, "alice").await;
    // The name comes back for someone else.
    let second = create_profile(
        &aws,
        &mapping,
        &domain_id,
        "alice",
        Some("mallory@example.com"),
    )
    .await;

    // First recreation: the previous directory is alice@'s, the target mallory@'s.
    let tf = terraform(
        &emulator,
        &user,
        &history,
        &restore(&domain_id, "alice", "alice", ""),
    );
    let refused = text(&tf.plan_fails());
    for needle in [
        "alice@example.com",
        "mallory@example.com",
        &format!("/{first}"),
        &format!("/{second}"),
        "allow_different_owner",
    ] {
        assert!(refused.contains(needle), "{needle} in:\n{refused}");
    }
    nothing_created(&aws, &tf, &fs, &emulator.home_dir(&fs, &second)).await;

    // Second recreation, for mallory@ again: alice@'s directory, named explicitly, is still not
    // hers; nobody recorded it as mallory@'s.
    delete_profile(&aws, &domain_id, "alice").await;
    let third = create_profile(
        &aws,
        &mapping,
        &domain_id,
        "alice",
        Some("mallory@example.com"),
    )
    .await;
    let tf = terraform(
        &emulator,
        &user,
        &history,
        &restore(&domain_id, "alice", "alice", &format!("uid = {first}")),
    );
    let refused = text(&tf.plan_fails());
    assert!(
        refused.contains(&format!("/{first}")) && refused.contains(&format!("/{third}")),
        "{refused}"
    );
    nothing_created(&aws, &tf, &fs, &emulator.home_dir(&fs, &third)).await;

    // Declared explicitly, the same copy runs, and the plan says so.
    let tf = terraform(
        &emulator,
        &user,
        &history,
        &format!(
            "{}\n",
            restore(&domain_id, "alice", "alice", &format!("uid = {first}")).replace(
                "  target = {",
                "  allow_different_owner = true\n  target = {"
            )
        ),
    );
    let plan = tf.assert_plan_changes();
    assert!(
        plan.text().contains("allow_different_owner = true"),
        "the plan shows the opt-in:\n{}",
        plan.text()
    );
    tf.apply();
    assert_eq!(
        std::fs::read_to_string(emulator.home_dir(&fs, &third).join("secret.txt")).unwrap(),
        SECRET
    );
    tf.assert_plan_empty();
    tf.destroy();
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_deleted_source_domain_recreated_under_its_name_never_resolves_to_a_live_home() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("again");
    let (old_domain, old_fs) = create_domain(&aws, &domain_name, AuthMode::Iam).await;
    let (user, history, mapping) = tables(&aws).await;
    create_profile(&aws, &mapping, &old_domain, "dana", None).await;
    delete_profile(&aws, &old_domain, "dana").await;
    aws.sagemaker
        .delete_domain()
        .domain_id(&old_domain)
        .send()
        .await
        .unwrap_or_else(|e| panic!("deleting the domain: {}", DisplayErrorContext(e)));
    studio_e2e::eventually(
        "the old domain to be gone",
        std::time::Duration::from_secs(60),
        || async {
            aws.sagemaker
                .describe_domain()
                .domain_id(&old_domain)
                .send()
                .await
                .is_err()
                .then_some(())
        },
    )
    .await;
    let (new_domain, new_fs) = create_domain(&aws, &domain_name, AuthMode::Iam).await;
    // dana lives in the new domain now, recreated there once more: her row no longer records
    // any directory of the old domain.
    create_profile(&aws, &mapping, &new_domain, "dana", None).await;
    delete_profile(&aws, &new_domain, "dana").await;
    let live = create_profile(&aws, &mapping, &new_domain, "dana", None).await;
    write_file(
        &emulator.home_dir(&new_fs, &live).join("secret.txt"),
        SECRET,
    );
    let erin = create_profile(&aws, &mapping, &new_domain, "erin", None).await;

    let tf = terraform(
        &emulator,
        &user,
        &history,
        &format!(
            r#"
resource "studio_profile_restore" "r" {{
  source = {{
    domain_id         = "{old_domain}"
    user_profile_name = "dana"
  }}
  target = {{
    domain_id         = "{new_domain}"
    user_profile_name = "erin"
  }}
}}
"#
        ),
    );
    let refused = text(&tf.plan_fails());
    assert!(
        refused.contains(&old_domain)
            && refused.contains(&new_domain)
            && refused.contains(&format!("{domain_name}/user/erin")),
        "the diagnostic names the old domain's source and the target:\n{refused}"
    );
    assert!(
        !refused.contains(&format!("/{live}")),
        "dana's live home is never offered as the source:\n{refused}"
    );
    nothing_created(&aws, &tf, &new_fs, &emulator.home_dir(&new_fs, &erin)).await;
    let _ = old_fs;
}
