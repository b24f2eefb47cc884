//! The native engine (issue 13): the copier Lambda, deployed by `modules/restore-workflow` with
//! `copier`, mounts the domain's file system through its access point (the emulator binds the
//! emulated file system at its LocalMountPath and runs it as the access point's POSIX user) and
//! restores a recreated profile's home within that file system. `engine = "auto"` picks it when
//! both homes are on the copier's file system and DataSync otherwise; the plan shows the choice.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use aws_sdk_sagemaker::types::AuthMode;
use studio_e2e::{
    Clients, Emulator, Provider, Terraform, create_domain, create_profile, create_table,
    delete_profile, lambda_zip, restore_workflow_hcl_with, tree, unique_name,
};

/// The group Studio gives home directories, as the product's `STUDIO_GID`.
const STUDIO_GID: u32 = 1001;

/// Creates `name` in `domain_id` with a home tree owned by its uid, then recreates it: returns
/// (old uid, new uid). The tree: nested directories, a private file, an executable, a symlink in
/// the tree and one out of it, a hard link, an empty file, and enough files that a copier whose
/// every invocation is out of time needs several invocations.
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
    for d in 0..4 {
        let dir = home.join(format!("project{d}/notebooks"));
        std::fs::create_dir_all(&dir).unwrap();
        own(dir.parent().unwrap(), 0o755);
        own(&dir, 0o750);
        for f in 0..6 {
            let file = dir.join(format!("nb{f}.ipynb"));
            std::fs::write(
                &file,
                format!("{{\"cells\": [{d}, {f}]}}\n").repeat(50 * (f + 1)),
            )
            .unwrap();
            own(&file, 0o644);
        }
    }
    let secret = home.join(".aws-credentials");
    std::fs::write(&secret, "[default]\naws_access_key_id = AKIA...\n").unwrap();
    own(&secret, 0o600);
    let script = home.join("run.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    own(&script, 0o755);
    let empty = home.join("empty");
    std::fs::write(&empty, "").unwrap();
    own(&empty, 0o644);
    std::fs::hard_link(&script, home.join("run-again.sh")).unwrap();
    std::os::unix::fs::symlink("project0/notebooks/nb0.ipynb", home.join("latest.ipynb")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", home.join("passwd")).unwrap();
    for link in ["latest.ipynb", "passwd"] {
        std::os::unix::fs::lchown(home.join(link), Some(uid), Some(STUDIO_GID)).unwrap();
    }
    delete_profile(aws, domain_id, name).await;
    let new_uid = create_profile(aws, domain_id, name).await;
    assert_ne!(old_uid, new_uid, "a recreated profile gets a new uid");
    (old_uid, new_uid)
}

/// Panics unless `new` holds exactly `old`'s tree, byte for byte, with its modes and links,
/// every entry owned by `uid` and Studio's group.
fn assert_restored(old: &Path, new: &Path, uid: u32) {
    assert_eq!(tree(new), tree(old), "the restored tree differs");
    for rel in tree(old) {
        let (a, b) = (old.join(&rel), new.join(&rel));
        let (ma, mb) = (
            std::fs::symlink_metadata(&a).unwrap(),
            std::fs::symlink_metadata(&b).unwrap(),
        );
        assert_eq!(
            (mb.uid(), mb.gid()),
            (uid, STUDIO_GID),
            "{rel} is not owned by the new uid"
        );
        if ma.file_type().is_symlink() {
            assert!(mb.file_type().is_symlink(), "{rel} is no longer a symlink");
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
    assert_eq!(
        std::fs::metadata(new.join("run.sh")).unwrap().ino(),
        std::fs::metadata(new.join("run-again.sh")).unwrap().ino(),
        "the hard link is no longer one"
    );
}

/// `studio_profile_restore.<name>` from `/<old_uid>` on `fs` (`name`'s old home in `domain`)
/// into `name` of `target_domain`.
fn restore_hcl(
    name: &str,
    (domain, fs, old_uid): (&str, &str, &str),
    target_domain: &str,
    extra: &str,
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
{extra}
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn recreated_profiles_are_restored_by_the_copier_and_auto_picks_datasync_across_file_systems()
{
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let name = unique_name("native");
    let (domain_id, fs) = create_domain(&aws, &name, AuthMode::Iam).await;
    let (other_domain, other_fs) = create_domain(&aws, &format!("{name}-2"), AuthMode::Iam).await;
    let table = format!("{name}-map");
    create_table(&aws, &table, None).await;
    let zip = tokio::task::spawn_blocking(|| lambda_zip("studio-copier", "studio-copier"))
        .await
        .unwrap();

    // alice: auto; bob: native outright; carol: auto into another domain's file system.
    let (alice_old, alice_new) =
        recreated_with_files(&emulator, &aws, &domain_id, &fs, "alice").await;
    let (bob_old, bob_new) = recreated_with_files(&emulator, &aws, &domain_id, &fs, "bob").await;
    let (carol_old, _) = recreated_with_files(&emulator, &aws, &domain_id, &fs, "carol").await;
    let carol_new = create_profile(&aws, &other_domain, "carol").await;
    // dave: auto from another domain's file system into the copier's (which it cannot read).
    let (dave_old, _) =
        recreated_with_files(&emulator, &aws, &other_domain, &other_fs, "dave").await;
    let dave_new = create_profile(&aws, &domain_id, "dave").await;

    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Aws, Provider::Studio]);
    // Every invocation is out of time from its start (a reserve as long as the timeout), so each
    // copies only what the engine's progress guarantee lets it: the copy takes several.
    let workflow = restore_workflow_hcl_with(
        &name,
        &table,
        &format!(
            r#"  copier = {{
    file_system_id = "{fs}"
    zip            = "{zip}"
  }}
  copier_runtime         = "provided.al2"
  copier_timeout_seconds = 3
  copier_reserve_seconds = 3"#,
            zip = zip.path.display()
        ),
    );
    tf.write("main.tf", &workflow);
    tf.init();
    tf.apply();
    let function = format!("{name}-copier");
    let copier = "copier_function = module.restore_workflow.copier_function_name";
    tf.write(
        "restores.tf",
        &[
            restore_hcl(
                "alice",
                (&domain_id, &fs, &alice_old),
                &domain_id,
                &format!("  engine = \"auto\"\n  {copier}"),
            ),
            restore_hcl(
                "bob",
                (&domain_id, &fs, &bob_old),
                &domain_id,
                &format!("  engine = \"native\"\n  {copier}"),
            ),
            // No engine: auto, the default.
            restore_hcl(
                "carol",
                (&domain_id, &fs, &carol_old),
                &other_domain,
                &format!("  {copier}"),
            ),
            restore_hcl(
                "dave",
                (&other_domain, &other_fs, &dave_old),
                &domain_id,
                &format!("  engine = \"auto\"\n  {copier}"),
            ),
        ]
        .concat(),
    );

    // The plan says which engine copies each one.
    let plan = tf.plan();
    let text = plan.text();
    for (restore, engine) in [
        ("alice", "native"),
        ("bob", "native"),
        ("carol", "datasync"),
        ("dave", "datasync"),
    ] {
        let block = text
            .split("# studio_profile_restore.")
            .find(|b| b.starts_with(&format!("{restore} will be created")))
            .unwrap_or_else(|| panic!("no plan for {restore}:\n{text}"));
        let line = block
            .lines()
            .find(|l| l.contains("+ selected_engine"))
            .unwrap_or_else(|| panic!("no selected_engine in the plan of {restore}:\n{block}"));
        assert!(
            line.trim_end().ends_with(&format!("= \"{engine}\"")),
            "{restore} should be planned with {engine}: {line}\n{block}"
        );
    }

    let before = emulator.invocations()["functions"][&function]
        .as_u64()
        .unwrap_or(0);
    tf.apply();
    let invoked = emulator.invocations()["functions"][&function]
        .as_u64()
        .unwrap_or(0)
        - before;
    assert!(
        invoked >= 4,
        "two restores, each continued over several out-of-time invocations, took {invoked} invocations"
    );
    for (old, new) in [(&alice_old, &alice_new), (&bob_old, &bob_new)] {
        assert_restored(
            &emulator.home_dir(&fs, old),
            &emulator.home_dir(&fs, new),
            new.parse().unwrap(),
        );
    }
    assert_restored(
        &emulator.home_dir(&fs, &carol_old),
        &emulator.home_dir(&other_fs, &carol_new),
        carol_new.parse().unwrap(),
    );
    assert_restored(
        &emulator.home_dir(&other_fs, &dave_old),
        &emulator.home_dir(&fs, &dave_new),
        dave_new.parse().unwrap(),
    );
    let state = tf.show_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap();
    let restores = resources
        .iter()
        .filter(|r| r["type"] == "studio_profile_restore")
        .collect::<Vec<_>>();
    assert_eq!(restores.len(), 4);
    for r in restores {
        let values = &r["values"];
        let expected = if r["name"] == "carol" || r["name"] == "dave" {
            "datasync"
        } else {
            "native"
        };
        assert_eq!(values["selected_engine"], expected, "{r}");
        assert_eq!(values["status"], "SUCCESS", "{r}");
        if expected == "native" {
            assert!(
                values["execution_arn"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!(":function:{function}")),
                "{r}"
            );
            // 24 notebooks, the credentials, the script and the empty file; links are not files.
            assert_eq!(values["files_transferred"], 27, "{r}");
        }
    }
    // Nothing the copier could reach outside the two homes changed: the link out of the tree
    // was copied as a link, never followed.
    assert_eq!(
        std::fs::read_link(emulator.home_dir(&fs, &alice_new).join("passwd")).unwrap(),
        Path::new("/etc/passwd")
    );
    tf.assert_plan_empty();
    tf.destroy();
}
