//! Restores on the strict emulator (issue 9): homes that do not exist yet, access points whose
//! identity EFS enforces, DataSync copies that take time and leave incomplete files when they are
//! cancelled, and a Step Functions interpreter where `States.ALL` does not catch `States.Runtime`.
//! Every switch these tests touch is put back; they take the switches one test at a time.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_sagemaker::types::AuthMode;
use serde_json::{Value, json};
use studio_e2e::{
    Clients, Emulator, Provider, Terraform, create_domain, create_profile, delete_profile,
    eventually, restore_workflow_hcl, unique_name,
};
use tokio::sync::{Mutex, MutexGuard};

/// The group Studio gives home directories, as the product's `STUDIO_GID`.
const STUDIO_GID: u32 = 1001;

static SWITCHES: Mutex<()> = Mutex::const_new(());

fn default_switches() -> Value {
    json!({
        "datasync_execution_error": null,
        "datasync_hold_executions": false,
        "delays": {"datasync_file": 0},
    })
}

/// Exclusive use of the emulator's switches, put back when dropped (passed or panicked).
struct Switches {
    emulator: Emulator,
    _lock: MutexGuard<'static, ()>,
    /// When this test took the switches: DataSync objects created since are this test's.
    since: std::time::SystemTime,
}

impl Switches {
    async fn take(emulator: &Emulator) -> Switches {
        let lock = SWITCHES.lock().await;
        emulator.configure(&default_switches());
        Switches {
            emulator: emulator.clone(),
            _lock: lock,
            since: std::time::SystemTime::now() - Duration::from_secs(1),
        }
    }

    fn set(&self, update: Value) -> Value {
        self.emulator.configure(&update)
    }
}

impl Drop for Switches {
    fn drop(&mut self) {
        let emulator = self.emulator.clone();
        if std::panic::catch_unwind(move || emulator.configure(&default_switches())).is_err() {
            eprintln!("strict_restore: could not put the emulator's switches back");
        }
    }
}

/// A domain where alice was recreated: her old home `/<old_uid>` holds a tree of files (owned
/// by her old uid, as Studio left it), and the new profile has never opened Studio, so
/// `/<new_uid>` does not exist.
struct Fixture {
    emulator: Emulator,
    aws: Clients,
    domain_id: String,
    fs: String,
    old_uid: String,
    new_uid: String,
}

impl Fixture {
    async fn new(prefix: &str) -> Fixture {
        let emulator = Emulator::from_env();
        let aws = emulator.clients().await;
        let name = unique_name(prefix);
        let (domain_id, fs) = create_domain(&aws, &name, AuthMode::Iam).await;
        let old_uid = create_profile(&aws, &domain_id, "alice").await;
        let old_home = emulator.home_dir(&fs, &old_uid);
        let uid: u32 = old_uid.parse().unwrap();
        make_dir(&old_home, uid, 0o700);
        for (path, contents, mode) in [
            (
                "notebooks/analysis.ipynb",
                "{\"cells\": []}\n".repeat(200),
                0o644,
            ),
            ("data/train.csv", "a,b\n1,2\n".repeat(5000), 0o600),
            ("data/raw/big.bin", "0123456789abcdef".repeat(16384), 0o640),
            ("bin/run.sh", "#!/bin/sh\necho hi\n".to_owned(), 0o755),
            (".bashrc", "export X=1\n".to_owned(), 0o644),
        ] {
            let file = old_home.join(path);
            make_dir(file.parent().unwrap(), uid, 0o755);
            std::fs::write(&file, contents).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            std::os::unix::fs::chown(&file, Some(uid), Some(STUDIO_GID)).unwrap();
        }
        std::os::unix::fs::symlink("../data/train.csv", old_home.join("notebooks/train.csv"))
            .unwrap();
        std::os::unix::fs::lchown(
            old_home.join("notebooks/train.csv"),
            Some(uid),
            Some(STUDIO_GID),
        )
        .unwrap();
        delete_profile(&aws, &domain_id, "alice").await;
        let new_uid = create_profile(&aws, &domain_id, "alice").await;
        assert_ne!(old_uid, new_uid, "a recreated profile gets a new uid");
        Fixture {
            emulator,
            aws,
            domain_id,
            fs,
            old_uid,
            new_uid,
        }
    }

    fn old_home(&self) -> std::path::PathBuf {
        self.emulator.home_dir(&self.fs, &self.old_uid)
    }

    fn new_home(&self) -> std::path::PathBuf {
        self.emulator.home_dir(&self.fs, &self.new_uid)
    }

    fn resource(&self, extra: &str) -> String {
        format!(
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
{extra}
}}
"#,
            domain = self.domain_id,
            fs = self.fs,
            old_uid = self.old_uid,
        )
    }

    fn terraform(&self, extra: &str) -> Terraform {
        let tf = Terraform::new(&self.emulator);
        tf.write_providers(&[Provider::Studio]);
        tf.write("main.tf", &self.resource(extra));
        tf.init();
        tf
    }

    /// Every DataSync task and location and EFS access point that touches this test's file
    /// system, reading every page of every list.
    async fn leftovers(&self, since: std::time::SystemTime) -> Vec<String> {
        let mut found = Vec::new();
        let mut ours = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .aws
                .datasync
                .list_locations()
                .set_next_token(token)
                .send()
                .await
                .expect("listing DataSync locations");
            for l in page.locations() {
                if l.location_uri().is_some_and(|u| u.contains(&self.fs)) {
                    let arn = l.location_arn().unwrap_or_default().to_owned();
                    found.push(format!("location {arn}"));
                    ours.push(arn);
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        let mut token = None;
        loop {
            let page = self
                .aws
                .datasync
                .list_tasks()
                .set_next_token(token)
                .send()
                .await
                .expect("listing DataSync tasks");
            for task in page.tasks() {
                let arn = task.task_arn().unwrap_or_default();
                // A task on our file system is ours even when its locations are gone: read its
                // tags and locations, whatever ListLocations said.
                let described = self.aws.datasync.describe_task().task_arn(arn).send().await;
                let Ok(described) = described else { continue };
                let on_fs = [
                    described.source_location_arn(),
                    described.destination_location_arn(),
                ]
                .into_iter()
                .flatten()
                .any(|l| ours.iter().any(|o| o == l));
                let created_since = described
                    .creation_time()
                    .is_some_and(|t| std::time::SystemTime::try_from(*t).is_ok_and(|t| t >= since));
                let tags = self
                    .aws
                    .datasync
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await
                    .expect("reading a task's tags");
                let tagged = tags
                    .tags()
                    .iter()
                    .any(|t| t.key().starts_with("studio-restore:"));
                // Its locations may be gone: a restore's task created while this test held the
                // switches (no other test runs a restore then) is this test's too.
                if on_fs || (created_since && tagged) {
                    found.push(format!("task {arn}"));
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
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
                .expect("listing access points");
            for ap in page.access_points() {
                found.push(format!(
                    "access point {} ({:?})",
                    ap.access_point_id().unwrap_or_default(),
                    ap.life_cycle_state()
                ));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        found
    }

    async fn assert_nothing_leaked(&self, switches: &Switches) {
        // EFS deletes access points asynchronously (deleting, then gone): allow it a moment.
        let mut left = Vec::new();
        for _ in 0..50 {
            left = self.leftovers(switches.since).await;
            if left.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("left behind on {}: {left:#?}", self.fs);
    }
}

fn make_dir(dir: &Path, uid: u32, mode: u32) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
    std::os::unix::fs::chown(dir, Some(uid), Some(STUDIO_GID)).unwrap();
}

/// Every entry under `dir` (relative path, sorted): kind, mode bits, owner, and the bytes of a
/// file or the target of a link. Links are never followed.
fn snapshot(dir: &Path) -> Vec<(String, String, u32, u32, Vec<u8>)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, String, u32, u32, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            let (kind, content) = if meta.file_type().is_symlink() {
                let target = std::fs::read_link(entry.path()).unwrap();
                ("link", target.to_string_lossy().as_bytes().to_vec())
            } else if meta.is_dir() {
                ("dir", Vec::new())
            } else {
                ("file", std::fs::read(entry.path()).unwrap())
            };
            out.push((
                name.clone(),
                kind.to_owned(),
                meta.mode() & 0o7777,
                meta.uid(),
                content,
            ));
            if meta.is_dir() {
                walk(&entry.path(), &format!("{name}/"), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out
}

/// Asserts that `target` holds exactly what `source` holds (bytes, modes, link targets), every
/// entry owned by `uid`.
fn assert_same_tree(source: &Path, target: &Path, uid: u32) {
    let want = snapshot(source);
    let got = snapshot(target);
    let describe = |t: &[(String, String, u32, u32, Vec<u8>)]| {
        t.iter()
            .map(|(p, k, m, u, c)| format!("{p} {k} {m:o} uid {u} {} bytes", c.len()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let strip = |t: &[(String, String, u32, u32, Vec<u8>)]| {
        t.iter()
            .map(|(p, k, m, _, c)| (p.clone(), k.clone(), *m, c.clone()))
            .collect::<Vec<_>>()
    };
    assert!(
        strip(&want) == strip(&got),
        "the restored tree differs from the source\n--- source ---\n{}\n--- target ---\n{}",
        describe(&want),
        describe(&got)
    );
    for (path, _, _, owner, _) in &got {
        assert_eq!(
            *owner, uid,
            "{path} is owned by uid {owner}, not the target's {uid}"
        );
    }
}

/// Terraform's output without the diagnostic boxes and line wrapping, for phrase checks.
fn flat(stdout: &str, stderr: &str) -> String {
    format!("{stdout}\n{stderr}")
        .replace(['│', '╷', '╵'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

const ALICE: &str = "studio_profile_restore.alice";

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_profile_that_never_opened_studio_gets_its_home_created_owned_by_it() {
    let f = Fixture::new("strict-nohome").await;
    let switches = Switches::take(&f.emulator).await;
    assert!(
        !f.new_home().exists(),
        "the new profile has no home directory before its first app"
    );
    let tf = f.terraform("");
    tf.apply();
    assert_eq!(tf.attribute(ALICE, "status"), "SUCCESS");

    let uid: u32 = f.new_uid.parse().unwrap();
    let home = std::fs::metadata(f.new_home()).expect("the restore created the home directory");
    assert_eq!(
        (home.uid(), home.gid()),
        (uid, STUDIO_GID),
        "the home directory is the target's"
    );
    assert_same_tree(&f.old_home(), &f.new_home(), uid);
    tf.assert_plan_empty();
    f.assert_nothing_leaked(&switches).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_root_owned_read_only_directory_in_the_target_fails_clearly_and_leaks_nothing() {
    let f = Fixture::new("strict-locked").await;
    let switches = Switches::take(&f.emulator).await;
    // Studio made the home (uid-owned); an administrator left a root-owned, read-only
    // directory in it, where the source has files.
    let uid: u32 = f.new_uid.parse().unwrap();
    make_dir(&f.new_home(), uid, 0o700);
    let locked = f.new_home().join("data");
    std::fs::create_dir(&locked).unwrap();
    std::os::unix::fs::chown(&locked, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();

    let tf = f.terraform("");
    let out = tf.apply_fails();
    let text = flat(&out.stdout, &out.stderr);
    assert_eq!(text.matches("Error:").count(), 1, "one diagnostic:\n{out}");
    assert!(!text.contains("panic"), "{out}");
    assert!(
        text.contains(&format!("Restore into {}/user/alice failed", f.domain_id)),
        "{out}"
    );
    assert!(
        text.contains(&format!("holds a path that uid {uid} may not write"))
            && text.contains("owned by another user (often root) or without write permission"),
        "the diagnostic names the class of the problem:\n{out}"
    );
    assert!(
        text.contains("DataSync names /data"),
        "the diagnostic names the path DataSync reported:\n{out}"
    );
    assert!(
        text.contains("No DataSync task, location or access point of this restore was left behind"),
        "{out}"
    );
    assert!(
        std::fs::read_dir(&locked).unwrap().next().is_none(),
        "nothing was written into the read-only directory"
    );
    f.assert_nothing_leaked(&switches).await;
}

/// The tags of each DataSync location on `fs` and task between them, and of each EFS access point
/// on `fs`, by kind and ARN (or id).
async fn objects_on(aws: &Clients, fs: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    let locations = aws
        .datasync
        .list_locations()
        .send()
        .await
        .expect("listing locations");
    let mut ours = Vec::new();
    for location in locations.locations() {
        if location.location_uri().is_some_and(|u| u.contains(fs)) {
            ours.push(location.location_arn().unwrap_or_default().to_owned());
        }
    }
    let tasks = aws
        .datasync
        .list_tasks()
        .send()
        .await
        .expect("listing tasks");
    let mut arns: Vec<(String, String)> = ours
        .iter()
        .map(|a| ("location".to_owned(), a.clone()))
        .collect();
    for task in tasks.tasks() {
        let arn = task.task_arn().unwrap_or_default();
        let Ok(described) = aws.datasync.describe_task().task_arn(arn).send().await else {
            continue;
        };
        if [
            described.source_location_arn(),
            described.destination_location_arn(),
        ]
        .into_iter()
        .flatten()
        .any(|l| ours.iter().any(|o| o == l))
        {
            arns.push(("task".to_owned(), arn.to_owned()));
        }
    }
    for (kind, arn) in arns {
        let tags = aws
            .datasync
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .expect("reading tags");
        let tags = tags
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect();
        found.push((format!("{kind} {arn}"), tags));
    }
    let points = aws
        .efs
        .describe_access_points()
        .file_system_id(fs)
        .send()
        .await
        .expect("listing access points");
    for point in points.access_points() {
        let tags = point
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        found.push((
            format!(
                "access point {}",
                point.access_point_id().unwrap_or_default()
            ),
            tags,
        ));
    }
    found
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_providers_default_tags_are_on_every_object_a_restore_creates() {
    let f = Fixture::new("strict-tags").await;
    let switches = Switches::take(&f.emulator).await;
    // Every copy waits mid-way until the switch is off: the restore's objects stay to be read.
    switches.set(json!({"datasync_hold_executions": true}));
    let tf = f.terraform("");
    tf.write(
        "tags_override.tf",
        "provider \"studio\" {\n  default_tags {\n    tags = {\n      team          = \"platform\"\n      \"cost-center\" = \"4711\"\n    }\n  }\n}\n",
    );
    let applying = std::thread::spawn(move || {
        let out = tf.apply();
        (tf, out)
    });
    let objects = eventually(
        "the restore's task, locations and access point",
        studio_e2e::PATIENCE,
        || async {
            let objects = objects_on(&f.aws, &f.fs).await;
            let count = |kind: &str| {
                objects
                    .iter()
                    .filter(|(name, _)| name.starts_with(kind))
                    .count()
            };
            (count("task") >= 1 && count("location") >= 2 && count("access point") >= 1)
                .then_some(objects)
        },
    )
    .await;
    for (name, tags) in &objects {
        for (key, value) in [("team", "platform"), ("cost-center", "4711")] {
            assert!(
                tags.iter().any(|(k, v)| k == key && v == value),
                "{name} lacks the default tag {key} = {value}: {tags:?}"
            );
        }
        assert!(
            tags.iter().any(|(k, _)| k == studio_core::sweep::OWNER_TAG),
            "{name} lacks its owner tag: {tags:?}"
        );
    }
    switches.set(json!({"datasync_hold_executions": false}));
    let (tf, out) = applying.join().expect("the apply thread");
    assert!(out.success(), "{out}");
    assert_eq!(tf.attribute(ALICE, "status"), "SUCCESS");
    f.assert_nothing_leaked(&switches).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_copy_cancelled_mid_file_and_applied_again_leaves_an_identical_tree() {
    let f = Fixture::new("strict-cancel").await;
    let switches = Switches::take(&f.emulator).await;
    let uid: u32 = f.new_uid.parse().unwrap();
    // The user already started working in the new home: that file must survive both attempts.
    make_dir(&f.new_home(), uid, 0o700);
    let own = f.new_home().join("my-own-notes.md");
    std::fs::write(&own, "mine\n").unwrap();
    std::os::unix::fs::chown(&own, Some(uid), Some(STUDIO_GID)).unwrap();

    // Each file takes 2 s, stopping halfway through it; the create timeout runs out mid-file.
    switches.set(json!({"delays": {"datasync_file": 2}}));
    let tf = f.terraform("  timeouts {\n    create = \"4s\"\n  }");
    let out = tf.apply_fails();
    let text = flat(&out.stdout, &out.stderr);
    assert!(
        text.contains("when the create timeout ran out; it was cancelled"),
        "the copy was cancelled by the timeout:\n{out}"
    );
    let incomplete: Vec<String> = snapshot(&f.old_home())
        .into_iter()
        .filter(|(path, kind, _, _, bytes)| {
            kind == "file"
                && std::fs::read(f.new_home().join(path))
                    .is_ok_and(|got| !got.is_empty() && got.len() < bytes.len())
        })
        .map(|(path, ..)| path)
        .collect();
    assert!(
        !incomplete.is_empty(),
        "the cancel left an incomplete file behind (the case under test)"
    );
    f.assert_nothing_leaked(&switches).await;

    // Applied again, with time enough: the tainted restore is replaced, and the retry replaces
    // the incomplete files that OverwriteMode NEVER and TransferMode CHANGED would have kept.
    switches.set(default_switches());
    tf.write(
        "main.tf",
        &f.resource("  timeouts {\n    create = \"10m\"\n  }"),
    );
    let out = tf.apply();
    let text = flat(&out.stdout, &out.stderr);
    assert!(
        text.contains("Warning: Restore replaced files after an interrupted attempt")
            && text.contains("An earlier attempt of this restore")
            && text.contains("the failed attempt this apply replaced"),
        "the retry says it replaced files:\n{out}"
    );
    assert_eq!(tf.attribute(ALICE, "status"), "SUCCESS");
    assert_eq!(std::fs::read_to_string(&own).unwrap(), "mine\n");
    std::fs::remove_file(&own).unwrap();
    assert_same_tree(&f.old_home(), &f.new_home(), uid);
    tf.assert_plan_empty();
    f.assert_nothing_leaked(&switches).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_workflow_whose_datasync_execution_ends_in_error_deletes_everything_it_created() {
    let f = Fixture::new("strict-sfn").await;
    let switches = Switches::take(&f.emulator).await;
    let prefix = unique_name("strict");
    let table = unique_name("users");
    f.aws
        .dynamodb
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("home")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("home")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("creating the mapping table");
    let tf = Terraform::new(&f.emulator);
    tf.write_providers(&[Provider::Aws]);
    tf.write("main.tf", &restore_workflow_hcl(&prefix, &table));
    tf.init();
    tf.apply();
    let state_machine = tf.output("state_machine_arn").as_str().unwrap().to_owned();
    let slots = tf.output("slots_table").as_str().unwrap().to_owned();

    switches.set(json!({"datasync_execution_error": "Transfer failed: injected by the test"}));
    let domain_name = f
        .aws
        .sagemaker
        .describe_domain()
        .domain_id(&f.domain_id)
        .send()
        .await
        .unwrap()
        .domain_name
        .unwrap();
    let home = format!("{domain_name}/user/alice");
    let input = json!({
        "source": {"domain_id": f.domain_id, "file_system_id": f.fs, "uid": f.old_uid, "home": home},
        "target": {"domain_id": f.domain_id, "kind": "user", "name": "alice",
                   "file_system_id": f.fs, "uid": f.new_uid, "home": home},
        "options": {"excludes": "", "wait_for_app": false, "target_ready_checks": 5,
                    "target_ready_interval_seconds": 1, "transfer_polls": 60,
                    "transfer_poll_seconds": 1, "clear_restore_from": false,
                    "requested_by": "test", "after_interrupted_attempt": false}
    });
    let execution = f
        .aws
        .sfn
        .start_execution()
        .state_machine_arn(&state_machine)
        .name(unique_name("error"))
        .input(input.to_string())
        .send()
        .await
        .expect("starting the workflow")
        .execution_arn
        .clone();
    let described = eventually("the workflow to end", Duration::from_secs(180), || async {
        let d = f
            .aws
            .sfn
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .ok()?;
        (d.status().as_str() != "RUNNING").then_some(d)
    })
    .await;
    assert_eq!(
        (described.status().as_str(), described.error()),
        ("FAILED", Some("RestoreFailed")),
        "the workflow failed through its own Fail state, not a States.Runtime: {described:?}"
    );
    let history = f
        .aws
        .sfn
        .get_execution_history()
        .execution_arn(&execution)
        .max_results(1000)
        .send()
        .await
        .expect("reading the execution's history");
    let entered: Vec<String> = history
        .events()
        .iter()
        .filter_map(|e| e.state_entered_event_details())
        .map(|d| d.name().to_owned())
        .collect();
    for state in [
        "ReadTransferResult",
        "TransferFailed",
        "DeleteTask",
        "DeleteTargetLocation",
        "DeleteSourceLocation",
        "DeleteAccessPoint",
        "ReleaseSlot",
    ] {
        assert!(
            entered.iter().any(|s| s == state),
            "{state} ran: {entered:?}"
        );
    }
    // Everything the execution created carried the module's tags next to its ownership tag
    // (restore_workflow_hcl sets tags = { team = "ml" }).
    let creates: Vec<serde_json::Value> = history
        .events()
        .iter()
        .filter_map(|e| e.task_scheduled_event_details())
        .filter(|d| {
            [
                "createLocationEfs",
                "createAccessPoint",
                "createTask",
                "startTaskExecution",
            ]
            .iter()
            .any(|call| d.resource().ends_with(call))
        })
        .map(|d| serde_json::from_str(d.parameters()).expect("task parameters are JSON"))
        .collect();
    assert!(
        creates.len() >= 5,
        "locations, access point, task, execution: {creates:?}"
    );
    for parameters in &creates {
        let tags = parameters["Tags"].as_array().expect("a Tags list");
        assert_eq!(tags[0]["Key"], "studio-restore:owner", "{parameters}");
        assert_eq!(tags[0]["Value"], execution.as_str(), "{parameters}");
        assert!(
            tags.iter()
                .any(|t| t == &json!({"Key": "team", "Value": "ml"})),
            "{parameters}"
        );
    }
    f.assert_nothing_leaked(&switches).await;
    let slot = f
        .aws
        .dynamodb
        .get_item()
        .table_name(&slots)
        .key("id", AttributeValue::S("datasync-tasks".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("reading the slots")
        .item
        .unwrap_or_default();
    assert_eq!(
        slot.get("running")
            .and_then(|v| v.as_n().ok())
            .map(String::as_str),
        Some("0"),
        "the slot was released: {slot:?}"
    );
    switches.set(default_switches());
    tf.destroy();
}
