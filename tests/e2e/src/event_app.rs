//! The automatic path as a test deploys it: `modules/event-app` and `modules/restore-workflow`
//! applied with Terraform to the emulator for one domain, with the workspace's Lambdas.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::types::AuthMode;
use serde_json::{Value, json};

use crate::{
    Clients, Emulator, Provider, Terraform, create_domain, eventually, lambda_zip, repo_root,
    unique_name,
};

/// Event delivery, a cold start of a dev binary, and a workflow polling every second.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// What a test changes in the deployment.
pub struct Options<'a> {
    /// The restore workflow's DataSync cap.
    pub max_concurrent_restores: u32,
    /// The restore workflow's `queue_wait_max_attempts`; `None` keeps the module's default.
    pub queue_wait_max_attempts: Option<u32>,
    /// Lines of HCL added to `module.event_app`.
    pub event_app: &'a str,
    /// Lines of HCL added to `module.restore_workflow` (its `copier`, say).
    pub restore_workflow: &'a str,
    /// The module's `create_trail` (the Terraform variable `create_trail` of the test's root, so a
    /// test can change it and apply again): EventBridge, and so the emulator, delivers CloudTrail
    /// events only while a trail logs them. Every test that expects events keeps it on.
    pub create_trail: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            max_concurrent_restores: 2,
            queue_wait_max_attempts: None,
            event_app: "",
            restore_workflow: "",
            create_trail: true,
        }
    }
}

/// The event path deployed into the emulator for one domain: `modules/restore-workflow` and
/// `modules/event-app` applied with real Terraform, the three Lambdas built from this workspace
/// and running in the emulator, a failure topic delivered to an SQS queue.
pub struct EventPath {
    pub aws: Clients,
    pub emulator: Emulator,
    pub tf: Terraform,
    pub domain_id: String,
    pub file_system_id: String,
    pub mapping_table: String,
    pub history_table: String,
    pub state_machine_arn: String,
    /// The restore workflow's DataSync slots table (`studio_core::slots`).
    pub slots_table: String,
    pub notifications: String,
    pub prefix: String,
}

impl EventPath {
    /// The event path for a new IAM domain.
    pub async fn deploy() -> EventPath {
        let emulator = Emulator::from_env();
        let aws = emulator.clients().await;
        let (domain_id, _) = create_domain(&aws, &unique_name("ep-domain"), AuthMode::Iam).await;
        EventPath::deploy_on(emulator, domain_id).await
    }

    /// The event path for `domain_id`, an existing domain.
    pub async fn deploy_on(emulator: Emulator, domain_id: String) -> EventPath {
        EventPath::deploy_with(emulator, domain_id, &Options::default()).await
    }

    /// [`EventPath::deploy_on`], with `options`.
    pub async fn deploy_with(
        emulator: Emulator,
        domain_id: String,
        options: &Options<'_>,
    ) -> EventPath {
        let Options {
            max_concurrent_restores,
            queue_wait_max_attempts,
            event_app,
            restore_workflow,
            create_trail,
        } = options;
        let queue_wait_max_attempts = queue_wait_max_attempts
            .map(|n| format!("  queue_wait_max_attempts      = {n}\n"))
            .unwrap_or_default();
        let aws = emulator.clients().await;
        let file_system_id = aws
            .sagemaker
            .describe_domain()
            .domain_id(&domain_id)
            .send()
            .await
            .expect("describing the new domain")
            .home_efs_file_system_id
            .expect("the domain has a home EFS");

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

        let prefix = unique_name("ep");
        let mapping_table = format!("{prefix}-map");
        let history_table = format!("{prefix}-history");
        let modules = repo_root().join("modules");
        let tf = Terraform::new(&emulator);
        tf.write_providers(&[Provider::Aws]);
        tf.write(
            "main.tf",
            &format!(
                r#"
variable "create_trail" {{
  type    = bool
  default = {create_trail}
}}

resource "aws_vpc" "v" {{
  cidr_block = "10.42.0.0/16"
}}

resource "aws_subnet" "s" {{
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.42.1.0/24"
}}

resource "aws_sns_topic" "failures" {{
  name = "{prefix}-failures"
}}

resource "aws_sqs_queue" "failures" {{
  name = "{prefix}-notified"
}}

resource "aws_sns_topic_subscription" "failures" {{
  topic_arn            = aws_sns_topic.failures.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.failures.arn
  raw_message_delivery = true
}}

module "restore_workflow" {{
  source                       = "{modules}/restore-workflow"
  name_prefix                  = "{prefix}"
  mapping_table_name           = module.event_app.mapping_table_name
  mapping_table_arn            = module.event_app.mapping_table_arn
  vpc_id                       = aws_vpc.v.id
  subnet_id                    = aws_subnet.s.id
  max_concurrent_restores      = {max_concurrent_restores}
  queue_wait_max_delay_seconds = 2
{queue_wait_max_attempts}  create_notification_topic    = false
  notification_topic_arn       = aws_sns_topic.failures.arn
{restore_workflow}
}}

module "event_app" {{
  source                   = "{modules}/event-app"
  name_prefix              = "{prefix}"
  mapping_table_name       = "{mapping_table}"
  history_table_name       = "{history_table}"
  state_machine_arn        = module.restore_workflow.state_machine_arn
  slots_table_arn          = module.restore_workflow.slots_table_arn
  event_processor_zip      = "{event_zip}"
  stream_processor_zip     = "{stream_zip}"
  reconciler_zip           = "{reconciler_zip}"
  lambda_runtime           = "provided.al2"
  domain_ids               = ["{domain_id}"]
  restore_poll_seconds     = 1
  run_reconciler_on_deploy = false
  log_level                = "debug"
  create_trail             = var.create_trail
{event_app}
}}

output "state_machine_arn" {{
  value = module.restore_workflow.state_machine_arn
}}

output "slots_table" {{
  value = module.restore_workflow.slots_table_name
}}

output "notified_queue" {{
  value = aws_sqs_queue.failures.id
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
        let outputs = tf.show_json();
        let output = |name: &str| {
            outputs["values"]["outputs"][name]["value"]
                .as_str()
                .unwrap_or_else(|| panic!("output {name} missing from {outputs:#}"))
                .to_owned()
        };
        EventPath {
            state_machine_arn: output("state_machine_arn"),
            slots_table: output("slots_table"),
            notifications: output("notified_queue"),
            aws,
            emulator,
            tf,
            domain_id,
            file_system_id,
            mapping_table,
            history_table,
            prefix,
        }
    }

    /// The mapping-table row of `home` once `check` accepts it.
    pub async fn row_when(&self, home: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        eventually(what, PATIENCE, || async {
            let item = self
                .aws
                .dynamodb
                .get_item()
                .table_name(&self.mapping_table)
                .key("home", AttributeValue::S(home.to_owned()))
                .consistent_read(true)
                .send()
                .await
                .ok()?
                .item?;
            let row = dynamodb_json(&item);
            check(&row).then_some(row)
        })
        .await
    }

    /// The history of `home`, oldest first, once `check` accepts it.
    pub async fn history_when(
        &self,
        home: &str,
        what: &str,
        check: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        eventually(what, PATIENCE, || async {
            let out = self
                .aws
                .dynamodb
                .query()
                .table_name(&self.history_table)
                .key_condition_expression("home = :h")
                .expression_attribute_values(":h", AttributeValue::S(home.to_owned()))
                .send()
                .await
                .ok()?;
            let rows: Vec<Value> = out.items().iter().map(dynamodb_json).collect();
            check(&rows).then_some(rows)
        })
        .await
    }

    pub fn home_dir(&self, uid: &str) -> PathBuf {
        self.emulator.home_dir(&self.file_system_id, uid)
    }

    /// The domain's name (homes are keyed by it).
    pub async fn domain_name(&self) -> String {
        self.aws
            .sagemaker
            .describe_domain()
            .domain_id(&self.domain_id)
            .send()
            .await
            .expect("describing the domain")
            .domain_name
            .expect("a domain name")
    }

    /// Runs the reconciler once, as its schedule does, and returns its report.
    pub async fn reconcile(&self) -> Value {
        let invoked = self
            .aws
            .lambda
            .invoke()
            .function_name(format!("{}-reconciler", self.prefix))
            .payload(aws_sdk_lambda::primitives::Blob::new(
                br#"{"mode":"reconcile"}"#.to_vec(),
            ))
            .send()
            .await
            .expect("invoking the reconciler");
        assert!(invoked.function_error().is_none(), "{invoked:?}");
        serde_json::from_slice(invoked.payload().expect("a report").as_ref())
            .expect("the reconciler's report is JSON")
    }
}

/// A DynamoDB item as plain JSON: S as strings, N as numbers, BOOL, SS as arrays, M as objects.
pub fn dynamodb_json(item: &HashMap<String, AttributeValue>) -> Value {
    fn one(v: &AttributeValue) -> Value {
        match v {
            AttributeValue::S(s) => json!(s),
            AttributeValue::N(n) => n
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| json!(n)),
            AttributeValue::Bool(b) => json!(b),
            AttributeValue::Ss(ss) => json!(ss),
            AttributeValue::M(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), one(v))).collect())
            }
            AttributeValue::L(l) => Value::Array(l.iter().map(one).collect()),
            _ => Value::Null,
        }
    }
    Value::Object(item.iter().map(|(k, v)| (k.clone(), one(v))).collect())
}
