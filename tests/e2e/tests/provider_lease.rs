//! `studio_profile_restore`'s DataSync engine holds the target home's lease (mapping table)
//! while it copies: a second restore into the same home, from another Terraform run, fails
//! naming the holder and creates nothing; a lease whose holder was killed (its expiry passed)
//! is taken over; the lease is released after the copy.
//!
//! One test holds the emulator's global `datasync_hold_executions` switch, so this file is a
//! binary of its own and its steps run in one test, one after another.

use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemaker::types::AuthMode;
use serde_json::json;
use studio_e2e::{
    Clients, Emulator, Provider, Studio, Terraform, cli_config, create_domain, create_profile,
    create_table, eventually, open_studio, repo_root, unique_name, write_file,
};

const PATIENCE: Duration = Duration::from_secs(120);

struct Fixture {
    emulator: Emulator,
    aws: Clients,
    domain_id: String,
    fs: String,
    tables: (String, String),
    home: String,
    /// Two old directories of alice's, each with a file of its own.
    sources: [String; 2],
    new_uid: String,
}

impl Fixture {
    async fn new() -> Fixture {
        let emulator = Emulator::from_env();
        let aws = emulator.clients().await;
        let name = unique_name("lease");
        let (domain_id, fs) = create_domain(&aws, &name, AuthMode::Iam).await;
        let tables = (unique_name("users"), unique_name("history"));
        create_table(&aws, &tables.0, None).await;
        create_table(&aws, &tables.1, Some("at")).await;
        let new_uid = create_profile(&aws, &domain_id, "alice").await;
        // Studio creates the home directory when the first app mounts it.
        open_studio(&aws.sagemaker, Studio::user_profile(&domain_id, "alice")).await;
        let base: u64 = new_uid.parse().unwrap();
        let sources = [(base + 1000).to_string(), (base + 2000).to_string()];
        for (i, uid) in sources.iter().enumerate() {
            write_file(
                &emulator.home_dir(&fs, uid).join(format!("from-{i}.txt")),
                &format!("source {i}\n"),
            );
        }
        Fixture {
            home: format!("{name}/user/alice"),
            emulator,
            aws,
            domain_id,
            fs,
            tables,
            sources,
            new_uid,
        }
    }

    /// A working directory restoring source `i` into alice, with `extra` lines; initialised.
    fn terraform(&self, i: usize, extra: &str) -> Terraform {
        let tf = Terraform::new(&self.emulator);
        tf.write_providers(&[Provider::Studio]);
        tf.write(
            "tables_override.tf",
            &format!(
                "provider \"studio\" {{\n  user_table    = \"{}\"\n  history_table = \"{}\"\n}}\n",
                self.tables.0, self.tables.1
            ),
        );
        tf.write(
            "main.tf",
            &format!(
                r#"
resource "studio_profile_restore" "alice" {{
  source = {{
    domain_id         = "{domain}"
    user_profile_name = "alice"
    uid               = {uid}
  }}
  target = {{
    domain_id         = "{domain}"
    user_profile_name = "alice"
  }}
{extra}
}}
"#,
                domain = self.domain_id,
                uid = self.sources[i],
            ),
        );
        tf.init();
        tf
    }

    fn received(&self, i: usize) -> bool {
        self.emulator
            .home_dir(&self.fs, &self.new_uid)
            .join(format!("from-{i}.txt"))
            .is_file()
    }

    async fn lease(&self) -> (Option<String>, Option<String>) {
        let item = self
            .aws
            .dynamodb
            .get_item()
            .table_name(&self.tables.0)
            .key("home", AttributeValue::S(self.home.clone()))
            .consistent_read(true)
            .send()
            .await
            .expect("reading alice's row")
            .item
            .unwrap_or_default();
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(s)) => Some(s.clone()),
            _ => None,
        };
        (text("lease_holder"), text("lease_expires_at"))
    }

    async fn put_lease(&self, holder: &str, expires_at: &str) {
        self.aws
            .dynamodb
            .put_item()
            .table_name(&self.tables.0)
            .item("home", AttributeValue::S(self.home.clone()))
            .item("version", AttributeValue::N("1".into()))
            .item("lease_holder", AttributeValue::S(holder.to_owned()))
            .item("lease_expires_at", AttributeValue::S(expires_at.to_owned()))
            .send()
            .await
            .expect("writing a lease");
    }

    /// DataSync locations and access points on this test's file system.
    async fn created(&self) -> usize {
        let locations = self
            .aws
            .datasync
            .list_locations()
            .max_results(100)
            .send()
            .await
            .expect("listing locations");
        let on_fs = locations
            .locations()
            .iter()
            .filter(|l| l.location_uri().is_some_and(|u| u.contains(&self.fs)))
            .count();
        let points = self
            .aws
            .efs
            .describe_access_points()
            .file_system_id(&self.fs)
            .send()
            .await
            .expect("listing access points");
        on_fs + points.access_points().len()
    }
}

fn flat(stdout: &str, stderr: &str) -> String {
    format!("{stdout}\n{stderr}")
        .replace(['│', '╷', '╵'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn timestamp(offset_seconds: i64) -> String {
    studio_core::lease::timestamp(
        time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_seconds),
    )
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn one_restore_per_home_and_a_dead_holders_lease_expires() {
    let f = Fixture::new().await;
    f.emulator
        .configure(&json!({"datasync_hold_executions": false}));

    // A live holder (another process, its lease an hour ahead): apply waits until its create
    // timeout, then fails naming the holder, with nothing created or copied.
    let other = "terraform-provider-studio pid 4242 on another-host, restore r-elsewhere";
    f.put_lease(other, &timestamp(3600)).await;
    let tf = f.terraform(0, "  timeouts {\n    create = \"4s\"\n  }");
    let out = tf.apply_fails();
    let text = flat(&out.stdout, &out.stderr);
    assert!(text.contains(other), "the holder is named:\n{text}");
    assert!(text.contains(&f.home), "the home is named:\n{text}");
    assert!(text.contains("Nothing was created"), "{text}");
    assert!(!f.received(0));
    assert_eq!(f.created().await, 0, "nothing was created");
    assert!(tf.state_list().is_empty());

    // The holder was killed: its lease expired a minute ago. The next restore takes it over,
    // copies, and releases it.
    f.put_lease(other, &timestamp(-60)).await;
    tf.apply();
    assert!(f.received(0));
    assert_eq!(f.lease().await, (None, None), "released after the copy");
    assert_eq!(f.created().await, 0, "everything the copy made is deleted");

    // Two Terraform runs at once into the same home: the first copies (held mid-copy by the
    // emulator), the second fails naming the first's process, and copies nothing.
    f.emulator
        .configure(&json!({"datasync_hold_executions": true}));
    let first = f.terraform(1, "");
    let child = Command::new(repo_root().join(".tools/bin/terraform"))
        .args(["apply", "-auto-approve", "-input=false", "-no-color"])
        .current_dir(first.dir())
        .envs(f.emulator.child_env())
        .env("TF_CLI_CONFIG_FILE", cli_config())
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .env("CHECKPOINT_DISABLE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the first terraform apply");
    let holder = eventually("the first run to hold the lease", PATIENCE, || async {
        f.lease().await.0
    })
    .await;
    assert!(
        holder.starts_with("terraform-provider-studio pid "),
        "{holder}"
    );
    let second = f.terraform(0, "  timeouts {\n    create = \"4s\"\n  }");
    std::fs::remove_file(f.emulator.home_dir(&f.fs, &f.new_uid).join("from-0.txt"))
        .expect("forgetting the first copy of source 0");
    let out = second.apply_fails();
    let text = flat(&out.stdout, &out.stderr);
    assert!(text.contains(&holder), "the holder is named:\n{text}");
    assert!(!f.received(0), "the second run copied nothing");

    f.emulator
        .configure(&json!({"datasync_hold_executions": false}));
    let done = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .expect("waiting for the first apply");
    assert!(
        done.status.success(),
        "the first apply succeeded:\n{}\n{}",
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(f.received(1));
    assert_eq!(f.lease().await, (None, None), "released after the copy");
    first.destroy();
    tf.destroy();
}
