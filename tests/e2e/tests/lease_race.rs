//! Issue 10: one lease per target home. The automatic path (a recreation seen by the event
//! processor, restored by the workflow) and a declared `studio_profile_restore` aim at the same
//! home at the same time: one copies, the other fails naming the holder and creates nothing.
//!
//! The test holds every DataSync copy mid-way (`datasync_hold_executions`, a global switch), so
//! it runs in the exclusive lane of `scripts/test`.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::error::DisplayErrorContext;
use serde_json::json;
use studio_e2e::{
    Emulator, EventPath, PATIENCE, Provider, Studio, Terraform, close_studio, delete_and_wait,
    dynamodb_json, eventually, hand_to_owner, open_studio, wait_in_service, write_file,
};

async fn create_profile(path: &EventPath, name: &str) -> String {
    path.aws
        .sagemaker
        .create_user_profile()
        .domain_id(&path.domain_id)
        .user_profile_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating {name}: {}", DisplayErrorContext(e)));
    wait_in_service(
        &path.aws.sagemaker,
        Studio::user_profile(&path.domain_id, name),
    )
    .await;
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

/// The DataSync tasks on the domain's file system that exist now.
async fn tasks_on(path: &EventPath) -> usize {
    let mut count = 0;
    let mut token = None;
    loop {
        let page = path
            .aws
            .datasync
            .list_tasks()
            .set_next_token(token.take())
            .send()
            .await
            .expect("listing DataSync tasks");
        for task in page.tasks() {
            let described = path
                .aws
                .datasync
                .describe_task()
                .task_arn(task.task_arn().unwrap_or_default())
                .send()
                .await;
            let Ok(described) = described else { continue };
            for location in [
                described.source_location_arn(),
                described.destination_location_arn(),
            ]
            .into_iter()
            .flatten()
            {
                let Ok(loc) = path
                    .aws
                    .datasync
                    .describe_location_efs()
                    .location_arn(location)
                    .send()
                    .await
                else {
                    continue;
                };
                if loc
                    .location_uri()
                    .is_some_and(|u| u.contains(&path.file_system_id))
                {
                    count += 1;
                    break;
                }
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return count,
        }
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_provider_and_the_event_path_never_copy_into_one_home_at_once() {
    let emulator = Emulator::from_env();
    emulator.configure(&json!({"datasync_hold_executions": false}));
    let path = EventPath::deploy().await;
    let home = format!("{}/user/alice", path.domain_name().await);
    let alice = Studio::user_profile(&path.domain_id, "alice");
    let old_uid = create_profile(&path, "alice").await;
    path.row_when(&home, "alice recorded", |row| {
        row["uid"] == json!(old_uid.parse::<u64>().unwrap())
    })
    .await;
    open_studio(&path.aws.sagemaker, alice).await;
    write_file(
        &path.home_dir(&old_uid).join("notebooks/model.ipynb"),
        "{\"cells\": []}\n",
    );
    hand_to_owner(&path.home_dir(&old_uid));
    close_studio(&path.aws.sagemaker, alice).await;
    delete_and_wait(&path.aws.sagemaker, alice).await;

    // From now on every copy stops mid-way until released.
    emulator.configure(&json!({"datasync_hold_executions": true}));
    let new_uid = create_profile(&path, "alice").await;
    open_studio(&path.aws.sagemaker, alice).await;
    let holder = eventually("the workflow to hold alice's lease", PATIENCE, || async {
        let item = path
            .aws
            .dynamodb
            .get_item()
            .table_name(&path.mapping_table)
            .key("home", AttributeValue::S(home.clone()))
            .consistent_read(true)
            .send()
            .await
            .ok()?
            .item?;
        dynamodb_json(&item)["lease_holder"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    assert!(
        holder.contains(":execution:"),
        "the workflow's execution holds it: {holder}"
    );
    eventually("the workflow's copy to be under way", PATIENCE, || async {
        (tasks_on(&path).await == 1).then_some(())
    })
    .await;

    // A person declares the same restore meanwhile: it waits out its create timeout, then fails
    // naming the holder, with nothing created.
    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.write(
        "tables_override.tf",
        &format!(
            "provider \"studio\" {{\n  user_table    = \"{}\"\n  history_table = \"{}\"\n}}\n",
            path.mapping_table, path.history_table
        ),
    );
    tf.write(
        "main.tf",
        &format!(
            r#"
resource "studio_profile_restore" "alice" {{
  source = {{
    domain_id         = "{domain}"
    user_profile_name = "alice"
    file_system_id    = "{fs}"
    uid               = {old_uid}
  }}
  target = {{
    domain_id         = "{domain}"
    user_profile_name = "alice"
  }}
  timeouts {{
    create = "4s"
  }}
}}
"#,
            domain = path.domain_id,
            fs = path.file_system_id,
        ),
    );
    tf.init();
    let out = tf.apply_fails();
    let text = format!("{}\n{}", out.stdout, out.stderr).replace('\n', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains(&holder), "the holder is named:\n{out}");
    assert!(text.contains("Nothing was created"), "{out}");
    assert_eq!(
        tasks_on(&path).await,
        1,
        "the provider created no task of its own"
    );

    // Released, the workflow's copy ends: one copy, the lease given back.
    emulator.configure(&json!({"datasync_hold_executions": false}));
    let done = path
        .row_when(&home, "the workflow's restore to end", |row| {
            matches!(row["restore_status"].as_str(), Some("SUCCEEDED" | "FAILED"))
        })
        .await;
    assert_eq!(done["restore_status"], "SUCCEEDED", "{done:#}");
    assert_eq!(
        std::fs::read_to_string(path.home_dir(&new_uid).join("notebooks/model.ipynb")).unwrap(),
        "{\"cells\": []}\n"
    );
    let released = path
        .row_when(&home, "the lease given back", |row| {
            row.get("lease_holder").is_none()
        })
        .await;
    assert!(released.get("lease_expires_at").is_none(), "{released:#}");
    let executions = path
        .aws
        .sfn
        .list_executions()
        .state_machine_arn(&path.state_machine_arn)
        .send()
        .await
        .expect("listing executions");
    assert_eq!(executions.executions().len(), 1, "one copy");
    eventually("no task left", Duration::from_secs(60), || async {
        (tasks_on(&path).await == 0).then_some(())
    })
    .await;
    path.tf.destroy();
}
