//! Issue 10 on the automatic path: a recreated home that belongs to someone else gets nothing.
//! The event path and the reconciler are deployed with Terraform, the Lambdas run for real, and
//! each refusal is checked where a person would look (the mapping row, the history) and where a
//! leak would show (no workflow execution, no DataSync object or access point, no file).

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::{AuthMode, OwnershipSettings, SharingType, SpaceSharingSettings};
use serde_json::json;
use studio_e2e::{
    Emulator, EventPath, LeakScope, Studio, close_studio, create_domain, delete_and_wait,
    dynamodb_json, hand_to_owner, open_studio, unique_name, wait_in_service, write_file,
};

/// What a refused home must look like: the row marked `REFUSED`, a `restore_refused` history
/// entry whose detail names both directories, no workflow execution for the home, nothing of
/// DataSync or EFS left, and none of the old files in the new home.
async fn assert_refused(
    path: &EventPath,
    home: &str,
    old_uids: &[&str],
    new_uid: &str,
    file: &str,
) {
    let row = path
        .row_when(home, "the refusal on the row", |row| {
            row["uid"] == json!(new_uid.parse::<u64>().unwrap())
                && row["restore_status"] == json!("REFUSED")
        })
        .await;
    let new_dir = json!(new_uid.parse::<u64>().unwrap());
    let history = path
        .history_when(home, "the refusal in the history", |rows| {
            rows.iter()
                .any(|r| r["event"] == "restore_refused" && r["uid"] == new_dir)
        })
        .await;
    let refused = history
        .iter()
        .find(|r| r["event"] == "restore_refused" && r["uid"] == new_dir)
        .unwrap();
    let detail = refused["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!(":/{new_uid}")),
        "the refusal names the new directory /{new_uid}: {detail}\n{row:#}"
    );
    assert!(
        old_uids
            .iter()
            .any(|uid| detail.contains(&format!(":/{uid}"))),
        "the refusal names the old directory (one of {old_uids:?}): {detail}\n{row:#}"
    );
    assert!(
        history
            .iter()
            .all(|r| r["event"] != "restore_started" && r["event"] != "restore_succeeded"),
        "nothing was started for {home}: {history:#?}"
    );
    let executions = path
        .aws
        .sfn
        .list_executions()
        .state_machine_arn(&path.state_machine_arn)
        .send()
        .await
        .expect("listing the workflow's executions");
    assert!(
        executions.executions().is_empty(),
        "no workflow execution was started: {:?}",
        executions.executions()
    );
    LeakScope::file_system(&path.file_system_id)
        .with_access_points_on(&path.file_system_id)
        .assert_none_left(&path.aws)
        .await;
    assert!(
        !path.home_dir(new_uid).join(file).exists(),
        "{file} of the old owner is not in the new home"
    );
}

/// A user profile of an IAM Identity Center domain, for `person`, InService; returns its uid.
async fn create_sso_profile(path: &EventPath, name: &str, person: &str) -> String {
    path.aws
        .sagemaker
        .create_user_profile()
        .domain_id(&path.domain_id)
        .user_profile_name(name)
        .single_sign_on_user_identifier("UserName")
        .single_sign_on_user_value(person)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating {name} for {person}: {}", DisplayErrorContext(e)));
    let profile = Studio::user_profile(&path.domain_id, name);
    wait_in_service(&path.aws.sagemaker, profile).await;
    path.aws
        .sagemaker
        .describe_user_profile()
        .domain_id(&path.domain_id)
        .user_profile_name(name)
        .send()
        .await
        .expect("describing the profile")
        .home_efs_file_system_uid
        .expect("a HomeEfsFileSystemUid")
}

/// Closes Studio for a profile or space, deletes it and waits until its name is free.
async fn remove(path: &EventPath, what: Studio<'_>) {
    close_studio(&path.aws.sagemaker, what).await;
    delete_and_wait(&path.aws.sagemaker, what).await;
}

/// The person worked in Studio: the home exists and holds `file`, owned by its owner.
async fn work_in(path: &EventPath, what: Studio<'_>, uid: &str, file: &str) {
    open_studio(&path.aws.sagemaker, what).await;
    write_file(&path.home_dir(uid).join(file), "someone's own files\n");
    hand_to_owner(&path.home_dir(uid));
}

/// A private space `lab` of `owner`, InService; returns its uid.
async fn create_private_space(path: &EventPath, owner: &str) -> String {
    let aws = &path.aws;
    aws.sagemaker
        .create_space()
        .domain_id(&path.domain_id)
        .space_name("lab")
        .ownership_settings(
            OwnershipSettings::builder()
                .owner_user_profile_name(owner)
                .build(),
        )
        .space_sharing_settings(
            SpaceSharingSettings::builder()
                .sharing_type(SharingType::Private)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating {owner}'s space: {}", DisplayErrorContext(e)));
    let space = Studio::space(&path.domain_id, "lab");
    wait_in_service(&aws.sagemaker, space).await;
    aws.sagemaker
        .describe_space()
        .domain_id(&path.domain_id)
        .space_name("lab")
        .send()
        .await
        .expect("describing the space")
        .home_efs_file_system_uid
        .expect("a HomeEfsFileSystemUid")
}

async fn sso_event_path() -> EventPath {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (domain_id, _) = create_domain(&aws, &unique_name("er-sso"), AuthMode::Sso).await;
    EventPath::deploy_on(emulator, domain_id).await
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_private_space_recreated_for_another_owner_gets_nothing() {
    let path = EventPath::deploy().await;
    let aws = &path.aws;
    let home = format!("{}/space/lab", path.domain_name().await);
    for user in ["alice", "bob"] {
        aws.sagemaker
            .create_user_profile()
            .domain_id(&path.domain_id)
            .user_profile_name(user)
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating {user}: {}", DisplayErrorContext(e)));
        wait_in_service(&aws.sagemaker, Studio::user_profile(&path.domain_id, user)).await;
    }
    let space = Studio::space(&path.domain_id, "lab");
    let old_uid = create_private_space(&path, "alice").await;
    path.row_when(&home, "alice's space recorded", |row| {
        row["uid"] == json!(old_uid.parse::<u64>().unwrap())
    })
    .await;
    work_in(&path, space, &old_uid, "secrets/.env").await;
    remove(&path, space).await;

    // The same name, now bob's private space: a different person.
    let new_uid = create_private_space(&path, "bob").await;
    open_studio(&aws.sagemaker, space).await;
    assert_refused(&path, &home, &[&old_uid], &new_uid, "secrets/.env").await;
    let row = path.row_when(&home, "the row", |_| true).await;
    assert_eq!(
        (row["owner"].as_str(), row["previous_owner"].as_str()),
        (Some("space:private:bob"), Some("space:private:alice")),
        "each directory keeps its own owner: {row:#}"
    );
    path.tf.destroy();
}

/// The event path's bug this guards against: the recorded person was overwritten by the first
/// recreation, so a second recreation for yet another person compared that person with
/// themselves and passed.
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn an_sso_profile_recreated_for_other_people_gets_nothing_the_first_and_second_time() {
    let path = sso_event_path().await;
    let home = format!("{}/user/analyst", path.domain_name().await);
    let profile = Studio::user_profile(&path.domain_id, "analyst");
    let alice_uid = create_sso_profile(&path, "analyst", "alice@example.com").await;
    path.row_when(&home, "alice's profile recorded", |row| {
        row["uid"] == json!(alice_uid.parse::<u64>().unwrap())
    })
    .await;
    work_in(&path, profile, &alice_uid, "credentials.json").await;

    remove(&path, profile).await;
    let bob_uid = create_sso_profile(&path, "analyst", "bob@example.com").await;
    open_studio(&path.aws.sagemaker, profile).await;
    assert_refused(&path, &home, &[&alice_uid], &bob_uid, "credentials.json").await;

    // Bob's own files are his; the next person gets neither bob's nor alice's.
    write_file(&path.home_dir(&bob_uid).join("bob.txt"), "bob's\n");
    hand_to_owner(&path.home_dir(&bob_uid));
    remove(&path, profile).await;
    let carol_uid = create_sso_profile(&path, "analyst", "carol@example.com").await;
    open_studio(&path.aws.sagemaker, profile).await;
    // The home stays refused: carol gets neither bob's directory nor alice's (the refusal may
    // name either as the source it did not copy).
    assert_refused(&path, &home, &[&bob_uid, &alice_uid], &carol_uid, "bob.txt").await;
    assert!(!path.home_dir(&carol_uid).join("credentials.json").exists());
    let row = path.row_when(&home, "the row", |_| true).await;
    assert_eq!(
        row["owner"].as_str(),
        Some("sso:carol@example.com"),
        "{row:#}"
    );
    path.tf.destroy();
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_recreation_for_another_person_that_only_the_reconciler_sees_is_refused() {
    let path = sso_event_path().await;
    let home = format!("{}/user/analyst", path.domain_name().await);
    let profile = Studio::user_profile(&path.domain_id, "analyst");
    let alice_uid = create_sso_profile(&path, "analyst", "alice@example.com").await;
    path.row_when(&home, "alice's profile recorded", |row| {
        row["uid"] == json!(alice_uid.parse::<u64>().unwrap())
    })
    .await;
    work_in(&path, profile, &alice_uid, "credentials.json").await;

    // The recreation's event is lost (CloudTrail's delivery is best effort): only the
    // reconciler, on its schedule, sees the new directory.
    let rule = format!("{}-profile-created", path.prefix);
    path.aws
        .eventbridge
        .disable_rule()
        .name(&rule)
        .send()
        .await
        .expect("disabling the event rule");
    remove(&path, profile).await;
    let bob_uid = create_sso_profile(&path, "analyst", "bob@example.com").await;
    open_studio(&path.aws.sagemaker, profile).await;
    let row = dynamodb_json(
        &path
            .aws
            .dynamodb
            .get_item()
            .table_name(&path.mapping_table)
            .key("home", AttributeValue::S(home.clone()))
            .consistent_read(true)
            .send()
            .await
            .expect("reading the row")
            .item
            .expect("alice's row"),
    );
    assert_eq!(
        row["uid"],
        json!(alice_uid.parse::<u64>().unwrap()),
        "the event was lost: {row:#}"
    );

    let report = path.reconcile().await;
    assert_eq!(report["errors"], json!([]), "{report:#}");
    assert_refused(&path, &home, &[&alice_uid], &bob_uid, "credentials.json").await;

    // Refused stays refused: the next scheduled run starts nothing either.
    let again = path.reconcile().await;
    assert_eq!(again["errors"], json!([]), "{again:#}");
    assert_refused(&path, &home, &[&alice_uid], &bob_uid, "credentials.json").await;
    path.tf.destroy();
}
