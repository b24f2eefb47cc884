//! Lambda deployment packages built from workspace crates, for the emulator's `provided.*` runtime.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::repo::repo_root;

/// A `provided.al2` deployment package: a zip holding the binary as `bootstrap`.
#[derive(Clone, Debug)]
pub struct LambdaZip {
    /// The zip file, under `target/e2e-lambda/`.
    pub path: PathBuf,
}

impl LambdaZip {
    /// The zip's bytes, for Lambda CreateFunction's `ZipFile`.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap_or_else(|e| panic!("reading {}: {e}", self.path.display()))
    }
}

/// Builds the binary `bin` of the workspace package `package` (dev profile, in the workspace's
/// target directory, so the dependencies are shared with every other build) and packs it as
/// `bootstrap` into `target/e2e-lambda/<bin>.zip`. Built once per test process.
///
/// A plain host binary: the emulator runs it on this machine. The deployable zips, linked against
/// provided.al2023's older glibc, are `scripts/build-lambdas`'s.
pub fn lambda_zip(package: &str, bin: &str) -> LambdaZip {
    static BUILT: Mutex<Option<HashMap<String, LambdaZip>>> = Mutex::new(None);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    let key = format!("{package}/{bin}");
    if let Some(zip) = built.get(&key) {
        return zip.clone();
    }
    let root = repo_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            package,
            "--bin",
            bin,
            "--manifest-path",
        ])
        .arg(root.join("Cargo.toml"))
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("starting `{cargo} build -p {package}`: {e}"));
    if !output.status.success() {
        panic!(
            "`cargo build -p {package} --bin {bin}` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let binary = target_dir(root).join("debug").join(bin);
    let out_dir = target_dir(root).join("e2e-lambda");
    std::fs::create_dir_all(&out_dir)
        .unwrap_or_else(|e| panic!("creating {}: {e}", out_dir.display()));
    let zip = LambdaZip {
        path: out_dir.join(format!("{bin}.zip")),
    };
    pack_bootstrap(&binary, &zip.path);
    built.insert(key, zip.clone());
    zip
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Zips `binary` as an executable `bootstrap` (deflated) with the project's Python, which
/// `scripts/setup` always provides, so no zip crate or system `zip` is needed.
fn pack_bootstrap(binary: &Path, zip: &Path) {
    let python = repo_root().join(".venv/bin/python");
    let script = "import sys, zipfile\n\
        info = zipfile.ZipInfo('bootstrap', date_time=(2020, 1, 1, 0, 0, 0))\n\
        info.external_attr = 0o100755 << 16\n\
        info.compress_type = zipfile.ZIP_DEFLATED\n\
        import os; tmp = '%s.%d.tmp' % (sys.argv[2], os.getpid())\n\
        with zipfile.ZipFile(tmp, 'w') as z, open(sys.argv[1], 'rb') as f:\n\
        \x20   z.writestr(info, f.read(), compresslevel=1)\n\
        os.replace(tmp, sys.argv[2])\n";
    let output = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(binary)
        .arg(zip)
        .output()
        .unwrap_or_else(|e| panic!("starting {} (run scripts/setup): {e}", python.display()));
    if !output.status.success() {
        panic!(
            "packing {} into {}:\n{}",
            binary.display(),
            zip.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
