//! The `studio-copy` command, run as a user runs it: the built binary on temp trees.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Output};

use common::{Sandbox, assert_same_tree, is_root, snapshot};

const STUDIO_UID: &str = "200001";
const STUDIO_GID: &str = "1001";

fn studio_copy(args: &[&str], source: &Path, target: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_studio-copy"))
        .args(args)
        .arg(source)
        .arg(target)
        .output()
        .expect("studio-copy runs")
}

fn bare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_studio-copy"))
        .args(args)
        .output()
        .expect("studio-copy runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn status(output: &Output) -> i32 {
    output.status.code().expect("exited, not killed")
}

/// The summary's value for `label` (`files:`), as printed after it.
fn field(output: &Output, label: &str) -> String {
    let out = stdout(output);
    out.lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label} in the summary:\n{out}"))
        .trim()
        .to_string()
}

/// Who owns the copied files: the Studio owner when the test can give files away, else the
/// source's owners.
fn ownership() -> Vec<&'static str> {
    if is_root() {
        vec!["--uid", STUDIO_UID, "--gid", STUDIO_GID]
    } else {
        vec!["--preserve-owners"]
    }
}

fn with(base: &[&'static str], more: &[&'static str]) -> Vec<&'static str> {
    base.iter().chain(more).copied().collect()
}

fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

/// A small home directory: nested files with modes, a symlink, a hard link, a FIFO.
/// `count` sparse files of 1 MiB, `f0`, `f1`...: quick to make, slow enough to copy and verify
/// one by one that a copy of them lasts a while.
fn sparse_files(dir: &Path, count: usize) {
    for i in 0..count {
        let file = fs::File::create(dir.join(format!("f{i}"))).unwrap();
        file.set_len(1 << 20).unwrap();
    }
}

fn home(s: &Path) {
    write(&s.join("notebooks/analysis.ipynb"), b"{\"cells\": []}");
    write(&s.join("notebooks/data/rows.csv"), b"1,2,3\n");
    write(&s.join(".ssh/id_ed25519"), b"private");
    fs::set_permissions(s.join(".ssh/id_ed25519"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(s.join(".ssh"), fs::Permissions::from_mode(0o700)).unwrap();
    write(&s.join("bin/run.sh"), b"#!/bin/sh\n");
    fs::set_permissions(s.join("bin/run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    symlink("notebooks/analysis.ipynb", s.join("latest")).unwrap();
    fs::hard_link(s.join("bin/run.sh"), s.join("run")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        s.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
}

#[test]
fn restores_a_tree_with_contents_modes_links_and_the_new_owner() {
    let sb = Sandbox::new();
    home(&sb.source());
    let out = studio_copy(&ownership(), &sb.source(), &sb.target());
    assert_eq!(status(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert_same_tree(&sb.source(), &sb.target());
    sb.assert_outside_untouched();

    assert_eq!(field(&out, "files:"), "4 (36 bytes, 36 B)");
    assert_eq!(field(&out, "directories:"), "5"); // the root, notebooks, notebooks/data, .ssh, bin
    assert_eq!(field(&out, "symlinks:"), "1");
    assert_eq!(field(&out, "hard links:"), "1");
    assert!(field(&out, "skipped:").starts_with("1 special file"));
    assert_eq!(field(&out, "errors:"), "0");
    assert_eq!(field(&out, "outcome:"), "done");
    // Not a terminal: no progress line in a log of a short copy.
    assert_eq!(stderr(&out), "");

    if is_root() {
        for path in [".", "notebooks/data/rows.csv", ".ssh", "latest", "run"] {
            let meta = fs::symlink_metadata(sb.target().join(path)).unwrap();
            assert_eq!((meta.uid(), meta.gid()), (200001, 1001), "{path}");
        }
    }
}

#[test]
fn a_non_empty_target_is_refused_without_into_non_empty_and_nothing_is_written() {
    let sb = Sandbox::new();
    home(&sb.source());
    write(&sb.target().join("already-here"), b"kept");
    let before = snapshot(&sb.target());

    let out = studio_copy(&ownership(), &sb.source(), &sb.target());
    assert_eq!(status(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--into-non-empty"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    assert_eq!(snapshot(&sb.target()), before, "the refused copy wrote");

    // A dry run is refused the same way: it says what this command would do.
    let dry = studio_copy(
        &with(&ownership(), &["--dry-run"]),
        &sb.source(),
        &sb.target(),
    );
    assert_eq!(status(&dry), 2);

    let out = studio_copy(
        &with(&ownership(), &["--into-non-empty"]),
        &sb.source(),
        &sb.target(),
    );
    assert_eq!(status(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(fs::read(sb.target().join("already-here")).unwrap(), b"kept");
    fs::remove_file(sb.target().join("already-here")).unwrap();
    assert_same_tree(&sb.source(), &sb.target());
}

#[test]
fn an_existing_empty_target_is_copied_into() {
    let sb = Sandbox::new();
    home(&sb.source());
    fs::create_dir(sb.target()).unwrap();
    let out = studio_copy(&ownership(), &sb.source(), &sb.target());
    assert_eq!(status(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert_same_tree(&sb.source(), &sb.target());
}

#[test]
fn a_dry_run_writes_nothing_and_reports_what_the_copy_would_do() {
    let sb = Sandbox::new();
    home(&sb.source());
    let out = studio_copy(
        &with(&ownership(), &["--dry-run"]),
        &sb.source(),
        &sb.target(),
    );
    assert_eq!(status(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(!sb.target().exists(), "a dry run created the target");
    sb.assert_outside_untouched();
    assert!(field(&out, "dry run:").contains("nothing was written"));
    assert_eq!(field(&out, "files:"), "4 (36 bytes, 36 B)");
    assert_eq!(field(&out, "directories:"), "5");
    assert_eq!(field(&out, "symlinks:"), "1");
    assert_eq!(field(&out, "hard links:"), "1");
    assert!(field(&out, "skipped:").starts_with("1 special file"));
    assert_eq!(field(&out, "outcome:"), "done (dry run)");

    // After a copy, a dry run finds nothing left to transfer.
    assert_eq!(
        status(&studio_copy(&ownership(), &sb.source(), &sb.target())),
        0
    );
    let before = snapshot(&sb.target());
    let out = studio_copy(
        &with(&ownership(), &["--dry-run", "--into-non-empty"]),
        &sb.source(),
        &sb.target(),
    );
    assert_eq!(status(&out), 0);
    assert_eq!(field(&out, "files:"), "0 (0 bytes, 0 B)");
    assert_eq!(snapshot(&sb.target()), before);
}

#[test]
fn excluded_entries_are_left_out_and_counted() {
    let sb = Sandbox::new();
    home(&sb.source());
    let out = studio_copy(
        &with(&ownership(), &["--exclude", "/notebooks|*/.ssh|.ssh"]),
        &sb.source(),
        &sb.target(),
    );
    assert_eq!(status(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(field(&out, "excluded:"), "2 (by --exclude)");
    assert!(!sb.target().join("notebooks").exists());
    assert!(!sb.target().join(".ssh").exists());
    assert!(sb.target().join("run").exists());
}

#[test]
fn usage_errors_exit_2_name_the_option_and_write_nothing() {
    let sb = Sandbox::new();
    home(&sb.source());
    let cases: &[(&[&str], &str)] = &[
        (&["--preserve-owners", "--threads", "many"], "--threads"),
        (
            &["--preserve-owners", "--overwrite", "sometimes"],
            "--overwrite",
        ),
        (&["--preserve-owners", "--transfer=newer"], "--transfer"),
        (&["--preserve-owners", "--verify", "all"], "--verify"),
        (&["--preserve-owners", "--deadline", "-1"], "--deadline"),
        (&["--uid", "alice", "--gid", "1001"], "--uid"),
        (&["--uid", "200001"], "--gid"),
        (
            &["--uid", "200001", "--gid", "1001", "--preserve-owners"],
            "--preserve-owners",
        ),
        (&["--preserve-owners", "--delete"], "--delete"),
        (&["--preserve-owners", "--exclude", "/ends\\"], "--exclude"),
        (
            &["--preserve-owners", "--exclude=a", "--exclude=b"],
            "--exclude",
        ),
    ];
    for (args, option) in cases {
        let out = studio_copy(args, &sb.source(), &sb.target());
        assert_eq!(status(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(option), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{args:?}");
        assert!(!sb.target().exists(), "{args:?} wrote the target");
    }
    let out = bare(&["--preserve-owners", "only-one-path"]);
    assert_eq!(status(&out), 2);
    assert!(
        stderr(&out).contains("SOURCE and TARGET"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_copy_that_does_not_say_whose_files_these_become_is_refused() {
    let sb = Sandbox::new();
    home(&sb.source());
    let out = studio_copy(&[], &sb.source(), &sb.target());
    assert_eq!(status(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("--uid") && err.contains("--preserve-owners"),
        "{err}"
    );
    assert!(!sb.target().exists());
}

#[test]
fn a_deadline_stops_with_exit_3_and_running_again_finishes() {
    let sb = Sandbox::new();
    for i in 0..200 {
        write(&sb.source().join(format!("d{}/f{i}", i % 10)), b"data");
    }
    let args = with(&ownership(), &["--deadline", "0", "--threads", "2"]);
    let out = studio_copy(&args, &sb.source(), &sb.target());
    assert_eq!(status(&out), 3, "{}{}", stdout(&out), stderr(&out));
    // Once something is copied the target is not empty: the next run must say it means that.
    assert_eq!(
        field(&out, "outcome:"),
        "stopped by the deadline: run the same command with --into-non-empty to continue"
    );
    let copied = snapshot(&sb.target()).len();
    assert!(
        copied < 210,
        "stopped at once, yet {copied} entries were copied"
    );

    let again = with(&ownership(), &["--into-non-empty"]);
    let out = studio_copy(&again, &sb.source(), &sb.target());
    assert_eq!(status(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(field(&out, "outcome:"), "done");
    assert_same_tree(&sb.source(), &sb.target());
}

#[test]
fn on_a_terminal_progress_is_one_line_rewritten_in_place_and_erased_at_the_end() {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    use std::io::Read;
    use std::os::fd::OwnedFd;

    let sb = Sandbox::new();
    // Verified one by one on one thread (SHA-256 of a debug build): a second or two, several
    // refreshes (250 ms).
    sparse_files(&sb.source(), 30);
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let terminal = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(name.to_str().unwrap())
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_studio-copy"))
        .args(ownership())
        .args(["--threads", "1"])
        .arg(sb.source())
        .arg(sb.target())
        .stdout(std::process::Stdio::piped())
        .stderr(OwnedFd::from(terminal))
        .spawn()
        .unwrap();
    // The terminal's side, read until the command closes it (EIO on Linux).
    let reader = std::thread::spawn(move || {
        let mut master = fs::File::from(master);
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let out = child.wait_with_output().unwrap();
    assert_eq!(status(&out), 0, "{}", stdout(&out));
    let shown = reader.join().unwrap();
    // Each refresh rewrites the one line in place; the last erases it; nothing else, and no
    // new line, goes to the terminal. The summary goes to stdout.
    let erase = "\r\x1b[2K";
    let lines: Vec<&str> = shown.split(erase).filter(|l| !l.is_empty()).collect();
    assert!(
        !lines.is_empty(),
        "no progress line on the terminal: {shown:?}"
    );
    assert!(
        shown.ends_with(erase),
        "the line is not erased at the end: {shown:?}"
    );
    assert!(!shown.contains('\n'), "{shown:?}");
    for line in &lines {
        assert!(line.contains("files"), "{line:?}");
    }
    assert_eq!(field(&out, "outcome:"), "done");
    assert_eq!(field(&out, "files:").split(' ').next(), Some("30"));
}

#[test]
fn ctrl_c_stops_cleanly_with_exit_3_and_running_again_finishes() {
    let sb = Sandbox::new();
    sparse_files(&sb.source(), 400);
    let child = Command::new(env!("CARGO_BIN_EXE_studio-copy"))
        .args(ownership())
        .args(["--threads", "1"])
        .arg(sb.source())
        .arg(sb.target())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !sb.target().exists() && started.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(status(&out), 3, "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("SIGINT"), "{}", stderr(&out));
    assert_eq!(
        field(&out, "outcome:"),
        "stopped by a signal: run the same command with --into-non-empty to continue"
    );
    let names: Vec<_> = fs::read_dir(sb.target())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.len() < 400, "the copy finished before the signal");
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "a temporary file was left: {names:?}"
    );

    let again = with(&ownership(), &["--into-non-empty", "--verify", "none"]);
    let out = studio_copy(&again, &sb.source(), &sb.target());
    assert_eq!(status(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert_same_tree(&sb.source(), &sb.target());
}

#[test]
fn failed_entries_exit_1_and_are_listed_with_their_paths() {
    let sb = Sandbox::new();
    home(&sb.source());
    write(&sb.source().join("clash"), b"a file in the source");
    fs::create_dir_all(sb.target().join("clash")).unwrap();
    let out = studio_copy(
        &with(&ownership(), &["--into-non-empty"]),
        &sb.source(),
        &sb.target(),
    );
    assert_eq!(status(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(field(&out, "errors:"), "1");
    let summary = stdout(&out);
    assert!(
        summary.contains("target clash is a directory where the source has a file"),
        "{summary}"
    );
    assert!(field(&out, "outcome:").starts_with("done with 1 error"));
    // The rest was copied.
    assert_eq!(
        fs::read(sb.target().join("notebooks/data/rows.csv")).unwrap(),
        b"1,2,3\n"
    );
}

#[test]
fn giving_files_away_without_root_fails_with_what_to_do() {
    use std::os::unix::process::CommandExt;
    if !is_root() {
        eprintln!("skipped: needs root to run the command as another user");
        return;
    }
    let sb = Sandbox::new();
    write(&sb.source().join("notebook.ipynb"), b"{}");
    for dir in [sb.dir.path(), &sb.source()] {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o777)).unwrap();
    }
    fs::set_permissions(
        sb.source().join("notebook.ipynb"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_studio-copy"))
        .args(["--uid", STUDIO_UID, "--gid", STUDIO_GID])
        .arg(sb.source())
        .arg(sb.target())
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(status(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let summary = stdout(&out);
    assert!(summary.contains("change the owner of target"), "{summary}");
    assert!(summary.contains("run studio-copy as root"), "{summary}");
    assert!(summary.contains("--preserve-owners"), "{summary}");
}

#[test]
fn a_missing_source_exits_1_and_names_it() {
    let sb = Sandbox::new();
    let missing = sb.dir.path().join("no-such-home");
    let out = studio_copy(&ownership(), &missing, &sb.target());
    assert_eq!(status(&out), 1);
    let err = stderr(&out);
    assert!(
        err.contains("source root") && err.contains("no-such-home"),
        "{err}"
    );
}

#[test]
fn help_documents_the_exit_statuses_and_version_prints_the_version() {
    let out = bare(&["--help"]);
    assert_eq!(status(&out), 0);
    let help = stdout(&out);
    for text in [
        "Usage: studio-copy",
        "--into-non-empty",
        "--dry-run",
        "Exit status",
        "3  stopped",
    ] {
        assert!(help.contains(text), "--help lacks {text:?}");
    }
    let out = bare(&["--version"]);
    assert_eq!(status(&out), 0);
    assert_eq!(
        stdout(&out),
        format!("studio-copy {}\n", env!("CARGO_PKG_VERSION"))
    );
}
