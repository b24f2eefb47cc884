//! What the `profile_restore_claims*` test files share: a domain whose user alice was recreated,
//! the provider's tables, Terraform working directories, the emulator's switches, and leak checks
//! that find every DataSync object and access point of a restore by its tag.
//!
//! Each test file compiles this module on its own (`mod claims_support;`), so not every file
//! uses every item.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex as StdMutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aws_sdk_sagemaker::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sagemaker::types::{AppType, AuthMode};
use serde_json::{Value, json};
use studio_e2e::{
    Clients, Emulator, Provider, Studio, Terraform, cli_config, hand_to_owner, open_studio,
    repo_root, unique_name, write_file,
};
use tokio::sync::{Mutex, MutexGuard};

#[allow(unused_imports)] // each test file compiles this module and uses part of it
pub use studio_e2e::{
    create_domain, create_profile, create_table, delete_profile, put_mapping_row,
};

/// The one tag every engine puts on everything a restore creates, naming its owner (a provider
/// run `provider/<restore id>/...` or a workflow execution's ARN); documented in
/// docs/resources/profile_restore.md.
pub use studio_core::sweep::OWNER_TAG;

/// The owner tag values of every run of provider restore `restore_id` start with this.
pub fn provider_owner_prefix(restore_id: &str) -> String {
    format!("provider/{restore_id}/")
}

pub const ALICE: &str = "studio_profile_restore.alice";

/// One test at a time changes the emulator's switches.
static SWITCHES: Mutex<()> = Mutex::const_new(());

/// The switches these tests touch, at their defaults.
pub fn default_switches() -> Value {
    json!({
        "datasync_execution_error": null,
        "datasync_hold_executions": false,
        "throttle": {"DeleteLocation": 0, "CreateLocationEfs": 0},
        "delays": {"datasync_file": 0},
        "latency": {
            "efs:DescribeFileSystems": 0, "efs:CreateAccessPoint": 0,
            "datasync:CreateLocationEfs": 0, "datasync:CreateTask": 0,
        },
        "fail": {
            "efs:CreateAccessPoint": {"count": 0}, "datasync:CreateLocationEfs": {"count": 0},
            "datasync:CreateTask": {"count": 0},
        },
    })
}

/// Exclusive use of the emulator's switches; back at their defaults when dropped, whether the
/// test passed or panicked.
pub struct Switches {
    emulator: Emulator,
    _lock: MutexGuard<'static, ()>,
}

impl Switches {
    pub async fn take(emulator: &Emulator) -> Switches {
        let lock = SWITCHES.lock().await;
        emulator.configure(&default_switches());
        Switches {
            emulator: emulator.clone(),
            _lock: lock,
        }
    }

    pub fn set(&self, update: Value) -> Value {
        self.emulator.configure(&update)
    }
}

impl Drop for Switches {
    fn drop(&mut self) {
        let emulator = self.emulator.clone();
        let restored = std::panic::catch_unwind(move || emulator.configure(&default_switches()));
        if restored.is_err() {
            eprintln!("claims: could not put the emulator's switches back");
        }
    }
}

/// A domain (subnets and security groups for DataSync's network defaults) whose user alice was
/// recreated: her old home `/<old_uid>` holds files, the new one is empty.
pub struct Fixture {
    pub emulator: Emulator,
    pub aws: Clients,
    pub domain_id: String,
    pub domain_name: String,
    pub fs: String,
    pub tables: (String, String),
    pub old_uid: String,
    pub new_uid: String,
}

impl Fixture {
    pub async fn new(prefix: &str) -> Fixture {
        let emulator = Emulator::from_env();
        let aws = emulator.clients().await;
        let domain_name = unique_name(prefix);
        let (domain_id, fs) = create_domain(&aws, &domain_name, AuthMode::Iam).await;
        let tables = (unique_name("users"), unique_name("history"));
        create_table(&aws, &tables.0, None).await;
        create_table(&aws, &tables.1, Some("at")).await;
        let old_uid = create_profile(&aws, &domain_id, "alice").await;
        // Alice worked in Studio: her home exists from her first app on, and her files are hers.
        open_studio(&aws.sagemaker, Studio::user_profile(&domain_id, "alice")).await;
        let old_home = emulator.home_dir(&fs, &old_uid);
        write_file(
            &old_home.join("notebooks/analysis.ipynb"),
            "{\"cells\": []}\n",
        );
        write_file(&old_home.join("data/train.csv"), "a,b\n1,2\n");
        hand_to_owner(&old_home);
        delete_profile(&aws, &domain_id, "alice").await;
        let new_uid = create_profile(&aws, &domain_id, "alice").await;
        Fixture {
            emulator,
            aws,
            domain_id,
            domain_name,
            fs,
            tables,
            old_uid,
            new_uid,
        }
    }

    /// `studio_profile_restore.alice`: the old uid into the new profile, plus `extra` lines.
    pub fn resource(&self, extra: &str) -> String {
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

    /// The provider's table settings, merged into the `provider "studio"` block.
    pub fn tables_override(&self) -> String {
        tables_override(&self.tables.0, &self.tables.1)
    }

    /// A working directory with the provider and `main` as `main.tf`; initialised.
    pub fn terraform_with(&self, main: &str) -> Terraform {
        let tf = Terraform::new(&self.emulator);
        tf.write_providers(&[Provider::Studio]);
        tf.write("tables_override.tf", &self.tables_override());
        tf.write("main.tf", main);
        tf.init();
        tf
    }

    /// A working directory with [`Fixture::resource`]`(extra)`; initialised.
    pub fn terraform(&self, extra: &str) -> Terraform {
        self.terraform_with(&self.resource(extra))
    }

    pub fn new_home(&self) -> std::path::PathBuf {
        self.emulator.home_dir(&self.fs, &self.new_uid)
    }

    pub fn restored(&self) -> bool {
        self.new_home().join("notebooks/analysis.ipynb").is_file()
    }

    /// DataSync locations whose URI is on this test's file system (all pages).
    pub async fn locations_on_fs(&self) -> Vec<String> {
        all_locations(&self.aws)
            .await
            .into_iter()
            .filter(|(_, uri)| uri.contains(&self.fs))
            .map(|(arn, _)| arn)
            .collect()
    }

    /// EFS access points on this test's file system.
    pub async fn access_points(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .aws
                .efs
                .describe_access_points()
                .file_system_id(&self.fs)
                .set_next_token(token)
                .send()
                .await
                .unwrap_or_else(|e| panic!("listing access points: {}", DisplayErrorContext(e)));
            ids.extend(
                page.access_points()
                    .iter()
                    .filter_map(|a| a.access_point_id().map(str::to_owned)),
            );
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        ids
    }

    /// The DataSync task of this test's restore while it exists (source or destination on this
    /// test's file system), with its two location ARNs.
    pub async fn live_task(&self) -> Option<(String, Vec<String>)> {
        let ours = self.locations_on_fs().await;
        for task in all_tasks(&self.aws).await {
            let Ok(d) = self
                .aws
                .datasync
                .describe_task()
                .task_arn(&task)
                .send()
                .await
            else {
                continue; // deleted since it was listed
            };
            let locations: Vec<String> = [d.source_location_arn(), d.destination_location_arn()]
                .into_iter()
                .flatten()
                .map(str::to_owned)
                .collect();
            if locations.iter().any(|l| ours.contains(l)) {
                return Some((task, locations));
            }
        }
        None
    }

    /// Every DataSync task and location whose owner tag starts with `owner`, and every access
    /// point on this test's file system: what a restore left behind.
    pub async fn tagged_leftovers(&self, owner: &str) -> Vec<String> {
        let mut left = tagged_datasync(&self.aws, owner).await;
        left.extend(
            self.access_points()
                .await
                .into_iter()
                .map(|a| format!("access point {a}")),
        );
        left
    }

    /// Nothing of restore `restore_id` is left: no task or location with its tag (found among all
    /// of the account's, not only through locations), no location and no access point on this
    /// test's file system.
    pub async fn assert_nothing_leaked(&self, restore_id: &str) {
        let left = self
            .tagged_leftovers(&provider_owner_prefix(restore_id))
            .await;
        assert!(left.is_empty(), "left behind by {restore_id}: {left:?}");
        let locations = self.locations_on_fs().await;
        assert!(
            locations.is_empty(),
            "DataSync locations left behind on {}: {locations:?}",
            self.fs
        );
    }
}

/// Every DataSync location in the account: (ARN, URI), all pages.
pub async fn all_locations(aws: &Clients) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .datasync
            .list_locations()
            .set_next_token(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("listing locations: {}", DisplayErrorContext(e)));
        out.extend(page.locations().iter().filter_map(|l| {
            Some((
                l.location_arn()?.to_owned(),
                l.location_uri().unwrap_or_default().to_owned(),
            ))
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    out
}

/// Every DataSync task ARN in the account, all pages.
pub async fn all_tasks(aws: &Clients) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .datasync
            .list_tasks()
            .set_next_token(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("listing tasks: {}", DisplayErrorContext(e)));
        out.extend(
            page.tasks()
                .iter()
                .filter_map(|t| t.task_arn().map(str::to_owned)),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    out
}

/// The tags of a DataSync task or location; `None` when it no longer exists (another test may
/// delete its own objects between the listing and this call). Any other error fails the test.
pub async fn datasync_tags(aws: &Clients, arn: &str) -> Option<HashMap<String, String>> {
    match aws
        .datasync
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
    {
        Ok(out) => Some(
            out.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
                .collect(),
        ),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.code() == Some("InvalidRequestException"))
                && e.as_service_error()
                    .and_then(|s| s.message())
                    .is_some_and(|m| m.contains("not found") || m.contains("does not exist")) =>
        {
            None
        }
        Err(e) => panic!("reading the tags of {arn}: {}", DisplayErrorContext(e)),
    }
}

/// DataSync tasks and locations (the whole account) whose owner tag starts with `owner`.
pub async fn tagged_datasync(aws: &Clients, owner: &str) -> Vec<String> {
    let mut arns = all_tasks(aws).await;
    arns.extend(all_locations(aws).await.into_iter().map(|(arn, _)| arn));
    let mut tagged = Vec::new();
    for arn in arns {
        if datasync_tags(aws, &arn)
            .await
            .is_some_and(|tags| tags.get(OWNER_TAG).is_some_and(|v| v.starts_with(owner)))
        {
            tagged.push(arn);
        }
    }
    tagged
}

/// The restore id the provider keeps in the resource's private state (`restore-id=<id>`), read
/// from `terraform.tfstate` the way Terraform stores it (base64).
pub fn restore_id(tf: &Terraform, address: &str) -> String {
    let state: Value = serde_json::from_str(&tf.read("terraform.tfstate")).expect("state JSON");
    let (ty, name) = address.split_once('.').expect("type.name");
    let resource = state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["type"] == ty && r["name"] == name && r["mode"] == "managed")
        .unwrap_or_else(|| panic!("{address} is not in the state:\n{state:#}"));
    let private = resource["instances"][0]["private"]
        .as_str()
        .unwrap_or_else(|| panic!("{address} has no private state:\n{resource:#}"));
    let bytes = base64_decode(private);
    let text = String::from_utf8(bytes).expect("utf-8 private state");
    text.strip_prefix("restore-id=")
        .unwrap_or_else(|| panic!("private state {text:?} has no restore id"))
        .to_owned()
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c)
            .unwrap_or_else(|| panic!("not base64: {text:?}")) as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// The state's entry for `address` (the resource object of `terraform show -json`).
pub fn state_entry(tf: &Terraform, address: &str) -> Option<Value> {
    tf.show_json()["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == address)
        .cloned()
}

/// Terraform's output with the diagnostic boxes and line wrapping taken out, for phrase checks.
pub fn flat(stdout: &str, stderr: &str) -> String {
    format!("{stdout}\n{stderr}")
        .replace(['│', '╷', '╵'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn tables_override(user_table: &str, history_table: &str) -> String {
    format!(
        "provider \"studio\" {{\n  user_table    = \"{user_table}\"\n  history_table = \"{history_table}\"\n}}\n"
    )
}

pub async fn create_app(aws: &Clients, domain_id: &str, profile: &str) {
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

/// `terraform apply` as a child process of the test's own, to interrupt or kill it.
pub struct BackgroundApply {
    pub child: Child,
    stdout: Arc<StdMutex<String>>,
    stderr: Arc<StdMutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl BackgroundApply {
    pub fn start(tf: &Terraform, emulator: &Emulator) -> BackgroundApply {
        let mut child = Command::new(repo_root().join(".tools/bin/terraform"))
            .args(["apply", "-auto-approve", "-input=false", "-no-color"])
            .current_dir(tf.dir())
            .envs(emulator.child_env())
            .env("TF_CLI_CONFIG_FILE", cli_config())
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting terraform apply");
        // Read line by line into shared buffers, so that a test can watch the apply's progress.
        let drain = |pipe: Box<dyn std::io::Read + Send>, into: Arc<StdMutex<String>>| {
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    let mut text = into.lock().unwrap();
                    text.push_str(&line);
                    text.push('\n');
                }
            })
        };
        let (stdout, stderr) = Default::default();
        let readers = vec![
            drain(Box::new(child.stdout.take().unwrap()), Arc::clone(&stdout)),
            drain(Box::new(child.stderr.take().unwrap()), Arc::clone(&stderr)),
        ];
        BackgroundApply {
            child,
            stdout,
            stderr,
            readers,
        }
    }

    /// What the apply printed on stdout so far.
    pub fn stdout_so_far(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits until the apply printed `text` on stdout (an observable step of its progress).
    pub async fn wait_for_output(&mut self, text: &str, within: Duration) {
        let started = Instant::now();
        while !self.stdout_so_far().contains(text) {
            self.assert_running(&format!("before printing {text:?}"));
            assert!(
                started.elapsed() < within,
                "terraform apply did not print {text:?} within {within:?}:\n{}",
                self.stdout_so_far()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Panics (with what Terraform said) if the apply has already ended.
    pub fn assert_running(&mut self, while_what: &str) {
        if let Ok(Some(status)) = self.child.try_wait() {
            let (out, err) = self.output();
            panic!("terraform apply ended ({status}) {while_what}:\n{out}\n{err}");
        }
    }

    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("running kill");
        assert!(sent.success(), "kill {signal} {pid}");
    }

    /// The pids of Terraform's child processes (the providers it started).
    pub fn provider_pids(&self) -> Vec<u32> {
        let parent = self.child.id();
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": the command may contain spaces, the ")" ends it.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(parent) {
                pids.push(pid);
            }
        }
        pids
    }

    /// Waits for the apply to end; its success and output.
    pub async fn finish(mut self, within: Duration) -> (bool, String, String) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting for terraform") {
                break status;
            }
            if started.elapsed() > within {
                let _ = self.child.kill();
                let (out, err) = self.output();
                panic!("terraform apply did not end within {within:?}:\n{out}\n{err}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let (out, err) = self.output();
        (status.success(), out, err)
    }

    fn output(&mut self) -> (String, String) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        (
            self.stdout.lock().unwrap().clone(),
            self.stderr.lock().unwrap().clone(),
        )
    }
}

impl Drop for BackgroundApply {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until a DataSync execution of `f`'s restore is TRANSFERRING (a copy in flight); its
/// task, the task's two locations, and the execution.
pub async fn copy_in_flight(
    f: &Fixture,
    apply: &mut BackgroundApply,
) -> (String, Vec<String>, String) {
    execution_of(f, apply, &["TRANSFERRING"]).await
}

/// Waits until a DataSync execution of `f`'s restore has started and not ended. The restore
/// workflow reads an execution's status only every `transfer_poll_seconds`, so it is in flight
/// long before anyone sees it TRANSFERRING.
pub async fn copy_started(
    f: &Fixture,
    apply: &mut BackgroundApply,
) -> (String, Vec<String>, String) {
    execution_of(
        f,
        apply,
        &[
            "QUEUED",
            "LAUNCHING",
            "PREPARING",
            "TRANSFERRING",
            "VERIFYING",
        ],
    )
    .await
}

async fn execution_of(
    f: &Fixture,
    apply: &mut BackgroundApply,
    statuses: &[&str],
) -> (String, Vec<String>, String) {
    let started = Instant::now();
    loop {
        if let Some((task, locations)) = f.live_task().await {
            let executions = f
                .aws
                .datasync
                .list_task_executions()
                .task_arn(&task)
                .send()
                .await;
            if let Some(arn) = executions.ok().and_then(|e| {
                e.task_executions()
                    .iter()
                    .find(|e| e.status().is_some_and(|s| statuses.contains(&s.as_str())))
                    .and_then(|e| e.task_execution_arn().map(str::to_owned))
            }) {
                return (task, locations, arn);
            }
        }
        apply.assert_running(&format!("before a copy was {statuses:?}"));
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no DataSync execution of this restore was {statuses:?} within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A `ProvideErrorMetadata` error code, for SDK errors of any service.
pub fn code_of<E: ProvideErrorMetadata>(e: &E) -> Option<String> {
    e.code().map(str::to_owned)
}
