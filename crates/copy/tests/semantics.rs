//! One test per DataSync semantic the engine follows.

mod common;

use std::fs::{self, File, FileTimes};
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use common::{Sandbox, assert_same_tree, is_root, options};
use studio_copy::{Error, Outcome, Overwrite, Ownership, Transfer, Verify};

fn at(secs: u64, nanos: u32) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::new(secs, nanos)
}

fn set_times(path: &Path, atime: SystemTime, mtime: SystemTime) {
    let file = File::open(path).unwrap();
    file.set_times(FileTimes::new().set_accessed(atime).set_modified(mtime))
        .unwrap();
}

fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

#[test]
fn copies_files_directories_and_nested_trees() {
    let sb = Sandbox::new();
    let s = sb.source();
    write(&s.join("a/b/c/deep.txt"), b"deep");
    write(&s.join("top.txt"), b"top");
    write(&s.join("empty"), b"");
    fs::create_dir(s.join("a/empty-dir")).unwrap();
    write(&s.join("big.bin"), &vec![7u8; 3 * 1024 * 1024 + 17]);
    let summary = sb.copy(&options());
    assert!(summary.succeeded(), "{summary:?}");
    assert_eq!(summary.counts.files, 4);
    assert_eq!(summary.counts.directories, 5); // the root, a, a/b, a/b/c, a/empty-dir
    assert_eq!(summary.counts.bytes, 4 + 3 + 3 * 1024 * 1024 + 17);
    assert_same_tree(&s, &sb.target());
}

#[test]
fn hard_links_become_one_inode_with_the_same_names() {
    let sb = Sandbox::new();
    let s = sb.source();
    write(&s.join("one/file"), b"linked");
    fs::create_dir_all(s.join("two/deeper")).unwrap();
    fs::hard_link(s.join("one/file"), s.join("two/deeper/again")).unwrap();
    fs::hard_link(s.join("one/file"), s.join("third")).unwrap();
    write(&s.join("alone"), b"linked");
    let summary = sb.copy(&options());
    assert!(summary.succeeded(), "{summary:?}");
    assert_eq!((summary.counts.files, summary.counts.hard_links), (2, 2));
    let t = sb.target();
    let ino = |p: &str| fs::metadata(t.join(p)).unwrap().ino();
    assert_eq!(ino("one/file"), ino("two/deeper/again"));
    assert_eq!(ino("one/file"), ino("third"));
    assert_ne!(ino("one/file"), ino("alone"));
    assert_eq!(fs::metadata(t.join("third")).unwrap().nlink(), 3);
    assert_same_tree(&s, &t);

    // A second run finds the links in place and changes nothing.
    let again = sb.copy(&options());
    assert!(again.succeeded(), "{again:?}");
    assert_eq!((again.counts.files, again.counts.hard_links), (0, 0));
    assert_same_tree(&s, &t);
}

#[test]
fn symlinks_are_copied_as_their_text_and_never_followed() {
    let sb = Sandbox::new();
    let s = sb.source();
    let sentinel = sb.outside().join("sentinel");
    symlink(&sentinel, s.join("absolute-to-sentinel")).unwrap();
    symlink("../outside/sentinel", s.join("relative-to-sentinel")).unwrap();
    symlink("..", s.join("dotdot")).unwrap();
    symlink("/", s.join("slash")).unwrap();
    symlink("loop", s.join("loop")).unwrap();
    symlink("dangling/nowhere", s.join("dangling")).unwrap();
    symlink("../outside", s.join("to-outside-dir")).unwrap();
    let summary = sb.copy(&options());
    assert!(summary.succeeded(), "{summary:?}");
    assert_eq!(summary.counts.symlinks, 7);
    let t = sb.target();
    assert_eq!(
        fs::read_link(t.join("absolute-to-sentinel")).unwrap(),
        sentinel
    );
    assert_eq!(fs::read_link(t.join("loop")).unwrap(), Path::new("loop"));
    assert_same_tree(&s, &t);
    sb.assert_outside_untouched();
    common::assert_no_sentinel_content(&t);
}

#[test]
fn special_files_are_skipped_and_counted() {
    let sb = Sandbox::new();
    let s = sb.source();
    fs::create_dir(s.join("d")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        s.join("d/fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(s.join("socket")).unwrap();
    write(&s.join("d/file"), b"x");
    let summary = sb.copy(&options());
    assert!(summary.succeeded(), "{summary:?}");
    assert_eq!(summary.counts.special, 2);
    assert_eq!(summary.counts.files, 1);
    assert!(!sb.target().join("d/fifo").exists());
    assert!(!sb.target().join("socket").exists());
}

#[test]
fn modes_including_setuid_setgid_and_sticky_are_kept() {
    let sb = Sandbox::new();
    let s = sb.source();
    let modes = [0o4755, 0o2750, 0o600, 0o444, 0o7777, 0o000];
    for mode in modes {
        let path = s.join(format!("f{mode:o}"));
        write(&path, b"m");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    fs::create_dir(s.join("sticky")).unwrap();
    fs::set_permissions(s.join("sticky"), fs::Permissions::from_mode(0o1777)).unwrap();
    fs::create_dir(s.join("readonly")).unwrap();
    write(&s.join("readonly/inside"), b"r");
    fs::set_permissions(s.join("readonly"), fs::Permissions::from_mode(0o555)).unwrap();
    let mut opts = options();
    if is_root() {
        opts.ownership = Ownership::Set {
            uid: 200001,
            gid: 1001,
        };
    }
    let summary = sb.copy(&opts);
    assert!(summary.succeeded(), "{summary:?}");
    let mode = |p: &str| fs::symlink_metadata(sb.target().join(p)).unwrap().mode() & 0o7777;
    for m in modes {
        assert_eq!(mode(&format!("f{m:o}")), m, "mode of f{m:o}");
    }
    assert_eq!(mode("sticky"), 0o1777);
    assert_eq!(mode("readonly"), 0o555);
    assert_same_tree(&s, &sb.target());
}

#[test]
fn modification_and_access_times_are_kept() {
    let sb = Sandbox::new();
    let s = sb.source();
    write(&s.join("d/file"), b"timed");
    symlink("file", s.join("d/link")).unwrap();
    set_times(
        &s.join("d/file"),
        at(1_500_000_000, 123_456_789),
        at(1_400_000_000, 987_654_321),
    );
    rustix::fs::utimensat(
        rustix::fs::CWD,
        s.join("d/link"),
        &rustix::fs::Timestamps {
            last_access: rustix::fs::Timespec {
                tv_sec: 1_300_000_000,
                tv_nsec: 5,
            },
            last_modification: rustix::fs::Timespec {
                tv_sec: 1_200_000_000,
                tv_nsec: 7,
            },
        },
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
    set_times(&s.join("d"), at(1_100_000_000, 1), at(1_000_000_000, 2));
    let summary = sb.copy(&options());
    assert!(summary.succeeded(), "{summary:?}");
    let t = sb.target();
    let times = |p: &str| {
        let m = fs::symlink_metadata(t.join(p)).unwrap();
        ((m.atime(), m.atime_nsec()), (m.mtime(), m.mtime_nsec()))
    };
    assert_eq!(
        times("d/file"),
        ((1_500_000_000, 123_456_789), (1_400_000_000, 987_654_321))
    );
    assert_eq!(times("d/link"), ((1_300_000_000, 5), (1_200_000_000, 7)));
    // The directory's times are set after its entries were written.
    assert_eq!(times("d"), ((1_100_000_000, 1), (1_000_000_000, 2)));
    // As root (or the owner) the source files are read with O_NOATIME: their access times stay.
    let source_atime = fs::metadata(s.join("d/file")).unwrap().atime();
    assert_eq!(source_atime, 1_500_000_000);
}

#[test]
fn ownership_goes_to_the_target_uid_and_gid() {
    if !is_root() {
        eprintln!("skipped: giving files away needs root");
        return;
    }
    let sb = Sandbox::new();
    let s = sb.source();
    write(&s.join("d/file"), b"mine");
    symlink("file", s.join("d/link")).unwrap();
    fs::hard_link(s.join("d/file"), s.join("hard")).unwrap();
    let mut opts = options();
    opts.ownership = Ownership::Set {
        uid: 200001,
        gid: 1001,
    };
    let summary = sb.copy(&opts);
    assert!(summary.succeeded(), "{summary:?}");
    for p in ["", "d", "d/file", "d/link", "hard"] {
        let m = fs::symlink_metadata(sb.target().join(p)).unwrap();
        assert_eq!((m.uid(), m.gid()), (200001, 1001), "owner of {p:?}");
    }

    // Preserve keeps the source's owners, and a second run brings changed owners back.
    std::os::unix::fs::lchown(s.join("d/link"), Some(300), Some(301)).unwrap();
    std::os::unix::fs::chown(s.join("d/file"), Some(400), Some(401)).unwrap();
    let mut opts = options();
    opts.ownership = Ownership::Preserve;
    let summary = sb.copy(&opts);
    assert!(summary.succeeded(), "{summary:?}");
    let owner = |p: &str| {
        let m = fs::symlink_metadata(sb.target().join(p)).unwrap();
        (m.uid(), m.gid())
    };
    assert_eq!(owner("d/link"), (300, 301));
    assert_eq!(owner("d/file"), (400, 401));
    assert_eq!(owner("hard"), (400, 401));
    assert_eq!(owner(""), (0, 0));
}

#[test]
fn giving_files_away_without_root_is_a_clear_error() {
    // As root, drop to an unprivileged uid in a child process: chown needs CAP_CHOWN.
    if !is_root() {
        eprintln!("skipped: needs root to set up the unprivileged copy");
        return;
    }
    let sb = Sandbox::new();
    write(&sb.source().join("file"), b"x");
    for p in [
        sb.dir.path().to_path_buf(),
        sb.source(),
        sb.source().join("file"),
    ] {
        std::os::unix::fs::chown(&p, Some(65534), Some(65534)).unwrap();
    }
    let helper = std::env::current_exe().unwrap();
    let out = std::process::Command::new(helper)
        .args([
            "--exact",
            "unprivileged_child",
            "--nocapture",
            "--include-ignored",
        ])
        .env("STUDIO_COPY_CHILD", sb.dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("CHILD-OK"), "{stdout}");
}

/// Run by `giving_files_away_without_root_is_a_clear_error` in a child process.
#[test]
#[ignore = "run by giving_files_away_without_root_is_a_clear_error"]
fn unprivileged_child() {
    let Some(dir) = std::env::var_os("STUDIO_COPY_CHILD") else {
        return;
    };
    let dir = Path::new(&dir);
    // Per thread (raw syscalls); the engine's workers are spawned from this thread and inherit it.
    rustix::thread::set_thread_gid(rustix::thread::Gid::from_raw(65534)).unwrap();
    rustix::thread::set_thread_uid(rustix::thread::Uid::from_raw(65534)).unwrap();
    // The ids already match: no error.
    let mut opts = options();
    opts.ownership = Ownership::Set {
        uid: 65534,
        gid: 65534,
    };
    let summary = studio_copy::copy(&dir.join("source"), &dir.join("same"), &opts).unwrap();
    assert!(summary.succeeded(), "{summary:?}");
    // Another uid: an Ownership error naming the entry and the ids.
    opts.ownership = Ownership::Set {
        uid: 200001,
        gid: 1001,
    };
    let summary = studio_copy::copy(&dir.join("source"), &dir.join("other"), &opts).unwrap();
    assert!(summary.counts.errors >= 1, "{summary:?}");
    let error = summary
        .errors
        .iter()
        .find(|e| matches!(e, Error::Ownership { .. }))
        .expect("an ownership error");
    let message = error.to_string();
    assert!(
        message.contains("uid 200001 gid 1001") && message.contains("root"),
        "{message}"
    );
    println!("CHILD-OK");
}

#[test]
fn overwrite_never_leaves_existing_entries_alone() {
    let sb = Sandbox::new();
    let (s, t) = (sb.source(), sb.target());
    write(&s.join("d/kept"), b"from source");
    write(&s.join("d/new"), b"new");
    symlink("source-text", s.join("link")).unwrap();
    write(&t.join("d/kept"), b"the target's own");
    fs::set_permissions(t.join("d/kept"), fs::Permissions::from_mode(0o600)).unwrap();
    symlink("target-text", t.join("link")).unwrap();
    let mut opts = options();
    opts.overwrite = Overwrite::Never;
    opts.transfer = Transfer::All;
    let summary = sb.copy(&opts);
    assert!(summary.succeeded(), "{summary:?}");
    assert_eq!(fs::read(t.join("d/kept")).unwrap(), b"the target's own");
    assert_eq!(
        fs::metadata(t.join("d/kept")).unwrap().mode() & 0o7777,
        0o600
    );
    assert_eq!(fs::read(t.join("d/new")).unwrap(), b"new");
    assert_eq!(
        fs::read_link(t.join("link")).unwrap(),
        Path::new("target-text")
    );
}

#[test]
fn transfer_changed_skips_files_with_the_same_size_and_mtime() {
    let sb = Sandbox::new();
    let (s, t) = (sb.source(), sb.target());
    write(&s.join("same"), b"aaaa");
    write(&s.join("grown"), b"bbbb");
    write(&s.join("touched"), b"cccc");
    assert!(sb.copy(&options()).succeeded());

    // Same size and mtime in the target but other bytes: CHANGED trusts size and mtime.
    let mtime = fs::metadata(t.join("same")).unwrap().modified().unwrap();
    fs::write(t.join("same"), b"AAAA").unwrap();
    set_times(&t.join("same"), mtime, mtime);
    write(&s.join("grown"), b"bbbbb");
    let touched_mtime = fs::metadata(s.join("touched")).unwrap().modified().unwrap();
    set_times(
        &s.join("touched"),
        touched_mtime,
        touched_mtime + Duration::from_secs(5),
    );

    let summary = sb.copy(&options());
    assert!(summary.succeeded(), "{summary:?}");
    assert_eq!(summary.counts.files, 2);
    assert_eq!(fs::read(t.join("same")).unwrap(), b"AAAA");
    assert_eq!(fs::read(t.join("grown")).unwrap(), b"bbbbb");

    // ALL copies everything.
    let mut all = options();
    all.transfer = Transfer::All;
    let summary = sb.copy(&all);
    assert!(summary.succeeded(), "{summary:?}");
    assert_eq!(summary.counts.files, 3);
    assert_same_tree(&s, &t);
}

#[test]
fn verify_reads_back_what_was_transferred() {
    let sb = Sandbox::new();
    let s = sb.source();
    write(
        &s.join("a"),
        &(0..200_000u32)
            .flat_map(|i| i.to_le_bytes())
            .collect::<Vec<_>>(),
    );
    write(&s.join("b/c"), b"c");
    for verify in [Verify::OnlyFilesTransferred, Verify::None] {
        let _ = fs::remove_dir_all(sb.target());
        let mut opts = options();
        opts.verify = verify;
        let summary = sb.copy(&opts);
        assert!(summary.succeeded(), "{verify:?}: {summary:?}");
        assert_eq!(summary.counts.files, 2);
        assert_same_tree(&s, &sb.target());
    }
}

#[test]
fn a_target_symlink_is_replaced_never_written_through() {
    let sb = Sandbox::new();
    let (s, t) = (sb.source(), sb.target());
    write(&s.join("dir/file"), b"into dir");
    write(&s.join("sentinel"), b"would overwrite the sentinel");
    symlink("x", s.join("link")).unwrap();
    fs::create_dir(&t).unwrap();
    symlink(sb.outside(), t.join("dir")).unwrap();
    symlink(sb.outside().join("sentinel"), t.join("sentinel")).unwrap();
    symlink(sb.outside().join("sentinel"), t.join("link")).unwrap();
    let summary = sb.copy(&options());
    assert!(summary.succeeded(), "{summary:?}");
    assert!(fs::symlink_metadata(t.join("dir")).unwrap().is_dir());
    assert_same_tree(&s, &t);
    sb.assert_outside_untouched();
}

#[test]
fn a_symlink_root_is_refused() {
    let sb = Sandbox::new();
    write(&sb.source().join("f"), b"f");
    let link = sb.dir.path().join("link-to-source");
    symlink(sb.source(), &link).unwrap();
    let err = studio_copy::copy(&link, &sb.target(), &options()).unwrap_err();
    assert!(matches!(err, Error::Root { .. }), "{err}");
    fs::create_dir(sb.dir.path().join("real-target")).unwrap();
    let link_target = sb.dir.path().join("link-to-target");
    symlink(sb.outside(), &link_target).unwrap();
    let err = studio_copy::copy(&sb.source(), &link_target, &options()).unwrap_err();
    assert!(matches!(err, Error::Root { .. }), "{err}");
    sb.assert_outside_untouched_but(&["link-to-source", "link-to-target", "real-target"]);
}

#[test]
fn a_deadline_stops_between_entries_and_a_second_run_finishes_the_copy() {
    let sb = Sandbox::new();
    let s = sb.source();
    for d in 0..20 {
        for f in 0..25 {
            write(
                &s.join(format!("d{d}/f{f}")),
                format!("{d}/{f}").repeat(50).as_bytes(),
            );
        }
        fs::hard_link(s.join(format!("d{d}/f0")), s.join(format!("link{d}"))).unwrap();
        symlink(format!("d{d}/f1"), s.join(format!("sym{d}"))).unwrap();
    }
    write(&s.join("big"), &vec![1u8; 8 << 20]);

    // Already past: nothing is copied.
    let mut opts = options();
    opts.deadline = Some(Instant::now());
    let summary = sb.copy(&opts);
    assert_eq!(summary.outcome, Outcome::Stopped);
    assert_eq!(summary.counts.files, 0);

    // Growing deadlines: each run stops somewhere, the next continues.
    let mut stopped = 0;
    let mut total_files = 0;
    for step in 1..200u64 {
        opts.deadline = Some(Instant::now() + Duration::from_micros(step * step * 20));
        let summary = sb.copy(&opts);
        assert_eq!(summary.counts.errors, 0, "{summary:?}");
        total_files += summary.counts.files;
        match summary.outcome {
            Outcome::Stopped => stopped += 1,
            Outcome::Completed => break,
        }
    }
    assert!(stopped >= 1, "no run stopped before the end");
    // No file was copied twice: 20 * 25 files and the big one. A hard-linked inode may be copied
    // once more when a later run meets another of its names first (then the name copied before
    // becomes a link to it).
    assert!(
        (20 * 25 + 1..=20 * 25 + 1 + 20).contains(&total_files),
        "{total_files} files copied"
    );
    assert_same_tree(&s, &sb.target());
    let last = sb.copy(&options());
    assert_eq!(
        (last.outcome, last.counts.files, last.counts.hard_links),
        (Outcome::Completed, 0, 0)
    );
}

#[test]
fn with_progress_before_deadline_every_run_past_its_deadline_still_moves_the_copy_forward() {
    let sb = Sandbox::new();
    let s = sb.source();
    for d in 0..4 {
        for f in 0..10 {
            write(&s.join(format!("d{d}/f{f}")), format!("{d}/{f}").as_bytes());
        }
    }
    symlink("d0/f0", s.join("sym")).unwrap();
    let mut opts = options();
    opts.threads = 2;
    opts.progress_before_deadline = true;
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 41, "no progress: {runs} runs for 41 entries");
        // Always already past: only the guarantee lets a run transfer anything.
        opts.deadline = Some(Instant::now());
        let summary = sb.copy(&opts);
        assert_eq!(summary.counts.errors, 0, "{summary:?}");
        match summary.outcome {
            Outcome::Stopped => assert!(
                summary.counts.files + summary.counts.symlinks > 0,
                "run {runs} stopped without transferring: {summary:?}"
            ),
            Outcome::Completed => break,
        }
    }
    assert!(
        runs > 2,
        "a deadline in the past stopped no run: {runs} runs"
    );
    assert_same_tree(&s, &sb.target());
    // Nothing left to transfer: a run past its deadline completes.
    opts.deadline = Some(Instant::now());
    assert_eq!(sb.copy(&opts).outcome, Outcome::Completed);
}

#[test]
fn the_stop_flag_stops_like_the_deadline_and_a_second_run_finishes() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let sb = Sandbox::new();
    for i in 0..50 {
        write(&sb.source().join(format!("d{}/f{i}", i % 5)), b"data");
    }
    let stop = Arc::new(AtomicBool::new(true));
    let mut stopping = options();
    stopping.stop = Some(Arc::clone(&stop));
    let summary = sb.copy(&stopping);
    assert_eq!(summary.outcome, Outcome::Stopped);
    assert_eq!(summary.counts.files, 0);

    stop.store(false, Ordering::Relaxed);
    let summary = sb.copy(&stopping);
    assert!(summary.succeeded(), "{summary:?}");
    assert_same_tree(&sb.source(), &sb.target());
}

#[test]
fn a_target_inside_the_source_is_not_copied_into_itself() {
    let sb = Sandbox::new();
    let s = sb.source();
    write(&s.join("a/file"), b"a");
    let target = s.join("a/target");
    let summary = studio_copy::copy(&s, &target, &options()).unwrap();
    assert_eq!(summary.counts.errors, 1, "{summary:?}");
    assert!(
        matches!(summary.errors[0], Error::TargetInsideSource { .. }),
        "{summary:?}"
    );
    assert_eq!(fs::read(target.join("a/file")).unwrap(), b"a");
    assert!(!target.join("a/target/a").exists());
    let same = studio_copy::copy(&s, &s, &options()).unwrap_err();
    assert!(matches!(same, Error::Root { .. }), "{same}");
}

#[test]
fn progress_is_readable_while_copying_and_the_summary_counts_one_copy() {
    let sb = Sandbox::new();
    for i in 0..200 {
        write(&sb.source().join(format!("d{}/f{i}", i % 7)), b"0123456789");
    }
    let progress = studio_copy::Progress::new();
    let first =
        studio_copy::copy_with_progress(&sb.source(), &sb.target(), &options(), &progress).unwrap();
    assert_eq!((first.counts.files, first.counts.bytes), (200, 2000));
    let second_target = sb.dir.path().join("target");
    fs::remove_dir_all(&second_target).unwrap();
    let second =
        studio_copy::copy_with_progress(&sb.source(), &second_target, &options(), &progress)
            .unwrap();
    assert_eq!(second.counts, first.counts);
    assert_eq!(progress.counts().files, 400);
    assert_eq!(progress.bytes_written(), 4000);
}

#[test]
fn bytes_written_moves_while_a_large_file_copies_and_a_dry_run_writes_none() {
    let sb = Sandbox::new();
    // Larger than one 64 MiB chunk: sparse, so the test writes little itself.
    let big = File::create(sb.source().join("big")).unwrap();
    big.set_len((64 << 20) + 5).unwrap();
    drop(big);
    let mut dry = options();
    dry.dry_run = true;
    let progress = studio_copy::Progress::new();
    let planned =
        studio_copy::copy_with_progress(&sb.source(), &sb.target(), &dry, &progress).unwrap();
    assert_eq!(planned.counts.bytes, (64 << 20) + 5);
    assert_eq!(progress.bytes_written(), 0);

    let mut quick = options();
    quick.verify = Verify::None;
    let done =
        studio_copy::copy_with_progress(&sb.source(), &sb.target(), &quick, &progress).unwrap();
    assert!(done.succeeded(), "{done:?}");
    assert_eq!(progress.bytes_written(), (64 << 20) + 5);
}

#[test]
fn a_very_deep_tree_is_copied() {
    // Deeper than PATH_MAX allows as one path: only descriptor-relative calls reach the bottom.
    let sb = Sandbox::new();
    let mut dir = rustix::fs::open(
        sb.source(),
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let depth = 1500;
    for level in 0..depth {
        rustix::fs::mkdirat(
            &dir,
            "a-rather-long-directory-name",
            rustix::fs::Mode::from_raw_mode(0o755),
        )
        .unwrap();
        dir = rustix::fs::openat(
            &dir,
            "a-rather-long-directory-name",
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
            rustix::fs::Mode::empty(),
        )
        .unwrap();
        if level % 100 == 0 {
            let file = rustix::fs::openat(
                &dir,
                "file",
                rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CREATE,
                rustix::fs::Mode::from_raw_mode(0o644),
            )
            .unwrap();
            rustix::io::write(&file, format!("level {level}").as_bytes()).unwrap();
        }
    }
    let summary = sb.copy(&options());
    assert!(
        summary.succeeded(),
        "{:?}",
        &summary.errors[..summary.errors.len().min(3)]
    );
    assert_eq!(summary.counts.directories, depth + 1);
    assert_eq!(summary.counts.files, depth / 100);
}

#[test]
fn excluded_entries_are_neither_copied_nor_read() {
    let sb = Sandbox::new();
    let s = sb.source();
    write(&s.join("nb/analysis.ipynb"), b"{}");
    write(
        &s.join("nb/.ipynb_checkpoints/analysis-checkpoint.ipynb"),
        b"old",
    );
    write(&s.join(".ipynb_checkpoints/top-checkpoint.ipynb"), b"old");
    write(&s.join("scratch/big.bin"), b"scratch");
    write(&s.join("proj/scratch/kept.txt"), b"kept");
    write(&s.join("proj/a.tmp"), b"tmp");
    // An excluded directory that cannot be read (but by root): excluded means not opened at all.
    write(&s.join("locked/secret"), b"secret");
    fs::set_permissions(s.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let mut opts = options();
    opts.excludes =
        studio_copy::Filter::parse("*/.ipynb_checkpoints|/scratch|*.tmp|/locked").unwrap();
    let summary = sb.copy(&opts);
    fs::set_permissions(s.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
    assert!(summary.succeeded(), "{summary:?}");
    // nb/.ipynb_checkpoints, .ipynb_checkpoints, scratch, proj/a.tmp, locked.
    assert_eq!(summary.counts.excluded, 5, "{summary:?}");
    assert_eq!(summary.counts.files, 2, "{summary:?}");
    let t = sb.target();
    assert!(t.join("nb/analysis.ipynb").is_file());
    assert!(t.join("proj/scratch/kept.txt").is_file());
    for gone in [
        "nb/.ipynb_checkpoints",
        ".ipynb_checkpoints",
        "scratch",
        "proj/a.tmp",
        "locked",
    ] {
        assert!(!t.join(gone).exists(), "{gone} was excluded");
    }
    // A dry run counts the same.
    let mut dry = opts.clone();
    dry.dry_run = true;
    let again = sb.copy(&dry);
    assert_eq!(again.counts.excluded, 5, "{again:?}");
    assert_eq!(again.counts.files, 0, "{again:?}");
}

#[test]
fn deferred_hard_links_are_left_to_the_whole_tree_run() {
    let sb = Sandbox::new();
    let s = sb.source();
    write(&s.join("a/f"), b"shared");
    fs::create_dir_all(s.join("b")).unwrap();
    fs::hard_link(s.join("a/f"), s.join("b/g")).unwrap();
    write(&s.join("a/alone"), b"alone");
    let mut deferring = options();
    deferring.defer_hard_links = true;
    let first = sb.copy(&deferring);
    assert!(first.succeeded(), "{first:?}");
    assert_eq!(
        (first.counts.files, first.counts.deferred),
        (1, 2),
        "{first:?}"
    );
    let t = sb.target();
    assert!(!t.join("a/f").exists() && !t.join("b/g").exists());
    let rest = sb.copy(&options());
    assert!(rest.succeeded(), "{rest:?}");
    assert_eq!(
        (rest.counts.files, rest.counts.hard_links),
        (1, 1),
        "{rest:?}"
    );
    let ino = |p: &str| fs::metadata(t.join(p)).unwrap().ino();
    assert_eq!(ino("a/f"), ino("b/g"));
    assert_same_tree(&s, &t);
}

#[test]
fn hard_links_stay_one_inode_when_every_run_is_out_of_time() {
    for threads in [1, 2, 32] {
        let sb = Sandbox::new();
        let s = sb.source();
        for d in 0..3 {
            for f in 0..6 {
                write(
                    &s.join(format!("p{d}/n/f{f}")),
                    format!("{d} {f}").as_bytes(),
                );
            }
        }
        write(&s.join("run.sh"), b"#!/bin/sh\n");
        fs::hard_link(s.join("run.sh"), s.join("run-again.sh")).unwrap();
        write(&s.join("secret"), b"s");
        let mut opts = options();
        opts.threads = threads;
        opts.progress_before_deadline = true;
        let mut runs = 0;
        loop {
            opts.deadline = Some(Instant::now());
            let summary = sb.copy(&opts);
            runs += 1;
            assert_eq!(summary.counts.errors, 0, "{summary:?}");
            if summary.outcome == Outcome::Completed {
                break;
            }
            assert!(runs < 200, "no end after {runs} runs");
        }
        let t = sb.target();
        let ino = |p: &str| fs::metadata(t.join(p)).unwrap().ino();
        assert_eq!(
            ino("run.sh"),
            ino("run-again.sh"),
            "{threads} threads, {runs} runs"
        );
        assert_same_tree(&s, &t);
    }
}

#[test]
fn a_resumed_copy_that_meets_a_new_name_before_a_copied_one_keeps_the_link_whole() {
    // A run stopped between two names of one inode left one copied; the next meets the names in
    // some order. Both orders happen in one of these two cases, whatever readdir's order is.
    for copied_before in ["a/x", "b/y"] {
        for threads in [1, 4] {
            let sb = Sandbox::new();
            let s = sb.source();
            write(&s.join("a/x"), b"shared data");
            fs::create_dir_all(s.join("b")).unwrap();
            fs::hard_link(s.join("a/x"), s.join("b/y")).unwrap();
            write(&s.join("c/other"), b"other");
            let mut opts = options();
            opts.overwrite = Overwrite::Never;
            opts.threads = threads;
            // The earlier run: everything, then one name of the inode taken away again.
            assert!(sb.copy(&opts).succeeded());
            let t = sb.target();
            let gone = if copied_before == "a/x" { "b/y" } else { "a/x" };
            fs::remove_file(t.join(gone)).unwrap();
            let kept = fs::metadata(t.join(copied_before)).unwrap().ino();

            let summary = sb.copy(&opts);
            assert!(summary.succeeded(), "{summary:?}");
            // Whichever name came first: no file's data is counted, one link made.
            assert_eq!(
                (
                    summary.counts.files,
                    summary.counts.bytes,
                    summary.counts.hard_links
                ),
                (0, 0, 1),
                "{copied_before} kept, {threads} threads: {summary:?}"
            );
            let ino = |p: &str| fs::metadata(t.join(p)).unwrap().ino();
            assert_eq!(
                ino("a/x"),
                ino("b/y"),
                "{copied_before} kept, {threads} threads"
            );
            assert_eq!(
                ino(copied_before),
                kept,
                "the name that existed is not replaced"
            );
            assert_same_tree(&s, &t);
        }
    }
}
