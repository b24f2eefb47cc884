//! The automatic path end to end: `modules/event-app` and `modules/restore-workflow` applied with
//! Terraform to the emulator, the three Rust Lambdas really running, CloudTrail events from
//! SageMaker calls, the mapping table's stream, and the restore state machine copying real files.

use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::AppType;
use serde_json::{Value, json};
use studio_e2e::{
    Clients, Emulator, EventPath, LeakScope, PATIENCE, Studio, close_studio, create_profile,
    delete_and_wait, delete_profile, dynamodb_json, eventually, hand_to_owner, open_studio,
    repo_root, unique_name,
};

#[tokio::test]
#[ignore = "needs the emulator"]
async fn a_recreated_profile_gets_its_files_back_through_the_event_path() {
    let path = EventPath::deploy().await;
    let aws = &path.aws;
    let home = format!("{}/user/alice", domain_name(aws, &path.domain_id).await);

    // Created: the event processor records the home.
    let old_uid = create_profile(aws, &path.domain_id, "alice").await;
    path.row_when(&home, "alice's row", |row| {
        row["uid"] == json!(old_uid.parse::<u64>().unwrap())
    })
    .await;
    let old_home = path.home_dir(&old_uid);
    open_studio(
        &aws.sagemaker,
        Studio::user_profile(&path.domain_id, "alice"),
    )
    .await;
    write(&old_home.join("notebook.ipynb"), "{\"cells\": []}");
    write(&old_home.join("data/train.csv"), "a,b\n1,2\n");
    write(
        &old_home.join("data/.ipynb_checkpoints/train-checkpoint.csv"),
        "stale",
    );
    hand_to_owner(&old_home);

    // Deleted and recreated: a new uid and an empty home.
    delete_profile(aws, &path.domain_id, "alice").await;
    let new_uid = create_profile(aws, &path.domain_id, "alice").await;
    assert_ne!(new_uid, old_uid);

    // The restore starts and waits for Studio to be opened (an app InService).
    let running = path
        .row_when(&home, "the restore to start", |row| {
            row["restore_status"] == "RUNNING"
        })
        .await;
    assert_eq!(
        running["previous_uid"],
        json!(old_uid.parse::<u64>().unwrap()),
        "{running:#}"
    );
    create_app(aws, &path.domain_id, "alice").await;

    let done = path
        .row_when(&home, "the restore to finish", |row| {
            matches!(row["restore_status"].as_str(), Some("SUCCEEDED" | "FAILED"))
        })
        .await;
    assert_eq!(done["restore_status"], "SUCCEEDED", "{done:#}");
    assert_eq!(done["uid"], json!(new_uid.parse::<u64>().unwrap()));
    assert_eq!(
        done["files_transferred"].as_u64().map(|n| n >= 2),
        Some(true),
        "{done:#}"
    );

    let new_home = path.home_dir(&new_uid);
    assert_eq!(
        std::fs::read_to_string(new_home.join("notebook.ipynb")).unwrap(),
        "{\"cells\": []}"
    );
    assert_eq!(
        std::fs::read_to_string(new_home.join("data/train.csv")).unwrap(),
        "a,b\n1,2\n"
    );
    assert!(
        !new_home.join("data/.ipynb_checkpoints").exists(),
        "checkpoints are excluded from automatic restores"
    );

    // The history tells the whole story, written by the Lambdas (the workflow writes the row).
    let history = path
        .history_when(&home, "the restore in the history", |rows| {
            rows.iter().any(|r| r["event"] == "restore_succeeded")
        })
        .await;
    let events: Vec<&str> = history.iter().filter_map(|r| r["event"].as_str()).collect();
    assert_eq!(
        events,
        ["created", "created", "restore_started", "restore_succeeded"],
        "{history:#?}"
    );

    // Every DataSync task, location and access point the restore created is gone.
    let execution = done["restore_execution"]
        .as_str()
        .expect("the execution is recorded")
        .to_owned();
    assert_cleaned_up(aws, &execution, &path.file_system_id).await;

    // Exactly once: starting the same copy again is refused by name.
    let described = aws
        .sfn
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let again = aws
        .sfn
        .start_execution()
        .state_machine_arn(&path.state_machine_arn)
        .name(described.name().unwrap_or_default())
        .input(described.input().unwrap_or_default())
        .send()
        .await;
    assert!(
        again
            .as_ref()
            .err()
            .and_then(|e| e.as_service_error())
            .is_some_and(|e| e.is_execution_already_exists()),
        "{again:?}"
    );
    path.tf.destroy();
}

#[tokio::test]
#[ignore = "needs the emulator"]
async fn a_recreated_space_is_restored_apart_from_a_user_of_the_same_name() {
    let path = EventPath::deploy().await;
    let aws = &path.aws;
    let domain = domain_name(aws, &path.domain_id).await;
    let (space_home, user_home) = (
        format!("{domain}/space/team"),
        format!("{domain}/user/team"),
    );
    let user_uid = create_profile(aws, &path.domain_id, "team").await;
    let old_uid = create_space(aws, &path.domain_id, "team").await;
    path.row_when(&space_home, "the space's row", |row| {
        row["uid"] == json!(old_uid.parse::<u64>().unwrap())
    })
    .await;
    path.row_when(&user_home, "the user's row", |row| {
        row["uid"] == json!(user_uid.parse::<u64>().unwrap())
    })
    .await;
    let old_space = Studio::space(&path.domain_id, "team");
    open_studio(&aws.sagemaker, old_space).await;
    write(
        &path.home_dir(&old_uid).join("shared/plan.md"),
        "# team plan",
    );
    hand_to_owner(&path.home_dir(&old_uid));

    close_studio(&aws.sagemaker, old_space).await;
    delete_and_wait(&aws.sagemaker, old_space).await;
    let new_uid = create_space(aws, &path.domain_id, "team").await;
    aws.sagemaker
        .create_app()
        .domain_id(&path.domain_id)
        .space_name("team")
        .app_type(AppType::JupyterServer)
        .app_name("default")
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating the space's app: {}", DisplayErrorContext(e)));

    let done = path
        .row_when(&space_home, "the space's restore to finish", |row| {
            matches!(row["restore_status"].as_str(), Some("SUCCEEDED" | "FAILED"))
        })
        .await;
    assert_eq!(done["restore_status"], "SUCCEEDED", "{done:#}");
    assert_eq!(
        std::fs::read_to_string(path.home_dir(&new_uid).join("shared/plan.md")).unwrap(),
        "# team plan"
    );
    assert!(
        !path.home_dir(&user_uid).join("shared").exists(),
        "the user named like the space got nothing"
    );
    let user = path.row_when(&user_home, "the user's row", |_| true).await;
    assert!(user.get("restore_status").is_none(), "{user:#}");
    path.tf.destroy();
}

#[tokio::test]
#[ignore = "needs the emulator"]
async fn the_reconciler_restores_a_recreation_the_events_missed() {
    let path = EventPath::deploy().await;
    let aws = &path.aws;
    let home = format!("{}/user/carol", domain_name(aws, &path.domain_id).await);
    let old_uid = create_profile(aws, &path.domain_id, "carol").await;
    path.row_when(&home, "carol's row", |row| {
        row["uid"] == json!(old_uid.parse::<u64>().unwrap())
    })
    .await;
    open_studio(
        &aws.sagemaker,
        Studio::user_profile(&path.domain_id, "carol"),
    )
    .await;
    write(
        &path.home_dir(&old_uid).join("thesis.tex"),
        "\\documentclass{article}",
    );
    hand_to_owner(&path.home_dir(&old_uid));

    // The events stop arriving (CloudTrail's delivery is best effort): the recreation is missed.
    aws.eventbridge
        .disable_rule()
        .name(format!("{}-profile-created", path.prefix))
        .send()
        .await
        .expect("disabling the event rule");
    delete_profile(aws, &path.domain_id, "carol").await;
    let new_uid = create_profile(aws, &path.domain_id, "carol").await;
    create_app(aws, &path.domain_id, "carol").await;
    // Before checking that nothing happened, make sure the event processor has had its chance:
    // with the rule enabled again, a later event (dave's creation) is delivered and processed.
    // Had carol's events been delivered, they would have reached the function before dave's.
    aws.eventbridge
        .enable_rule()
        .name(format!("{}-profile-created", path.prefix))
        .send()
        .await
        .expect("enabling the event rule again");
    let dave_uid = create_profile(aws, &path.domain_id, "dave").await;
    let dave_home = format!("{}/user/dave", domain_name(aws, &path.domain_id).await);
    path.row_when(
        &dave_home,
        "dave's row, from an event after carol's",
        |row| row["uid"] == json!(dave_uid.parse::<u64>().unwrap()),
    )
    .await;
    let row = path.row_when(&home, "carol's row", |_| true).await;
    assert_eq!(
        row["uid"],
        json!(old_uid.parse::<u64>().unwrap()),
        "the event was not missed: {row:#}"
    );

    // The scheduled reconciler notices, records the recreation, and the restore runs.
    let invoked = aws
        .lambda
        .invoke()
        .function_name(format!("{}-reconciler", path.prefix))
        .payload(aws_sdk_lambda::primitives::Blob::new(
            br#"{"mode":"reconcile"}"#.to_vec(),
        ))
        .send()
        .await
        .expect("invoking the reconciler");
    assert!(invoked.function_error().is_none(), "{invoked:?}");
    let report: Value = serde_json::from_slice(invoked.payload().unwrap().as_ref()).unwrap();
    assert_eq!(
        (report["domains"].as_u64(), report["recreated"].as_u64()),
        (Some(1), Some(1)),
        "{report:#}"
    );
    assert_eq!(report["errors"], json!([]), "{report:#}");

    let done = path
        .row_when(&home, "the missed restore to finish", |row| {
            matches!(row["restore_status"].as_str(), Some("SUCCEEDED" | "FAILED"))
        })
        .await;
    assert_eq!(done["restore_status"], "SUCCEEDED", "{done:#}");
    assert_eq!(
        std::fs::read_to_string(path.home_dir(&new_uid).join("thesis.tex")).unwrap(),
        "\\documentclass{article}"
    );
    path.tf.destroy();
}

#[tokio::test]
#[ignore = "needs the emulator"]
async fn a_failed_restore_is_recorded_notified_and_cleaned_up() {
    let path = EventPath::deploy().await;
    let aws = &path.aws;
    let domain_name = domain_name(aws, &path.domain_id).await;
    let home = format!("{domain_name}/user/bob");
    let uid = create_profile(aws, &path.domain_id, "bob").await;
    path.row_when(&home, "bob's row", |row| row["uid"].is_number())
        .await;
    create_app(aws, &path.domain_id, "bob").await;

    // A source directory that does not exist: DataSync fails the transfer.
    let input = json!({
        "source": {"domain_id": path.domain_id, "file_system_id": path.file_system_id, "uid": "299999", "home": home},
        "target": {"domain_id": path.domain_id, "kind": "user", "name": "bob",
                   "file_system_id": path.file_system_id, "uid": uid, "home": home},
        "options": {"excludes": "", "wait_for_app": true, "target_ready_checks": 5, "target_ready_interval_seconds": 1,
                    "transfer_polls": 30, "transfer_poll_seconds": 1, "clear_restore_from": false, "requested_by": "e2e"}
    });
    let execution = aws
        .sfn
        .start_execution()
        .state_machine_arn(&path.state_machine_arn)
        .name(unique_name("fail"))
        .input(input.to_string())
        .send()
        .await
        .expect("starting the restore")
        .execution_arn;
    let status = eventually("the restore to end", PATIENCE, || async {
        let out = aws
            .sfn
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .ok()?;
        (out.status().as_str() != "RUNNING").then(|| out.status().as_str().to_owned())
    })
    .await;
    assert_eq!(status, "FAILED");

    let row = path
        .row_when(&home, "the failure on bob's row", |row| {
            row["restore_status"] == "FAILED"
        })
        .await;
    assert!(
        row["restore_detail"]
            .as_str()
            .unwrap_or_default()
            .contains("TransferFailed"),
        "{row:#}"
    );
    let history = path
        .history_when(&home, "the failure in the history", |rows| {
            rows.iter().any(|r| r["event"] == "restore_failed")
        })
        .await;
    assert!(
        history.iter().any(|r| r["event"] == "restore_started"),
        "{history:#?}"
    );

    // The notification names the home, the profile and the uid.
    let message = eventually("the failure notification", PATIENCE, || async {
        let out = aws_sqs_receive(&path.emulator, &path.notifications).await?;
        Some(out)
    })
    .await;
    assert_eq!(message["home"], json!(home), "{message:#}");
    assert_eq!(message["name"], "bob");
    assert_eq!(message["uid"], json!(uid));
    assert_eq!(message["domain_id"], json!(path.domain_id));
    assert!(message["summary"].as_str().unwrap().contains(&domain_name));

    assert_cleaned_up(aws, &execution, &path.file_system_id).await;
    path.tf.destroy();
}

#[tokio::test]
#[ignore = "needs the emulator"]
async fn a_burst_of_restores_queues_for_datasync_slots_instead_of_failing() {
    let path = EventPath::deploy().await;
    let aws = &path.aws;
    let domain_name = domain_name(aws, &path.domain_id).await;
    let source_uid = create_profile(aws, &path.domain_id, "source").await;
    write(
        &path.home_dir(&source_uid).join("shared.txt"),
        "for everyone",
    );
    let mut executions = Vec::new();
    // Six restores at once with two slots (the module's max_concurrent_restores in this test).
    for n in 0..6 {
        let name = format!("burst{n}");
        let uid = create_profile(aws, &path.domain_id, &name).await;
        let home = format!("{domain_name}/user/{name}");
        let input = json!({
            "source": {"domain_id": path.domain_id, "file_system_id": path.file_system_id, "uid": source_uid,
                       "home": format!("{domain_name}/user/source")},
            "target": {"domain_id": path.domain_id, "kind": "user", "name": name,
                       "file_system_id": path.file_system_id, "uid": uid, "home": home},
            "options": {"excludes": "", "wait_for_app": false, "target_ready_checks": 5, "target_ready_interval_seconds": 1,
                        "transfer_polls": 60, "transfer_poll_seconds": 1, "clear_restore_from": false, "requested_by": "e2e"}
        });
        let arn = aws
            .sfn
            .start_execution()
            .state_machine_arn(&path.state_machine_arn)
            .name(unique_name("burst"))
            .input(input.to_string())
            .send()
            .await
            .expect("starting a restore")
            .execution_arn;
        executions.push((arn, uid));
    }
    for (arn, uid) in &executions {
        let status = eventually(
            "a queued restore to end",
            Duration::from_secs(300),
            || async {
                let out = aws
                    .sfn
                    .describe_execution()
                    .execution_arn(arn)
                    .send()
                    .await
                    .ok()?;
                (out.status().as_str() != "RUNNING").then(|| out.status().as_str().to_owned())
            },
        )
        .await;
        assert_eq!(status, "SUCCEEDED", "{arn}");
        assert_eq!(
            std::fs::read_to_string(path.home_dir(uid).join("shared.txt")).unwrap(),
            "for everyone"
        );
    }
    // The burst queued: at least one restore was refused a slot (its AcquireSlot condition
    // failed, as seen in its execution history) and went on to finish after waiting.
    let mut refusals = Vec::new();
    for (arn, _) in &executions {
        refusals.push(refused_slot_acquires(aws, arn).await);
    }
    assert!(
        refusals.iter().any(|&n| n > 0),
        "six restores through two slots, and none waited for one: refused acquires per execution {refusals:?}"
    );
    // Every slot was released.
    let slots = aws
        .dynamodb
        .get_item()
        .table_name(format!("{}-restore-slots", path.prefix))
        .key("id", AttributeValue::S("datasync-tasks".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("reading the slots")
        .item
        .map(|i| dynamodb_json(&i))
        .unwrap_or(Value::Null);
    assert_eq!(slots["running"], json!(0), "{slots:#}");
    assert_eq!(
        slots.as_object().map(|o| o.len()),
        Some(2),
        "no holder is left: {slots:#}"
    );
    path.tf.destroy();
}

#[tokio::test]
#[ignore = "needs the zips of scripts/build-lambdas (scripts/test builds them before the end-to-end tests)"]
async fn the_lambda_zips_need_glibc_2_34_at_most() {
    // The zips scripts/test made before any test ran: building them again here would race the
    // other tests' host-linked builds of the same binaries in the shared target directory.
    let root = repo_root();
    for function in [
        "studio-event-processor",
        "studio-stream-processor",
        "studio-reconciler",
    ] {
        let zip = root
            .join("target/lambda")
            .join(function)
            .join("bootstrap.zip");
        let dir = tempfile::tempdir().unwrap();
        let unzipped = std::process::Command::new("unzip")
            .arg("-q")
            .arg(&zip)
            .arg("-d")
            .arg(dir.path())
            .status()
            .expect("running unzip");
        assert!(unzipped.success(), "unzipping {}", zip.display());
        let binary = std::fs::read(dir.path().join("bootstrap")).expect("the zip holds bootstrap");
        assert_eq!(
            &binary[..4],
            b"\x7fELF",
            "{function}: bootstrap is an ELF executable"
        );
        assert_eq!(
            u16::from_le_bytes([binary[18], binary[19]]),
            62,
            "{function}: built for x86_64"
        );
        let highest = glibc_versions(&binary).into_iter().max();
        assert!(
            highest.is_some_and(|v| v <= (2, 34, 0)),
            "{function} needs GLIBC {highest:?}, newer than provided.al2023's 2.34"
        );
    }
}

/// Every `GLIBC_x.y[.z]` version name in the binary: the dynamic string table holds exactly
/// the versions its symbol references need.
fn glibc_versions(binary: &[u8]) -> Vec<(u32, u32, u32)> {
    let needle = b"GLIBC_";
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(pos) = binary[i..].windows(needle.len()).position(|w| w == needle) {
        let start = i + pos + needle.len();
        let end = binary[start..]
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'.'))
            .map_or(binary.len(), |n| start + n);
        let parts: Vec<u32> = std::str::from_utf8(&binary[start..end])
            .unwrap_or_default()
            .split('.')
            .filter_map(|p| p.parse().ok())
            .collect();
        if parts.len() >= 2 && binary.get(end) == Some(&0) {
            found.push((parts[0], parts[1], parts.get(2).copied().unwrap_or(0)));
        }
        i = start;
    }
    found
}

#[test]
fn glibc_versions_are_read_from_version_strings() {
    let fake = b"xx\0GLIBC_2.2.5\0GLIBC_2.34\0GLIBC_PRIVATE\0GLIBC_2.17\0";
    assert_eq!(glibc_versions(fake).into_iter().max(), Some((2, 34, 0)));
}

/// Nothing the execution created is left: no DataSync task, location or unfinished task
/// execution, and no EFS access point on the domain's file system, named after it (the workflow
/// names its task after the execution) or tagged with it (its owner tag, the execution's ARN),
/// nor anything those lead to.
async fn assert_cleaned_up(aws: &Clients, execution: &str, file_system_id: &str) {
    let name = execution.rsplit(':').next().unwrap();
    LeakScope::marked(name)
        .with_mark(execution)
        .with_access_points_on(file_system_id)
        .assert_none_left(aws)
        .await;
}

/// How many times the execution's `AcquireSlot` state was refused a slot (the condition of its
/// DynamoDB update failed), from the execution's history (all pages).
async fn refused_slot_acquires(aws: &Clients, execution: &str) -> usize {
    let mut refused = 0;
    let mut state = String::new();
    let mut token = None;
    loop {
        let page = aws
            .sfn
            .get_execution_history()
            .execution_arn(execution)
            .set_next_token(token.take())
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "reading the history of {execution}: {}",
                    aws_sdk_sfn::error::DisplayErrorContext(e)
                )
            });
        for event in page.events() {
            if let Some(entered) = event.state_entered_event_details() {
                state = entered.name().to_owned();
            }
            if state == "AcquireSlot"
                && event
                    .task_failed_event_details()
                    .and_then(|f| f.error())
                    .is_some_and(|e| e == "DynamoDB.ConditionalCheckFailedException")
            {
                refused += 1;
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return refused,
        }
    }
}

/// One message from the SQS queue at `queue_url` (its body, parsed), through SQS's JSON API: the
/// e2e crate has no SQS client.
async fn aws_sqs_receive(emulator: &Emulator, queue_url: &str) -> Option<Value> {
    let endpoint = emulator.endpoint().to_owned();
    let queue_url = queue_url.to_owned();
    tokio::task::spawn_blocking(move || {
        let body = json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 1, "WaitTimeSeconds": 0}).to_string();
        let out = std::process::Command::new("curl")
            .args(["-sS", "-X", "POST", &format!("{endpoint}/")])
            .args(["-H", "Content-Type: application/x-amz-json-1.0"])
            .args(["-H", "X-Amz-Target: AmazonSQS.ReceiveMessage"])
            .args(["-H", "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"])
            .args(["-d", &body])
            .output()
            .ok()?;
        let answer: Value = serde_json::from_slice(&out.stdout).ok()?;
        let message = answer["Messages"].get(0)?;
        serde_json::from_str(message["Body"].as_str()?).ok()
    })
    .await
    .ok()
    .flatten()
}

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

async fn domain_name(aws: &Clients, domain_id: &str) -> String {
    aws.sagemaker
        .describe_domain()
        .domain_id(domain_id)
        .send()
        .await
        .expect("describing the domain")
        .domain_name
        .expect("a domain name")
}

async fn create_space(aws: &Clients, domain_id: &str, name: &str) -> String {
    aws.sagemaker
        .create_space()
        .domain_id(domain_id)
        .space_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating space {name}: {}", DisplayErrorContext(e)));
    aws.sagemaker
        .describe_space()
        .domain_id(domain_id)
        .space_name(name)
        .send()
        .await
        .expect("describing the space")
        .home_efs_file_system_uid
        .expect("a HomeEfsFileSystemUid")
}

async fn create_app(aws: &Clients, domain_id: &str, profile: &str) {
    aws.sagemaker
        .create_app()
        .domain_id(domain_id)
        .user_profile_name(profile)
        .app_type(AppType::JupyterServer)
        .app_name("default")
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating an app for {profile}: {}", DisplayErrorContext(e)));
}
