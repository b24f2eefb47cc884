//! Issue 11: nothing leaks, whatever is interrupted. A restore workflow execution stopped from
//! outside runs none of its clean-up states; one run of the reconciler finds what it left by its
//! owner tag (`studio-restore:owner` = the execution's ARN), cancels its DataSync execution,
//! deletes its task, locations and access point, records the restore `FAILED` with why, and
//! tries it again, which then succeeds.
//!
//! The test holds every DataSync copy mid-way (`datasync_hold_executions`, a global switch), so
//! it runs in the exclusive lane of `scripts/test`.

use aws_sdk_sagemaker::types::AuthMode;
use serde_json::{Value, json};
use studio_e2e::{
    Clients, Emulator, EventPath, EventPathOptions, LeakScope, PATIENCE, Studio, close_studio,
    create_domain, create_profile, delete_and_wait, eventually, hand_to_owner, open_studio,
    unique_name, write_file,
};

/// The DataSync task execution of the task tagged `owner`, once it is TRANSFERRING.
async fn transferring(aws: &Clients, owner: &str) -> String {
    eventually("the workflow's copy to be under way", PATIENCE, || async {
        let tasks = aws.datasync.list_tasks().send().await.ok()?;
        for task in tasks.tasks() {
            let arn = task.task_arn()?;
            let tags = aws
                .datasync
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .ok()?;
            let ours = tags
                .tags()
                .iter()
                .any(|t| t.key() == studio_core::sweep::OWNER_TAG && t.value() == Some(owner));
            if !ours {
                continue;
            }
            let executions = aws
                .datasync
                .list_task_executions()
                .task_arn(arn)
                .send()
                .await
                .ok()?;
            for execution in executions.task_executions() {
                if execution.status().map(|s| s.as_str()) == Some("TRANSFERRING") {
                    return execution.task_execution_arn().map(str::to_owned);
                }
            }
        }
        None
    })
    .await
}

async fn datasync_status(aws: &Clients, execution: &str) -> String {
    aws.datasync
        .describe_task_execution()
        .task_execution_arn(execution)
        .send()
        .await
        .expect("describing the DataSync execution")
        .status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_stopped_workflow_is_swept_recorded_failed_and_retried_by_one_reconciler_run() {
    let emulator = Emulator::from_env();
    emulator.configure(&json!({"datasync_hold_executions": false}));
    let aws = emulator.clients().await;
    let (domain_id, fs) = create_domain(&aws, &unique_name("sweep"), AuthMode::Iam).await;
    let path = EventPath::deploy_with(
        Emulator::from_env(),
        domain_id.clone(),
        &EventPathOptions {
            event_app: "  restore_retry_backoff_seconds = 0",
            ..EventPathOptions::default()
        },
    )
    .await;
    let home = format!("{}/user/alice", path.domain_name().await);
    let alice = Studio::user_profile(&domain_id, "alice");
    let old_uid = create_profile(&aws, &domain_id, "alice").await;
    path.row_when(&home, "alice recorded", |row| {
        row["uid"] == json!(old_uid.parse::<u64>().unwrap())
    })
    .await;
    open_studio(&aws.sagemaker, alice).await;
    write_file(
        &path.home_dir(&old_uid).join("notebooks/model.ipynb"),
        "{\"cells\": []}\n",
    );
    hand_to_owner(&path.home_dir(&old_uid));
    close_studio(&aws.sagemaker, alice).await;
    delete_and_wait(&aws.sagemaker, alice).await;

    // Every copy stops mid-way until released.
    emulator.configure(&json!({"datasync_hold_executions": true}));
    let new_uid = create_profile(&aws, &domain_id, "alice").await;
    open_studio(&aws.sagemaker, alice).await;
    let running = path
        .row_when(&home, "the restore to run", |row| {
            row["restore_status"] == "RUNNING"
                && row["uid"] == json!(new_uid.parse::<u64>().unwrap())
        })
        .await;
    let stopped = running["restore_execution"]
        .as_str()
        .expect("the row names the execution")
        .to_owned();
    let copy = transferring(&aws, &stopped).await;

    // Stopped from outside (a person, or its own timeout): none of its clean-up states run.
    aws.sfn
        .stop_execution()
        .execution_arn(&stopped)
        .cause("stopped by the test")
        .send()
        .await
        .expect("stopping the execution");
    let left = LeakScope::marked(&stopped)
        .with_access_points_on(&fs)
        .leftovers(&aws)
        .await;
    assert_eq!(
        (
            left.tasks.len(),
            left.locations.len(),
            left.access_points.len()
        ),
        (1, 2, 1),
        "the stopped execution left its objects: {left}"
    );
    assert_eq!(datasync_status(&aws, &copy).await, "TRANSFERRING");
    let row = path.row_when(&home, "the row", |_| true).await;
    assert_eq!(
        row["restore_status"], "RUNNING",
        "nobody recorded the end: {row}"
    );

    // One reconciler run.
    let report = path.reconcile().await;
    assert_eq!(report["runs_failed"], 1, "{report}");
    assert!(report["owners_swept"].as_u64() >= Some(1), "{report}");
    assert_eq!(report["restores_retried"], 1, "{report}");
    assert_eq!(report["errors"], json!([]), "{report}");
    LeakScope::marked(&stopped)
        .with_access_points_on(&fs)
        .assert_none_left(&aws)
        .await;
    assert_eq!(
        datasync_status(&aws, &copy).await,
        "ERROR",
        "the stopped execution's DataSync copy was cancelled"
    );
    let history = path
        .history_when(&home, "the failure and the retry recorded", |rows| {
            rows.iter().any(|r| r["event"] == "restore_failed")
                && rows.iter().any(|r| r["event"] == "restore_retried")
        })
        .await;
    let failed = history
        .iter()
        .find(|r| r["event"] == "restore_failed")
        .unwrap();
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(failed["execution"], json!(stopped), "{failed}");
    let why = failed["detail"].as_str().unwrap_or_default();
    assert!(why.contains("ended") && why.contains(&stopped), "{failed}");
    let retried = history
        .iter()
        .find(|r| r["event"] == "restore_retried")
        .unwrap();
    let detail = retried["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("attempt 2 of") && detail.contains(&stopped),
        "the retry says which attempt and why the last failed: {retried}"
    );
    let retry = path
        .row_when(&home, "the retry to run", |row| {
            row["restore_execution"]
                .as_str()
                .is_some_and(|e| e.ends_with("-retry1"))
        })
        .await;
    assert!(
        retry["restore_detail"]
            .as_str()
            .is_some_and(|d| d.contains(&stopped)),
        "while it is tried again, the row says why the last attempt failed: {retry}"
    );

    // Released, the retry copies, records its success, and cleans up after itself.
    emulator.configure(&json!({"datasync_hold_executions": false}));
    let done: Value = path
        .row_when(&home, "the retry to succeed", |row| {
            row["restore_status"] == "SUCCEEDED"
        })
        .await;
    assert!(
        done["restore_execution"]
            .as_str()
            .is_some_and(|e| e.ends_with("-retry1")),
        "{done}"
    );
    assert!(
        done.get("restore_detail").is_none(),
        "a success clears the failure: {done}"
    );
    assert!(
        path.home_dir(&new_uid)
            .join("notebooks/model.ipynb")
            .is_file(),
        "alice's files are back"
    );
    // Nothing is left on the file system, and a second run has nothing to do.
    eventually("the retry's own clean-up", PATIENCE, || async {
        LeakScope::file_system(&fs)
            .leftovers(&aws)
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    let again = path.reconcile().await;
    assert_eq!(
        (
            again["runs_failed"].clone(),
            again["restores_retried"].clone(),
            again["objects_swept"].clone()
        ),
        (json!(0), json!(0), json!(0)),
        "{again}"
    );

    // The slot counter agrees with its holders again even after it drifted (here: by hand).
    let set_counter = |running: &str| {
        aws.dynamodb
            .update_item()
            .table_name(&path.slots_table)
            .key(
                "id",
                aws_sdk_dynamodb::types::AttributeValue::S(studio_core::slots::SLOTS_ITEM.into()),
            )
            .update_expression("SET running = :n")
            .expression_attribute_values(
                ":n",
                aws_sdk_dynamodb::types::AttributeValue::N(running.into()),
            )
            .send()
    };
    set_counter("3").await.expect("drifting the counter");
    let fixed = path.reconcile().await;
    assert_eq!(fixed["slots_recounted"], true, "{fixed}");
    let slots = aws
        .dynamodb
        .get_item()
        .table_name(&path.slots_table)
        .key(
            "id",
            aws_sdk_dynamodb::types::AttributeValue::S(studio_core::slots::SLOTS_ITEM.into()),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("reading the slots");
    assert_eq!(
        slots
            .item()
            .and_then(|i| i.get("running"))
            .and_then(|v| v.as_n().ok())
            .map(String::as_str),
        Some("0"),
        "no holder, so no slot is counted: {slots:?}"
    );
    assert_eq!(path.reconcile().await["slots_recounted"], false);
}
