//! A whole domain deleted and recreated (same name, new id, new home file system): the automatic
//! path maps homes by domain name, so a user's files come back in the new domain's home.
//! `modules/event-app` and `modules/restore-workflow` applied with Terraform to the emulator, the
//! Rust Lambdas really running, the restore state machine copying between the two file systems.

use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::{AppType, AuthMode};
use serde_json::{Value, json};
use studio_e2e::{
    Clients, Emulator, Provider, Studio, Terraform, create_domain, create_profile, delete_and_wait,
    delete_profile, eventually, hand_to_owner, lambda_zip, open_studio, repo_root, unique_name,
};

/// Event delivery, a cold start of a dev binary, and a workflow polling every second.
const PATIENCE: Duration = Duration::from_secs(120);

#[tokio::test]
#[ignore = "needs the emulator"]
async fn a_recreated_domain_gets_its_users_files_back_through_the_event_path() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let domain_name = unique_name("dr-domain");
    let old_domain = create_domain(&aws, &domain_name, AuthMode::Iam).await.0;
    let old_fs = file_system(&aws, &old_domain).await;

    let zips = tokio::task::spawn_blocking(|| {
        [
            "studio-event-processor",
            "studio-stream-processor",
            "studio-reconciler",
        ]
        .map(|f| lambda_zip(f, f).path.display().to_string())
    })
    .await
    .expect("building the Lambda zips");
    let prefix = unique_name("dr");
    let mapping_table = format!("{prefix}-map");
    let modules = repo_root().join("modules");
    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Aws]);
    // No domain_ids: the recreated domain's id is not known yet, every domain is tracked.
    tf.write(
        "main.tf",
        &format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.43.0.0/16"
}}

resource "aws_subnet" "s" {{
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.43.1.0/24"
}}

resource "aws_sns_topic" "failures" {{
  name = "{prefix}-failures"
}}

module "restore_workflow" {{
  source                       = "{modules}/restore-workflow"
  name_prefix                  = "{prefix}"
  mapping_table_name           = module.event_app.mapping_table_name
  mapping_table_arn            = module.event_app.mapping_table_arn
  vpc_id                       = aws_vpc.v.id
  subnet_id                    = aws_subnet.s.id
  queue_wait_max_delay_seconds = 2
  create_notification_topic    = false
  notification_topic_arn       = aws_sns_topic.failures.arn
}}

module "event_app" {{
  source                   = "{modules}/event-app"
  name_prefix              = "{prefix}"
  mapping_table_name       = "{mapping_table}"
  history_table_name       = "{prefix}-history"
  state_machine_arn        = module.restore_workflow.state_machine_arn
  slots_table_arn          = module.restore_workflow.slots_table_arn
  event_processor_zip      = "{event_zip}"
  stream_processor_zip     = "{stream_zip}"
  reconciler_zip           = "{reconciler_zip}"
  lambda_runtime           = "provided.al2"
  restore_poll_seconds     = 1
  run_reconciler_on_deploy = false
  log_level                = "debug"
  # EventBridge gets CloudTrail events only from a logging trail (and so does the emulator).
  create_trail = true
}}
"#,
            modules = modules.display(),
            event_zip = zips[0],
            stream_zip = zips[1],
            reconciler_zip = zips[2],
        ),
    );
    tf.init();
    tf.apply();

    let home = format!("{domain_name}/user/dana");
    let row_when = |what: &'static str, check: fn(&Value, &str) -> bool, arg: String| {
        let (aws, table, home) = (&aws, &mapping_table, &home);
        eventually(what, PATIENCE, move || {
            let arg = arg.clone();
            async move {
                let item = aws
                    .dynamodb
                    .get_item()
                    .table_name(table)
                    .key("home", AttributeValue::S(home.clone()))
                    .consistent_read(true)
                    .send()
                    .await
                    .ok()?
                    .item?;
                let row = plain(&item);
                check(&row, &arg).then_some(row)
            }
        })
    };

    // The user works in the old domain.
    let old_uid = create_profile(&aws, &old_domain, "dana").await;
    row_when(
        "dana's row",
        |row, uid| row["uid"] == json!(uid.parse::<u64>().unwrap()),
        old_uid.clone(),
    )
    .await;
    let old_home = emulator.home_dir(&old_fs, &old_uid);
    open_studio(&aws.sagemaker, Studio::user_profile(&old_domain, "dana")).await;
    write(&old_home.join("analysis.ipynb"), "{\"cells\": [1]}");
    write(&old_home.join("data/raw.parquet"), "PAR1");
    hand_to_owner(&old_home);

    // The whole domain goes (its file system is retained), and comes back under the same name.
    delete_profile(&aws, &old_domain, "dana").await;
    delete_and_wait(&aws.sagemaker, Studio::domain(&old_domain)).await;
    let new_domain = create_domain(&aws, &domain_name, AuthMode::Iam).await.0;
    let new_fs = file_system(&aws, &new_domain).await;
    assert_ne!(new_domain, old_domain);
    assert_ne!(new_fs, old_fs);
    let new_uid = create_profile(&aws, &new_domain, "dana").await;

    // The same home, now in the new domain: the restore starts from the old directory.
    let running = row_when(
        "the restore to start",
        |row, _| row["restore_status"] == "RUNNING",
        String::new(),
    )
    .await;
    assert_eq!(running["domain_id"], json!(new_domain), "{running:#}");
    assert_eq!(running["file_system_id"], json!(new_fs), "{running:#}");
    assert_eq!(
        running["previous_domain_id"],
        json!(old_domain),
        "{running:#}"
    );
    assert_eq!(
        running["previous_file_system_id"],
        json!(old_fs),
        "{running:#}"
    );
    assert_eq!(
        running["previous_uid"],
        json!(old_uid.parse::<u64>().unwrap()),
        "{running:#}"
    );
    create_app(&aws, &new_domain, "dana").await;

    let done = row_when(
        "the restore to finish",
        |row, _| matches!(row["restore_status"].as_str(), Some("SUCCEEDED" | "FAILED")),
        String::new(),
    )
    .await;
    assert_eq!(done["restore_status"], "SUCCEEDED", "{done:#}");
    let new_home = emulator.home_dir(&new_fs, &new_uid);
    assert_eq!(
        std::fs::read_to_string(new_home.join("analysis.ipynb")).unwrap(),
        "{\"cells\": [1]}"
    );
    assert_eq!(
        std::fs::read_to_string(new_home.join("data/raw.parquet")).unwrap(),
        "PAR1"
    );
    tf.destroy();
}

fn plain(item: &std::collections::HashMap<String, AttributeValue>) -> Value {
    item.iter()
        .map(|(k, v)| {
            let v = match v {
                AttributeValue::S(s) => json!(s),
                AttributeValue::N(n) => n.parse::<u64>().map(|n| json!(n)).unwrap_or(json!(n)),
                AttributeValue::Bool(b) => json!(b),
                AttributeValue::Ss(ss) => json!(ss),
                other => json!(format!("{other:?}")),
            };
            (k.clone(), v)
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

async fn file_system(aws: &Clients, domain_id: &str) -> String {
    aws.sagemaker
        .describe_domain()
        .domain_id(domain_id)
        .send()
        .await
        .expect("describing the domain")
        .home_efs_file_system_id
        .expect("the domain has a home EFS")
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
