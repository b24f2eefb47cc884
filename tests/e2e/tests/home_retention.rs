//! `modules/studio-domain` with real Terraform and hashicorp/aws 3.39.0, which deletes a domain
//! with `RetentionPolicy.HomeEfsFileSystem = Delete`: replacing the domain (a new name) and
//! destroying it keep every home file system and the files in its home directories, because
//! `studio_home_retention` deletes the domain with `Retain` first. Without it, the emulator
//! (which honours the retention policy, as SageMaker documents it) would delete them.

use studio_e2e::{
    Emulator, Provider, Terraform, TerraformVersion, create_profile, delete_profile, repo_root,
    unique_name,
};

fn file_system_exists(emulator: &Emulator, fs: &str) -> bool {
    emulator.efs_root().join(fs).is_dir()
}

async fn replaced_and_destroyed_domains_keep_their_homes(version: TerraformVersion, octet: u8) {
    let emulator = Emulator::from_env();
    let aws = emulator.clients().await;
    let tf = Terraform::with_version(&emulator, version);
    tf.write_providers(&[Provider::Aws, Provider::Studio]);
    std::os::unix::fs::symlink(repo_root().join("modules"), tf.dir().join("modules"))
        .expect("linking the modules into the working directory");
    let config = |domain_name: &str| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.{octet}.0.0/16"
}}

resource "aws_subnet" "s" {{
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.{octet}.1.0/24"
}}

module "domain" {{
  source        = "./modules/studio-domain"
  domain_name   = "{domain_name}"
  vpc_id        = aws_vpc.v.id
  subnet_ids    = [aws_subnet.s.id]
  user_profiles = ["alice"]
}}

output "fs" {{
  value = module.domain.home_efs_file_system_id
}}

output "domain_id" {{
  value = module.domain.domain_id
}}

output "alice" {{
  value = module.domain.user_profile_uids["alice"]
}}
"#
        )
    };
    let first_name = unique_name("keep");
    tf.write("main.tf", &config(&first_name));
    tf.init();
    tf.apply();
    let first_fs = tf.output("fs").as_str().expect("a file system").to_owned();
    let first_uid = tf.output("alice").as_str().expect("a uid").to_owned();
    let notebook = emulator
        .home_dir(&first_fs, &first_uid)
        .join("work/analysis.ipynb");
    studio_e2e::write_file(&notebook, "{\"cells\": []}\n");

    // A new name replaces the domain (and, through studio_home_retention, the profile).
    tf.write("main.tf", &config(&unique_name("keep")));
    let plan = tf.plan();
    assert!(
        plan.output.stdout.contains("must be replaced"),
        "{}",
        plan.output.stdout
    );
    tf.apply();
    let second_fs = tf.output("fs").as_str().expect("a file system").to_owned();
    assert_ne!(second_fs, first_fs, "a new domain has a new file system");
    assert!(
        file_system_exists(&emulator, &first_fs),
        "the replaced domain's home file system is kept"
    );
    assert_eq!(
        std::fs::read_to_string(&notebook).expect("alice's notebook is still there"),
        "{\"cells\": []}\n"
    );
    let described = aws
        .efs
        .describe_file_systems()
        .file_system_id(&first_fs)
        .send()
        .await
        .expect("EFS still knows the replaced domain's file system");
    assert_eq!(described.file_systems().len(), 1);
    let domains = aws
        .sagemaker
        .list_domains()
        .send()
        .await
        .expect("listing domains");
    assert!(
        !domains
            .domains()
            .iter()
            .any(|d| d.domain_name() == Some(first_name.as_str())),
        "the old domain itself is gone"
    );
    tf.assert_plan_empty();

    // A profile Terraform does not manage: destroy must not delete the domain under it (SageMaker
    // would refuse anyway), and keeps the retention, so a later destroy still keeps the homes.
    let domain_id = tf
        .output("domain_id")
        .as_str()
        .expect("a domain id")
        .to_owned();
    create_profile(&aws, &domain_id, "bob").await;
    let refused = tf.run_failing(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert!(
        refused.stderr.contains("still has user profiles or spaces")
            && refused.stderr.contains("bob"),
        "{}",
        refused.stderr
    );
    assert!(
        tf.state_list()
            .iter()
            .any(|r| r == "module.domain.studio_home_retention.this"),
        "the retention stays in the state"
    );
    delete_profile(&aws, &domain_id, "bob").await;
    tf.destroy();
    assert!(
        tf.state_list().is_empty(),
        "destroy leaves nothing in the state"
    );
    assert!(
        file_system_exists(&emulator, &first_fs) && file_system_exists(&emulator, &second_fs),
        "destroy keeps every home file system"
    );
    assert!(notebook.is_file());
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn terraform_1_15_keeps_home_directories_of_replaced_and_destroyed_domains() {
    replaced_and_destroyed_domains_keep_their_homes(TerraformVersion::V1_15, 51).await;
}

#[tokio::test]
#[ignore = "needs the emulator: scripts/test runs it"]
async fn terraform_1_0_keeps_home_directories_of_replaced_and_destroyed_domains() {
    replaced_and_destroyed_domains_keep_their_homes(TerraformVersion::V1_0, 52).await;
}
