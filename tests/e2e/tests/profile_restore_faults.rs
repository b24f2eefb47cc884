//! `studio_profile_restore` when things go wrong, through real Terraform against the emulator:
//! a DataSync execution that ends in ERROR, throttling, a target that never becomes ready, and
//! Ctrl-C in the middle of a copy. Each ends with one clear diagnostic, and no DataSync location,
//! task or EFS access point of the test's file system is left behind.
//!
//! The emulator's switches are global, so these tests have a binary of their own (cargo runs test
//! binaries one after another), take [`Switches`] one at a time, and always put the switches back.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::AuthMode;
use serde_json::{Value, json};
use studio_e2e::{
    Clients, Emulator, LeakScope, Provider, Studio, Terraform, cli_config, close_studio,
    create_domain, create_table, delete_and_wait, eventually, hand_to_owner, open_studio,
    repo_root, restore_workflow_hcl, task_of_execution, unique_name, write_file,
};
use tokio::sync::{Mutex, MutexGuard};

/// One test at a time changes the emulator's switches.
static SWITCHES: Mutex<()> = Mutex::const_new(());

/// The switches these tests touch, at their defaults.
fn default_switches() -> Value {
    json!({
        "datasync_execution_error": null,
        "datasync_hold_executions": false,
        "throttle": {"CreateLocationEfs": 0},
    })
}

/// Exclusive use of the emulator's switches; they are back at their defaults when it is dropped,
/// whether the test passed or panicked.
struct Switches {
    emulator: Emulator,
    _lock: MutexGuard<'static, ()>,
}

impl Switches {
    async fn take(emulator: &Emulator) -> Switches {
        let lock = SWITCHES.lock().await;
        emulator.configure(&default_switches());
        Switches {
            emulator: emulator.clone(),
            _lock: lock,
        }
    }

    fn set(&self, update: Value) -> Value {
        self.emulator.configure(&update)
    }
}

impl Drop for Switches {
    fn drop(&mut self) {
        // A panic here while the test unwinds would abort the whole binary.
        let emulator = self.emulator.clone();
        let restored = std::panic::catch_unwind(move || emulator.configure(&default_switches()));
        if restored.is_err() {
            eprintln!("profile_restore_faults: could not put the emulator's switches back");
        }
    }
}

/// A domain (with subnets and security groups for DataSync's network defaults) whose user alice
/// was recreated: her old home `/<old_uid>` holds files, the new one is empty.
struct Fixture {
    emulator: Emulator,
    aws: Clients,
    domain_id: String,
    fs: String,
    tables: (String, String),
    old_uid: String,
    new_uid: String,
    /// What this test's restores may have created, as far as the test knows.
    scope: std::sync::Mutex<LeakScope>,
}

impl Fixture {
    async fn new(prefix: &str) -> Fixture {
        let emulator = Emulator::from_env();
        let aws = emulator.clients().await;
        let name = unique_name(prefix);
        let (domain_id, fs) = create_domain(&aws, &name, AuthMode::Iam).await;
        let tables = (unique_name("users"), unique_name("history"));
        create_table(&aws, &tables.0, None).await;
        create_table(&aws, &tables.1, Some("at")).await;
        let old_uid = create_profile(&aws, &domain_id, "alice").await;
        let old_home = emulator.home_dir(&fs, &old_uid);
        let alice = Studio::user_profile(&domain_id, "alice");
        open_studio(&aws.sagemaker, alice).await;
        write_file(
            &old_home.join("notebooks/analysis.ipynb"),
            "{\"cells\": []}\n",
        );
        write_file(&old_home.join("data/train.csv"), "a,b\n1,2\n");
        hand_to_owner(&old_home);
        close_studio(&aws.sagemaker, alice).await;
        delete_and_wait(&aws.sagemaker, alice).await;
        let new_uid = create_profile(&aws, &domain_id, "alice").await;
        Fixture {
            emulator,
            aws,
            domain_id,
            scope: std::sync::Mutex::new(LeakScope::file_system(&fs)),
            fs,
            tables,
            old_uid,
            new_uid,
        }
    }

    /// `studio_profile_restore.alice`: the old uid into the new profile, plus `extra` lines.
    fn resource(&self, extra: &str) -> String {
        format!(
            r#"
resource "studio_profile_restore" "alice" {{
  source = {{
    domain_id         = "{domain}"
    user_profile_name = "alice"
    uid               = {old_uid}
  }}
  target = {{
    domain_id         = "{domain}"
    user_profile_name = "alice"
  }}
{extra}
}}
"#,
            domain = self.domain_id,
            old_uid = self.old_uid,
        )
    }

    /// The provider's table settings, merged into a `provider "studio"` block written elsewhere.
    fn tables_override(&self) -> String {
        format!(
            "provider \"studio\" {{\n  user_table    = \"{}\"\n  history_table = \"{}\"\n}}\n",
            self.tables.0, self.tables.1
        )
    }

    /// A working directory with the provider and [`Fixture::resource`]; initialised.
    fn terraform(&self, extra: &str) -> Terraform {
        let tf = Terraform::new(&self.emulator);
        tf.write_providers(&[Provider::Studio]);
        tf.write("tables_override.tf", &self.tables_override());
        tf.write("main.tf", &self.resource(extra));
        tf.init();
        tf
    }

    fn restored(&self) -> bool {
        self.emulator
            .home_dir(&self.fs, &self.new_uid)
            .join("notebooks/analysis.ipynb")
            .is_file()
    }

    /// Fails, listing them, when any DataSync task, location or unfinished task execution, or
    /// EFS access point, of this test's restores is left: everything on the test's own file
    /// system, every task recorded during the run (the DataSync executions in `tf`'s state
    /// now and at earlier checks), and what those lead to by location or tag.
    async fn assert_nothing_leaked(&self, tf: &Terraform) {
        if let Some(execution) = state_entry(tf, ALICE)
            .and_then(|e| e["values"]["execution_arn"].as_str().map(str::to_owned))
        {
            self.record(&execution);
        }
        let scope = self.scope.lock().unwrap().clone();
        scope.assert_none_left(&self.aws).await;
    }

    /// Records an execution seen during the run: a DataSync task execution (and so its task),
    /// or a workflow execution, whose name tags everything it creates.
    fn record(&self, execution: &str) {
        let mut scope = self.scope.lock().unwrap();
        if task_of_execution(execution).is_some() {
            scope.record_execution(execution);
        } else {
            let name = execution.rsplit(':').next().unwrap_or(execution);
            *scope = scope.clone().with_mark(name);
        }
    }
}

async fn create_profile(aws: &Clients, domain_id: &str, name: &str) -> String {
    aws.sagemaker
        .create_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating {name} in {domain_id}: {}", DisplayErrorContext(e)));
    aws.sagemaker
        .describe_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing {name}: {}", DisplayErrorContext(e)))
        .home_efs_file_system_uid
        .expect("a uid")
}

/// Terraform's output with the diagnostic boxes and line wrapping taken out, for phrase checks.
fn flat(stdout: &str, stderr: &str) -> String {
    format!("{stdout}\n{stderr}")
        .replace(['│', '╷', '╵'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The state's entry for `address` (the whole resource object of `terraform show -json`).
fn state_entry(tf: &Terraform, address: &str) -> Option<Value> {
    tf.show_json()["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == address)
        .cloned()
}

const ALICE: &str = "studio_profile_restore.alice";

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_failed_copy_taints_the_resource_and_the_next_apply_retries() {
    let f = Fixture::new("fault-error").await;
    let switches = Switches::take(&f.emulator).await;
    let tf = f.terraform("");
    switches.set(json!({"datasync_execution_error": "Transfer failed: disk quota exceeded"}));

    let out = tf.apply_fails();
    let text = flat(&out.stdout, &out.stderr);
    assert_eq!(text.matches("Error:").count(), 1, "one diagnostic:\n{out}");
    assert!(
        text.contains(&format!("Restore into {}/user/alice failed", f.domain_id)),
        "{out}"
    );
    assert!(
        text.contains("ended in ERROR") && text.contains("Transfer failed: disk quota exceeded"),
        "DataSync's error is in the diagnostic:\n{out}"
    );
    let state = state_entry(&tf, ALICE).expect("a failed copy stays in the state");
    let execution = state["values"]["execution_arn"]
        .as_str()
        .expect("the execution is recorded")
        .to_owned();
    assert!(
        execution.contains(":task/task-") && execution.contains("/execution/exec-"),
        "{execution}"
    );
    assert!(
        text.contains(&format!("Execution: {execution}")),
        "the diagnostic names the execution:\n{out}"
    );
    assert_eq!(state["tainted"], true, "tainted in the state: {state:#}");
    assert_eq!(state["values"]["status"], "ERROR", "{state:#}");
    assert!(!f.restored(), "nothing was copied");
    f.assert_nothing_leaked(&tf).await;

    // The next plan replaces it, and once DataSync works again the next apply restores.
    let plan = tf.assert_plan_changes();
    assert!(
        plan.text().contains("is tainted, so must be replaced"),
        "{}",
        plan.text()
    );
    switches.set(default_switches());
    tf.apply();
    assert!(f.restored(), "the retry restored the files");
    let state = state_entry(&tf, ALICE).expect("in the state");
    assert!(state.get("tainted").is_none_or(|t| t == false), "{state:#}");
    assert_eq!(state["values"]["status"], "SUCCESS");
    assert_ne!(state["values"]["execution_arn"], execution.as_str());
    tf.assert_plan_empty();
    f.assert_nothing_leaked(&tf).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn throttled_location_creation_is_retried() {
    let f = Fixture::new("fault-throttle").await;
    let switches = Switches::take(&f.emulator).await;
    let tf = f.terraform("");
    switches.set(json!({"throttle": {"CreateLocationEfs": 3}}));

    tf.apply();
    let left = switches.set(json!({}))["throttle"]["CreateLocationEfs"].clone();
    assert_eq!(left, 0, "the three throttled calls were made and retried");
    assert!(f.restored());
    assert_eq!(tf.attribute(ALICE, "status"), "SUCCESS");
    tf.assert_plan_empty();
    f.assert_nothing_leaked(&tf).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_target_that_never_becomes_ready_times_out_cleanly() {
    let f = Fixture::new("fault-timeout").await;
    let _switches = Switches::take(&f.emulator).await;
    // alice has no app, so with readiness = "app" her home never counts as ready.
    let tf = f.terraform(
        r#"  readiness = "app"
  timeouts {
    create = "5s"
  }"#,
    );

    let started = Instant::now();
    let out = tf.apply_fails();
    let took = started.elapsed();
    let text = flat(&out.stdout, &out.stderr);
    assert_eq!(text.matches("Error:").count(), 1, "one diagnostic:\n{out}");
    assert!(
        text.contains("timed out")
            && text.contains("was not ready when the create timeout ran out")
            && text.contains("no app of it is InService yet"),
        "the diagnostic says what was awaited:\n{out}"
    );
    assert!(
        took < Duration::from_secs(60),
        "the 5 s timeout is honoured (apply took {took:?})"
    );
    assert!(
        tf.state_list().is_empty(),
        "a restore that never started leaves nothing in the state"
    );
    assert!(!f.restored());
    f.assert_nothing_leaked(&tf).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn ctrl_c_during_the_copy_cancels_it_and_cleans_up() {
    let f = Fixture::new("fault-interrupt").await;
    let switches = Switches::take(&f.emulator).await;
    let tf = f.terraform("");
    switches.set(json!({"datasync_hold_executions": true}));

    // terraform apply as a child process of our own, to interrupt it.
    let mut child = Command::new(repo_root().join(".tools/bin/terraform"))
        .args(["apply", "-auto-approve", "-input=false", "-no-color"])
        .current_dir(tf.dir())
        .envs(f.emulator.child_env())
        .env("TF_CLI_CONFIG_FILE", cli_config())
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .env("CHECKPOINT_DISABLE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting terraform apply");
    let drain = |pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut pipe = pipe;
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));

    // Wait until the copy is in flight.
    let started = Instant::now();
    let execution = loop {
        let found = LeakScope::file_system(&f.fs)
            .leftovers(&f.aws)
            .await
            .executions
            .into_iter()
            .find(|(_, status)| status == "TRANSFERRING")
            .map(|(arn, _)| arn);
        if let Some(arn) = found {
            f.record(&arn);
            break arn;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "terraform apply ended ({status}) before the copy was in flight:\n{}\n{}",
                stdout.join().unwrap(),
                stderr.join().unwrap()
            );
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("no DataSync execution of this restore appeared within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // Ctrl-C: SIGINT to Terraform alone, which asks the provider to stop (StopProvider).
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("running kill");
    assert!(sent.success(), "kill -INT {pid}");
    let interrupted = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for terraform") {
            break status;
        }
        if interrupted.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("terraform did not stop within 120 s of SIGINT");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    let out = format!("----- stdout -----\n{stdout}\n----- stderr -----\n{stderr}");
    let text = flat(&stdout, &stderr);
    assert!(!status.success(), "an interrupted apply fails:\n{out}");
    assert!(
        text.contains("Terraform was interrupted while DataSync task execution")
            && text.contains(&execution)
            && text.contains("the execution was cancelled"),
        "the diagnostic says the copy was cancelled, and which:\n{out}"
    );

    // The execution ended. A cancelled execution passes through CANCELLING and ends in ERROR
    // (TaskExecutionStatus in the DataSync API reference has no other end for it); the error's
    // code and detail are DataSync's own wording, which AWS does not document, so they are not
    // compared here: the diagnostic above is the product's account of the cancellation.
    let status = eventually(
        "the cancelled execution to end",
        Duration::from_secs(60),
        || async {
            let described = f
                .aws
                .datasync
                .describe_task_execution()
                .task_execution_arn(&execution)
                .send()
                .await
                .expect("describing the cancelled execution");
            let status = described.status().map(|s| s.as_str().to_owned())?;
            (status != "CANCELLING").then_some(status)
        },
    )
    .await;
    assert_eq!(status, "ERROR", "{execution}");
    f.assert_nothing_leaked(&tf).await;
    // Part of the files may be copied: the resource stays, tainted, with how the copy ended.
    let state = state_entry(&tf, ALICE).expect("an interrupted copy stays in the state");
    assert_eq!(state["tainted"], true, "{state:#}");
    assert_eq!(state["values"]["status"], "ERROR", "{state:#}");
    assert_eq!(state["values"]["execution_arn"], execution.as_str());

    // The interrupted restore runs again on the next apply.
    switches.set(default_switches());
    let plan = tf.assert_plan_changes();
    assert!(
        plan.text().contains("is tainted, so must be replaced"),
        "{}",
        plan.text()
    );
    tf.apply();
    assert!(f.restored());
    assert_eq!(tf.attribute(ALICE, "status"), "SUCCESS");
    tf.assert_plan_empty();
    f.assert_nothing_leaked(&tf).await;
}

/// `engine = "state_machine"`: the provider starts the real restore workflow
/// (`modules/restore-workflow`, deployed with hashicorp/aws into the emulator, whose Step
/// Functions interpreter runs its `aws-sdk:*` tasks against the emulator) and waits for it.
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_state_machine_engine_runs_the_restore_workflow() {
    let f = Fixture::new("fault-sfn").await;
    let switches = Switches::take(&f.emulator).await;
    let prefix = unique_name("sfn");
    let tf = Terraform::new(&f.emulator);
    tf.write_providers(&[Provider::Aws, Provider::Studio]);
    tf.write("tables_override.tf", &f.tables_override());
    tf.write(
        "main.tf",
        &f.resource(
            r#"  engine            = "state_machine"
  state_machine_arn = module.restore_workflow.state_machine_arn
  timeouts {
    create = "10m"
  }"#,
        ),
    );
    tf.write("workflow.tf", &restore_workflow_hcl(&prefix, &f.tables.0));
    tf.init();

    // The workflow's copy fails: the diagnostic names its execution, the resource is tainted,
    // and the workflow cleaned up after itself.
    switches.set(json!({"datasync_execution_error": "Transfer failed: disk quota exceeded"}));
    let out = tf.apply_fails();
    let text = flat(&out.stdout, &out.stderr);
    assert_eq!(text.matches("Error:").count(), 1, "one diagnostic:\n{out}");
    let state = state_entry(&tf, ALICE).expect("a failed workflow run stays in the state");
    let failed = state["values"]["execution_arn"]
        .as_str()
        .expect("the workflow execution is recorded")
        .to_owned();
    assert!(
        text.contains(&format!("Execution: {failed}")) && text.contains("ended FAILED"),
        "{out}"
    );
    assert_eq!(state["tainted"], true, "{state:#}");
    assert_eq!(state["values"]["status"], "FAILED", "{state:#}");
    assert!(!f.restored());
    f.assert_nothing_leaked(&tf).await;

    // Once DataSync works again, the next apply runs the copy again, as a new execution (the
    // failed one is not joined).
    switches.set(default_switches());
    tf.apply();
    assert!(f.restored(), "the workflow copied the files");
    let execution = tf.attribute(ALICE, "execution_arn");
    assert_ne!(execution, failed, "a new execution, not the failed one");
    assert!(
        execution.contains(":execution:") && execution.contains(&prefix),
        "the execution is the workflow's: {execution}"
    );
    assert_eq!(tf.attribute(ALICE, "status"), "SUCCESS");
    let described = f
        .aws
        .sfn
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("describing the workflow execution");
    assert_eq!(described.status().as_str(), "SUCCEEDED", "{described:?}");
    let input: Value = serde_json::from_str(described.input().unwrap_or("{}")).unwrap();
    assert_eq!(input["source"]["uid"], f.old_uid.as_str(), "{input:#}");
    assert_eq!(input["target"]["uid"], f.new_uid.as_str(), "{input:#}");
    assert_eq!(input["options"]["requested_by"], "provider", "{input:#}");
    tf.assert_plan_empty();
    f.assert_nothing_leaked(&tf).await;
}
