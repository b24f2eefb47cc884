//! The restore workflow's native engine (issue 13): `modules/restore-workflow` deployed with
//! `copier` (and a `studio_gid` of its own). A restore within the copier's file system lists the
//! home's top-level directories, copies them in the workflow's Map state (several copier
//! invocations each: every invocation is out of time from its start), then a last whole-home
//! pass; no DataSync slot, location, access point or task. Its excludes (the provider's
//! `state_machine` engine and the event path send `*/.ipynb_checkpoints`) leave out what
//! DataSync's would, and everything it writes belongs to the target uid and the module's
//! `studio_gid`, as on the DataSync path. A restore into another domain's file system still goes
//! through DataSync. The event path, with its default excludes, restores with the copier.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use aws_sdk_sagemaker::types::AuthMode;
use aws_sdk_sfn::types::HistoryEventType;
use serde_json::Value;
use studio_core::home::HomeDirectory;
use studio_core::workflow::{Directory, RestoreOptions, RestoreRequest};
use studio_core::{HomeKey, HomeKind};
use studio_e2e::{
    Clients, Emulator, EventPath, EventPathOptions, Provider, Terraform, create_domain,
    create_profile, create_table, delete_profile, eventually, lambda_zip,
    restore_workflow_hcl_with, tree, unique_name,
};

/// The group Studio gives home directories, as the product's `STUDIO_GID`.
const STUDIO_GID: u32 = 1001;

/// The first test's module `studio_gid`: restored entries belong to it, whatever the engine.
const MODULE_GID: u32 = 4242;

/// Jupyter checkpoints in every home these tests make: the default excludes leave them out.
const CHECKPOINTS: [&str; 2] = [".ipynb_checkpoints", "project/nested/.ipynb_checkpoints"];

/// The top-level directories of the homes this test restores (the Map's items).
const SUBTREES: [&str; 3] = ["data", "project", "src"];

/// Small files directly in `data`.
const BULK: usize = 80;

/// Creates `name` in `domain_id` with a home owned by its uid (three top-level directories,
/// files at the top, a link out of the tree, a link to a directory), then recreates it:
/// returns (old uid, new uid).
async fn recreated_with_files(
    emulator: &Emulator,
    aws: &Clients,
    domain_id: &str,
    fs: &str,
    name: &str,
) -> (String, String) {
    let old_uid = create_profile(aws, domain_id, name).await;
    let home = emulator.home_dir(fs, &old_uid);
    let uid: u32 = old_uid.parse().unwrap();
    let own = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        std::os::unix::fs::chown(path, Some(uid), Some(STUDIO_GID)).unwrap();
    };
    std::fs::create_dir_all(&home).unwrap();
    own(&home, 0o700);
    for (i, top) in SUBTREES.iter().enumerate() {
        let dir = home.join(top).join("nested");
        std::fs::create_dir_all(&dir).unwrap();
        own(dir.parent().unwrap(), 0o755);
        own(&dir, 0o750);
        for f in 0..2 {
            let file = dir.join(format!("f{f}.txt"));
            std::fs::write(&file, format!("{top} {f}\n").repeat(100 * (i + f + 1))).unwrap();
            own(&file, 0o644);
        }
    }
    // More files in one directory than the copier has threads (32): its subtree needs more
    // than one out-of-time invocation, whatever the threads finish at once.
    for n in 0..BULK {
        let file = home.join("data").join(format!("row{n}.csv"));
        std::fs::write(&file, format!("{n},{name}\n")).unwrap();
        own(&file, 0o640);
    }
    for (file, mode) in [(".bashrc", 0o644), (".aws-credentials", 0o600)] {
        let path = home.join(file);
        std::fs::write(&path, format!("{file} of {name}\n")).unwrap();
        own(&path, mode);
    }
    // One file with a name in two top-level directories (the subtrees leave it to the last pass).
    std::fs::hard_link(
        home.join("src/nested/f0.txt"),
        home.join("data/same-as-src-f0.txt"),
    )
    .unwrap();
    for dir in CHECKPOINTS {
        let dir = home.join(dir);
        std::fs::create_dir_all(&dir).unwrap();
        own(&dir, 0o755);
        let file = dir.join("notes-checkpoint.ipynb");
        std::fs::write(&file, "{}\n").unwrap();
        own(&file, 0o644);
    }
    std::os::unix::fs::symlink("/etc", home.join("etc")).unwrap();
    std::os::unix::fs::symlink("project/nested", home.join("latest")).unwrap();
    for link in ["etc", "latest"] {
        std::os::unix::fs::lchown(home.join(link), Some(uid), Some(STUDIO_GID)).unwrap();
    }
    delete_profile(aws, domain_id, name).await;
    let new_uid = create_profile(aws, domain_id, name).await;
    (old_uid, new_uid)
}

/// Panics unless `new` holds exactly `old`'s tree but `excluded` (and what is in them), byte for
/// byte, with its modes and links, every entry owned by `uid` and `gid`.
fn assert_restored(old: &Path, new: &Path, (uid, gid): (u32, u32), excluded: &[&str]) {
    let expected: Vec<String> = tree(old)
        .into_iter()
        .filter(|rel| {
            !excluded
                .iter()
                .any(|x| rel == x || rel.starts_with(&format!("{x}/")))
        })
        .collect();
    assert_eq!(tree(new), expected, "the restored tree differs");
    for rel in expected {
        let (a, b) = (old.join(&rel), new.join(&rel));
        let (ma, mb) = (
            std::fs::symlink_metadata(&a).unwrap(),
            std::fs::symlink_metadata(&b).unwrap(),
        );
        assert_eq!((mb.uid(), mb.gid()), (uid, gid), "the owner of {rel}");
        if ma.file_type().is_symlink() {
            assert_eq!(
                std::fs::read_link(&a).unwrap(),
                std::fs::read_link(&b).unwrap()
            );
            continue;
        }
        assert_eq!(ma.mode(), mb.mode(), "the mode of {rel}");
        if ma.is_file() {
            assert_eq!(
                std::fs::read(&a).unwrap(),
                std::fs::read(&b).unwrap(),
                "{rel}"
            );
        }
    }
    let root = std::fs::metadata(new).unwrap();
    assert_eq!((root.uid(), root.gid()), (uid, gid), "the home's owner");
}

/// `studio_profile_restore.<name>` on the workflow, from `/<old_uid>` on `fs` into `name` of
/// `target_domain`.
fn restore_hcl(
    name: &str,
    (domain, fs, old_uid): (&str, &str, &str),
    target_domain: &str,
) -> String {
    format!(
        r#"
resource "studio_profile_restore" "{name}" {{
  source = {{
    domain_id         = "{domain}"
    user_profile_name = "{name}"
    file_system_id    = "{fs}"
    uid               = {old_uid}
  }}
  target = {{
    domain_id         = "{target_domain}"
    user_profile_name = "{name}"
  }}
  engine            = "state_machine"
  state_machine_arn = module.restore_workflow.state_machine_arn
}}
"#
    )
}

/// The execution's history: each state entered, and the payload of each copier invocation.
async fn history(aws: &Clients, execution: &str) -> (Vec<String>, Vec<Value>) {
    let mut states = Vec::new();
    let mut payloads = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .sfn
            .get_execution_history()
            .execution_arn(execution)
            .set_next_token(token)
            .send()
            .await
            .expect("reading the execution's history");
        for event in page.events() {
            if let Some(entered) = event.state_entered_event_details() {
                states.push(entered.name().to_owned());
            }
            if event.r#type() == &HistoryEventType::TaskScheduled
                && let Some(task) = event.task_scheduled_event_details()
                && task.resource_type() == "lambda"
            {
                let parameters: Value = serde_json::from_str(task.parameters()).unwrap();
                payloads.push(parameters["Payload"].clone());
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    (states, payloads)
}

/// Least privilege: the state machine's role may invoke the copier function and nothing else
/// of Lambda (the emulator does not evaluate IAM: this reads the policy Terraform applied).
fn assert_invokes_only_the_copier(state: &Value) {
    let resources: Vec<&Value> = state["values"]["root_module"]["child_modules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["resources"].as_array().unwrap())
        .collect();
    let find = |address: &str| {
        resources
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("no {address} in the state"))
    };
    let copier =
        find("module.restore_workflow.aws_lambda_function.copier[0]")["values"]["arn"].clone();
    let policy: Value = serde_json::from_str(
        find("module.restore_workflow.data.aws_iam_policy_document.state_machine")["values"]
            ["json"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let lambda: Vec<&Value> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s.to_string().contains("lambda:"))
        .collect();
    assert_eq!(lambda.len(), 1, "{policy:#}");
    assert_eq!(lambda[0]["Action"], "lambda:InvokeFunction", "{policy:#}");
    assert_eq!(lambda[0]["Resource"], copier, "{policy:#}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_workflow_copies_within_the_copiers_file_system_with_a_map_and_across_with_datasync() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let name = unique_name("wfnative");
    let (domain_id, fs) = create_domain(&aws, &name, AuthMode::Iam).await;
    let (other_domain, other_fs) = create_domain(&aws, &format!("{name}-2"), AuthMode::Iam).await;
    let table = format!("{name}-map");
    create_table(&aws, &table, None).await;
    let zip = tokio::task::spawn_blocking(|| lambda_zip("studio-copier", "studio-copier"))
        .await
        .unwrap();

    let (alice_old, alice_new) =
        recreated_with_files(&emulator, &aws, &domain_id, &fs, "alice").await;
    let (carol_old, _) = recreated_with_files(&emulator, &aws, &domain_id, &fs, "carol").await;
    let carol_new = create_profile(&aws, &other_domain, "carol").await;

    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Aws, Provider::Studio]);
    // Every invocation is out of time from its start (a reserve as long as the timeout): each
    // subtree, and the last pass, takes several.
    tf.write(
        "main.tf",
        &restore_workflow_hcl_with(
            &name,
            &table,
            &format!(
                r#"  copier = {{
    file_system_id = "{fs}"
    zip            = "{zip}"
  }}
  copier_runtime         = "provided.al2"
  copier_timeout_seconds = 3
  copier_reserve_seconds = 3
  copier_max_concurrency = 2
  studio_gid             = {MODULE_GID}"#,
                zip = zip.path.display()
            ),
        ),
    );
    tf.init();
    tf.apply();
    let function = format!("{name}-copier");
    assert_invokes_only_the_copier(&tf.show_json());
    let access_points = || async {
        aws.efs
            .describe_access_points()
            .send()
            .await
            .unwrap()
            .access_points()
            .len()
    };
    let points_before = access_points().await;
    let invoked = || {
        emulator.invocations()["functions"][&function]
            .as_u64()
            .unwrap_or(0)
    };

    // alice: started as the stream processor would, excluding nothing: the copier copies.
    let domain_name = aws
        .sagemaker
        .describe_domain()
        .domain_id(&domain_id)
        .send()
        .await
        .unwrap()
        .domain_name
        .unwrap();
    let home = HomeKey::new(&domain_name, HomeKind::User, "alice").unwrap();
    let request = RestoreRequest::new(
        &Directory {
            home: &home,
            domain_id: &domain_id,
            directory: &HomeDirectory::new(&fs, alice_old.parse().unwrap()).unwrap(),
        },
        &Directory {
            home: &home,
            domain_id: &domain_id,
            directory: &HomeDirectory::new(&fs, alice_new.parse().unwrap()).unwrap(),
        },
        RestoreOptions {
            excludes: String::new(),
            requested_by: "workflow_native test".into(),
            wait_for_app: false,
            target_ready_interval_seconds: 1,
            ..RestoreOptions::default()
        },
    )
    .unwrap();
    let state_machine = tf.output("state_machine_arn").as_str().unwrap().to_owned();
    let execution = aws
        .sfn
        .start_execution()
        .state_machine_arn(&state_machine)
        .name(request.execution_name())
        .input(request.to_json())
        .send()
        .await
        .expect("starting alice's restore")
        .execution_arn()
        .to_owned();
    let status = eventually(
        "alice's restore to end",
        Duration::from_secs(300),
        || async {
            let status = aws
                .sfn
                .describe_execution()
                .execution_arn(&execution)
                .send()
                .await
                .ok()?
                .status()
                .as_str()
                .to_owned();
            (status != "RUNNING").then_some(status)
        },
    )
    .await;
    let (states, payloads) = history(&aws, &execution).await;
    assert_eq!(status, "SUCCEEDED", "{states:?}\n{payloads:?}");
    assert_restored(
        &emulator.home_dir(&fs, &alice_old),
        &emulator.home_dir(&fs, &alice_new),
        (alice_new.parse().unwrap(), MODULE_GID),
        &[],
    );
    assert_eq!(
        std::fs::read_link(emulator.home_dir(&fs, &alice_new).join("etc")).unwrap(),
        Path::new("/etc"),
        "the link out of the tree was copied as a link"
    );
    let ino = |rel: &str| {
        std::fs::metadata(emulator.home_dir(&fs, &alice_new).join(rel))
            .unwrap()
            .ino()
    };
    assert_eq!(
        ino("src/nested/f0.txt"),
        ino("data/same-as-src-f0.txt"),
        "a hard link across two subtrees is one inode"
    );
    for datasync in [
        "AcquireSlot",
        "CreateSourceLocation",
        "CreateTargetAccessPoint",
        "CreateTask",
    ] {
        assert!(
            !states.iter().any(|s| s == datasync),
            "{datasync} ran: {states:?}"
        );
    }
    assert!(
        states.iter().any(|s| s == "CopySubtrees"),
        "no Map: {states:?}"
    );
    assert_eq!(
        access_points().await,
        points_before,
        "an access point was created"
    );
    assert_eq!(
        emulator.datasync_tasks()["tasks"].as_u64(),
        Some(0),
        "a DataSync task exists"
    );
    // One list, then each subtree over several invocations, then the last pass.
    assert_eq!(payloads[0]["operation"], "list_subtrees", "{payloads:?}");
    for subtree in SUBTREES {
        let calls = payloads.iter().filter(|p| p["subtree"] == subtree).count();
        let least = if subtree == "data" { 2 } else { 1 };
        assert!(
            calls >= least,
            "{subtree} took {calls} invocations: {payloads:?}"
        );
    }
    let whole = payloads
        .iter()
        .skip(1)
        .filter(|p| p.get("subtree").is_none())
        .count();
    assert!(whole >= 1, "no last pass: {payloads:?}");
    assert_eq!(invoked(), payloads.len() as u64, "the copier's invocations");
    let output: Value = serde_json::from_str(
        aws.sfn
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .unwrap()
            .output()
            .unwrap(),
    )
    .unwrap();
    // 6 files, 2 checkpoints and BULK in the subtrees, 2 at the top, summed over every
    // invocation.
    assert_eq!(
        output["transfer"]["FilesTransferred"],
        10 + BULK,
        "{output:#}"
    );
    let took = output["transfer"]["Result"]["TotalDuration"].as_u64();
    assert!(
        took.is_some_and(|ms| ms > 0 && ms < 300_000),
        "the copy's duration, from the native branch's start: {output:#}"
    );

    // A copier that fails (here: the source home does not exist) fails the restore with a cause
    // that names the copier and the homes, and the cleanup still releases the lease.
    let missing = RestoreRequest::new(
        &Directory {
            home: &home,
            domain_id: &domain_id,
            directory: &HomeDirectory::new(&fs, "299999".parse().unwrap()).unwrap(),
        },
        &Directory {
            home: &home,
            domain_id: &domain_id,
            directory: &HomeDirectory::new(&fs, alice_new.parse().unwrap()).unwrap(),
        },
        RestoreOptions {
            excludes: String::new(),
            requested_by: "workflow_native test".into(),
            wait_for_app: false,
            target_ready_interval_seconds: 1,
            ..RestoreOptions::default()
        },
    )
    .unwrap();
    let failing = aws
        .sfn
        .start_execution()
        .state_machine_arn(&state_machine)
        .name(missing.execution_name())
        .input(missing.to_json())
        .send()
        .await
        .expect("starting the failing restore")
        .execution_arn()
        .to_owned();
    let ended = eventually(
        "the failing restore to end",
        Duration::from_secs(300),
        || async {
            let described = aws
                .sfn
                .describe_execution()
                .execution_arn(&failing)
                .send()
                .await
                .ok()?;
            (described.status().as_str() != "RUNNING").then_some(described)
        },
    )
    .await;
    let (states, _) = history(&aws, &failing).await;
    assert_eq!(ended.status().as_str(), "FAILED", "{states:?}");
    let cause = ended.cause().unwrap_or_default();
    assert!(
        cause.contains(&function) && cause.contains("/299999"),
        "{cause}"
    );
    assert!(states.iter().any(|s| s == "CopierFailed"), "{states:?}");
    assert!(states.iter().any(|s| s == "ReleaseLease"), "{states:?}");
    let row = aws
        .dynamodb
        .get_item()
        .table_name(&table)
        .key(
            "home",
            aws_sdk_dynamodb::types::AttributeValue::S(home.to_string()),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert!(
        row.item().is_none(),
        "the lease's stub row is left: {row:?}"
    );

    // From another file system into the copier's, excluding nothing: DataSync (the copier
    // reads only its own file system; the same uid there is someone else's home).
    let (erin_old, _) =
        recreated_with_files(&emulator, &aws, &other_domain, &other_fs, "erin").await;
    let erin_new = create_profile(&aws, &domain_id, "erin").await;
    let erin_home = HomeKey::new(&domain_name, HomeKind::User, "erin").unwrap();
    let other_name = format!("{name}-2");
    let erin = RestoreRequest::new(
        &Directory {
            home: &HomeKey::new(&other_name, HomeKind::User, "erin").unwrap(),
            domain_id: &other_domain,
            directory: &HomeDirectory::new(&other_fs, erin_old.parse().unwrap()).unwrap(),
        },
        &Directory {
            home: &erin_home,
            domain_id: &domain_id,
            directory: &HomeDirectory::new(&fs, erin_new.parse().unwrap()).unwrap(),
        },
        RestoreOptions {
            excludes: String::new(),
            requested_by: "workflow_native test".into(),
            wait_for_app: false,
            target_ready_interval_seconds: 1,
            transfer_poll_seconds: 1,
            ..RestoreOptions::default()
        },
    )
    .unwrap();
    let before = invoked();
    let erin_execution = aws
        .sfn
        .start_execution()
        .state_machine_arn(&state_machine)
        .name(erin.execution_name())
        .input(erin.to_json())
        .send()
        .await
        .expect("starting erin's restore")
        .execution_arn()
        .to_owned();
    let status = eventually(
        "erin's restore to end",
        Duration::from_secs(300),
        || async {
            let status = aws
                .sfn
                .describe_execution()
                .execution_arn(&erin_execution)
                .send()
                .await
                .ok()?
                .status()
                .as_str()
                .to_owned();
            (status != "RUNNING").then_some(status)
        },
    )
    .await;
    let (states, payloads) = history(&aws, &erin_execution).await;
    assert_eq!(status, "SUCCEEDED", "{states:?}");
    assert!(payloads.is_empty(), "{payloads:?}");
    assert!(states.iter().any(|s| s == "CreateTask"), "{states:?}");
    assert_eq!(
        invoked(),
        before,
        "the copier was invoked for another file system"
    );
    assert_restored(
        &emulator.home_dir(&other_fs, &erin_old),
        &emulator.home_dir(&fs, &erin_new),
        (erin_new.parse().unwrap(), MODULE_GID),
        &[],
    );

    // Through the provider: its requests exclude checkpoints (RestoreOptions' default). bob stays
    // on the copier's file system: the copier leaves them out. carol goes into another file
    // system: DataSync's task leaves them out. Both end up the same.
    let (bob_old, bob_new) = recreated_with_files(&emulator, &aws, &domain_id, &fs, "bob").await;
    let before = invoked();
    tf.write(
        "restores.tf",
        &[
            restore_hcl("bob", (&domain_id, &fs, &bob_old), &domain_id),
            restore_hcl("carol", (&domain_id, &fs, &carol_old), &other_domain),
        ]
        .concat(),
    );
    tf.apply();
    let execution = tf.attribute("studio_profile_restore.bob", "execution_arn");
    let (states, payloads) = history(&aws, &execution).await;
    assert!(
        states.iter().any(|s| s == "CopySubtrees"),
        "bob: {states:?}"
    );
    assert!(
        !states.iter().any(|s| s.starts_with("CreateTask")),
        "bob: {states:?}"
    );
    assert_eq!(
        invoked() - before,
        payloads.len() as u64,
        "bob's copier invocations"
    );
    for payload in &payloads {
        assert_eq!(
            payload["excludes"],
            studio_core::workflow::DEFAULT_EXCLUDES,
            "{payload}"
        );
        assert_eq!(payload["gid"], MODULE_GID, "{payload}");
        assert_ne!(
            payload["subtree"], ".ipynb_checkpoints",
            "an excluded subtree was listed"
        );
    }
    let execution = tf.attribute("studio_profile_restore.carol", "execution_arn");
    let (states, payloads) = history(&aws, &execution).await;
    assert!(payloads.is_empty(), "carol: {payloads:?}");
    assert!(
        states.iter().any(|s| s == "CreateTaskWithExcludes"),
        "carol: {states:?}"
    );
    assert_restored(
        &emulator.home_dir(&fs, &bob_old),
        &emulator.home_dir(&fs, &bob_new),
        (bob_new.parse().unwrap(), MODULE_GID),
        &CHECKPOINTS,
    );
    assert_restored(
        &emulator.home_dir(&fs, &carol_old),
        &emulator.home_dir(&other_fs, &carol_new),
        (carol_new.parse().unwrap(), MODULE_GID),
        &CHECKPOINTS,
    );
    tf.assert_plan_empty();
    tf.destroy();
}

/// The event path with the copier: a profile recreated in the same domain is restored
/// automatically by the copier, with the event path's default excludes.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_event_path_restores_a_recreated_profile_with_the_copier() {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (domain_id, fs) = create_domain(&aws, &unique_name("ep-native"), AuthMode::Iam).await;
    let zip = tokio::task::spawn_blocking(|| lambda_zip("studio-copier", "studio-copier"))
        .await
        .unwrap();
    let copier = format!(
        r#"  copier = {{
    file_system_id = "{fs}"
    zip            = "{zip}"
  }}
  copier_runtime = "provided.al2""#,
        zip = zip.path.display()
    );
    let path = EventPath::deploy_with(
        emulator.clone(),
        domain_id.clone(),
        &EventPathOptions {
            restore_workflow: &copier,
            ..EventPathOptions::default()
        },
    )
    .await;
    let home = format!("{}/user/dora", path.domain_name().await);
    let old_uid = create_profile(&aws, &domain_id, "dora").await;
    path.row_when(&home, "dora's row", |row| {
        row["uid"] == serde_json::json!(old_uid.parse::<u64>().unwrap())
    })
    .await;
    let (old_uid, new_uid) = {
        // The files, then the recreation (recreated_with_files deletes and creates again).
        let old_home = emulator.home_dir(&fs, &old_uid);
        let uid: u32 = old_uid.parse().unwrap();
        for top in SUBTREES {
            let dir = old_home.join(top);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("file.txt"), format!("{top} of dora\n")).unwrap();
        }
        std::fs::write(old_home.join(".bashrc"), "export A=1\n").unwrap();
        for dir in [".ipynb_checkpoints", "project/.ipynb_checkpoints"] {
            std::fs::create_dir_all(old_home.join(dir)).unwrap();
            std::fs::write(old_home.join(dir).join("file-checkpoint.txt"), "old\n").unwrap();
        }
        for rel in tree(&old_home) {
            std::os::unix::fs::lchown(old_home.join(rel), Some(uid), Some(STUDIO_GID)).unwrap();
        }
        std::os::unix::fs::chown(&old_home, Some(uid), Some(STUDIO_GID)).unwrap();
        delete_profile(&aws, &domain_id, "dora").await;
        (
            old_uid.clone(),
            create_profile(&aws, &domain_id, "dora").await,
        )
    };
    let invoked_before = emulator.invocations()["functions"][format!("{}-copier", path.prefix)]
        .as_u64()
        .unwrap_or(0);
    path.row_when(&home, "the restore to start", |row| {
        row["restore_status"] == "RUNNING"
    })
    .await;
    // Automatic restores wait for Studio to be opened (an app InService).
    aws.sagemaker
        .create_app()
        .domain_id(&domain_id)
        .user_profile_name("dora")
        .app_type(aws_sdk_sagemaker::types::AppType::JupyterServer)
        .app_name("default")
        .send()
        .await
        .expect("creating dora's app");
    let done = path
        .row_when(&home, "the restore to finish", |row| {
            matches!(row["restore_status"].as_str(), Some("SUCCEEDED" | "FAILED"))
        })
        .await;
    assert_eq!(done["restore_status"], "SUCCEEDED", "{done:#}");
    assert_eq!(
        done["files_transferred"], 4,
        "the checkpoints are excluded: {done:#}"
    );
    assert!(
        done["duration_ms"].as_u64().is_some_and(|ms| ms > 0),
        "the copy's duration is recorded: {done:#}"
    );
    assert_restored(
        &emulator.home_dir(&fs, &old_uid),
        &emulator.home_dir(&fs, &new_uid),
        (new_uid.parse().unwrap(), STUDIO_GID),
        &[".ipynb_checkpoints", "project/.ipynb_checkpoints"],
    );
    let execution = done["restore_execution"].as_str().unwrap().to_owned();
    let (states, payloads) = history(&aws, &execution).await;
    assert!(states.iter().any(|s| s == "CopySubtrees"), "{states:?}");
    assert!(!states.iter().any(|s| s == "CreateTask"), "{states:?}");
    assert!(
        payloads.len() >= 5,
        "list, 3 subtrees, last pass: {payloads:?}"
    );
    let invoked = emulator.invocations()["functions"][format!("{}-copier", path.prefix)]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(invoked - invoked_before, payloads.len() as u64);
    path.tf.destroy();
}
