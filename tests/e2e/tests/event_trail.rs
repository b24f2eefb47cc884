//! The event path needs a CloudTrail trail (issue 12, point 3). EventBridge receives "AWS API Call
//! via CloudTrail" events only while a trail with logging on records them (EventBridge User Guide,
//! "AWS service events delivered via AWS CloudTrail"), and the emulator is as strict. Without a
//! trail no event reaches the event processor and only the reconciler restores; with
//! `create_trail = true` on `modules/event-app` the events flow and restore on their own.
//!
//! A trail covers the whole account and Region, whoever created it: this file runs first in its
//! exclusive lane of `scripts/test`, on an emulator where no other test has made one yet.

use std::time::Duration;

use aws_sdk_sagemaker::types::AuthMode;
use serde_json::json;
use studio_e2e::{
    Emulator, EventPath, EventPathOptions, Studio, create_domain, create_profile, delete_profile,
    hand_to_owner, open_studio, unique_name,
};

/// How long an event takes at most to reach the function here: the emulator puts it on the bus
/// inside the API call and starts the Lambda target at once (a cold start of a dev binary).
const DELIVERY: Duration = Duration::from_secs(8);

/// How many times the deployment's event processor ran.
fn event_processor_runs(emulator: &Emulator, prefix: &str) -> u64 {
    emulator.invocations()["functions"][format!("{prefix}-event-processor")]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn without_a_trail_only_the_reconciler_restores_and_create_trail_brings_the_events() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (domain_id, _) = create_domain(&aws, &unique_name("trail"), AuthMode::Iam).await;
    let mut path = EventPath::deploy_with(
        Emulator::from_env(),
        domain_id.clone(),
        &EventPathOptions {
            create_trail: false,
            ..EventPathOptions::default()
        },
    )
    .await;
    let home = format!("{}/user/erin", path.domain_name().await);
    let erin = Studio::user_profile(&domain_id, "erin");

    // No trail: creating erin sends nothing to EventBridge, so the event processor never runs.
    let first_uid = create_profile(&aws, &domain_id, "erin").await;
    tokio::time::sleep(DELIVERY).await;
    assert_eq!(
        event_processor_runs(&emulator, &path.prefix),
        0,
        "the event processor ran without a trail (is another test's trail logging in this \
         emulator? this file must run first in its lane)"
    );
    open_studio(&aws.sagemaker, erin).await;
    let first_home = path.home_dir(&first_uid);
    std::fs::write(first_home.join("model.py"), "print('trained')\n").unwrap();
    hand_to_owner(&first_home);

    // Only the reconciler records her, and, once she is recreated, restores her.
    let report = path.reconcile().await;
    assert_eq!(report["errors"], json!([]), "{report:#}");
    path.row_when(&home, "erin recorded by the reconciler", |row| {
        row["uid"] == json!(first_uid.parse::<u64>().unwrap())
    })
    .await;
    delete_profile(&aws, &domain_id, "erin").await;
    let second_uid = create_profile(&aws, &domain_id, "erin").await;
    open_studio(&aws.sagemaker, erin).await;
    tokio::time::sleep(DELIVERY).await;
    assert_eq!(event_processor_runs(&emulator, &path.prefix), 0);
    let row = path.row_when(&home, "erin's row", |_| true).await;
    assert_eq!(
        row["uid"],
        json!(first_uid.parse::<u64>().unwrap()),
        "nothing but the reconciler may have seen the recreation: {row:#}"
    );
    let report = path.reconcile().await;
    assert_eq!(report["recreated"], json!(1), "{report:#}");
    let done = path
        .row_when(&home, "the reconciler's restore to finish", |row| {
            matches!(row["restore_status"].as_str(), Some("SUCCEEDED" | "FAILED"))
        })
        .await;
    assert_eq!(done["restore_status"], "SUCCEEDED", "{done:#}");
    assert_eq!(
        std::fs::read_to_string(path.home_dir(&second_uid).join("model.py")).unwrap(),
        "print('trained')\n"
    );

    // With the module's trail, the next recreation arrives as an event and restores on its own.
    path.tf.set_var("create_trail", "true");
    path.tf.apply();
    let trail = path.tf.resource("module.event_app.aws_cloudtrail.trail[0]");
    assert_eq!(
        (
            &trail["enable_logging"],
            &trail["event_selector"][0]["read_write_type"],
            &trail["event_selector"][0]["include_management_events"],
        ),
        (&json!(true), &json!("WriteOnly"), &json!(true)),
        "{trail:#}"
    );
    delete_profile(&aws, &domain_id, "erin").await;
    let third_uid = create_profile(&aws, &domain_id, "erin").await;
    let running = path
        .row_when(&home, "the event path to start the restore", |row| {
            row["uid"] == json!(third_uid.parse::<u64>().unwrap())
                && row["restore_status"] == "RUNNING"
        })
        .await;
    assert_eq!(
        running["previous_uid"],
        json!(second_uid.parse::<u64>().unwrap()),
        "{running:#}"
    );
    assert!(event_processor_runs(&emulator, &path.prefix) > 0);
    open_studio(&aws.sagemaker, erin).await;
    let done = path
        .row_when(&home, "the event path's restore to finish", |row| {
            row["uid"] == json!(third_uid.parse::<u64>().unwrap())
                && matches!(row["restore_status"].as_str(), Some("SUCCEEDED" | "FAILED"))
        })
        .await;
    assert_eq!(done["restore_status"], "SUCCEEDED", "{done:#}");
    assert_eq!(
        std::fs::read_to_string(path.home_dir(&third_uid).join("model.py")).unwrap(),
        "print('trained')\n"
    );
    path.tf.destroy();
}
