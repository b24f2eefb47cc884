//! Issue 11: one DataSync budget for the account. 150 restores are requested at once, 40 through
//! the provider (`engine = "datasync"`, its `slots_table` set to the workflow's) and 110 through
//! the restore workflow, with the emulator's DataSync task quota on: at no moment do more
//! DataSync tasks exist than the cap (`max_concurrent_restores`), and every restore finishes.
//!
//! It reads the emulator's task peak, a global measure, so it runs in the exclusive lane of
//! `scripts/test`.

use std::time::Duration;

use aws_sdk_sagemaker::types::AuthMode;
use futures::future::join_all;
use serde_json::json;
use studio_core::home::{HomeDirectory, Uid};
use studio_core::workflow::{Directory, RestoreOptions, RestoreRequest};
use studio_core::{HomeKey, HomeKind};
use studio_e2e::{
    Emulator, EventPath, EventPathOptions, PATIENCE, Provider, Terraform, create_domain,
    create_profile, eventually, hand_to_owner, unique_name, write_file,
};

const CAP: u32 = 12;
const THROUGH_PROVIDER: usize = 40;
const THROUGH_WORKFLOW: usize = 110;

/// How long the restores may take, at most: see the provider's apply below.
const PATIENT: Duration = Duration::from_secs(1200);

/// A detached old home directory `/<uid>` with one file, owned by `uid` as Studio leaves it.
fn old_home(path: &EventPath, uid: u32, name: &str) {
    let dir = path.home_dir(&uid.to_string());
    write_file(&dir.join(format!("{name}.txt")), &format!("{name}\n"));
    hand_to_owner(&dir);
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn restores_of_both_engines_share_one_datasync_budget() {
    let emulator = Emulator::from_env();
    emulator.configure(&json!({"datasync_task_quota": 100, "datasync_hold_executions": false}));
    let aws = emulator.clients().await;
    let (domain_id, fs) = create_domain(&aws, &unique_name("budget"), AuthMode::Iam).await;
    let path = EventPath::deploy_with(
        Emulator::from_env(),
        domain_id.clone(),
        &EventPathOptions {
            max_concurrent_restores: CAP,
            // 110 executions queue behind 12 slots (and 40 provider restores), each try about a
            // second apart (`queue_wait_max_delay_seconds = 2`, full jitter): the module's 300
            // tries ran out on a slow CI machine before the queue did. AWS would wait as long as
            // the module lets it; this test is about the cap, not about giving up.
            queue_wait_max_attempts: Some(5000),
            ..EventPathOptions::default()
        },
    )
    .await;
    let slots_table = path.slots_table.clone();

    // 150 new profiles, each with an old home directory to restore. No trail is logging
    // meanwhile (`cloudtrail_events` off: AWS sends no CreateUserProfile event without one), so
    // that 150 event processor invocations do not load the emulator: this test is about the
    // budget, and nothing here needs the event path's rows.
    emulator.configure(&json!({"cloudtrail_events": false}));
    let names: Vec<String> = (0..THROUGH_PROVIDER + THROUGH_WORKFLOW)
        .map(|i| format!("u{i}"))
        .collect();
    let mut uids = Vec::new();
    for chunk in names.chunks(25) {
        uids.extend(
            join_all(
                chunk
                    .iter()
                    .map(|name| create_profile(&aws, &domain_id, name)),
            )
            .await,
        );
    }
    emulator.configure(&json!({"cloudtrail_events": true}));
    let old_uid = |i: usize| 400_000 + i as u32;
    for (i, name) in names.iter().enumerate() {
        old_home(&path, old_uid(i), name);
    }

    // The provider's share, in one apply with enough parallelism to want them all at once.
    let mut tf = Terraform::new(&emulator);
    // 40 restores that queue for a few slots behind 110 others. Alone on this machine all 150
    // take about 200 s; in `scripts/test` two other lanes share its two cores. This test is
    // about the cap, not about speed: it waits as long as a slow machine needs.
    tf.set_timeout(PATIENT);
    tf.write_providers(&[Provider::Studio]);
    tf.write(
        "tables_override.tf",
        &format!(
            "provider \"studio\" {{\n  user_table    = \"{}\"\n  history_table = \"{}\"\n  slots_table   = \"{slots_table}\"\n}}\n",
            path.mapping_table, path.history_table
        ),
    );
    let mut main = String::new();
    for (i, name) in names.iter().enumerate().take(THROUGH_PROVIDER) {
        main.push_str(&format!(
            r#"
resource "studio_profile_restore" "{name}" {{
  source = {{
    domain_id         = "{domain_id}"
    user_profile_name = "{name}"
    file_system_id    = "{fs}"
    uid               = {uid}
  }}
  target = {{
    domain_id         = "{domain_id}"
    user_profile_name = "{name}"
  }}
}}
"#,
            uid = old_uid(i)
        ));
    }
    tf.write("main.tf", &main);
    tf.init();

    emulator.restart_datasync_peak();
    let provider = tokio::task::spawn_blocking(move || {
        let out = tf.try_run(&[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=40",
        ]);
        (tf, out)
    });
    // The workflow's share, started all at once.
    let domain_name = path.domain_name().await;
    let requests: Vec<RestoreRequest> = (THROUGH_PROVIDER..names.len())
        .map(|i| {
            let home = HomeKey::new(&domain_name, HomeKind::User, &names[i]).unwrap();
            let source = HomeDirectory::new(&fs, Uid::new(old_uid(i).into()).unwrap()).unwrap();
            let target = HomeDirectory::new(&fs, uids[i].parse().unwrap()).unwrap();
            RestoreRequest::new(
                &Directory {
                    home: &home,
                    domain_id: &domain_id,
                    directory: &source,
                },
                &Directory {
                    home: &home,
                    domain_id: &domain_id,
                    directory: &target,
                },
                RestoreOptions {
                    requested_by: "budget test".into(),
                    // Nobody opens Studio here: the profile being InService is enough.
                    wait_for_app: false,
                    target_ready_interval_seconds: 1,
                    transfer_poll_seconds: 1,
                    ..RestoreOptions::default()
                },
            )
            .unwrap()
        })
        .collect();
    let started = join_all(requests.iter().map(|request| {
        aws.sfn
            .start_execution()
            .state_machine_arn(&path.state_machine_arn)
            .name(request.execution_name())
            .input(request.to_json())
            .send()
    }))
    .await;
    let executions: Vec<String> = started
        .into_iter()
        .map(|r| r.expect("starting a restore").execution_arn().to_owned())
        .collect();

    // Every workflow restore ends, successfully.
    let budget = PATIENT.max(PATIENCE);
    for execution in &executions {
        let status = eventually("the workflow's restores to end", budget, || async {
            let status = aws
                .sfn
                .describe_execution()
                .execution_arn(execution)
                .send()
                .await
                .ok()?
                .status()
                .as_str()
                .to_owned();
            (status != "RUNNING").then_some(status)
        })
        .await;
        if status != "SUCCEEDED" {
            let described = aws
                .sfn
                .describe_execution()
                .execution_arn(execution)
                .send()
                .await
                .expect("describing the failed execution");
            // The last events say which state failed and how.
            let history = aws
                .sfn
                .get_execution_history()
                .execution_arn(execution)
                .reverse_order(true)
                .max_results(8)
                .send()
                .await
                .map(|h| format!("{:#?}", h.events()))
                .unwrap_or_else(|e| format!("(no history: {e})"));
            panic!(
                "{execution} ended {status}: {} {}\nlast events, newest first:\n{history}",
                described.error().unwrap_or("-"),
                described.cause().unwrap_or("-")
            );
        }
    }
    let (_tf, out) = provider.await.expect("the provider's apply");
    assert!(out.success(), "the provider's restores all finish\n{out}");

    let counts = emulator.datasync_tasks();
    let peak = counts["tasks_peak"].as_u64().expect("a peak");
    assert!(
        peak <= u64::from(CAP),
        "at most {CAP} DataSync tasks existed at once, not {peak}"
    );
    assert!(peak >= 2, "the restores did run side by side: {counts}");
    assert_eq!(counts["tasks"], 0, "every task was deleted: {counts}");
    for (i, name) in names.iter().enumerate() {
        let restored = path.home_dir(&uids[i]).join(format!("{name}.txt"));
        assert!(
            restored.is_file(),
            "{name}'s file is back ({})",
            restored.display()
        );
    }
    // Every slot was given back.
    let slots = aws
        .dynamodb
        .get_item()
        .table_name(&slots_table)
        .key(
            "id",
            aws_sdk_dynamodb::types::AttributeValue::S(studio_core::slots::SLOTS_ITEM.into()),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("reading the slots");
    let item = slots.item().cloned().unwrap_or_default();
    assert_eq!(
        item.get("running")
            .and_then(|v| v.as_n().ok())
            .map(String::as_str),
        Some("0"),
        "{item:?}"
    );
    assert_eq!(item.len(), 2, "no holder is left: {item:?}");
}
