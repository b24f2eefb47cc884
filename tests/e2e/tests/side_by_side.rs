//! Issue 12, point 4: two deployments of `modules/studio-restore` with different `name_prefix`es
//! apply side by side in one account and Region, every name (tables included, by default)
//! derived from the prefix and the IAM role names carrying the Region; each tracks its own
//! domain by *name* (`domain_names`), so that the other's CloudTrail events, which reach both
//! event rules, are dropped by the event processor, and a domain recreated under its name (a
//! new id) stays tracked.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::types::AuthMode;
use serde_json::Value;
use studio_e2e::{
    Clients, Emulator, Provider, Studio, Terraform, create_domain, create_profile, delete_and_wait,
    delete_profile, eventually, lambda_zip, repo_root, unique_name,
};

/// Event delivery and a cold start of a dev binary.
const PATIENCE: Duration = Duration::from_secs(120);

/// `lambda_dir` as `scripts/build-lambdas` lays it out, linking the test process's zips.
fn lambda_dir(dir: &Path) {
    for function in [
        "studio-event-processor",
        "studio-stream-processor",
        "studio-reconciler",
    ] {
        let zip = lambda_zip(function, function).path;
        let place = dir.join(function);
        std::fs::create_dir_all(&place).expect("creating the lambda_dir layout");
        std::os::unix::fs::symlink(&zip, place.join("bootstrap.zip"))
            .expect("linking a Lambda zip into lambda_dir");
    }
}

/// One deployment of modules/studio-restore with the module's default names, tracking the
/// domain named `domain_name` only.
fn deploy(emulator: &Emulator, prefix: &str, domain_name: &str, octet: u8) -> Terraform {
    let tf = Terraform::new(emulator);
    tf.write_providers(&[Provider::Aws]);
    lambda_dir(&tf.dir().join("lambda"));
    // A local module source: an absolute path would make the modules a remote package, whose
    // composite could not reach its siblings through "../".
    std::os::unix::fs::symlink(repo_root().join("modules"), tf.dir().join("modules"))
        .expect("linking the modules into the working directory");
    tf.write(
        "main.tf",
        &format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.{octet}.0.0/16"
}}

resource "aws_subnet" "s" {{
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.{octet}.1.0/24"
}}

module "studio_restore" {{
  source                   = "./modules/studio-restore"
  name_prefix              = "{prefix}"
  vpc_id                   = aws_vpc.v.id
  subnet_id                = aws_subnet.s.id
  lambda_dir               = "${{path.root}}/lambda"
  lambda_runtime           = "provided.al2"
  domain_names             = ["{domain_name}"]
  restore_poll_seconds     = 1
  run_reconciler_on_deploy = false

  # Each deployment brings its own trail: EventBridge gets CloudTrail events only while one logs
  # (two trails still deliver each event once), whatever the other tests of the lane created.
  create_trail = true
}}

output "provider_settings" {{
  value = module.studio_restore.provider_settings
}}

output "role_arns" {{
  value = module.studio_restore.role_arns
}}

output "function_names" {{
  value = module.studio_restore.function_names
}}
"#
        ),
    );
    tf.init();
    tf.apply();
    tf
}

/// The homes recorded in `table`.
async fn homes(aws: &Clients, table: &str) -> BTreeSet<String> {
    let out = aws
        .dynamodb
        .scan()
        .table_name(table)
        .consistent_read(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("scanning {table}: {e:?}"));
    out.items()
        .iter()
        .filter_map(|item| item.get("home").and_then(|h| h.as_s().ok()).cloned())
        .collect()
}

/// The `domain_id` recorded on `home`'s row of `table`, once the row is there with `uid`.
async fn recorded_domain(aws: &Clients, table: &str, home: &str, uid: &str) -> String {
    eventually(
        &format!("{home} recorded in {table} with uid {uid}"),
        PATIENCE,
        || async {
            let item = aws
                .dynamodb
                .get_item()
                .table_name(table)
                .key("home", AttributeValue::S(home.to_owned()))
                .consistent_read(true)
                .send()
                .await
                .ok()?
                .item?;
            if item.get("uid")?.as_n().ok()? != uid {
                return None;
            }
            item.get("domain_id")?.as_s().ok().cloned()
        },
    )
    .await
}

fn text(value: &Value, what: &str) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"))
        .to_owned()
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn two_deployments_with_different_prefixes_apply_side_by_side_and_track_their_domains_by_name()
 {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (name_a, name_b) = (unique_name("sba-domain"), unique_name("sbb-domain"));
    let domain_a = create_domain(&aws, &name_a, AuthMode::Iam).await.0;
    let domain_b = create_domain(&aws, &name_b, AuthMode::Iam).await.0;

    let (prefix_a, prefix_b) = (unique_name("sba"), unique_name("sbb"));
    let tf_a = deploy(&emulator, &prefix_a, &name_a, 61);
    let tf_b = deploy(&emulator, &prefix_b, &name_b, 62);

    // Every name follows the prefix, the tables' too, without setting them.
    let settings_a = tf_a.output("provider_settings");
    let settings_b = tf_b.output("provider_settings");
    let table_a = text(&settings_a["user_table"], "user_table");
    let table_b = text(&settings_b["user_table"], "user_table");
    assert_eq!(table_a, format!("{prefix_a}-mapping"));
    assert_eq!(table_b, format!("{prefix_b}-mapping"));
    assert_eq!(
        text(&settings_a["history_table"], "history_table"),
        format!("{prefix_a}-history")
    );
    assert_eq!(
        text(&settings_a["slots_table"], "slots_table"),
        format!("{prefix_a}-restore-slots")
    );
    // IAM is global: the role names carry the Region, each at most IAM's 64 characters.
    for (tf, prefix) in [(&tf_a, &prefix_a), (&tf_b, &prefix_b)] {
        let roles = tf.output("role_arns");
        let roles = roles.as_object().expect("role_arns is a map");
        assert_eq!(
            roles.keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from(
                [
                    "event-processor",
                    "reconciler",
                    "restore-workflow",
                    "stream-processor"
                ]
                .map(String::from)
            )
        );
        for (role, arn) in roles {
            let name = text(arn, role).rsplit('/').next().unwrap().to_owned();
            assert_eq!(name, format!("{prefix}-{role}-us-east-1"));
            assert!(name.len() <= 64, "{name}");
        }
        let functions = tf.output("function_names");
        assert!(
            functions
                .as_object()
                .unwrap()
                .values()
                .all(|f| text(f, "function name").starts_with(&format!("{prefix}-"))),
            "{functions}"
        );
    }

    // A user in each domain: both event rules see both CloudTrail events; each deployment
    // records the home of its own domain only.
    let uid_a = create_profile(&aws, &domain_a, "erin").await;
    let uid_b = create_profile(&aws, &domain_b, "erin").await;
    let home_a = format!("{name_a}/user/erin");
    let home_b = format!("{name_b}/user/erin");
    assert_eq!(
        recorded_domain(&aws, &table_a, &home_a, &uid_a).await,
        domain_a
    );
    assert_eq!(
        recorded_domain(&aws, &table_b, &home_b, &uid_b).await,
        domain_b
    );
    // The other deployment's event processor ran for the same events (an EventBridge target
    // each); give it the time it took to record its own, and then some.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        homes(&aws, &table_a).await,
        BTreeSet::from([home_a.clone()])
    );
    assert_eq!(
        homes(&aws, &table_b).await,
        BTreeSet::from([home_b.clone()])
    );

    // Domain A deleted and recreated under its name: a new id nobody listed, still tracked.
    delete_profile(&aws, &domain_a, "erin").await;
    delete_and_wait(&aws.sagemaker, Studio::domain(&domain_a)).await;
    let recreated = create_domain(&aws, &name_a, AuthMode::Iam).await.0;
    assert_ne!(recreated, domain_a);
    let uid_frank = create_profile(&aws, &recreated, "frank").await;
    let home_frank = format!("{name_a}/user/frank");
    assert_eq!(
        recorded_domain(&aws, &table_a, &home_frank, &uid_frank).await,
        recreated
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(homes(&aws, &table_b).await, BTreeSet::from([home_b]));

    tf_a.destroy();
    tf_b.destroy();
}
