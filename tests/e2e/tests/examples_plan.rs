//! Issue 12: every registry-doc example (`examples/resources/*`, `examples/data-sources/*`,
//! `examples/functions/*`, `examples/provider`) planned against the emulator, as a user would
//! plan it: copied into a working directory of its own, with a provider block pointing at the
//! emulator and the placeholder ids the docs use (`d-0123456789ab`, `d-new0domain1`, ...) filled
//! in with real ones. The objects the snippets name by name (the domain `data-science`, the
//! profiles `alice` and `bob`, the space `team`) are created once per test process. The other
//! examples (`complete`, `local`, `existing-domain`, `manual-restore`) are planned by
//! `complete_example.rs`, `demo.rs` and `module_inputs.rs`; `list-resources` (query files) are
//! run with `terraform query` by `list_resources.rs`, and `actions/studio_restore` by
//! `restore_action.rs`.
//!
//! `data-science` (and `data-science-2`) are the only names here that are not unique: the
//! snippets look the domain up by name, which fails when two domains have it (the emulator
//! refuses a second while the first exists anyway). No other test uses them (they name domains
//! with `unique_name`); a `data-science` domain already in the emulator is reused, with the
//! profiles and spaces it already has.
//!
//! Terraform 1.15 plans everything; Terraform 1.0.3 plans what has no newer syntax (every
//! `resource.tf` and `data-source.tf`, and the provider example), not the provider functions
//! (1.8) and the `import` blocks with `identity` (1.12).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::error::DisplayErrorContext;
use aws_sdk_sagemaker::types::AuthMode;
use serde_json::Value;
use studio_e2e::{
    Clients, Emulator, Provider, Studio, Terraform, TerraformVersion, create_domain,
    create_profile, create_tables, delete_and_wait, delete_profile, open_studio, put_mapping_row,
    repo_root, unique_name, wait_in_service,
};

/// What the snippets name, in the emulator.
struct World {
    /// The provider's tables (set in the test's provider block).
    user_table: String,
    history_table: String,
    /// `data-science`: profiles `alice`, `bob`, `carol`, space `team`.
    data_science_id: String,
    data_science_fs: String,
    alice_uid: String,
    team_uid: String,
    /// `d-old0domain1` of the profile_restore example, deleted with its home file system kept
    /// (alice's old home there), and `d-new0domain1`, the domain recreated under the same name
    /// (alice, bob, carol, erin and the space `team`).
    old_id: String,
    old_fs: String,
    old_alice_uid: String,
    new_id: String,
    /// The name of both (unique).
    studio_name: String,
}

impl World {
    /// The placeholders of the docs, as a user fills them in, and what they become here.
    fn placeholders(&self) -> Vec<(&'static str, String)> {
        vec![
            ("d-0123456789ab", self.data_science_id.clone()),
            ("d-old0domain1", self.old_id.clone()),
            ("d-new0domain1", self.new_id.clone()),
            ("fs-0123456789abcdef0", self.old_fs.clone()),
            ("200005", self.old_alice_uid.clone()),
        ]
    }
}

/// Created once per test process, on a thread of its own (each test has its own runtime).
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        std::thread::spawn(|| {
            tokio::runtime::Runtime::new()
                .expect("a runtime")
                .block_on(build_world())
        })
        .join()
        .expect("creating the examples' domains, profiles and tables")
    })
}

async fn build_world() -> World {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let (user_table, history_table) = create_tables(&aws).await;

    let (data_science_id, data_science_fs) = domain_named(&aws, "data-science").await;
    let mut uids = BTreeMap::new();
    for name in ["alice", "bob", "carol"] {
        uids.insert(name, profile(&aws, &data_science_id, name).await);
    }
    let team_uid = space(&aws, &data_science_id, "team").await;
    let (data_science_2_id, _) = domain_named(&aws, "data-science-2").await;
    space(&aws, &data_science_2_id, "team").await;

    // The mapping table as the event processor leaves it: alice and bob tracked, dana's profile
    // deleted (her home detached), the space team.
    for name in ["alice", "bob"] {
        put_mapping_row(
            &aws,
            &user_table,
            "data-science",
            &data_science_id,
            name,
            &data_science_fs,
            &uids[name],
            &[],
        )
        .await;
    }
    put_mapping_row(
        &aws,
        &user_table,
        "data-science",
        &data_science_id,
        "dana",
        &data_science_fs,
        "200020",
        &[],
    )
    .await;
    put_space_row(
        &aws,
        &user_table,
        &data_science_id,
        &data_science_fs,
        &team_uid,
    )
    .await;
    put_history(
        &aws,
        &history_table,
        "data-science/user/alice",
        &data_science_id,
    )
    .await;

    // The domain of the profile_restore example, deleted (its home file system retained) and
    // recreated under its name: alice's old home opened, her profile and the domain deleted; the
    // new domain has alice, bob, carol, erin and the shared space team. The mapping table
    // remembers the old directories, as the event path recorded them.
    let studio_name = unique_name("ex-studio");
    let (old_id, old_fs) = create_domain(&aws, &studio_name, AuthMode::Iam).await;
    let old_alice_uid = create_profile(&aws, &old_id, "alice").await;
    open_studio(&aws.sagemaker, Studio::user_profile(&old_id, "alice")).await;
    delete_profile(&aws, &old_id, "alice").await;
    delete_and_wait(&aws.sagemaker, Studio::domain(&old_id)).await;
    let (new_id, _) = create_domain(&aws, &studio_name, AuthMode::Iam).await;
    for name in ["alice", "bob", "carol", "erin"] {
        create_profile(&aws, &new_id, name).await;
    }
    space(&aws, &new_id, "team").await;
    let old = OldDomain {
        name: studio_name.clone(),
        id: old_id.clone(),
        fs: old_fs.clone(),
        alice_uid: old_alice_uid.clone(),
    };
    put_old_rows(&aws, &user_table, &old).await;

    World {
        user_table,
        history_table,
        data_science_id,
        data_science_fs,
        alice_uid: uids["alice"].clone(),
        team_uid,
        old_id,
        old_fs,
        old_alice_uid,
        new_id,
        studio_name,
    }
}

/// The domain of this name, created on the test network unless one exists.
async fn domain_named(aws: &Clients, name: &str) -> (String, String) {
    let domains = aws
        .sagemaker
        .list_domains()
        .max_results(100)
        .send()
        .await
        .unwrap_or_else(|e| panic!("listing domains: {}", DisplayErrorContext(e)));
    let existing: Vec<_> = domains
        .domains()
        .iter()
        .filter(|d| d.domain_name() == Some(name))
        .filter_map(|d| d.domain_id().map(str::to_owned))
        .collect();
    match existing.as_slice() {
        [] => create_domain(aws, name, AuthMode::Iam).await,
        [id] => {
            wait_in_service(&aws.sagemaker, Studio::domain(id)).await;
            let fs = aws
                .sagemaker
                .describe_domain()
                .domain_id(id)
                .send()
                .await
                .unwrap_or_else(|e| panic!("describing {id}: {}", DisplayErrorContext(e)))
                .home_efs_file_system_id
                .expect("a home file system");
            (id.clone(), fs)
        }
        _ => panic!(
            "{} domains are named {name}: the examples look it up by name, which needs one \
             (another test must use unique_name)",
            existing.len()
        ),
    }
}

/// The profile's uid, the profile created unless it exists.
async fn profile(aws: &Clients, domain_id: &str, name: &str) -> String {
    let described = aws
        .sagemaker
        .describe_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await;
    match described.ok().and_then(|d| d.home_efs_file_system_uid) {
        Some(uid) => uid,
        None => create_profile(aws, domain_id, name).await,
    }
}

/// The space's uid, the space created unless it exists.
async fn space(aws: &Clients, domain_id: &str, name: &str) -> String {
    let exists = aws
        .sagemaker
        .describe_space()
        .domain_id(domain_id)
        .space_name(name)
        .send()
        .await
        .is_ok();
    if !exists {
        aws.sagemaker
            .create_space()
            .domain_id(domain_id)
            .space_name(name)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "creating space {name} in {domain_id}: {}",
                    DisplayErrorContext(e)
                )
            });
    }
    wait_in_service(&aws.sagemaker, Studio::space(domain_id, name)).await;
    aws.sagemaker
        .describe_space()
        .domain_id(domain_id)
        .space_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing space {name}: {}", DisplayErrorContext(e)))
        .home_efs_file_system_uid
        .expect("a uid")
}

/// The space `team` of `data-science`, as the event processor writes its mapping row.
async fn put_space_row(aws: &Clients, table: &str, domain_id: &str, fs: &str, uid: &str) {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    aws.dynamodb
        .put_item()
        .table_name(table)
        .item("home", s("data-science/space/team"))
        .item("kind", s("space"))
        .item("name", s("team"))
        .item("domain_name", s("data-science"))
        .item("domain_id", s(domain_id))
        .item("domain_ids", AttributeValue::Ss(vec![domain_id.to_owned()]))
        .item("file_system_id", s(fs))
        .item("uid", AttributeValue::N(uid.to_owned()))
        .item("replication", AttributeValue::Bool(true))
        .item("version", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("writing the space's row");
}

/// The deleted domain of the profile_restore example.
struct OldDomain {
    name: String,
    id: String,
    fs: String,
    alice_uid: String,
}

/// The old directories of alice, carol and the shared space team, as the event path recorded
/// them in the deleted domain, with their owners: with the domain gone, only a recorded owner
/// tells whose the files are.
async fn put_old_rows(aws: &Clients, table: &str, old: &OldDomain) {
    for (name, uid) in [("alice", old.alice_uid.as_str()), ("carol", "200015")] {
        put_mapping_row(aws, table, &old.name, &old.id, name, &old.fs, uid, &[]).await;
    }
    let s = |v: &str| AttributeValue::S(v.to_owned());
    aws.dynamodb
        .put_item()
        .table_name(table)
        .item("home", s(&format!("{}/space/team", old.name)))
        .item("kind", s("space"))
        .item("name", s("team"))
        .item("domain_name", s(&old.name))
        .item("domain_id", s(&old.id))
        .item("domain_ids", AttributeValue::Ss(vec![old.id.clone()]))
        .item("file_system_id", s(&old.fs))
        .item("uid", AttributeValue::N("200010".into()))
        .item("owner", s(&format!("space:shared:{}", old.name)))
        .item("replication", AttributeValue::Bool(true))
        .item("version", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("writing the old space's row");
}

/// One succeeded restore in the history of `home`.
async fn put_history(aws: &Clients, table: &str, home: &str, domain_id: &str) {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    aws.dynamodb
        .put_item()
        .table_name(table)
        .item("home", s(home))
        .item("at", AttributeValue::N("1764300000000".into()))
        .item("event", s("restore_succeeded"))
        .item("domain_id", s(domain_id))
        .item("status", s("SUCCEEDED"))
        .send()
        .await
        .expect("writing a history row");
}

/// Every directory holding an example of this kind (`resources`, `data-sources`, ...).
fn example_dirs(kind: &str) -> Vec<String> {
    let dir = repo_root().join("examples").join(kind);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .into_string()
                .unwrap()
        })
        .collect();
    names.sort();
    names
}

/// The `.tf` files of an example directory, by name.
fn example_files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .map(|p| {
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect()
}

/// Syntax Terraform 1.0.3 does not know: provider functions (1.8) and import blocks (1.5;
/// with `identity`, 1.12).
fn needs_new_terraform(text: &str) -> bool {
    text.contains("provider::") || text.lines().any(|l| l.starts_with("import {"))
}

/// A working directory holding `files` of `examples/<example>` with the placeholders filled in,
/// the studio provider pointed at the emulator and the world's tables, initialised.
fn working_dir(
    version: TerraformVersion,
    example: &str,
    files: &BTreeMap<String, String>,
    providers: &[Provider],
) -> Terraform {
    let world = world();
    working_dir_on(
        version,
        example,
        files,
        providers,
        (&world.user_table, &world.history_table),
    )
}

/// [`working_dir`] on other tables.
fn working_dir_on(
    version: TerraformVersion,
    example: &str,
    files: &BTreeMap<String, String>,
    providers: &[Provider],
    tables: (&str, &str),
) -> Terraform {
    let world = world();
    let emulator = Emulator::from_env();
    let tf = Terraform::with_version(&emulator, version);
    for (name, text) in files {
        let mut text = text.clone();
        for (placeholder, value) in world.placeholders() {
            text = text.replace(placeholder, &value);
        }
        tf.write(name, &text);
    }
    tf.write_providers(providers);
    tf.write(
        "tables_override.tf",
        &format!(
            "provider \"studio\" {{\n  user_table    = \"{}\"\n  history_table = \"{}\"\n}}\n",
            tables.0, tables.1
        ),
    );
    let init = tf.init();
    assert!(init.success(), "{example}: {init}");
    tf
}

/// `terraform plan -out` and the plan as JSON (`terraform show -json`).
fn plan_json(tf: &Terraform, example: &str) -> (String, Value) {
    let plan = tf.try_run(&["plan", "-input=false", "-no-color", "-out=example.tfplan"]);
    assert!(
        plan.success(),
        "planning {example} in {}:\n{plan}",
        tf.dir().display()
    );
    let shown = tf.run(&["show", "-json", "-no-color", "example.tfplan"]);
    let json = serde_json::from_str(&shown.stdout)
        .unwrap_or_else(|e| panic!("the plan of {example} as JSON: {e}\n{}", shown.stdout));
    (plan.stdout, json)
}

fn versions() -> [TerraformVersion; 2] {
    [TerraformVersion::V1_15, TerraformVersion::V1_0]
}

#[test]
fn every_example_directory_is_planned_here_or_by_another_test() {
    let mut seen = example_dirs("");
    seen.sort();
    assert_eq!(
        seen,
        [
            "actions",
            "complete",
            "data-sources",
            "existing-domain",
            "functions",
            // Queried by list_resources.rs (`.tfquery.hcl`, Terraform 1.14+).
            "list-resources",
            "local",
            "manual-restore",
            "provider",
            "resources"
        ],
        "a new example directory: plan it here (or in its own test) and list it"
    );
    assert_eq!(
        example_dirs("data-sources"),
        DATA_SOURCE_OUTPUTS
            .iter()
            .map(|(d, _)| d.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        example_dirs("resources"),
        [
            "studio_home_retention",
            "studio_profile_restore",
            "studio_replication",
            "studio_restore_target"
        ]
    );
    assert_eq!(
        example_dirs("functions"),
        ["efs_home_path", "home_key", "parse_home_key"]
    );
    // Planned, and applied with the trigger firing, by restore_action.rs (Terraform 1.15).
    assert_eq!(example_dirs("actions"), ["studio_restore"]);
}

/// Each data-source example and the outputs it declares.
const DATA_SOURCE_OUTPUTS: &[(&str, &[&str])] = &[
    ("studio_domain", &["home_file_system"]),
    (
        "studio_home_directories",
        &["orphaned", "space_replication"],
    ),
    ("studio_restore_history", &["alice_restores"]),
    ("studio_space", &["team_home_uid"]),
    ("studio_user_profile", &["alice_home"]),
];

/// What each output of the data-source examples must be, from the world.
fn expected_output(world: &World, output: &str) -> Value {
    let fs = &world.data_science_fs;
    match output {
        "home_file_system" => Value::from(fs.as_str()),
        "orphaned" => serde_json::json!({ "data-science/user/dana": format!("{fs}:/200020") }),
        // Every tracked space, in every domain: the profile_restore example's too.
        "space_replication" => serde_json::json!({
            "data-science/space/team": true,
            format!("{}/space/team", world.studio_name): true,
        }),
        "team_home_uid" => Value::from(world.team_uid.as_str()),
        "alice_home" => Value::from(format!("{fs}:/{}", world.alice_uid)),
        other => panic!("no expectation for the output {other}"),
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn data_source_examples_plan_with_their_outputs() {
    let world = world();
    for (example, outputs) in DATA_SOURCE_OUTPUTS {
        let dir = repo_root().join("examples/data-sources").join(example);
        let files = example_files(&dir);
        for version in versions() {
            let tf = working_dir(version, example, &files, &[Provider::Studio]);
            let (_, plan) = plan_json(&tf, example);
            let planned = &plan["planned_values"]["outputs"];
            for output in *outputs {
                let value = &planned[*output]["value"];
                if *output == "alice_restores" {
                    // "<time> restore_succeeded SUCCEEDED": the time as the data source formats it.
                    let entries = value.as_array().unwrap_or_else(|| {
                        panic!("{example} ({version:?}): {output} = {value}\n{plan:#}")
                    });
                    assert_eq!(entries.len(), 1, "{example} ({version:?}): {value}");
                    assert!(
                        entries[0]
                            .as_str()
                            .is_some_and(|e| e.ends_with(" restore_succeeded SUCCEEDED")),
                        "{example} ({version:?}): {value}"
                    );
                } else {
                    assert_eq!(
                        value,
                        &expected_output(world, output),
                        "{example} ({version:?}): the output {output}"
                    );
                }
            }
        }
    }
}

/// Every `resource "<type>" "<name>"` a snippet declares, as addresses.
fn declared_resources(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("resource \""))
        .map(|rest| {
            let mut parts = rest.split('"');
            let type_name = parts.next().expect("a type");
            let name = parts.nth(1).expect("a name");
            format!("{type_name}.{name}")
        })
        .collect()
}

/// The actions the plan proposes for `address`.
fn actions(plan: &Value, address: &str) -> Vec<String> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["address"] == address)
        .flat_map(|c| {
            c["change"]["actions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|a| a.as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn resource_examples_plan_a_create_of_each_declared_resource() {
    world();
    for example in example_dirs("resources") {
        let dir = repo_root().join("examples/resources").join(&example);
        let mut files = example_files(&dir);
        files.retain(|_, text| !needs_new_terraform(text));
        assert!(files.contains_key("resource.tf"), "{example}: {files:?}");
        let declared = declared_resources(&files["resource.tf"]);
        assert!(!declared.is_empty(), "{example}: no resource declared");
        let providers: &[Provider] = if declared.iter().any(|a| a.starts_with("aws_")) {
            &[Provider::Aws, Provider::Studio]
        } else {
            &[Provider::Studio]
        };
        for version in versions() {
            let mut tf = working_dir(version, &example, &files, providers);
            if example == "studio_home_retention" {
                tf.set_var("vpc_id", "vpc-0e2e0000")
                    .set_var("subnet_ids", "[\"subnet-0e2e0000\"]")
                    .set_var(
                        "execution_role_arn",
                        "arn:aws:iam::123456789012:role/studio-execution",
                    );
            }
            let (text, plan) = plan_json(&tf, &example);
            for address in &declared {
                assert_eq!(
                    actions(&plan, address),
                    ["create"],
                    "{example} ({version:?}): {address}\n{text}"
                );
            }
        }
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn import_by_identity_examples_plan_an_import_on_terraform_1_15() {
    let world = world();
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    // Tables of its own: the setup applies resources, which the other tests must not see.
    let (user_table, history_table) = create_tables(&aws).await;
    let old = OldDomain {
        name: world.studio_name.clone(),
        id: world.old_id.clone(),
        fs: world.old_fs.clone(),
        alice_uid: world.old_alice_uid.clone(),
    };
    put_old_rows(&aws, &user_table, &old).await;
    let tables = (user_table.as_str(), history_table.as_str());
    for example in example_dirs("resources") {
        let dir = repo_root().join("examples/resources").join(&example);
        let files = example_files(&dir);
        let Some(import) = files.get("import-by-identity.tf") else {
            continue;
        };
        let to = import
            .lines()
            .find_map(|l| l.trim().strip_prefix("to = "))
            .unwrap_or_else(|| panic!("{example}: no `to` in the import block"))
            .trim()
            .to_owned();

        // What the import finds: the object, made as the snippet's resource makes it.
        let setup = Terraform::new(&emulator);
        if example == "studio_profile_restore" {
            // The one restore the history needs, from alice's old home into her new profile.
            setup.write(
                "main.tf",
                &format!(
                    r#"
resource "studio_profile_restore" "alice" {{
  source = {{
    domain_id         = "{old}"
    user_profile_name = "alice"
    file_system_id    = "{fs}"
    uid               = {uid}
  }}
  target = {{
    domain_id         = "{new}"
    user_profile_name = "alice"
  }}
}}
"#,
                    old = world.old_id,
                    fs = world.old_fs,
                    uid = world.old_alice_uid,
                    new = world.new_id
                ),
            );
        } else {
            let mut text = files["resource.tf"].clone();
            for (placeholder, value) in world.placeholders() {
                text = text.replace(placeholder, &value);
            }
            setup.write("main.tf", &text);
        }
        setup.write_providers(&[Provider::Studio]);
        setup.write(
            "tables_override.tf",
            &format!(
                "provider \"studio\" {{\n  user_table    = \"{user_table}\"\n  history_table = \"{history_table}\"\n}}\n"
            ),
        );
        setup.init();
        setup.apply();

        let tf = working_dir_on(
            TerraformVersion::V1_15,
            &example,
            &files,
            &[Provider::Studio],
            tables,
        );
        let (text, plan) = plan_json(&tf, &example);
        let change = plan["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["address"] == to.as_str())
            .unwrap_or_else(|| panic!("{example}: no change for {to}\n{text}"));
        assert!(
            change["change"]["importing"].is_object(),
            "{example}: {to} is not imported:\n{change:#}\n{text}"
        );
        assert!(
            text.contains("Plan: 1 to import,"),
            "{example}: the plan does not say it imports one object:\n{text}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn function_examples_plan_their_values_on_terraform_1_15() {
    let emulator = Emulator::from_env();
    let expected = [
        (
            "efs_home_path",
            "home_directory",
            serde_json::json!("/200005"),
        ),
        (
            "home_key",
            "alice_home_key",
            serde_json::json!("data-science/user/alice"),
        ),
        (
            "parse_home_key",
            "team_home",
            serde_json::json!({ "domain_name": "data-science", "kind": "space", "name": "team-a" }),
        ),
    ];
    for (example, output, value) in expected {
        let dir = repo_root().join("examples/functions").join(example);
        let tf = Terraform::new(&emulator);
        for (name, text) in example_files(&dir) {
            tf.write(&name, &text);
        }
        tf.write_providers(&[Provider::Studio]);
        tf.init();
        let (_, plan) = plan_json(&tf, example);
        assert_eq!(
            plan["planned_values"]["outputs"][output]["value"], value,
            "{example}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_provider_example_configures_the_provider() {
    let world = world();
    let emulator = Emulator::from_env();
    let url = emulator.endpoint();
    let files = example_files(&repo_root().join("examples/provider"));
    for version in versions() {
        let tf = Terraform::with_version(&emulator, version);
        for (name, text) in &files {
            tf.write(name, text);
        }
        // The example's block with the emulator's region and endpoints on top; its assume_role
        // goes to the emulator's STS. A data source makes Terraform configure the provider.
        tf.write(
            "provider_override.tf",
            &format!(
                "provider \"studio\" {{\n  region = \"us-east-1\"\n\n  endpoints {{\n    sagemaker = \"{url}\"\n    datasync  = \"{url}\"\n    dynamodb  = \"{url}\"\n    sfn       = \"{url}\"\n    efs       = \"{url}\"\n    sts       = \"{url}\"\n  }}\n}}\n"
            ),
        );
        tf.write(
            "lookup.tf",
            "data \"studio_domain\" \"studio\" {\n  name = \"data-science\"\n}\n\noutput \"domain_id\" {\n  value = data.studio_domain.studio.id\n}\n",
        );
        tf.init();
        let (_, plan) = plan_json(&tf, "provider");
        assert_eq!(
            plan["planned_values"]["outputs"]["domain_id"]["value"],
            world.data_science_id.as_str(),
            "{version:?}"
        );
    }
}
