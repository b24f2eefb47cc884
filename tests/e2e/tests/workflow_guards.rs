//! The restore workflow's guards, against `modules/restore-workflow` applied to the emulator:
//! it checks its input before it writes or creates anything, and it holds the target home's
//! lease while it copies (one restore per home; a dead holder's lease expires).

use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::types::AuthMode;
use serde_json::{Value, json};
use studio_e2e::{
    Clients, Emulator, Provider, Studio, Terraform, create_domain, create_profile, eventually,
    open_studio, repo_root, unique_name,
};

const PATIENCE: Duration = Duration::from_secs(120);

struct Workflow {
    aws: Clients,
    emulator: Emulator,
    tf: Terraform,
    state_machine_arn: String,
    mapping_table: String,
    prefix: String,
}

impl Workflow {
    async fn deploy() -> Workflow {
        let emulator = Emulator::from_env();
        let aws = emulator.clients().await;
        let prefix = unique_name("wg");
        let mapping_table = format!("{prefix}-map");
        let modules = repo_root().join("modules");
        let tf = Terraform::new(&emulator);
        tf.write_providers(&[Provider::Aws]);
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

resource "aws_dynamodb_table" "mapping" {{
  name         = "{mapping_table}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "home"

  attribute {{
    name = "home"
    type = "S"
  }}
}}

module "restore_workflow" {{
  source                       = "{modules}/restore-workflow"
  name_prefix                  = "{prefix}"
  mapping_table_name           = aws_dynamodb_table.mapping.name
  mapping_table_arn            = aws_dynamodb_table.mapping.arn
  vpc_id                       = aws_vpc.v.id
  subnet_id                    = aws_subnet.s.id
  queue_wait_max_delay_seconds = 2
}}

output "state_machine_arn" {{
  value = module.restore_workflow.state_machine_arn
}}
"#,
                modules = modules.display(),
            ),
        );
        tf.init();
        tf.apply();
        let state_machine_arn = tf
            .output("state_machine_arn")
            .as_str()
            .expect("the state machine's ARN")
            .to_owned();
        Workflow {
            aws,
            emulator,
            tf,
            state_machine_arn,
            mapping_table,
            prefix,
        }
    }

    /// Starts an execution with `input` and waits until it ends; returns its description.
    async fn run(&self, name: &str, input: &Value) -> (String, String, String) {
        let arn = self
            .aws
            .sfn
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(name)
            .input(input.to_string())
            .send()
            .await
            .expect("starting an execution")
            .execution_arn
            .clone();
        self.wait(&arn).await
    }

    async fn wait(&self, arn: &str) -> (String, String, String) {
        eventually("the execution to end", PATIENCE, || async {
            let out = self
                .aws
                .sfn
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .ok()?;
            (out.status().as_str() != "RUNNING").then(|| {
                (
                    out.status().as_str().to_owned(),
                    out.error().unwrap_or_default().to_owned(),
                    out.cause().unwrap_or_default().to_owned(),
                )
            })
        })
        .await
    }

    async fn row(&self, home: &str) -> Option<Value> {
        let item = self
            .aws
            .dynamodb
            .get_item()
            .table_name(&self.mapping_table)
            .key("home", AttributeValue::S(home.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("reading a row")
            .item?;
        Some(Value::Object(
            item.iter()
                .map(|(k, v)| {
                    let v = match v {
                        AttributeValue::S(s) => json!(s),
                        AttributeValue::N(n) => json!(n),
                        other => json!(format!("{other:?}")),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ))
    }
}

/// A domain with one profile; returns (domain id, domain name, file system, uid).
async fn domain_with_profile(aws: &Clients, profile: &str) -> (String, String, String, String) {
    let name = unique_name("wg-domain");
    let (id, fs) = create_domain(aws, &name, AuthMode::Iam).await;
    let uid = create_profile(aws, &id, profile).await;
    // Studio mounts (and so creates) the home directory at its first app, and a restore copies
    // only into a home that exists.
    open_studio(&aws.sagemaker, Studio::user_profile(&id, profile)).await;
    (id, name, fs, uid)
}

#[allow(clippy::too_many_arguments)]
fn input(
    domain_id: &str,
    home: &str,
    source_fs: &str,
    source_uid: &str,
    target_fs: &str,
    target_uid: &str,
    lease_checks: u32,
) -> Value {
    json!({
        "source": {"domain_id": domain_id, "file_system_id": source_fs, "uid": source_uid, "home": home},
        "target": {"domain_id": domain_id, "kind": "user", "name": home.rsplit('/').next().unwrap(),
                   "file_system_id": target_fs, "uid": target_uid, "home": home},
        "options": {"excludes": "", "wait_for_app": false,
                    "target_ready_checks": lease_checks, "target_ready_interval_seconds": 1,
                    "transfer_polls": 120, "transfer_poll_seconds": 1,
                    "clear_restore_from": false, "requested_by": "e2e"}
    })
}

/// Nothing tagged with the execution's name exists: no location, no task, no access point.
async fn assert_nothing_created(aws: &Clients, execution_name: &str, file_system_id: &str) {
    let locations = aws
        .datasync
        .list_locations()
        .max_results(100)
        .send()
        .await
        .expect("listing locations");
    for location in locations.locations() {
        let arn = location.location_arn().unwrap_or_default();
        if let Ok(tags) = aws
            .datasync
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
        {
            assert!(
                !tags
                    .tags()
                    .iter()
                    .any(|t| t.value() == Some(execution_name)),
                "location {arn} was created by {execution_name}"
            );
        }
    }
    let tasks = aws.datasync.list_tasks().max_results(100).send().await;
    for task in tasks.expect("listing tasks").tasks() {
        assert_ne!(task.name(), Some(execution_name), "a task was created");
    }
    let points = aws
        .efs
        .describe_access_points()
        .file_system_id(file_system_id)
        .send()
        .await
        .expect("listing access points");
    for point in points.access_points() {
        assert!(
            !point.tags().iter().any(|t| t.value() == execution_name),
            "access point {:?} was created by {execution_name}",
            point.access_point_id()
        );
    }
}

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn bad_inputs_fail_early_and_create_nothing() {
    let wf = Workflow::deploy().await;
    let aws = &wf.aws;
    let (domain_id, domain, fs, uid) = domain_with_profile(aws, "alice").await;
    let (_, _, other_fs, other_uid) = domain_with_profile(aws, "mallory").await;
    let home = format!("{domain}/user/alice");
    let old = (uid.parse::<u64>().unwrap() + 1000).to_string();
    write(&wf.emulator.home_dir(&fs, &old).join("notes.txt"), "mine");

    let cases = [
        (
            "non-numeric-source-uid",
            input(&domain_id, &home, &fs, "12a", &fs, &uid, 2),
            "not a positive decimal number",
        ),
        (
            "exponent-uid",
            input(&domain_id, &home, &fs, "2e5", &fs, &uid, 2),
            "not a positive decimal number",
        ),
        (
            "leading-zero-uid",
            input(&domain_id, &home, &fs, &format!("0{old}"), &fs, &uid, 2),
            "not a positive decimal number",
        ),
        (
            "non-numeric-target-uid",
            input(&domain_id, &home, &fs, &old, &fs, "abc", 2),
            "not a positive decimal number",
        ),
        (
            "target-not-the-domains",
            input(&domain_id, &home, &fs, &old, &other_fs, &other_uid, 2),
            "is not the home file system",
        ),
        (
            "source-is-target",
            input(&domain_id, &home, &fs, &uid, &fs, &uid, 2),
            "the source is the target's own home directory",
        ),
    ];
    for (what, input, expected) in cases {
        let name = unique_name(what);
        let (status, error, cause) = wf.run(&name, &input).await;
        assert_eq!(status, "FAILED", "{what}: {error} {cause}");
        assert_eq!(error, "RestoreFailed", "{what}: {cause}");
        assert!(cause.contains(expected), "{what}: {cause}");
        assert_nothing_created(aws, &name, &fs).await;
        assert_nothing_created(aws, &name, &other_fs).await;
        assert!(
            wf.row(&home).await.is_none(),
            "{what}: a refused input wrote the mapping table"
        );
    }
    assert!(
        !wf.emulator
            .home_dir(&other_fs, &other_uid)
            .join("notes.txt")
            .exists(),
        "mallory got nothing"
    );

    // The same request with good values copies.
    let name = unique_name("good");
    let (status, error, cause) = wf
        .run(&name, &input(&domain_id, &home, &fs, &old, &fs, &uid, 2))
        .await;
    assert_eq!(status, "SUCCEEDED", "{error} {cause}");
    assert_eq!(
        std::fs::read_to_string(wf.emulator.home_dir(&fs, &uid).join("notes.txt")).unwrap(),
        "mine"
    );
    wf.tf.destroy();
}

async fn put_lease(wf: &Workflow, home: &str, holder: &str, expires_at: Option<&str>) {
    let mut req = wf
        .aws
        .dynamodb
        .put_item()
        .table_name(&wf.mapping_table)
        .item("home", AttributeValue::S(home.to_owned()))
        .item("version", AttributeValue::N("1".into()))
        .item("lease_holder", AttributeValue::S(holder.to_owned()));
    if let Some(at) = expires_at {
        req = req.item("lease_expires_at", AttributeValue::S(at.to_owned()));
    }
    req.send().await.expect("writing a lease");
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_workflow_waits_for_a_held_lease_and_takes_an_expired_one() {
    let wf = Workflow::deploy().await;
    let aws = &wf.aws;
    let (domain_id, domain, fs, uid) = domain_with_profile(aws, "bob").await;
    let home = format!("{domain}/user/bob");
    let old = (uid.parse::<u64>().unwrap() + 1000).to_string();
    write(&wf.emulator.home_dir(&fs, &old).join("thesis.tex"), "bob's");
    let request = |checks| input(&domain_id, &home, &fs, &old, &fs, &uid, checks);

    // A live holder (a provider process whose lease runs for an hour): the execution waits its
    // bounded time, then fails naming the holder, having created nothing.
    let holder = "terraform-provider-studio pid 4242 on builder, restore r-test";
    let later =
        studio_core::lease::timestamp(time::OffsetDateTime::now_utc() + Duration::from_secs(3600));
    put_lease(&wf, &home, holder, Some(&later)).await;
    let name = unique_name("held");
    let (status, _, cause) = wf.run(&name, &request(2)).await;
    assert_eq!(status, "FAILED", "{cause}");
    assert!(cause.contains(holder), "{cause}");
    assert!(cause.contains("holds its lease"), "{cause}");
    assert_nothing_created(aws, &name, &fs).await;
    assert!(!wf.emulator.home_dir(&fs, &uid).join("thesis.tex").exists());
    let row = wf.row(&home).await.expect("the row");
    assert_eq!(row["lease_holder"], holder, "the holder keeps its lease");

    // The holder was killed: its lease expired a minute ago. The next restore takes it, copies,
    // and releases it; the stub row the test wrote stays only as long as something is in it.
    let earlier =
        studio_core::lease::timestamp(time::OffsetDateTime::now_utc() - Duration::from_secs(60));
    put_lease(&wf, &home, holder, Some(&earlier)).await;
    let (status, error, cause) = wf.run(&unique_name("expired"), &request(2)).await;
    assert_eq!(status, "SUCCEEDED", "{error} {cause}");
    assert_eq!(
        std::fs::read_to_string(wf.emulator.home_dir(&fs, &uid).join("thesis.tex")).unwrap(),
        "bob's"
    );
    assert!(
        wf.row(&home)
            .await
            .is_none_or(|r| r.get("lease_holder").is_none()),
        "the lease was released"
    );

    // An execution killed while it holds the lease (stopped from outside while it waited for a
    // DataSync slot, all of which the test holds) holds nothing once it no longer runs.
    let slots = format!("{}-restore-slots", wf.prefix);
    let set_running = |n: u32| {
        aws.dynamodb
            .put_item()
            .table_name(&slots)
            .item("id", AttributeValue::S("datasync-tasks".into()))
            .item("running", AttributeValue::N(n.to_string()))
            .send()
    };
    set_running(50).await.expect("taking every slot");
    let stopped = aws
        .sfn
        .start_execution()
        .state_machine_arn(&wf.state_machine_arn)
        .name(unique_name("stopped"))
        .input(request(60).to_string())
        .send()
        .await
        .expect("starting an execution")
        .execution_arn
        .clone();
    eventually("the execution to hold the lease", PATIENCE, || async {
        let row = wf.row(&home).await?;
        (row.get("lease_holder")?.as_str()? == stopped).then_some(())
    })
    .await;
    aws.sfn
        .stop_execution()
        .execution_arn(&stopped)
        .send()
        .await
        .expect("stopping it");
    assert_eq!(wf.wait(&stopped).await.0, "ABORTED");
    set_running(0).await.expect("freeing the slots");
    let row = wf.row(&home).await.expect("the row");
    assert_eq!(
        row["lease_holder"], stopped,
        "a stopped execution releases nothing"
    );
    let (status, error, cause) = wf.run(&unique_name("after-stop"), &request(2)).await;
    assert_eq!(status, "SUCCEEDED", "{error} {cause}");

    // Two executions at once into one home: the first holds the lease (it waits for a DataSync
    // slot, all of which the test holds), so the second, with one lease check, fails naming it
    // and creates nothing; once the slots are free the first copies. Never two copies at once.
    set_running(50).await.expect("taking every slot");
    let first = aws
        .sfn
        .start_execution()
        .state_machine_arn(&wf.state_machine_arn)
        .name(unique_name("first"))
        .input(request(60).to_string())
        .send()
        .await
        .expect("starting the first")
        .execution_arn
        .clone();
    eventually("the first to hold the lease", PATIENCE, || async {
        let row = wf.row(&home).await?;
        (row.get("lease_holder")?.as_str()? == first).then_some(())
    })
    .await;
    let name = unique_name("second");
    let (status, error, cause) = wf.run(&name, &request(1)).await;
    assert_eq!(status, "FAILED", "{error} {cause}");
    assert!(cause.contains(&first), "{cause}");
    assert_nothing_created(aws, &name, &fs).await;
    set_running(0).await.expect("freeing the slots");
    let (status, error, cause) = wf.wait(&first).await;
    assert_eq!(status, "SUCCEEDED", "{error} {cause}");
    assert!(
        wf.row(&home)
            .await
            .is_none_or(|r| r.get("lease_holder").is_none()),
        "the lease was released"
    );
    wf.tf.destroy();
}
