//! Issue 14, point 3, with real Terraform 1.15 against the emulator: the list resources of
//! `terraform query`. `terraform providers schema -json` lists them; a `.tfquery.hcl` file with
//! `list` blocks shows the restores that could be declared (a recreated profile whose old home
//! directory is its own) and not the one a `studio_profile_restore` would refuse (another
//! person's old directory, named in a warning), filtered by domain, kind and name prefix, and
//! the restore intents and replication settings of the mapping table; a bad filter fails naming
//! its attribute. `terraform query -generate-config-out` writes a `studio_profile_restore`
//! block and its import block, which apply untouched (the import takes a restore that has not
//! run, which the plan replaces: the restore runs), after which the plan is empty and the home is
//! no longer listed; the generated
//! `studio_restore_target` and `studio_replication` blocks import the listed objects and plan
//! empty.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::types::AuthMode;
use serde_json::Value;
use studio_e2e::{
    Emulator, Provider, Studio, Terraform, create_domain, create_profile, create_table,
    delete_profile, hand_to_owner, open_studio, put_mapping_row, repo_root, unique_name,
    write_file,
};

const STUDIO: &str = "registry.terraform.io/studio-restore/studio";
const LISTS: [&str; 3] = [
    "studio_profile_restore",
    "studio_replication",
    "studio_restore_target",
];

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn the_schema_lists_the_list_resources() {
    let emulator = Emulator::from_env();
    let tf = Terraform::new(&emulator);
    tf.write_providers(&[Provider::Studio]);
    tf.init();
    let output = tf.run(&["providers", "schema", "-json"]);
    let schema: Value = serde_json::from_str(&output.stdout).expect("schema JSON");
    let lists = schema["provider_schemas"][STUDIO]["list_resource_schemas"]
        .as_object()
        .unwrap_or_else(|| panic!("list_resource_schemas in {}", output.stdout));
    let mut names: Vec<_> = lists.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, LISTS);
    for name in LISTS {
        // The attributes of the `config` block of a `list` block.
        let config = &lists[name]["block"]["attributes"];
        for filter in ["domain_name", "kind", "name_prefix"] {
            assert_eq!(
                config[filter]["optional"], true,
                "{name}.{filter}: {config:#}"
            );
        }
    }
}

/// What the test sets up: a domain, the provider's tables, and files.
struct Homes {
    emulator: Emulator,
    domain_name: String,
    domain_id: String,
    fs: String,
    tables: (String, String),
    alice_old: String,
    alice_new: String,
}

impl Homes {
    /// alice deleted and recreated with her files in the old directory; bob recreated, his row's
    /// previous directory recorded as robert's (a name reused for someone else); a restore
    /// intent into carol from alice's old directory; bob's replication turned off.
    async fn new() -> Homes {
        let emulator = Emulator::from_env();
        let aws = emulator.clients().await;
        let domain_name = unique_name("query");
        let (domain_id, fs) = create_domain(&aws, &domain_name, AuthMode::Iam).await;
        let tables = (unique_name("users"), unique_name("history"));
        create_table(&aws, &tables.0, None).await;
        create_table(&aws, &tables.1, Some("at")).await;
        let alice_old = create_profile(&aws, &domain_id, "alice").await;
        open_studio(&aws.sagemaker, Studio::user_profile(&domain_id, "alice")).await;
        let old_home = emulator.home_dir(&fs, &alice_old);
        write_file(
            &old_home.join("notebooks/analysis.ipynb"),
            "{\"cells\": []}\n",
        );
        write_file(&old_home.join("data/train.csv"), "a,b\n1,2\n");
        hand_to_owner(&old_home);
        delete_profile(&aws, &domain_id, "alice").await;
        let alice_new = create_profile(&aws, &domain_id, "alice").await;
        let bob = create_profile(&aws, &domain_id, "bob").await;
        let s = |v: &str| AttributeValue::S(v.to_owned());
        // The rows as the event processor writes them after the recreations.
        put_mapping_row(
            &aws,
            &tables.0,
            &domain_name,
            &domain_id,
            "alice",
            &fs,
            &alice_new,
            &[
                ("owner", s("profile:alice")),
                ("previous_file_system_id", s(&fs)),
                ("previous_uid", AttributeValue::N(alice_old.clone())),
                ("previous_domain_id", s(&domain_id)),
                ("previous_owner", s("profile:alice")),
            ],
        )
        .await;
        put_mapping_row(
            &aws,
            &tables.0,
            &domain_name,
            &domain_id,
            "bob",
            &fs,
            &bob,
            &[
                ("owner", s("profile:bob")),
                ("previous_file_system_id", s(&fs)),
                ("previous_uid", AttributeValue::N("190001".into())),
                ("previous_domain_id", s(&domain_id)),
                ("previous_owner", s("profile:robert")),
                ("replication", AttributeValue::Bool(false)),
            ],
        )
        .await;
        // carol does not exist yet: only the intent is recorded.
        let restore_from = AttributeValue::M(
            [
                ("home".to_owned(), s(&format!("{domain_name}/user/alice"))),
                ("file_system_id".to_owned(), s(&fs)),
                ("uid".to_owned(), AttributeValue::N(alice_old.clone())),
            ]
            .into(),
        );
        aws.dynamodb
            .put_item()
            .table_name(&tables.0)
            .item("home", s(&format!("{domain_name}/user/carol")))
            .item("kind", s("user"))
            .item("name", s("carol"))
            .item("domain_name", s(&domain_name))
            .item("replication", AttributeValue::Bool(true))
            .item("restore_from", restore_from)
            .item("version", AttributeValue::N("1".into()))
            .send()
            .await
            .expect("carol's restore intent");
        Homes {
            emulator,
            domain_name,
            domain_id,
            fs,
            tables,
            alice_old,
            alice_new,
        }
    }

    fn terraform(&self) -> Terraform {
        let tf = Terraform::new(&self.emulator);
        tf.write_providers(&[Provider::Studio]);
        tf.write(
            "tables_override.tf",
            &format!(
                "provider \"studio\" {{\n  user_table    = \"{}\"\n  history_table = \"{}\"\n}}\n",
                self.tables.0, self.tables.1
            ),
        );
        tf.init();
        tf
    }

    /// A `list` block of `type_name` named `name`, with `config` lines.
    fn list(&self, type_name: &str, name: &str, config: &str) -> String {
        format!(
            "list \"{type_name}\" \"{name}\" {{\n  provider         = studio\n  include_resource = true\n  config {{\n    domain_name = \"{}\"\n{config}\n  }}\n}}\n",
            self.domain_name
        )
    }

    fn alice_display(&self) -> String {
        format!(
            "{d}/user/alice: {fs}:/{old} (domain {id}) into {fs}:/{new} (domain {id})",
            d = self.domain_name,
            fs = self.fs,
            old = self.alice_old,
            new = self.alice_new,
            id = self.domain_id
        )
    }
}

/// Everything Terraform printed on one line, whitespace folded (messages are wrapped).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Everything Terraform printed, line by line, whitespace folded.
fn text(output: &studio_e2e::TerraformOutput) -> String {
    format!("{}\n{}", output.stdout, output.stderr)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn query_lists_what_could_be_declared_and_its_generated_config_restores() {
    let homes = Homes::new().await;
    let d = &homes.domain_name;
    let tf = homes.terraform();
    tf.write(
        "homes.tfquery.hcl",
        &[
            homes.list("studio_profile_restore", "restores", ""),
            homes.list(
                "studio_profile_restore",
                "by_prefix",
                "    name_prefix = \"bo\"",
            ),
            homes.list("studio_profile_restore", "spaces", "    kind = \"space\""),
            homes.list("studio_restore_target", "targets", ""),
            homes.list("studio_replication", "settings", ""),
            format!(
                "list \"studio_replication\" \"first\" {{\n  provider = studio\n  limit    = 1\n  config {{\n    domain_name = \"{d}\"\n  }}\n}}\n"
            ),
        ]
        .concat(),
    );
    let shown = text(&tf.run(&["query", "-no-color"]));
    let alice = homes.alice_display();
    let lines_of = |list: &str| -> Vec<&str> {
        shown
            .lines()
            .filter(|l| l.starts_with(&format!("list.{list} ")))
            .collect()
    };
    let restores = lines_of("studio_profile_restore.restores");
    assert_eq!(restores.len(), 1, "alice only:\n{shown}");
    assert!(restores[0].contains(&alice), "{shown}");
    // bob's old directory was recorded as robert's: a studio_profile_restore would refuse it, so
    // it is not listed, and a warning says why.
    let all = flat(&shown);
    assert!(
        all.contains(&format!("Warning: Not listed: {d}/user/bob"))
            && all.contains("belongs to user profile \"robert\"")
            && all.contains("is only restored to the same person")
            && !all.contains(&format!("{d}/user/bob: {}", homes.fs)),
        "{shown}"
    );
    assert!(
        lines_of("studio_profile_restore.by_prefix").is_empty(),
        "{shown}"
    );
    assert!(
        lines_of("studio_profile_restore.spaces").is_empty(),
        "{shown}"
    );
    let targets = lines_of("studio_restore_target.targets");
    assert_eq!(targets.len(), 1, "{shown}");
    assert!(
        targets[0].contains(&format!(
            "{d}/user/carol from {d}/user/alice ({}:/{})",
            homes.fs, homes.alice_old
        )),
        "{shown}"
    );
    assert_eq!(
        lines_of("studio_replication.first").len(),
        1,
        "limit = 1:\n{shown}"
    );
    let settings = lines_of("studio_replication.settings");
    assert_eq!(settings.len(), 3, "alice, bob, carol:\n{shown}");
    assert!(
        settings
            .iter()
            .any(|l| l.contains(&format!("{d}/user/bob: automatic restore off")))
            && settings
                .iter()
                .any(|l| l.contains(&format!("{d}/user/alice: automatic restore on"))),
        "{shown}"
    );

    // The registry examples (examples/list-resources), on this test's domain.
    let mut examples: Vec<String> = std::fs::read_dir(repo_root().join("examples/list-resources"))
        .expect("examples/list-resources")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    examples.sort();
    assert_eq!(
        examples, LISTS,
        "one example per list resource, each queried here"
    );
    for example in LISTS {
        let file = repo_root()
            .join("examples/list-resources")
            .join(example)
            .join("list-resource.tfquery.hcl");
        let query = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .replace("\"data-science\"", &format!("\"{d}\""));
        tf.write("homes.tfquery.hcl", &query);
        let shown = text(&tf.run(&["query", "-no-color"]));
        let listed = |list: &str, what: &str| {
            shown
                .lines()
                .any(|l| l.starts_with(&format!("list.{list} ")) && l.contains(what))
        };
        match example {
            "studio_profile_restore" => assert!(
                listed("studio_profile_restore.data_science", &alice)
                    && listed("studio_profile_restore.al", &alice),
                "{example}:\n{shown}"
            ),
            "studio_restore_target" => assert!(
                listed(
                    "studio_restore_target.data_science",
                    &format!("{d}/user/carol from")
                ),
                "{example}:\n{shown}"
            ),
            _ => assert!(
                flat(&shown).contains("[list.studio_replication.spaces] returned 0 results"),
                "no spaces here: {example}:\n{shown}"
            ),
        }
    }

    // A bad filter: Terraform stops before listing, naming the attribute.
    tf.write(
        "homes.tfquery.hcl",
        &homes.list("studio_profile_restore", "bad", "    name_prefix = \"-al\""),
    );
    let failed = flat(&text(&tf.run_failing(&["query", "-no-color"])));
    assert!(
        failed.contains("name_prefix") && failed.contains("the beginning of a SageMaker name"),
        "{failed}"
    );

    // The generated configuration: a resource block and, as Terraform writes for every listed
    // object, an import block. It applies untouched: the import takes a restore that has not run
    // (nothing is copied by the import), and the plan replaces it, which runs the restore.
    tf.write(
        "homes.tfquery.hcl",
        &homes.list("studio_profile_restore", "found", ""),
    );
    tf.run(&["query", "-no-color", "-generate-config-out=restores.tf"]);
    let generated = std::fs::read_to_string(tf.dir().join("restores.tf")).expect("restores.tf");
    let folded = generated.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        folded.contains("resource \"studio_profile_restore\" \"found_0\"")
            && folded.contains(&format!("uid = {}", homes.alice_old))
            && folded.contains(&format!("file_system_id = \"{}\"", homes.fs))
            && folded.contains("import {")
            && generated.matches("resource \"").count() == 1,
        "{generated}"
    );
    std::fs::remove_file(tf.dir().join("homes.tfquery.hcl")).unwrap();
    let planned = flat(&text(&tf.plan().output));
    assert!(
        planned.contains("Nothing restored yet")
            && planned.contains("must be replaced")
            && planned.contains("1 to import, 1 to add, 0 to change, 1 to destroy"),
        "{planned}"
    );
    let applied = flat(&text(&tf.apply()));
    assert!(
        applied.contains("Resources: 1 imported, 1 added, 0 changed, 1 destroyed"),
        "{applied}"
    );
    let new_home = homes.emulator.home_dir(&homes.fs, &homes.alice_new);
    assert_eq!(
        std::fs::read_to_string(new_home.join("data/train.csv")).unwrap(),
        "a,b\n1,2\n",
        "alice's files are back"
    );
    assert!(new_home.join("notebooks/analysis.ipynb").is_file());
    assert_eq!(
        tf.attribute("studio_profile_restore.found_0", "target_uid"),
        homes.alice_new.as_str()
    );
    tf.assert_plan_empty();

    // Restored: no longer a restore that could be declared.
    tf.write(
        "homes.tfquery.hcl",
        &homes.list("studio_profile_restore", "again", ""),
    );
    let shown = text(&tf.run(&["query", "-no-color"]));
    assert!(
        !shown.contains(&format!("{d}/user/alice:")),
        "alice is restored:\n{shown}"
    );

    // The intents and settings exist: their generated import blocks import them, and the
    // generated resource blocks match what was imported.
    tf.write(
        "homes.tfquery.hcl",
        &[
            homes.list("studio_restore_target", "target", ""),
            homes.list("studio_replication", "setting", "    name_prefix = \"bo\""),
        ]
        .concat(),
    );
    tf.run(&["query", "-no-color", "-generate-config-out=intents.tf"]);
    std::fs::remove_file(tf.dir().join("homes.tfquery.hcl")).unwrap();
    let imported = text(&tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]));
    assert!(
        imported
            .contains("Apply complete! Resources: 2 imported, 0 added, 0 changed, 0 destroyed."),
        "{imported}"
    );
    assert_eq!(
        tf.attribute("studio_replication.setting_0", "enabled"),
        "false"
    );
    assert_eq!(
        tf.attribute("studio_restore_target.target_0", "status"),
        "pending"
    );
    tf.assert_plan_empty();
}
