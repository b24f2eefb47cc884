//! `Options::dry_run`: the same walk and comparisons as a copy, nothing written, and counts that
//! say what the copy then does.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;

use common::{Sandbox, options, snapshot};
use studio_copy::{Error, Options, Overwrite};

fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

fn dry(options: &Options) -> Options {
    let mut dry = options.clone();
    dry.dry_run = true;
    dry
}

/// Every entry's path, type, size, mode, owner and modification time, not following symlinks:
/// what a dry run must leave exactly as it was.
fn metadata_of(root: &Path) -> Vec<(std::path::PathBuf, u32, u64, u32, u32, i64, i64)> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let m = fs::symlink_metadata(&dir).unwrap();
        out.push((
            dir.clone(),
            m.mode(),
            m.size(),
            m.uid(),
            m.gid(),
            m.mtime(),
            m.mtime_nsec(),
        ));
        if !m.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&dir).unwrap() {
            pending.push(entry.unwrap().path());
        }
    }
    out.sort();
    out
}

fn home(s: &Path) {
    write(&s.join("notebooks/a.ipynb"), b"{\"cells\": []}");
    write(&s.join("notebooks/data/b.csv"), b"1,2,3\n");
    write(&s.join(".bashrc"), b"export X=1\n");
    fs::create_dir(s.join("empty")).unwrap();
    symlink("notebooks/a.ipynb", s.join("latest")).unwrap();
    symlink("/etc/passwd", s.join("absolute")).unwrap();
    fs::hard_link(s.join(".bashrc"), s.join("notebooks/bashrc-link")).unwrap();
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
fn a_dry_run_into_a_missing_target_creates_nothing_and_counts_what_the_copy_does() {
    let sb = Sandbox::new();
    home(&sb.source());
    let source_before = metadata_of(&sb.source());

    let planned = sb.copy(&dry(&options()));
    assert!(planned.succeeded(), "{planned:?}");
    assert!(!sb.target().exists(), "a dry run created the target");
    sb.assert_outside_untouched();
    assert_eq!(metadata_of(&sb.source()), source_before);

    let done = sb.copy(&options());
    assert!(done.succeeded(), "{done:?}");
    assert_eq!(planned.counts, done.counts);
    assert_eq!(planned.counts.files, 3);
    assert_eq!(planned.counts.hard_links, 1);
    assert_eq!(planned.counts.symlinks, 2);
    assert_eq!(planned.counts.directories, 4); // the root, notebooks, notebooks/data, empty
    assert_eq!(planned.counts.special, 1);
}

#[test]
fn a_dry_run_into_an_existing_target_changes_nothing_and_compares_as_the_copy_does() {
    let sb = Sandbox::new();
    let (s, t) = (sb.source(), sb.target());
    home(&s);
    assert!(sb.copy(&options()).succeeded());
    // Since then: one file changed, one new file in a new directory, a link retargeted, and the
    // target has a directory where the source now has a file.
    write(&s.join("notebooks/a.ipynb"), b"{\"cells\": [1]}");
    write(&s.join("new/c.txt"), b"new");
    fs::remove_file(s.join("latest")).unwrap();
    symlink("new/c.txt", s.join("latest")).unwrap();
    write(&s.join("clash"), b"file in the source");
    fs::create_dir(t.join("clash")).unwrap();
    // A target symlink where the source has a directory: looked at, never followed.
    symlink(sb.outside(), t.join("new")).unwrap();
    let target_before = metadata_of(&t);
    let target_snapshot = snapshot(&t);

    let planned = sb.copy(&dry(&options()));
    assert_eq!(
        metadata_of(&t),
        target_before,
        "a dry run changed the target"
    );
    assert_eq!(snapshot(&t), target_snapshot);
    sb.assert_outside_untouched();
    assert_eq!(planned.counts.files, 2, "{planned:?}"); // a.ipynb, new/c.txt
    assert_eq!(planned.counts.bytes, 14 + 3);
    assert_eq!(planned.counts.symlinks, 1);
    assert_eq!(planned.counts.errors, 1);
    assert!(
        matches!(&planned.errors[..], [Error::IsADirectory { path }] if path.to_string() == "clash"),
        "{planned:?}"
    );

    let done = sb.copy(&options());
    assert_eq!(planned.counts, done.counts);
    assert_eq!(fs::read(t.join("new/c.txt")).unwrap(), b"new");
    sb.assert_outside_untouched();
}

#[test]
fn a_dry_run_with_overwrite_never_counts_existing_entries_as_left_alone() {
    let sb = Sandbox::new();
    let (s, t) = (sb.source(), sb.target());
    write(&s.join("kept"), b"source");
    write(&s.join("added"), b"source");
    write(&t.join("kept"), b"target");
    let mut never = options();
    never.overwrite = Overwrite::Never;

    let planned = sb.copy(&dry(&never));
    assert!(!t.join("added").exists());
    let done = sb.copy(&never);
    assert_eq!(planned.counts, done.counts);
    assert_eq!(done.counts.files, 1);
    assert_eq!(fs::read(t.join("kept")).unwrap(), b"target");
}

#[test]
fn a_dry_run_whose_target_cannot_be_created_fails_as_the_copy_would() {
    let sb = Sandbox::new();
    write(&sb.source().join("f"), b"x");
    let missing_parent = sb.dir.path().join("no/such/target");
    let dry_error = studio_copy::copy(&sb.source(), &missing_parent, &dry(&options()));
    assert!(
        matches!(dry_error, Err(Error::Root { .. })),
        "{dry_error:?}"
    );
    let copy_error = studio_copy::copy(&sb.source(), &missing_parent, &options());
    assert!(
        matches!(copy_error, Err(Error::Root { .. })),
        "{copy_error:?}"
    );
}
