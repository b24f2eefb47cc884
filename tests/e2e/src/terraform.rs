//! Real Terraform in a fresh working directory per test, against the emulator.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::emulator::{Emulator, REGION};
use crate::repo::repo_root;

/// Which Terraform runs the configuration. Both come from `scripts/setup`, in `.tools/bin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TerraformVersion {
    /// Terraform 1.15.5 (`.tools/bin/terraform`), the default.
    V1_15,
    /// Terraform 1.0.3 (`.tools/bin/terraform-1.0`), the oldest version the project supports.
    V1_0,
}

impl TerraformVersion {
    fn command(self) -> &'static str {
        match self {
            TerraformVersion::V1_15 => "terraform",
            TerraformVersion::V1_0 => "terraform-1.0",
        }
    }
}

/// A provider the harness knows how to point at the emulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// `hashicorp/aws` 3.39.0, from the filesystem mirror.
    Aws,
    /// Our `studio-restore/studio`, installed into the mirror by `scripts/install-provider`.
    Studio,
}

/// Services the AWS provider gets an emulator endpoint for. Anything missing would go to real
/// AWS and die in DNS retries, so this lists every service a module or test might use.
const AWS_ENDPOINTS: &[&str] = &[
    "cloudtrail",
    "cloudwatch",
    "cloudwatchevents",
    "cloudwatchlogs",
    "datasync",
    "dynamodb",
    "ec2",
    "efs",
    "iam",
    "kms",
    "lambda",
    "s3",
    "sagemaker",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "stepfunctions",
    "sts",
];

/// Services the studio provider's `endpoints` block names. Not `sts`: the provider uses it
/// only for an `assume_role` block and warns when it is set without one; a test with
/// `assume_role` adds it.
const STUDIO_ENDPOINTS: &[&str] = &["sagemaker", "datasync", "dynamodb", "sfn", "efs", "lambda"];

/// What one Terraform command printed, and how it ended.
#[derive(Clone, Debug)]
pub struct TerraformOutput {
    /// The command line, for messages.
    pub command: String,
    /// The exit code; `None` when it was killed.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl TerraformOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl fmt::Display for TerraformOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or("killed".to_string(), |c| format!("exit code {c}"));
        writeln!(f, "`{}`: {code}", self.command)?;
        writeln!(f, "----- stdout -----\n{}", self.stdout.trim_end())?;
        write!(f, "----- stderr -----\n{}", self.stderr.trim_end())
    }
}

/// The result of `terraform plan -detailed-exitcode`.
#[derive(Clone, Debug)]
pub struct Plan {
    pub output: TerraformOutput,
}

impl Plan {
    /// True when the plan proposes no change (exit code 0; 2 means changes).
    pub fn is_empty(&self) -> bool {
        self.output.code == Some(0)
    }

    /// The plan as Terraform printed it.
    pub fn text(&self) -> &str {
        &self.output.stdout
    }
}

/// A Terraform working directory of its own (removed when dropped), with the emulator's
/// environment. Every command runs with the CLI configuration of `<repo>/.tools/terraformrc`
/// (providers from the mirror only; see [`cli_config`]), `TF_IN_AUTOMATION=1`, test AWS credentials and the emulator's endpoint.
/// Commands that fail panic with Terraform's full stdout and stderr; a command that runs longer
/// than the timeout (default 300 s, `STUDIO_E2E_TERRAFORM_TIMEOUT` in seconds) is killed.
///
/// The methods block: from a `#[tokio::test]`, call them between SDK calls as any other
/// blocking step.
pub struct Terraform {
    /// Always `Some` until dropped.
    dir: Option<tempfile::TempDir>,
    binary: PathBuf,
    emulator: Emulator,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl Terraform {
    /// A fresh working directory run by Terraform 1.15.
    pub fn new(emulator: &Emulator) -> Terraform {
        Terraform::with_version(emulator, TerraformVersion::V1_15)
    }

    /// A fresh working directory run by the given Terraform version.
    pub fn with_version(emulator: &Emulator, version: TerraformVersion) -> Terraform {
        let binary = repo_root().join(".tools/bin").join(version.command());
        if !binary.is_file() {
            panic!("{} is missing: run scripts/setup", binary.display());
        }
        let config = terraformrc();
        if !config.is_file() {
            panic!("{} is missing: run scripts/setup", config.display());
        }
        let dir = tempfile::Builder::new()
            .prefix("studio-e2e-tf-")
            .tempdir()
            .unwrap_or_else(|e| panic!("creating a Terraform working directory: {e}"));
        let timeout = std::env::var("STUDIO_E2E_TERRAFORM_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .map_or(Duration::from_secs(300), Duration::from_secs);
        Terraform {
            dir: Some(dir),
            binary,
            emulator: emulator.clone(),
            env: Vec::new(),
            timeout,
        }
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("the working directory").path()
    }

    /// Writes `contents` to `name` (relative to the working directory; parents are created).
    pub fn write(&self, name: &str, contents: &str) -> &Terraform {
        let path = self.dir().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        self
    }

    /// Reads `name` from the working directory.
    pub fn read(&self, name: &str) -> String {
        let path = self.dir().join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }

    /// Writes `providers.tf`: `required_providers` for `providers` and a provider block for each
    /// that points it at the emulator. For configurations that declare no providers themselves.
    pub fn write_providers(&self, providers: &[Provider]) -> &Terraform {
        let mut text = String::from("terraform {\n  required_providers {\n");
        for provider in providers {
            text.push_str(match provider {
                Provider::Aws => "    aws = {\n      source  = \"hashicorp/aws\"\n      version = \"3.39.0\"\n    }\n",
                Provider::Studio => "    studio = {\n      source = \"studio-restore/studio\"\n    }\n",
            });
        }
        text.push_str("  }\n}\n");
        text.push_str(&provider_blocks(&self.emulator, providers));
        self.write("providers.tf", &text)
    }

    /// Writes `provider_override.tf`, whose provider blocks replace the settings of the ones the
    /// configuration declares (Terraform merges `*_override.tf` files into the blocks they name;
    /// each named provider block must exist). For examples that configure their own providers.
    pub fn write_provider_override(&self, providers: &[Provider]) -> &Terraform {
        self.write(
            "provider_override.tf",
            &provider_blocks(&self.emulator, providers),
        )
    }

    /// Sets an environment variable for every later command (`TF_LOG`, `TF_VAR_…`).
    /// How long one command may run before it is killed (a test that applies many restores).
    pub fn set_timeout(&mut self, timeout: Duration) -> &mut Terraform {
        self.timeout = timeout;
        self
    }

    pub fn set_env(&mut self, name: &str, value: &str) -> &mut Terraform {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the input variable `name` for every later command (as `TF_VAR_<name>`).
    pub fn set_var(&mut self, name: &str, value: &str) -> &mut Terraform {
        self.set_env(&format!("TF_VAR_{name}"), value)
    }

    /// `terraform init`.
    pub fn init(&self) -> TerraformOutput {
        self.run(&["init", "-input=false", "-no-color"])
    }

    /// `terraform init -upgrade`: after `scripts/install-provider` changed a provider binary.
    pub fn init_upgrade(&self) -> TerraformOutput {
        self.run(&["init", "-upgrade", "-input=false", "-no-color"])
    }

    /// `terraform apply -auto-approve`; panics when it fails.
    pub fn apply(&self) -> TerraformOutput {
        self.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform apply -auto-approve` that must fail; returns what it printed (the error is in
    /// `stderr`). Panics when it succeeds.
    pub fn apply_fails(&self) -> TerraformOutput {
        self.run_failing(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform plan -detailed-exitcode`; panics when planning fails.
    pub fn plan(&self) -> Plan {
        let output = self.try_run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        match output.code {
            Some(0) | Some(2) => Plan { output },
            _ => panic!(
                "terraform plan failed in {}\n{output}",
                self.dir().display()
            ),
        }
    }

    /// `terraform plan -detailed-exitcode` that must fail (a validation or read error).
    pub fn plan_fails(&self) -> TerraformOutput {
        self.run_failing(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
    }

    /// Panics, showing the plan, unless a plan proposes no change: after every apply, a
    /// second plan must be empty.
    #[track_caller]
    pub fn assert_plan_empty(&self) {
        let plan = self.plan();
        if !plan.is_empty() {
            panic!(
                "expected an empty plan in {}, but Terraform proposes changes:\n{}\n----- stderr -----\n{}",
                self.dir().display(),
                plan.text().trim_end(),
                plan.output.stderr.trim_end()
            );
        }
    }

    /// Panics, showing the plan, when a plan proposes no change.
    #[track_caller]
    pub fn assert_plan_changes(&self) -> Plan {
        let plan = self.plan();
        if plan.is_empty() {
            panic!(
                "expected changes in the plan in {}, but it is empty:\n{}",
                self.dir().display(),
                plan.text()
            );
        }
        plan
    }

    /// `terraform destroy -auto-approve`.
    pub fn destroy(&self) -> TerraformOutput {
        self.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform import <address> <id>`.
    pub fn import(&self, address: &str, id: &str) -> TerraformOutput {
        self.run(&["import", "-input=false", "-no-color", address, id])
    }

    /// `terraform show -json`: the state, as Terraform's JSON representation.
    pub fn show_json(&self) -> Value {
        let output = self.run(&["show", "-json", "-no-color"]);
        parse_json(&output)
    }

    /// `terraform state list`: every resource address in the state.
    pub fn state_list(&self) -> Vec<String> {
        let output = self.run(&["state", "list"]);
        output
            .stdout
            .lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// `terraform state rm <address>`.
    pub fn state_rm(&self, address: &str) -> TerraformOutput {
        self.run(&["state", "rm", address])
    }

    /// The `values` of the resource at `address` (in the root module or any child module) in the
    /// state; panics, listing what the state holds, when there is none.
    #[track_caller]
    pub fn resource(&self, address: &str) -> Value {
        let state = self.show_json();
        let root = &state["values"]["root_module"];
        if let Some(resource) = find_resource(root, address) {
            return resource["values"].clone();
        }
        let mut addresses = Vec::new();
        collect_addresses(root, &mut addresses);
        panic!(
            "no resource {address} in the state; it holds:\n  {}",
            addresses.join("\n  ")
        );
    }

    /// The attribute `attribute` of the resource at `address`, as a string (numbers and
    /// booleans are rendered).
    #[track_caller]
    pub fn attribute(&self, address: &str, attribute: &str) -> String {
        let values = self.resource(address);
        match &values[attribute] {
            Value::String(s) => s.clone(),
            Value::Null => panic!("{address} has no attribute {attribute}:\n{values:#}"),
            other => other.to_string(),
        }
    }

    /// `terraform output -json <name>`.
    pub fn output(&self, name: &str) -> Value {
        let output = self.run(&["output", "-json", "-no-color", name]);
        parse_json(&output)
    }

    /// `terraform output -json`: every output, each `{value, type, sensitive}`.
    pub fn outputs(&self) -> Value {
        let output = self.run(&["output", "-json", "-no-color"]);
        parse_json(&output)
    }

    /// Runs `terraform <args>` (add `-no-color` yourself); panics when it fails.
    pub fn run(&self, args: &[&str]) -> TerraformOutput {
        let output = self.try_run(args);
        if !output.success() {
            panic!("terraform failed in {}\n{output}", self.dir().display());
        }
        output
    }

    /// Runs `terraform <args>`, which must fail; returns its output.
    pub fn run_failing(&self, args: &[&str]) -> TerraformOutput {
        let output = self.try_run(args);
        if output.success() {
            panic!(
                "terraform was expected to fail in {}, but succeeded\n{output}",
                self.dir().display()
            );
        }
        output
    }

    /// Runs `terraform <args>` and returns its output whatever the exit code (panics only when
    /// it cannot be started or times out).
    pub fn try_run(&self, args: &[&str]) -> TerraformOutput {
        let command = format!("{} {}", self.binary.display(), args.join(" "));
        let mut cmd = Command::new(&self.binary);
        cmd.args(args)
            .current_dir(self.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Nothing from the developer's AWS setup may leak in; the machine's TF_CLI_CONFIG_FILE
        // names a missing file, so ours always replaces it.
        for name in [
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
        ] {
            cmd.env_remove(name);
        }
        cmd.envs(self.emulator.child_env())
            .env("TF_CLI_CONFIG_FILE", cli_config())
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting `{command}` in {}: {e}", self.dir().display()));
        let started = Instant::now();
        let (status, stdout, stderr) = wait_with_timeout(child, self.timeout);
        // Shown with a failing test's output: what ran before the failure, and how long it took.
        eprintln!(
            "studio-e2e: terraform {} ({}): {} after {:.1}s",
            args.join(" "),
            self.dir().display(),
            status.map_or("killed".to_string(), |s| s.to_string()),
            started.elapsed().as_secs_f64()
        );
        let output = TerraformOutput {
            command,
            code: status.and_then(|s| s.code()),
            stdout,
            stderr,
        };
        if status.is_none() {
            panic!(
                "terraform did not finish within {:?} in {} and was killed\n{output}",
                self.timeout,
                self.dir().display()
            );
        }
        output
    }
}

impl Drop for Terraform {
    fn drop(&mut self) {
        let keep = std::env::var_os("STUDIO_E2E_KEEP").is_some();
        if let Some(dir) = self.dir.take()
            && (keep || std::thread::panicking())
        {
            let path = dir.keep();
            eprintln!(
                "studio-e2e: kept the Terraform working directory {}",
                path.display()
            );
        }
    }
}

/// The Terraform CLI configuration that `scripts/setup` writes: providers from the mirror only.
fn terraformrc() -> PathBuf {
    repo_root().join(".tools/terraformrc")
}

/// The Terraform CLI configuration of this test process: `.tools/terraformrc`'s mirror, except
/// that our own provider comes from a copy taken when the process first runs Terraform.
///
/// Why a copy: `.terraform/providers` links into the mirror, and `scripts/install-provider` (run
/// by anyone working in the tree) replaces the binary there, after which every later command in
/// a test fails with "the cached package ... does not match any of the checksums recorded in the
/// dependency lock file". The copy lives in `target/e2e-terraform/<pid>/`; copies of processes
/// that are gone are removed by the next one. Without an installed studio provider, this is
/// `.tools/terraformrc` itself.
pub fn cli_config() -> &'static Path {
    static CONFIG: OnceLock<PathBuf> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let mirror = repo_root().join(".tools/mirror");
        let ours = Path::new("registry.terraform.io/studio-restore");
        if !mirror.join(ours).is_dir() {
            return terraformrc();
        }
        let base = repo_root().join("target/e2e-terraform");
        remove_stale_snapshots(&base);
        let dir = base.join(std::process::id().to_string());
        let snapshot = dir.join("mirror");
        let _ = std::fs::remove_dir_all(&dir);
        copy_tree(&mirror.join(ours), &snapshot.join(ours));
        let config = dir.join("terraformrc");
        let text = format!(
            "provider_installation {{
  filesystem_mirror {{
    path    = \"{snapshot}\"
    include = [\"registry.terraform.io/studio-restore/*\"]
  }}
  filesystem_mirror {{
    path    = \"{mirror}\"
    exclude = [\"registry.terraform.io/studio-restore/*\"]
  }}
}}

disable_checkpoint = true
",
            snapshot = snapshot.display(),
            mirror = mirror.display()
        );
        std::fs::write(&config, text)
            .unwrap_or_else(|e| panic!("writing {}: {e}", config.display()));
        config
    })
}

/// Removes `base/<pid>` directories whose process no longer runs.
fn remove_stale_snapshots(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Copies the directory tree `from` to `to`, keeping permissions (the provider is executable).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("listing {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("listing {}: {e}", from.display()));
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            copy_tree(&source, &target);
        } else {
            std::fs::copy(&source, &target).unwrap_or_else(|e| {
                panic!("copying {} to {}: {e}", source.display(), target.display())
            });
        }
    }
}

/// Provider blocks for `providers`, pointing every service at the emulator.
pub(crate) fn provider_blocks(emulator: &Emulator, providers: &[Provider]) -> String {
    let url = emulator.endpoint();
    let endpoints = |services: &[&str]| {
        let width = services.iter().map(|s| s.len()).max().unwrap_or(0);
        services
            .iter()
            .map(|s| format!("    {s:width$} = \"{url}\"\n"))
            .collect::<String>()
    };
    let mut text = String::new();
    for provider in providers {
        match provider {
            // The fast block (see docs: test environment): skip_get_ec2_platforms avoids ~23 s of
            // DNS retries per provider start, max_retries = 1 makes an unimplemented API fail in
            // seconds instead of minutes.
            Provider::Aws => text.push_str(&format!(
                "\nprovider \"aws\" {{
  region                      = \"{REGION}\"
  access_key                  = \"test\"
  secret_key                  = \"test\"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_get_ec2_platforms      = true
  skip_region_validation      = true
  s3_force_path_style         = true
  max_retries                 = 1

  endpoints {{
{}  }}
}}
",
                endpoints(AWS_ENDPOINTS)
            )),
            // Credentials come from the standard chain: the child environment has test keys.
            Provider::Studio => text.push_str(&format!(
                "\nprovider \"studio\" {{
  region = \"{REGION}\"

  endpoints {{
{}  }}
}}
",
                endpoints(STUDIO_ENDPOINTS)
            )),
        }
    }
    text
}

fn parse_json(output: &TerraformOutput) -> Value {
    serde_json::from_str(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "the output of `{}` is not JSON ({e}):\n{output}",
            output.command
        )
    })
}

fn find_resource<'a>(module: &'a Value, address: &str) -> Option<&'a Value> {
    let here = module["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == address);
    here.or_else(|| {
        module["child_modules"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|child| find_resource(child, address))
    })
}

fn collect_addresses(module: &Value, into: &mut Vec<String>) {
    for resource in module["resources"].as_array().into_iter().flatten() {
        into.push(resource["address"].as_str().unwrap_or("?").to_string());
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        collect_addresses(child, into);
    }
}

/// Waits for `child`, reading its output as it goes; kills it after `timeout` (status `None`).
fn wait_with_timeout(mut child: Child, timeout: Duration) -> (Option<ExitStatus>, String, String) {
    fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    }
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() < timeout => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Err(e) => panic!("waiting for terraform: {e}"),
        }
    };
    let text = |h: JoinHandle<String>| h.join().unwrap_or_default();
    (status, text(stdout), text(stderr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_blocks_point_every_service_at_the_emulator() {
        let emulator = Emulator::new("http://127.0.0.1:4641", Path::new("/tmp/efs"));
        let text = provider_blocks(&emulator, &[Provider::Aws, Provider::Studio]);
        assert!(
            text.contains("skip_get_ec2_platforms      = true"),
            "{text}"
        );
        assert!(text.contains("max_retries                 = 1"), "{text}");
        assert!(
            text.contains("    stepfunctions    = \"http://127.0.0.1:4641\"\n"),
            "{text}"
        );
        assert!(
            text.contains("provider \"studio\" {\n  region = \"us-east-1\""),
            "{text}"
        );
        assert!(
            text.contains("    sfn       = \"http://127.0.0.1:4641\"\n"),
            "{text}"
        );
    }
}
