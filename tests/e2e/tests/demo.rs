//! The README's first command: `scripts/demo` restores a recreated user's home directory on a
//! machine without AWS. Run from a shell with no emulator, as a newcomer does: the demo starts a
//! private emulator itself, checks its own result, and stops the emulator when it ends.

use std::process::{Command, Stdio};

use studio_e2e::repo_root;

#[test]
#[ignore = "needs the emulator: scripts/test runs it"]
fn the_demo_restores_a_recreated_users_home_from_a_fresh_shell() {
    let nowhere = tempfile::tempdir().expect("an empty directory");
    let out = Command::new(repo_root().join("scripts/demo"))
        .current_dir(repo_root())
        // No emulator in the environment: the demo must bring its own.
        .env_remove("STUDIO_EMULATOR_URL")
        .env_remove("STUDIO_EFS_ROOT")
        .env_remove("AWS_ENDPOINT_URL")
        // Where no emulator runs (not even one a developer started by hand).
        .env("STUDIO_EMULATOR_DIR", nowhere.path())
        .env("STUDIO_EMULATOR_PORT", "1")
        .stdin(Stdio::null())
        .output()
        .expect("running scripts/demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scripts/demo failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("starting a private local AWS emulator for the demo"),
        "the demo brought its own emulator:\n{stdout}"
    );
    assert!(
        stdout.contains("demo: alice's files are back in her new home directory")
            && !stdout.contains("NOT OK"),
        "every check of the demo passed:\n{stdout}"
    );
    for check in [
        "ok: file contents restored",
        "ok: mode 0600 kept",
        "ok: link pointing outside copied as a link, not followed",
        "ok: no changes",
    ] {
        assert!(stdout.contains(check), "{check}:\n{stdout}");
    }
}
