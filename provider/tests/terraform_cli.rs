//! The provider under the real Terraform CLI (1.15 and 1.0 from `.tools/bin`, installed by
//! `scripts/setup`): init from a private filesystem mirror, validate, providers schema, and
//! validation errors that name the attribute. Skipped when the binaries are not there.

use std::path::{Path, PathBuf};
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-studio");

fn terraforms() -> Vec<PathBuf> {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin");
    ["terraform", "terraform-1.0"]
        .iter()
        .map(|name| bin.join(name))
        .filter(|path| path.exists())
        .collect()
}

/// A working directory with `main.tf`, a CLI config whose only installation source is a mirror
/// holding the binary under test, and `terraform init` done.
struct Workspace {
    dir: tempfile::TempDir,
    cli_config: PathBuf,
}

impl Workspace {
    fn new(terraform: &Path, main_tf: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let package = dir
            .path()
            .join("mirror/registry.terraform.io/studio-restore/studio/0.1.0/linux_amd64");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::copy(BINARY, package.join("terraform-provider-studio_v0.1.0")).unwrap();
        let cli_config = dir.path().join("terraformrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\ndisable_checkpoint = true\n",
                dir.path().join("mirror").display()
            ),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("config/main.tf"), main_tf).unwrap();
        let workspace = Workspace { dir, cli_config };
        let init = workspace.run(terraform, &["init", "-no-color", "-input=false"]);
        assert!(
            init.status.success(),
            "init failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        workspace
    }

    fn run(&self, terraform: &Path, args: &[&str]) -> std::process::Output {
        Command::new(terraform)
            .args(args)
            .current_dir(self.dir.path().join("config"))
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("STUDIO_PROVIDER_TEST_HOOKS", "1")
            .env_remove("TF_LOG")
            .output()
            .unwrap()
    }
}

const REQUIRED: &str = r#"
terraform {
  required_providers {
    studio = { source = "studio-restore/studio" }
  }
}
"#;

// Terraform validates a provider block only when something uses the provider.
const USE: &str = r#"
data "studio_test_wait_for_cancellation" "x" {
  seconds = 0
}
"#;

#[test]
fn init_validate_and_schema_with_a_valid_provider_block() {
    for terraform in terraforms() {
        let main_tf = format!(
            "{REQUIRED}{USE}\nprovider \"studio\" {{\n  region = \"eu-west-1\"\n  assume_role {{\n    role_arn = \"arn:aws:iam::123456789012:role/x\"\n    session_name = \"terraform\"\n  }}\n  endpoints {{\n    sagemaker = \"http://127.0.0.1:4599\"\n  }}\n}}\n"
        );
        let workspace = Workspace::new(&terraform, &main_tf);
        let validate = workspace.run(&terraform, &["validate", "-no-color"]);
        assert!(
            validate.status.success(),
            "{}: {}",
            terraform.display(),
            String::from_utf8_lossy(&validate.stderr)
        );
        let schema = workspace.run(&terraform, &["providers", "schema", "-json"]);
        assert!(
            schema.status.success(),
            "{}",
            String::from_utf8_lossy(&schema.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
        let provider = &json["provider_schemas"]["registry.terraform.io/studio-restore/studio"]["provider"]
            ["block"];
        assert_eq!(
            provider["attributes"]["region"]["description_kind"],
            "markdown"
        );
        assert_eq!(
            provider["block_types"]["assume_role"]["nesting_mode"],
            "list"
        );
    }
}

#[test]
fn validate_names_the_offending_attributes() {
    for terraform in terraforms() {
        let main_tf = format!(
            "{REQUIRED}{USE}\nprovider \"studio\" {{\n  region = \"eu-west\"\n  profile = \"platform-admin\"\n  assume_role {{\n    role_arn = \"arn:aws:iam::12345:role/x\"\n    duration = \"13h\"\n  }}\n}}\n"
        );
        let workspace = Workspace::new(&terraform, &main_tf);
        let validate = workspace.run(&terraform, &["validate", "-no-color"]);
        assert!(!validate.status.success());
        let stderr = String::from_utf8_lossy(&validate.stderr);
        for expected in [
            r#"region = "eu-west""#,
            "region must be an AWS region name such as eu-west-1",
            r#"duration = "13h""#,
            "is not a session duration STS accepts",
            r#"role_arn = "arn:aws:iam::12345:role/x""#,
            "assume_role[0].role_arn must be an IAM role ARN",
        ] {
            assert!(
                stderr.contains(expected),
                "{}: expected {expected:?} in:\n{stderr}",
                terraform.display()
            );
        }
    }
}
