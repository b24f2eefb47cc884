//! Promises of `docs/resources/profile_restore.md` that need a copy held in flight or a fault:
//! `LogLevel = OFF`, TLS and tags on what a restore creates, the create timeout during a copy,
//! the "nothing left behind" ending and the warning for an object that could not be deleted, and
//! the tagged leftovers of an interrupted run removed on delete.
//!
//! The emulator's switches are global: this file has a binary of its own (cargo runs test
//! binaries one after another), its tests take [`Switches`] one at a time and put them back.

mod claims_support;

use std::time::{Duration, Instant};

use aws_sdk_datasync::error::DisplayErrorContext;
use claims_support::*;
use serde_json::json;

/// Safety rules: "DataSync logging is off (`LogLevel = OFF`)". How a restore runs, 3: "two
/// DataSync EFS locations (TLS in transit) and a task, all tagged
/// `studio-restore:restore-id = <restore id>`", the access point's POSIX user and root. Read
/// off the objects while the copy is held in flight.
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn what_a_restore_creates_logs_nothing_uses_tls_and_is_tagged() {
    let f = Fixture::new("claims-objects").await;
    let switches = Switches::take(&f.emulator).await;
    let tf = f.terraform("");
    switches.set(json!({"datasync_hold_executions": true}));
    let mut apply = BackgroundApply::start(&tf, &f.emulator);
    let (task, locations, _execution) = copy_in_flight(&f, &mut apply).await;

    let described = f
        .aws
        .datasync
        .describe_task()
        .task_arn(&task)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing {task}: {}", DisplayErrorContext(e)));
    let options = described.options().expect("task options");
    assert_eq!(
        options.log_level().map(|l| l.as_str()),
        Some("OFF"),
        "file paths stay out of the logs: {options:?}"
    );
    let task_tags = datasync_tags(&f.aws, &task).await.expect("the task exists");
    let id = task_tags
        .get(RESTORE_TAG)
        .unwrap_or_else(|| panic!("the task is tagged {RESTORE_TAG}: {task_tags:?}"))
        .clone();
    assert!(id.starts_with("r-"), "{id}");
    assert_eq!(locations.len(), 2);
    for location in &locations {
        let efs = f
            .aws
            .datasync
            .describe_location_efs()
            .location_arn(location)
            .send()
            .await
            .unwrap_or_else(|e| panic!("describing {location}: {}", DisplayErrorContext(e)));
        assert_eq!(
            efs.in_transit_encryption().map(|t| t.as_str()),
            Some("TLS1_2"),
            "{location} uses TLS in transit: {efs:?}"
        );
        let tags = datasync_tags(&f.aws, location).await.expect("it exists");
        assert_eq!(tags.get(RESTORE_TAG), Some(&id), "{location} is tagged");
    }
    let aps = f
        .aws
        .efs
        .describe_access_points()
        .file_system_id(&f.fs)
        .send()
        .await
        .expect("listing access points");
    let [ap] = aps.access_points() else {
        panic!("one access point on {}: {aps:?}", f.fs);
    };
    let posix = ap.posix_user().expect("a POSIX user");
    assert_eq!(posix.uid().to_string(), f.new_uid, "{ap:?}");
    assert_eq!(posix.gid(), 1001, "Studio's gid: {ap:?}");
    assert_eq!(
        ap.root_directory().and_then(|r| r.path()),
        Some(format!("/{}", f.new_uid).as_str())
    );
    assert!(
        ap.tags()
            .iter()
            .any(|t| t.key() == RESTORE_TAG && t.value() == id),
        "the access point is tagged: {ap:?}"
    );

    switches.set(json!({"datasync_hold_executions": false}));
    let (ok, out, err) = apply.finish(Duration::from_secs(120)).await;
    assert!(ok, "{out}\n{err}");
    assert_eq!(restore_id(&tf, ALICE), id, "the state keeps the id");
    f.assert_nothing_leaked(&id).await;
}

/// Failures and timeouts: "The create timeout runs out during the copy: the DataSync execution
/// is cancelled, everything the restore created is deleted, and the resource is saved tainted
/// (`status` `ERROR`)", and the diagnostic's ending "No DataSync task, location or access point
/// of this restore was left behind."
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_create_timeout_during_a_copy_cancels_cleans_up_and_taints() {
    let f = Fixture::new("claims-timeout").await;
    let switches = Switches::take(&f.emulator).await;
    let tf = f.terraform("  timeouts {\n    create = \"15s\"\n  }");
    switches.set(json!({"datasync_hold_executions": true}));
    let mut apply = BackgroundApply::start(&tf, &f.emulator);
    let (task, locations, execution) = copy_in_flight(&f, &mut apply).await;
    let (ok, out, err) = apply.finish(Duration::from_secs(120)).await;
    let text = flat(&out, &err);
    assert!(!ok, "the apply fails:\n{out}\n{err}");
    assert_eq!(text.matches("Error:").count(), 1, "one diagnostic:\n{text}");
    assert!(
        text.contains("create timeout ran out")
            && text.contains(&execution)
            && text.contains("it was cancelled"),
        "the diagnostic says the timeout cancelled the execution:\n{text}"
    );
    assert!(
        text.contains(
            "No DataSync task, location or access point of this restore was left behind."
        ),
        "{text}"
    );

    let described = f
        .aws
        .datasync
        .describe_task_execution()
        .task_execution_arn(&execution)
        .send()
        .await
        .expect("describing the execution");
    assert_eq!(described.status().map(|s| s.as_str()), Some("ERROR"));
    assert_eq!(
        described.result().and_then(|r| r.error_code()),
        Some("Cancelled"),
        "CancelTaskExecution ended it: {described:?}"
    );
    for gone in std::iter::once(&task).chain(&locations) {
        assert!(
            datasync_tags(&f.aws, gone).await.is_none(),
            "{gone} was deleted"
        );
    }
    let state = state_entry(&tf, ALICE).expect("a timed-out copy stays in the state");
    assert_eq!(state["tainted"], true, "{state:#}");
    assert_eq!(state["values"]["status"], "ERROR", "{state:#}");
    assert_eq!(state["values"]["execution_arn"], execution.as_str());
    let id = restore_id(&tf, ALICE);
    f.assert_nothing_leaked(&id).await;

    switches.set(json!({"datasync_hold_executions": false}));
    let plan = tf.assert_plan_changes();
    assert!(
        plan.text().contains("is tainted, so must be replaced"),
        "{}",
        plan.text()
    );
    // "with transfer_mode = "CHANGED", only what is still missing is copied": entries of the
    // source minus the files the cancelled copy already wrote in full (same size and mtime).
    let (entries, complete) =
        entries_and_complete_files(&f.emulator.home_dir(&f.fs, &f.old_uid), &f.new_home());
    tf.apply();
    assert!(f.restored());
    let transferred: usize = tf.attribute(ALICE, "files_transferred").parse().unwrap();
    assert!(
        transferred <= entries - complete,
        "the retry transferred {transferred} of {entries} entries, though {complete} files were already complete"
    );
    f.assert_nothing_leaked(&id).await;
}

/// Failures and timeouts, interrupted: "Files copied so far stay in the target (the last one
/// possibly incomplete); the resource is saved tainted (`status` `ERROR`), and the next apply runs
/// the copy again, replacing incomplete files."
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn ctrl_c_mid_file_keeps_what_was_copied_and_the_next_apply_completes_it() {
    let f = Fixture::new("claims-ctrlc-partial").await;
    let switches = Switches::take(&f.emulator).await;
    let old = f.emulator.home_dir(&f.fs, &f.old_uid);
    // Each file stops halfway through for four seconds: time enough to see it and interrupt.
    switches.set(json!({"delays": {"datasync_file": 4}}));
    let tf = f.terraform("");
    let apply = BackgroundApply::start(&tf, &f.emulator);
    let partial = studio_e2e::eventually(
        "a file half copied into the new home",
        Duration::from_secs(60),
        || async { incomplete_files(&old, &f.new_home()).into_iter().next() },
    )
    .await;
    apply.signal("-INT");
    let (ok, out, err) = apply.finish(Duration::from_secs(120)).await;
    assert!(!ok, "{out}\n{err}");
    let text = flat(&out, &err);
    assert!(
        text.contains("Terraform was interrupted while DataSync task execution")
            && text.contains("the execution was cancelled"),
        "{text}"
    );
    let kept = std::fs::read(f.new_home().join(&partial)).expect("the copied part stays");
    let whole = std::fs::read(old.join(&partial)).unwrap();
    assert!(
        !kept.is_empty() && kept.len() < whole.len() && whole.starts_with(&kept),
        "{partial} stays as far as it was copied: {} of {} bytes",
        kept.len(),
        whole.len()
    );
    let state = state_entry(&tf, ALICE).expect("an interrupted copy stays in the state");
    assert_eq!(state["tainted"], true, "{state:#}");
    assert_eq!(state["values"]["status"], "ERROR", "{state:#}");
    let id = restore_id(&tf, ALICE);
    f.assert_nothing_leaked(&id).await;

    switches.set(default_switches());
    tf.apply();
    assert!(
        incomplete_files(&old, &f.new_home()).is_empty(),
        "the next apply replaced the incomplete file"
    );
    assert_eq!(
        std::fs::read(f.new_home().join(&partial)).unwrap(),
        whole,
        "{partial} is whole"
    );
    f.assert_nothing_leaked(&id).await;
}

/// The lease on `home`'s row of the fixture's mapping table: holder and expiry.
async fn lease(f: &Fixture, home: &str) -> (Option<String>, Option<String>) {
    let item = f
        .aws
        .dynamodb
        .get_item()
        .table_name(&f.tables.0)
        .key(
            "home",
            aws_sdk_dynamodb::types::AttributeValue::S(home.to_owned()),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("reading the row")
        .item
        .unwrap_or_default();
    let text = |name: &str| match item.get(name) {
        Some(aws_sdk_dynamodb::types::AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    };
    (text("lease_holder"), text("lease_expires_at"))
}

/// The regular files under `source` that `target` holds, non-empty, with fewer bytes.
fn incomplete_files(source: &std::path::Path, target: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![std::path::PathBuf::new()];
    while let Some(relative) = stack.pop() {
        for entry in std::fs::read_dir(source.join(&relative)).unwrap() {
            let entry = entry.unwrap();
            let path = relative.join(entry.file_name());
            let meta = std::fs::symlink_metadata(source.join(&path)).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                if let Ok(there) = std::fs::symlink_metadata(target.join(&path)) {
                    if there.is_file() && there.len() > 0 && there.len() < meta.len() {
                        found.push(path.display().to_string());
                    }
                }
            }
        }
    }
    found
}

/// The number of entries (files, directories, links) under `source`, and how many of its
/// regular files `target` already holds with the same size and mtime.
fn entries_and_complete_files(
    source: &std::path::Path,
    target: &std::path::Path,
) -> (usize, usize) {
    let (mut entries, mut complete) = (0, 0);
    let mut stack = vec![std::path::PathBuf::new()];
    while let Some(relative) = stack.pop() {
        for entry in std::fs::read_dir(source.join(&relative)).unwrap() {
            let entry = entry.unwrap();
            let path = relative.join(entry.file_name());
            let meta = std::fs::symlink_metadata(source.join(&path)).unwrap();
            entries += 1;
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                if let Ok(there) = std::fs::symlink_metadata(target.join(&path)) {
                    if there.is_file()
                        && there.len() == meta.len()
                        && there.modified().ok() == meta.modified().ok()
                    {
                        complete += 1;
                    }
                }
            }
        }
    }
    (entries, complete)
}

/// The page's last paragraph: "an object that could not be deleted is reported in a warning
/// that names it, and the diagnostic then says to delete it by hand". Safety rules: "Deleting
/// the resource (or `terraform destroy`) ... also removes DataSync objects that an interrupted
/// earlier run ... may have left, found by their tag."
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn an_undeletable_location_is_named_and_destroy_removes_it_by_its_tag() {
    let f = Fixture::new("claims-undeletable").await;
    let switches = Switches::take(&f.emulator).await;
    let tf = f.terraform("");
    // The copy fails, and DeleteLocation keeps failing for as long as the clean-up retries one
    // object (six attempts, `clean_up` in crates/core/src/restore.rs): the first location
    // deleted (the destination) stays, the other goes.
    switches.set(json!({
        "datasync_execution_error": "Transfer failed: disk quota exceeded",
        "throttle": {"DeleteLocation": 6},
    }));
    let out = tf.apply_fails();
    let text = flat(&out.stdout, &out.stderr);
    let left = switches.set(json!({}))["throttle"]["DeleteLocation"].clone();
    assert_eq!(left, 0, "every throttled DeleteLocation was tried");
    switches.set(default_switches());

    let id = restore_id(&tf, ALICE);
    let tagged = tagged_datasync(&f.aws, RESTORE_TAG, &id).await;
    let [location] = tagged.as_slice() else {
        panic!("one location of {id} could not be deleted: {tagged:?}\n{out}");
    };
    assert!(location.contains(":location/"), "{location}");
    assert!(
        text.contains("Warning:") && text.contains(location.as_str()),
        "a warning names the location:\n{out}"
    );
    assert!(
        text.contains("could not be deleted") && text.contains("delete them by hand"),
        "the diagnostic says to delete it by hand:\n{out}"
    );
    assert!(
        !text.contains("was left behind."),
        "no promise of a clean ending:\n{out}"
    );

    tf.destroy();
    assert!(
        datasync_tags(&f.aws, location).await.is_none(),
        "destroy removed {location} by its tag"
    );
    f.assert_nothing_leaked(&id).await;
    assert!(
        !f.restored(),
        "nothing was copied, and destroy touched no file"
    );
    assert!(
        f.emulator
            .home_dir(&f.fs, &f.old_uid)
            .join("notebooks/analysis.ipynb")
            .is_file(),
        "destroy never touches the source"
    );
}

/// Safety rules: deleting the resource "removes DataSync objects that an interrupted earlier
/// run (a provider killed mid-copy) may have left, found by their tag". The provider is killed
/// (SIGKILL) with the copy in flight: nothing is saved, the task, locations and access point
/// stay. The next apply restores; destroying the resource then removes what the killed run left.
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn objects_of_a_killed_provider_are_removed_by_their_tag() {
    let f = Fixture::new("claims-killed").await;
    let switches = Switches::take(&f.emulator).await;
    let tf = f.terraform("");
    switches.set(json!({"datasync_hold_executions": true}));
    let mut apply = BackgroundApply::start(&tf, &f.emulator);
    let (task, locations, execution) = copy_in_flight(&f, &mut apply).await;
    let providers = apply.provider_pids();
    assert!(!providers.is_empty(), "terraform runs a provider");
    // Issue 10: the copying provider holds the target's lease (a holder killed now cannot give
    // it back: the lease's expiry frees the home).
    let home = format!("{}/user/alice", f.domain_name);
    let (holder, _) = lease(&f, &home).await;
    let holder = holder.expect("the copying provider holds alice's lease");
    assert!(
        providers
            .iter()
            .any(|pid| holder.contains(&format!("pid {pid} "))),
        "the lease names the provider process {providers:?}: {holder}"
    );
    for pid in &providers {
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .expect("running kill");
        assert!(killed.success(), "kill -KILL {pid}");
    }
    let (ok, out, err) = apply.finish(Duration::from_secs(120)).await;
    assert!(!ok, "an apply whose provider died fails:\n{out}\n{err}");
    let restore = datasync_tags(&f.aws, &task)
        .await
        .expect("the killed run's task is left")[RESTORE_TAG]
        .clone();
    let left = tagged_datasync(&f.aws, RESTORE_TAG, &restore).await;
    assert_eq!(left.len(), 3, "a task and two locations are left: {left:?}");

    // DataSync finishes the orphaned execution on its own.
    switches.set(json!({"datasync_hold_executions": false}));
    let started = Instant::now();
    loop {
        let status = f
            .aws
            .datasync
            .describe_task_execution()
            .task_execution_arn(&execution)
            .send()
            .await
            .expect("describing the orphaned execution")
            .status()
            .map(|s| s.as_str().to_owned());
        if matches!(status.as_deref(), Some("SUCCESS" | "ERROR")) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{status:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Nobody gave the lease back; the next apply waits for it to expire, takes it over, copies.
    assert_eq!(lease(&f, &home).await.0.as_deref(), Some(holder.as_str()));
    tf.apply();
    assert!(f.restored());
    assert_eq!(
        lease(&f, &home).await,
        (None, None),
        "released after the copy"
    );
    let id = restore_id(&tf, ALICE);
    assert_eq!(id, restore, "the same copy has the same restore id");
    tf.destroy();
    for gone in std::iter::once(&task).chain(&locations) {
        assert!(
            datasync_tags(&f.aws, gone).await.is_none(),
            "destroy removed the killed run's {gone}"
        );
    }
    f.assert_nothing_leaked(&id).await;
}
