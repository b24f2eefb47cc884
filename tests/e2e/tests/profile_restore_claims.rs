//! Promises of `docs/resources/profile_restore.md` and the README that need no fault: timestamps
//! kept, what replaces the resource and what updates it in place, a missing history table, the
//! mapping-table source fallbacks, and `readiness = "app"`. The table in `tests/e2e/README.md`
//! maps each promise to its test. No test here touches the emulator's switches.

mod claims_support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::error::DisplayErrorContext;
use claims_support::*;
use studio_e2e::{Provider, Terraform, open_studio, write_file};

/// 2021-03-04 05:06:07 UTC, a time no test run writes by itself.
/// Writes `resource` (alice's restore): the plan updates it in place (its text naming each of
/// `named`), and the apply copies nothing (the execution is still `first`); the next plan is empty.
fn updates_in_place_without_a_copy(tf: &Terraform, resource: &str, named: &[&str], first: &str) {
    tf.write("main.tf", resource);
    let plan = tf.assert_plan_changes();
    let text = plan.text();
    assert!(
        text.contains(&format!("{ALICE} will be updated in-place"))
            && named.iter().all(|n| text.contains(n))
            && !text.contains("must be replaced"),
        "{text}"
    );
    tf.apply();
    assert_eq!(
        tf.attribute(ALICE, "execution_arn"),
        first,
        "no new copy for an in-place change ({named:?})"
    );
    tf.assert_plan_empty();
}

fn old_time(offset_secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_614_834_367 + offset_secs)
}

fn set_mtime(path: &std::path::Path, time: SystemTime) {
    std::fs::File::open(path)
        .and_then(|f| f.set_modified(time))
        .unwrap_or_else(|e| panic!("setting the mtime of {}: {e}", path.display()));
}

fn mtime(path: &std::path::Path) -> SystemTime {
    std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("reading the mtime of {}: {e}", path.display()))
}

/// README: "with modes, timestamps and symlinks intact"; the doc's front matter: "with their
/// modes, timestamps and symlinks preserved". Files and directories keep their mtimes.
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn timestamps_of_files_and_directories_are_kept() {
    let f = Fixture::new("claims-times").await;
    let old = f.emulator.home_dir(&f.fs, &f.old_uid);
    write_file(&old.join("projects/report/draft.md"), "# draft\n");
    std::fs::set_permissions(
        old.join("projects/report/draft.md"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    // Children first: writing into a directory changes its mtime.
    let stamped = [
        ("projects/report/draft.md", old_time(0)),
        ("notebooks/analysis.ipynb", old_time(60)),
        ("projects/report", old_time(120)),
        ("projects", old_time(180)),
        ("notebooks", old_time(240)),
    ];
    for (path, time) in &stamped {
        set_mtime(&old.join(path), *time);
    }

    let tf = f.terraform("");
    tf.apply();
    let new = f.new_home();
    for (path, time) in &stamped {
        assert_eq!(
            mtime(&new.join(path)),
            *time,
            "{path} keeps its mtime (the source has {:?})",
            mtime(&old.join(path))
        );
    }
    let mode = std::fs::metadata(new.join("projects/report/draft.md"))
        .unwrap()
        .mode();
    assert_eq!(mode & 0o777, 0o640, "the mode is kept");

    // Drift: "Files changed in either home directory after the restore are not drift".
    write_file(&old.join("later.txt"), "written after the restore\n");
    write_file(&new.join("notebooks/analysis.ipynb"), "{\"cells\": [1]}\n");
    std::fs::remove_file(new.join("data/train.csv")).unwrap();
    tf.assert_plan_empty();
}

/// Drift: "Changing `source`, `target`, `engine`, `state_machine_arn`, `network`, any of the
/// transfer options, `readiness` or `triggers` replaces the resource, i.e. runs the restore
/// again. Only `timeouts` changes in place."
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn changing_an_option_replaces_the_resource_and_timeouts_update_in_place() {
    let f = Fixture::new("claims-replace").await;
    let bob_uid = create_profile(&f.aws, &f.domain_id, "bob").await;
    let tf = f.terraform("");
    tf.apply();

    let alice = |source_uid: &str, target: &str, extra: &str| {
        format!(
            r#"
resource "studio_profile_restore" "alice" {{
  source = {{
    domain_id         = "{domain}"
    user_profile_name = "alice"
    uid               = {source_uid}
  }}
  target = {{
    domain_id         = "{domain}"
    user_profile_name = "{target}"
  }}
{extra}
}}
"#,
            domain = f.domain_id,
        )
    };
    let sm = "arn:aws:states:us-east-1:123456789012:stateMachine:claims-never-started";
    // (attribute that forces the replacement, the changed configuration)
    let cases = [
        // Bob's live home, and alice's files into bob's home: copies between people, which
        // only the opt-in allows.
        (
            "source",
            alice(&bob_uid, "alice", "allow_different_owner = true"),
        ),
        (
            "target",
            alice(&f.old_uid, "bob", "allow_different_owner = true"),
        ),
        // The engine alone changes in place (below); a workflow to start is a new copy.
        (
            "state_machine_arn",
            alice(
                &f.old_uid,
                "alice",
                &format!("engine = \"state_machine\"\nstate_machine_arn = \"{sm}\""),
            ),
        ),
        (
            "network",
            alice(
                &f.old_uid,
                "alice",
                "network {\n  subnet_arn = \"arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0e2e0001\"\n}",
            ),
        ),
        (
            "transfer_mode",
            alice(&f.old_uid, "alice", "transfer_mode = \"ALL\""),
        ),
        (
            "overwrite_mode",
            // the default is NEVER: a change is the other value
            alice(&f.old_uid, "alice", "overwrite_mode = \"ALWAYS\""),
        ),
        (
            "verify_mode",
            alice(&f.old_uid, "alice", "verify_mode = \"NONE\""),
        ),
        (
            "ownership",
            alice(&f.old_uid, "alice", "ownership = \"preserve\""),
        ),
        (
            "readiness",
            alice(&f.old_uid, "alice", "readiness = \"app\""),
        ),
        (
            "triggers",
            alice(&f.old_uid, "alice", "triggers = { requested = \"again\" }"),
        ),
    ];
    for (attribute, config) in &cases {
        tf.write("main.tf", config);
        let plan = tf.assert_plan_changes();
        let text = plan.text();
        assert!(
            text.contains(&format!("{ALICE} must be replaced")),
            "changing {attribute} replaces the resource:\n{text}"
        );
        let forcing: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("# forces replacement"))
            .collect();
        assert!(
            forcing.iter().any(|l| l
                .trim_start_matches([' ', '~', '+', '-'])
                .starts_with(attribute)),
            "the plan names {attribute} as what forces the replacement:\n{text}"
        );
    }
    // state_machine_arn on its own, with the state_machine engine already chosen: two state
    // machines whose single Pass state ends at once (the plan is the point, not the copy).
    let role = f
        .emulator
        .create_role(&studio_e2e::unique_name("claims-sfn"));
    let mut machines = Vec::new();
    for _ in 0..2 {
        let arn = f
            .aws
            .sfn
            .create_state_machine()
            .name(studio_e2e::unique_name("claims-pass"))
            .role_arn(&role)
            .definition(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
            .send()
            .await
            .expect("creating a state machine")
            .state_machine_arn
            .clone();
        machines.push(arn);
    }
    tf.write("main.tf", &cases[2].1.replace(sm, &machines[0]));
    tf.apply();
    tf.write("main.tf", &cases[2].1.replace(sm, &machines[1]));
    let plan = tf.assert_plan_changes();
    assert!(
        plan.text()
            .lines()
            .any(|l| l.contains("state_machine_arn") && l.contains("# forces replacement")),
        "{}",
        plan.text()
    );

    // Back to the first declaration.
    tf.write("main.tf", &f.resource(""));
    tf.apply();
    let first = tf.attribute(ALICE, "execution_arn");
    let started_at = tf.attribute(ALICE, "started_at");

    // timeouts: an in-place update that copies nothing.
    updates_in_place_without_a_copy(
        &tf,
        &f.resource("  timeouts {\n    create = \"2h\"\n  }"),
        &[],
        &first,
    );
    assert_eq!(tf.attribute(ALICE, "started_at"), started_at);

    // engine: it matters for the next copy only, so it too changes in place and copies nothing.
    updates_in_place_without_a_copy(
        &tf,
        &f.resource("  timeouts {\n    create = \"2h\"\n  }\n  engine = \"datasync\""),
        &["engine"],
        &first,
    );

    // A replacement runs the restore again: a new DataSync execution.
    tf.write(
        "main.tf",
        &f.resource(
            "  timeouts {\n    create = \"2h\"\n  }\n  triggers = { requested = \"again\" }",
        ),
    );
    tf.apply();
    assert_ne!(
        tf.attribute(ALICE, "execution_arn"),
        first,
        "a triggers change copies again"
    );
    assert_eq!(tf.attribute(ALICE, "status"), "SUCCESS");
}

/// How a restore runs, 4: "a missing history table is a warning, never a failed restore".
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_missing_history_table_is_only_a_warning() {
    let f = Fixture::new("claims-history").await;
    let missing = studio_e2e::unique_name("no-such-history");
    let tf = Terraform::new(&f.emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.write(
        "tables_override.tf",
        &tables_override(&f.tables.0, &missing),
    );
    tf.write("main.tf", &f.resource(""));
    tf.init();
    let out = tf.apply();
    let text = flat(&out.stdout, &out.stderr);
    assert!(f.restored(), "the restore ran");
    assert_eq!(tf.attribute(ALICE, "status"), "SUCCESS");
    assert!(
        text.contains("Warning:") && text.contains("not recorded in the history"),
        "the missing history table is reported as a warning:\n{out}"
    );
    assert!(
        text.contains(&missing),
        "the warning names the table:\n{out}"
    );
    assert!(!text.contains("Error:"), "{out}");
    tf.assert_plan_empty();
}

/// How a restore runs, 2: "otherwise (the profile, space or whole domain is gone) the last
/// directory the mapping table recorded for it". Source: a deleted profile (its domain still
/// there) and a profile of a deleted domain, neither with `file_system_id`/`uid` declared.
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_source_comes_from_the_mapping_table_when_sagemaker_forgot_it() {
    let f = Fixture::new("claims-mapping").await;
    let aws = &f.aws;

    // carol, deleted from alice's domain; only the mapping table remembers her directory.
    let carol_uid = create_profile(aws, &f.domain_id, "carol").await;
    write_file(
        &f.emulator
            .home_dir(&f.fs, &carol_uid)
            .join("carol/notes.txt"),
        "carol's notes\n",
    );
    delete_profile(aws, &f.domain_id, "carol").await;
    put_mapping_row(
        aws,
        &f.tables.0,
        &f.domain_name,
        &f.domain_id,
        "carol",
        &f.fs,
        &carol_uid,
        &[],
    )
    .await;

    // dave, of a domain deleted since (its file system retained, as by default).
    let old_domain = studio_e2e::unique_name("claims-gone");
    let (old_id, old_fs) =
        create_domain(aws, &old_domain, aws_sdk_sagemaker::types::AuthMode::Iam).await;
    let dave_uid = create_profile(aws, &old_id, "dave").await;
    write_file(
        &f.emulator.home_dir(&old_fs, &dave_uid).join("dave/plan.md"),
        "dave's plan\n",
    );
    delete_profile(aws, &old_id, "dave").await;
    aws.sagemaker
        .delete_domain()
        .domain_id(&old_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("deleting {old_id}: {}", DisplayErrorContext(e)));
    put_mapping_row(
        aws,
        &f.tables.0,
        &old_domain,
        &old_id,
        "dave",
        &old_fs,
        &dave_uid,
        &[],
    )
    .await;
    let erin_uid = create_profile(aws, &f.domain_id, "erin").await;

    let main = format!(
        r#"
resource "studio_profile_restore" "alice" {{
  source                = {{ domain_id = "{d}", user_profile_name = "carol" }}
  target                = {{ domain_id = "{d}", user_profile_name = "alice" }}
  allow_different_owner = true # carol's files for alice: declared, as a copy between people must be
}}

resource "studio_profile_restore" "erin" {{
  source                = {{ domain_id = "{old_id}", user_profile_name = "dave" }}
  target                = {{ domain_id = "{d}", user_profile_name = "erin" }}
  allow_different_owner = true
}}
"#,
        d = f.domain_id
    );
    let tf = f.terraform_with(&main);
    tf.apply();
    assert_eq!(
        std::fs::read_to_string(f.new_home().join("carol/notes.txt")).unwrap(),
        "carol's notes\n"
    );
    assert_eq!(tf.attribute(ALICE, "source_uid"), carol_uid);
    assert_eq!(tf.attribute(ALICE, "source_file_system_id"), f.fs);
    let erin = "studio_profile_restore.erin";
    assert_eq!(
        std::fs::read_to_string(f.emulator.home_dir(&f.fs, &erin_uid).join("dave/plan.md"))
            .unwrap(),
        "dave's plan\n"
    );
    assert_eq!(tf.attribute(erin, "source_uid"), dave_uid);
    assert_eq!(tf.attribute(erin, "source_file_system_id"), old_fs);
    tf.assert_plan_empty();
}

/// How a restore runs, 2: "When the source is the target itself, recreated in place,
/// SageMaker's answer is the new, empty directory: the directory it had before its recreation,
/// from the mapping table, is the source." And the example's promise for bob: "Files he already
/// created in the new home are kept" with `overwrite_mode = "NEVER"`.
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_profile_recreated_in_place_is_restored_from_its_previous_directory() {
    let f = Fixture::new("claims-inplace").await;
    // The event processor's row after alice's recreation: now the new uid, before the old one.
    put_mapping_row(
        &f.aws,
        &f.tables.0,
        &f.domain_name,
        &f.domain_id,
        "alice",
        &f.fs,
        &f.new_uid,
        &[
            ("previous_file_system_id", AttributeValue::S(f.fs.clone())),
            ("previous_uid", AttributeValue::N(f.old_uid.clone())),
            ("previous_domain_id", AttributeValue::S(f.domain_id.clone())),
        ],
    )
    .await;
    // alice opened Studio again and already wrote a file of the same name in her new home.
    open_studio(
        &f.aws.sagemaker,
        studio_e2e::Studio::user_profile(&f.domain_id, "alice"),
    )
    .await;
    write_file(&f.new_home().join("data/train.csv"), "mine\n");
    studio_e2e::hand_to_owner(&f.new_home());
    let main = format!(
        r#"
resource "studio_profile_restore" "alice" {{
  source = {{ domain_id = "{d}", user_profile_name = "alice" }}
  target = {{ domain_id = "{d}", user_profile_name = "alice" }}
  overwrite_mode = "NEVER"
}}
"#,
        d = f.domain_id
    );
    let tf = f.terraform_with(&main);
    tf.apply();
    assert!(f.restored(), "the previous directory was copied");
    assert_eq!(tf.attribute(ALICE, "source_uid"), f.old_uid);
    assert_eq!(tf.attribute(ALICE, "target_uid"), f.new_uid);
    assert_eq!(
        std::fs::read_to_string(f.new_home().join("data/train.csv")).unwrap(),
        "mine\n",
        "overwrite_mode = NEVER keeps what she wrote"
    );
}

/// How a restore runs, 1: "with `readiness = "app"`, also for one of its apps to be
/// `InService`". alice's only app was deleted (`Deleted` is not InService): the apply waits, and
/// proceeds once an app is created. (That it never proceeds without one is
/// `profile_restore_faults.rs::a_target_that_never_becomes_ready_times_out_cleanly`.)
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn readiness_app_waits_for_an_app_in_service() {
    let f = Fixture::new("claims-app").await;
    create_app(&f.aws, &f.domain_id, "alice").await;
    f.aws
        .sagemaker
        .delete_app()
        .domain_id(&f.domain_id)
        .user_profile_name("alice")
        .app_type(aws_sdk_sagemaker::types::AppType::JupyterServer)
        .app_name("default")
        .send()
        .await
        .unwrap_or_else(|e| panic!("deleting alice's app: {}", DisplayErrorContext(e)));
    let tf = f.terraform("  readiness = \"app\"\n  timeouts {\n    create = \"3m\"\n  }");
    let mut apply = BackgroundApply::start(&tf, &f.emulator);
    apply
        .wait_for_output(&format!("{ALICE}: Creating..."), Duration::from_secs(120))
        .await;
    assert!(
        f.locations_on_fs().await.is_empty() && !f.restored(),
        "nothing starts while alice has no app in service"
    );
    f.aws
        .sagemaker
        .create_app()
        .domain_id(&f.domain_id)
        .user_profile_name("alice")
        .app_type(aws_sdk_sagemaker::types::AppType::JupyterServer)
        .app_name("second")
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating alice's app: {}", DisplayErrorContext(e)));
    let app_created = f
        .aws
        .sagemaker
        .describe_app()
        .domain_id(&f.domain_id)
        .user_profile_name("alice")
        .app_type(aws_sdk_sagemaker::types::AppType::JupyterServer)
        .app_name("second")
        .send()
        .await
        .expect("describing the app")
        .creation_time
        .expect("a creation time");
    let (ok, out, err) = apply.finish(Duration::from_secs(240)).await;
    assert!(
        ok,
        "the apply succeeds once an app is in service:\n{out}\n{err}"
    );
    assert!(f.restored());
    let started = tf.attribute(ALICE, "started_at");
    let started = aws_smithy_types_parse(&started);
    assert!(
        started >= app_created.secs(),
        "the copy started ({started}) after the app was in service ({})",
        app_created.secs()
    );
}

/// Seconds since the epoch of an RFC 3339 time as the provider writes it.
fn aws_smithy_types_parse(text: &str) -> i64 {
    aws_sdk_sagemaker::primitives::DateTime::from_str(
        text,
        aws_sdk_sagemaker::primitives::DateTimeFormat::DateTime,
    )
    .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
    .secs()
}

/// Drift: "**The target is gone:** refresh removes the resource from the state and the next plan
/// shows it for creation; that apply fails until the target exists again." Failures: "a target
/// that does not exist yet is a warning [at plan]"; before the copy, "apply fails with one
/// diagnostic ... on the attribute concerned ... Nothing was created and nothing is saved".
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_gone_target_plans_a_create_whose_apply_fails_until_it_exists_again() {
    let f = Fixture::new("claims-gone").await;
    let tf = f.terraform("");
    tf.apply();
    delete_profile(&f.aws, &f.domain_id, "alice").await;
    let plan = tf.assert_plan_changes();
    let text = flat(plan.text(), &plan.output.stderr);
    assert!(text.contains(&format!("{ALICE} will be created")), "{text}");
    assert!(
        text.contains("Warning: Target not found yet")
            && text.contains("with studio_profile_restore.alice"),
        "the plan warns that the target does not exist:\n{text}"
    );
    let out = tf.apply_fails();
    let text = flat(&out.stdout, &out.stderr);
    assert_eq!(text.matches("Error:").count(), 1, "one diagnostic:\n{out}");
    assert!(
        text.contains("does not exist: create it first") && text.contains("on main.tf"),
        "the diagnostic says the target must exist first:\n{out}"
    );
    assert!(tf.state_list().is_empty(), "nothing is saved");
    assert!(f.locations_on_fs().await.is_empty() && f.access_points().await.is_empty());

    // alice is back (a new uid): the same configuration restores into her new home.
    let newest = create_profile(&f.aws, &f.domain_id, "alice").await;
    tf.apply();
    assert!(
        f.emulator
            .home_dir(&f.fs, &newest)
            .join("notebooks/analysis.ipynb")
            .is_file()
    );
    assert_eq!(tf.attribute(ALICE, "target_uid"), newest);
}

/// Safety rules: "uid 0 ... [is] refused before anything is created", at plan, on the attribute.
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn source_uid_zero_is_refused_at_plan_on_the_attribute() {
    let f = Fixture::new("claims-uid0").await;
    let tf = f.terraform_with(&f.resource("").replace(
        &format!("uid               = {}", f.old_uid),
        "uid               = 0",
    ));
    let out = tf.plan_fails();
    let text = flat(&out.stdout, &out.stderr);
    assert_eq!(text.matches("Error:").count(), 1, "one diagnostic:\n{out}");
    assert!(
        text.contains("source.uid"),
        "the diagnostic names source.uid:\n{out}"
    );
    assert!(f.locations_on_fs().await.is_empty() && f.access_points().await.is_empty());
}

/// Safety rules: "When the domain uses IAM Identity Center and both the source and the target
/// record an SSO user, they must be the same person; otherwise the restore is refused."
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_restore_between_two_identity_center_users_is_refused() {
    use aws_sdk_sagemaker::types::AuthMode;
    let emulator = studio_e2e::Emulator::from_env();
    let aws = emulator.clients().await;
    let name = studio_e2e::unique_name("claims-sso");
    let domain_id = aws
        .sagemaker
        .create_domain()
        .domain_name(&name)
        .auth_mode(AuthMode::Sso)
        .default_user_settings(
            aws_sdk_sagemaker::types::UserSettings::builder()
                .execution_role(format!(
                    "arn:aws:iam::{}:role/studio-execution",
                    studio_e2e::ACCOUNT_ID
                ))
                .security_groups("sg-0e2e0000")
                .build(),
        )
        .subnet_ids("subnet-0e2e0000")
        .vpc_id("vpc-0e2e0000")
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating {name}: {}", DisplayErrorContext(e)))
        .domain_id
        .unwrap();
    let fs = aws
        .sagemaker
        .describe_domain()
        .domain_id(&domain_id)
        .send()
        .await
        .unwrap()
        .home_efs_file_system_id
        .unwrap();
    let mut uids = Vec::new();
    for (profile, person) in [
        ("carol", "carol@example.com"),
        ("alice", "alice@example.com"),
    ] {
        aws.sagemaker
            .create_user_profile()
            .domain_id(&domain_id)
            .user_profile_name(profile)
            .single_sign_on_user_identifier("UserName")
            .single_sign_on_user_value(person)
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating {profile}: {}", DisplayErrorContext(e)));
        uids.push(
            aws.sagemaker
                .describe_user_profile()
                .domain_id(&domain_id)
                .user_profile_name(profile)
                .send()
                .await
                .unwrap()
                .home_efs_file_system_uid
                .unwrap(),
        );
    }
    write_file(
        &emulator.home_dir(&fs, &uids[0]).join("private.txt"),
        "carol's\n",
    );
    let tables = (
        studio_e2e::unique_name("users"),
        studio_e2e::unique_name("history"),
    );
    create_table(&aws, &tables.0, None).await;
    create_table(&aws, &tables.1, Some("at")).await;
    // carol left: her profile is deleted, and her old directory is known from the mapping
    // table, with the person it belongs to, as the event path recorded it. (Her live home would
    // be refused for another reason: it is someone's working directory.)
    studio_e2e::wait_in_service(
        &aws.sagemaker,
        studio_e2e::Studio::user_profile(&domain_id, "carol"),
    )
    .await;
    delete_profile(&aws, &domain_id, "carol").await;
    put_mapping_row(
        &aws,
        &tables.0,
        &name,
        &domain_id,
        "carol",
        &fs,
        &uids[0],
        &[
            ("owner", AttributeValue::S("sso:carol@example.com".into())),
            ("sso_user", AttributeValue::S("carol@example.com".into())),
        ],
    )
    .await;
    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.write("tables_override.tf", &tables_override(&tables.0, &tables.1));
    tf.write(
        "main.tf",
        &format!(
            r#"
resource "studio_profile_restore" "alice" {{
  source = {{ domain_id = "{domain_id}", user_profile_name = "carol" }}
  target = {{ domain_id = "{domain_id}", user_profile_name = "alice" }}
}}
"#
        ),
    );
    tf.init();
    let out = tf.apply_fails();
    let text = flat(&out.stdout, &out.stderr);
    assert_eq!(text.matches("Error:").count(), 1, "one diagnostic:\n{out}");
    assert!(
        text.contains("carol@example.com")
            && text.contains("alice@example.com")
            && text.contains("same person"),
        "the diagnostic names both people:\n{out}"
    );
    assert!(
        tf.show_json()["values"]["root_module"]["resources"]
            .as_array()
            .is_none_or(|r| r.is_empty()),
        "nothing is saved"
    );
    assert!(
        !emulator
            .home_dir(&fs, &uids[1])
            .join("private.txt")
            .exists(),
        "nothing was copied"
    );
    let aps = aws
        .efs
        .describe_access_points()
        .file_system_id(&fs)
        .send()
        .await
        .unwrap();
    assert!(
        aps.access_points().is_empty(),
        "nothing was created: {aps:?}"
    );
}

/// Drift: "the next plan shows the resource for replacement, with the new `target_uid` (or
/// `target_file_system_id`) as the attribute that forces it". A domain's home file system does
/// not change on AWS; the state is made to remember another one, as a state recorded against
/// another file system would.
#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn a_target_on_another_file_system_than_recorded_is_replaced() {
    let f = Fixture::new("claims-fsdrift").await;
    let tf = f.terraform("");
    tf.apply();
    let pulled = tf.run(&["state", "pull"]);
    let mut state: serde_json::Value =
        serde_json::from_str(&pulled.stdout).expect("the state is JSON");
    state["serial"] = serde_json::json!(state["serial"].as_u64().unwrap() + 1);
    for resource in state["resources"].as_array_mut().unwrap() {
        if resource["type"] == "studio_profile_restore" {
            resource["instances"][0]["attributes"]["target_file_system_id"] =
                serde_json::json!("fs-0000000a");
        }
    }
    tf.write("edited.tfstate", &state.to_string());
    tf.run(&["state", "push", "edited.tfstate"]);
    let plan = tf.assert_plan_changes();
    let text = plan.text();
    assert!(
        text.contains(&format!("{ALICE} must be replaced")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("target_file_system_id") && l.contains("# forces replacement")),
        "target_file_system_id forces it:\n{text}"
    );
}
