//! The copier Lambda function of the native engine (`studio_core::native` has the request, the
//! response, the environment and the caller's loop).
//!
//! The function mounts one EFS file system through an access point whose POSIX user is root
//! (`modules/restore-workflow` creates both), so that it can read every home and give the copied
//! entries to the target uid. One invocation copies `<mount>/<source uid>` into
//! `<mount>/<target uid>` with the `studio-copy` engine until the invocation's time, less a
//! reserve, is used up, and answers whether the copy is complete; the caller invokes it again
//! until it is. The engine's safety rules hold as they are: nothing is read or written through a
//! symlink, every operation is relative to an open directory. The two roots are single numeric
//! components under the mount path.
//!
//! To scale out (the restore workflow's Map state), [`Operation::ListSubtrees`] names the source
//! home's top-level directories and a request's `subtree` copies one of them. The subtree name is
//! the only name from a request that reaches a path, and never as a path of its own: both homes
//! are opened first (no-follow), and the engine is given `/proc/self/fd/<home>/<name>`, which
//! the kernel resolves beneath the open home, whatever was renamed meanwhile; the engine opens
//! that last component with `O_NOFOLLOW`, so a subtree that is a symlink is refused, never
//! followed, in either home.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use serde::Serialize;

use studio_copy::{Filter, Options, Outcome, Overwrite, Ownership, Transfer, Verify};
use studio_core::Error;
use studio_core::native::CopySettings;
use studio_core::native::{
    CopyRequest, CopyResponse, DEFAULT_RESERVE, DEFAULT_THREADS, ENV_FILE_SYSTEM_ID,
    ENV_MOUNT_PATH, ENV_RESERVE_MS, ENV_THREADS, ListResponse, MAX_ERROR_SAMPLES, MAX_SUBTREES,
    Operation, Tally,
};
use studio_core::restore::{HOME_PERMISSIONS, OverwriteMode, TransferMode};

/// An invocation's answer: its operation's response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Copy(CopyResponse),
    List(ListResponse),
}

/// Serves one invocation of any operation with `left` of its time remaining.
pub fn serve(settings: &Settings, request: &CopyRequest, left: Duration) -> Result<Answer, Error> {
    match request.operation {
        Operation::Copy => handle(settings, request, left).map(Answer::Copy),
        Operation::ListSubtrees => list_subtrees(settings, request).map(Answer::List),
    }
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Opens a home (`<mount>/<uid>`) without following a symlink.
fn open_home(path: &Path) -> Result<OwnedFd, Errno> {
    rustix::fs::open(path, DIR_FLAGS, Mode::empty())
}

/// Opens the target home, creating it first if it is missing as Studio (and the DataSync path's
/// access point) would: owned by the target uid and Studio's group (the request's gid), mode
/// 0700. Subtree copies write into it, so it must exist before them.
fn open_or_create_target_home(path: &Path, uid: u32, gid: u32) -> Result<OwnedFd, Errno> {
    let mode = u32::from_str_radix(HOME_PERMISSIONS, 8).unwrap_or(0o700);
    match rustix::fs::mkdir(path, Mode::from_raw_mode(mode)) {
        Ok(()) => {
            let fd = open_home(path)?;
            rustix::fs::fchown(
                &fd,
                Some(rustix::fs::Uid::from_raw(uid)),
                Some(rustix::fs::Gid::from_raw(gid)),
            )?;
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))?;
            Ok(fd)
        }
        Err(Errno::EXIST) => open_home(path),
        Err(e) => Err(e),
    }
}

/// Names the source home's top-level directories (symlinks are not directories here: they are
/// never followed) and makes sure the target home exists.
pub fn list_subtrees(settings: &Settings, request: &CopyRequest) -> Result<ListResponse, Error> {
    check_file_system(settings, request)?;
    let copy = request.settings()?;
    let failed = |what: &str, path: &Path, e: Errno| {
        Error::Invalid(format!(
            "restore {}: {what} {} on {}: {e}",
            request.restore_id,
            path.display(),
            request.file_system_id
        ))
    };
    let source = settings.mount_path.join(copy.source.to_string());
    let target = settings.mount_path.join(copy.target.to_string());
    let excludes = excludes(request)?;
    let home = open_home(&source).map_err(|e| failed("opening the source home", &source, e))?;
    open_or_create_target_home(&target, copy.target.get(), copy.gid)
        .map_err(|e| failed("opening or creating the target home", &target, e))?;
    let mut dir = rustix::fs::Dir::read_from(&home)
        .map_err(|e| failed("reading the source home", &source, e))?;
    let mut answer = ListResponse::default();
    while let Some(entry) = dir.read() {
        let entry = entry.map_err(|e| failed("reading the source home", &source, e))?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let kind = match entry.file_type() {
            FileType::Unknown => {
                match rustix::fs::statat(&home, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(stat) => FileType::from_raw_mode(stat.st_mode),
                    // Gone since readdir: nothing to copy.
                    Err(Errno::NOENT) => continue,
                    Err(e) => return Err(failed("reading the source home", &source, e)),
                }
            }
            kind => kind,
        };
        // An excluded directory is left to the final pass, which leaves it out.
        if kind != FileType::Directory || excludes.excludes(name) {
            continue;
        }
        match std::str::from_utf8(name) {
            Ok(name) if answer.subtrees.len() < MAX_SUBTREES => {
                answer.subtrees.push(name.to_owned())
            }
            _ => answer.skipped += 1,
        }
    }
    answer.subtrees.sort();
    Ok(answer)
}

/// The request's exclude filter, parsed as DataSync would.
fn excludes(request: &CopyRequest) -> Result<Filter, Error> {
    Filter::parse(&request.excludes).map_err(|e| {
        Error::Invalid(format!(
            "restore {}: excludes {:?}: {e}: nothing was copied",
            request.restore_id, request.excludes
        ))
    })
}

fn check_file_system(settings: &Settings, request: &CopyRequest) -> Result<(), Error> {
    if request.file_system_id != settings.file_system_id {
        return Err(Error::Refused(format!(
            "this copier mounts {}, not {}: nothing was copied",
            settings.file_system_id, request.file_system_id
        )));
    }
    Ok(())
}

/// The function's configuration, from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file system the function's access point belongs to.
    pub file_system_id: String,
    /// Where it is mounted (the file system config's `LocalMountPath`).
    pub mount_path: PathBuf,
    /// Kept back from each invocation's time.
    pub reserve: Duration,
    pub threads: usize,
}

impl Settings {
    pub fn from_env() -> Result<Settings, Error> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from `lookup` (the environment, or a test's map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, Error> {
        let required = |name: &str| {
            lookup(name).filter(|v| !v.is_empty()).ok_or_else(|| {
                Error::Invalid(format!(
                    "{name} is not set: deploy the copier with modules/restore-workflow"
                ))
            })
        };
        let number = |name: &str| -> Result<Option<u64>, Error> {
            lookup(name)
                .map(|v| {
                    v.trim().parse::<u64>().map_err(|_| {
                        Error::Invalid(format!("{name} is {v:?}: expected a whole number"))
                    })
                })
                .transpose()
        };
        let mount_path = PathBuf::from(required(ENV_MOUNT_PATH)?);
        if !mount_path.is_absolute() {
            return Err(Error::Invalid(format!(
                "{ENV_MOUNT_PATH} is {}: expected an absolute path (the LocalMountPath)",
                mount_path.display()
            )));
        }
        Ok(Settings {
            file_system_id: required(ENV_FILE_SYSTEM_ID)?,
            mount_path,
            reserve: number(ENV_RESERVE_MS)?
                .map(Duration::from_millis)
                .unwrap_or(DEFAULT_RESERVE),
            threads: number(ENV_THREADS)?
                .map(|n| n.clamp(1, 256) as usize)
                .unwrap_or(DEFAULT_THREADS),
        })
    }
}

/// The engine's options for `request`, whose checked settings are `copy`.
fn engine_options(
    settings: &Settings,
    copy: &CopySettings,
    request: &CopyRequest,
    left: Duration,
) -> Result<Options, Error> {
    let mut options = Options::new(match copy.owner {
        Some((uid, gid)) => Ownership::Set { uid, gid },
        None => Ownership::Preserve,
    });
    options.overwrite = match copy.overwrite {
        OverwriteMode::Always => Overwrite::Always,
        OverwriteMode::Never => Overwrite::Never,
    };
    options.transfer = match copy.transfer {
        TransferMode::Changed => Transfer::Changed,
        TransferMode::All => Transfer::All,
    };
    options.verify = if copy.verify {
        Verify::OnlyFilesTransferred
    } else {
        Verify::None
    };
    options.threads = settings.threads;
    options.deadline = Some(Instant::now() + left.saturating_sub(settings.reserve));
    options.progress_before_deadline = true;
    let excludes = excludes(request)?;
    options.excludes = match &request.subtree {
        Some(name) => excludes.beneath(name.as_bytes()),
        None => excludes,
    };
    // Hard links are the last pass's: names of one inode in two subtrees would become two files.
    options.defer_hard_links = request.subtree.is_some();
    Ok(options)
}

/// Serves one invocation with `left` of its time remaining.
pub fn handle(
    settings: &Settings,
    request: &CopyRequest,
    left: Duration,
) -> Result<CopyResponse, Error> {
    check_file_system(settings, request)?;
    let copy = request.settings()?;
    // A malformed start is refused before anything is copied.
    request.elapsed_ms(std::time::SystemTime::now())?;
    let options = engine_options(settings, &copy, request, left)?;
    let source = settings.mount_path.join(copy.source.to_string());
    let target = settings.mount_path.join(copy.target.to_string());
    let within = request
        .subtree
        .as_deref()
        .map(|name| format!(" (subtree {name:?})"))
        .unwrap_or_default();
    let failed = |e: &dyn std::fmt::Display| {
        Error::Invalid(format!(
            "restore {}: copying {} into {}{within} on {}: {e}",
            request.restore_id,
            copy.source.directory(),
            copy.target.directory(),
            request.file_system_id
        ))
    };
    let summary = match &request.subtree {
        None => studio_copy::copy(&source, &target, &options),
        Some(name) => {
            // Both homes open (no-follow) first; the engine then opens `<home fd>/<name>` with
            // O_NOFOLLOW, so the name resolves beneath them and never through a symlink.
            let source_home = open_home(&source).map_err(|e| failed(&e))?;
            let target_home = open_or_create_target_home(&target, copy.target.get(), copy.gid)
                .map_err(|e| failed(&e))?;
            let beneath = |fd: &OwnedFd| {
                PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())).join(name)
            };
            studio_copy::copy(&beneath(&source_home), &beneath(&target_home), &options)
        }
    }
    .map_err(|e| failed(&e))?;
    let c = summary.counts;
    let response = CopyResponse {
        done: summary.outcome == Outcome::Completed,
        files: c.files,
        bytes: c.bytes,
        directories: c.directories,
        symlinks: c.symlinks,
        hard_links: c.hard_links,
        unchanged: c.unchanged,
        special: c.special,
        excluded: c.excluded,
        errors: c.errors,
        error_samples: summary
            .errors
            .iter()
            .take(MAX_ERROR_SAMPLES)
            .map(ToString::to_string)
            .collect(),
        total: Tally::sum(request.carried.iter().chain([&Tally {
            files: c.files,
            bytes: c.bytes,
        }])),
        elapsed_ms: request
            .elapsed_ms(std::time::SystemTime::now())
            .unwrap_or(0),
    };
    tracing::info!(
        restore = %request.restore_id,
        source = %copy.source.directory(),
        target = %copy.target.directory(),
        subtree = request.subtree.as_deref().unwrap_or(""),
        done = response.done,
        files = c.files,
        bytes = c.bytes,
        unchanged = c.unchanged,
        errors = c.errors,
        "copy"
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::fs;
    use std::os::unix::fs::symlink;
    use studio_core::restore::STUDIO_GID;

    fn settings(mount: &std::path::Path, reserve_ms: &str) -> Settings {
        let env: HashMap<&str, String> = [
            (ENV_FILE_SYSTEM_ID, "fs-1".to_owned()),
            (ENV_MOUNT_PATH, mount.display().to_string()),
            (ENV_RESERVE_MS, reserve_ms.to_owned()),
            (ENV_THREADS, "2".to_owned()),
        ]
        .into();
        Settings::from_lookup(|k| env.get(k).cloned()).unwrap()
    }

    fn request(fs: &str) -> CopyRequest {
        CopyRequest {
            restore_id: "r1".into(),
            file_system_id: fs.into(),
            source_uid: 200000,
            target_uid: 200005,
            ownership: "preserve".into(),
            overwrite_mode: "NEVER".into(),
            transfer_mode: "CHANGED".into(),
            verify_mode: "ONLY_FILES_TRANSFERRED".into(),
            operation: Operation::Copy,
            subtree: None,
            carried: Vec::new(),
            gid: None,
            excludes: String::new(),
            started_at: None,
        }
    }

    fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    #[test]
    fn excludes_leave_out_what_datasync_would_in_subtrees_and_in_the_final_pass() {
        let mount = tempfile::tempdir().unwrap();
        let source = mount.path().join("200000");
        for dir in [
            "nb/.ipynb_checkpoints",
            ".ipynb_checkpoints",
            "scratch",
            "proj/scratch",
        ] {
            fs::create_dir_all(source.join(dir)).unwrap();
        }
        fs::write(source.join("nb/a.ipynb"), "a").unwrap();
        fs::write(
            source.join("nb/.ipynb_checkpoints/a-checkpoint.ipynb"),
            "old",
        )
        .unwrap();
        fs::write(source.join(".ipynb_checkpoints/top.ipynb"), "old").unwrap();
        fs::write(source.join("scratch/big"), "big").unwrap();
        fs::write(source.join("proj/scratch/kept"), "kept").unwrap();
        fs::create_dir(mount.path().join("200005")).unwrap();
        let settings = settings(mount.path(), "0");
        let with = |operation, subtree: Option<&str>| {
            let mut r = request("fs-1");
            r.operation = operation;
            r.subtree = subtree.map(str::to_owned);
            r.excludes = "*/.ipynb_checkpoints|/scratch".into();
            r
        };
        let Answer::List(listed) = serve(
            &settings,
            &with(Operation::ListSubtrees, None),
            Duration::from_secs(5),
        )
        .unwrap() else {
            panic!("a list request answered a copy")
        };
        assert_eq!(
            listed.subtrees,
            ["nb", "proj"],
            "excluded directories are not listed"
        );
        let mut excluded = 0;
        for name in &listed.subtrees {
            let answer = handle(
                &settings,
                &with(Operation::Copy, Some(name)),
                Duration::from_secs(5),
            )
            .unwrap();
            assert!(answer.done && answer.errors == 0, "{answer:?}");
            excluded += answer.excluded;
        }
        assert_eq!(excluded, 1, "nb/.ipynb_checkpoints, matched from the home");
        let last = handle(
            &settings,
            &with(Operation::Copy, None),
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(last.done && last.errors == 0, "{last:?}");
        let target = mount.path().join("200005");
        assert!(target.join("nb/a.ipynb").is_file());
        assert!(target.join("proj/scratch/kept").is_file());
        for gone in ["nb/.ipynb_checkpoints", ".ipynb_checkpoints", "scratch"] {
            assert!(!target.join(gone).exists(), "{gone}");
        }
        // A filter DataSync would refuse is refused, naming it, before anything is copied.
        let mut bad = with(Operation::Copy, None);
        bad.excludes = "/ends/with\\".into();
        bad.target_uid = 200006;
        let err = handle(&settings, &bad, Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("excludes"), "{err}");
        assert!(!mount.path().join("200006").exists());
    }

    #[test]
    fn a_hard_link_across_subtrees_stays_one_inode() {
        use std::os::unix::fs::MetadataExt;
        let mount = tempfile::tempdir().unwrap();
        let source = mount.path().join("200000");
        for dir in ["a", "b"] {
            fs::create_dir_all(source.join(dir)).unwrap();
        }
        fs::write(source.join("a/f"), "shared").unwrap();
        fs::hard_link(source.join("a/f"), source.join("b/g")).unwrap();
        fs::create_dir(mount.path().join("200005")).unwrap();
        let settings = settings(mount.path(), "0");
        let mut deferred = 0;
        for name in ["a", "b"] {
            let mut one = request("fs-1");
            one.subtree = Some(name.into());
            let answer = handle(&settings, &one, Duration::from_secs(5)).unwrap();
            assert!(answer.done && answer.errors == 0, "{answer:?}");
            assert_eq!(
                answer.files, 0,
                "{name}: the linked file is the last pass's"
            );
            deferred += 1;
        }
        let last = handle(&settings, &request("fs-1"), Duration::from_secs(5)).unwrap();
        assert!(last.done && last.errors == 0, "{last:?}");
        assert_eq!((last.files, last.hard_links), (1, 1), "{last:?}");
        let target = mount.path().join("200005");
        let ino = |rel: &str| fs::metadata(target.join(rel)).unwrap().ino();
        assert_eq!(ino("a/f"), ino("b/g"), "after {deferred} subtree copies");
        assert_eq!(fs::read(target.join("b/g")).unwrap(), b"shared");
    }

    #[test]
    fn the_requests_gid_owns_what_is_copied_and_the_home_it_creates() {
        if !is_root() {
            eprintln!("skipped: giving files away needs root");
            return;
        }
        use std::os::unix::fs::MetadataExt;
        let mount = tempfile::tempdir().unwrap();
        let source = mount.path().join("200000");
        fs::create_dir_all(source.join("d")).unwrap();
        fs::write(source.join("d/f"), "f").unwrap();
        let settings = settings(mount.path(), "0");
        let mut list = request("fs-1");
        list.operation = Operation::ListSubtrees;
        list.ownership = "target".into();
        list.gid = Some(4242);
        serve(&settings, &list, Duration::from_secs(5)).unwrap();
        let mut copy = list.clone();
        copy.operation = Operation::Copy;
        let answer = handle(&settings, &copy, Duration::from_secs(5)).unwrap();
        assert!(answer.done && answer.errors == 0, "{answer:?}");
        let target = mount.path().join("200005");
        for path in [target.clone(), target.join("d"), target.join("d/f")] {
            let meta = fs::metadata(&path).unwrap();
            assert_eq!(
                (meta.uid(), meta.gid()),
                (200005, 4242),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn subtrees_then_a_final_pass_restore_the_whole_home_and_never_follow_a_link() {
        let mount = tempfile::tempdir().unwrap();
        let source = mount.path().join("200000");
        for dir in ["a/deep/er", "b", "c d"] {
            fs::create_dir_all(source.join(dir)).unwrap();
        }
        fs::write(source.join("a/deep/er/f"), "in a").unwrap();
        fs::write(source.join("b/g"), "in b").unwrap();
        fs::write(source.join("top"), "at the top").unwrap();
        // Outside the home: a directory that a subtree named after a link must not reach.
        let outside = mount.path().join("300000");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("secret"), "not yours").unwrap();
        symlink("../300000", source.join("escape")).unwrap();
        if !is_root() {
            // Without root the target home cannot be given away: have it exist already.
            fs::create_dir(mount.path().join("200005")).unwrap();
        }
        let settings = settings(mount.path(), "0");
        let mut list = request("fs-1");
        list.operation = Operation::ListSubtrees;
        let Answer::List(listed) = serve(&settings, &list, Duration::from_secs(5)).unwrap() else {
            panic!("a list request answered a copy")
        };
        assert_eq!(
            listed.subtrees,
            ["a", "b", "c d"],
            "links and files are not subtrees"
        );
        assert_eq!(listed.skipped, 0);
        let target = mount.path().join("200005");
        if is_root() {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            let meta = fs::metadata(&target).unwrap();
            assert_eq!((meta.uid(), meta.gid()), (200005, STUDIO_GID));
            assert_eq!(meta.permissions().mode() & 0o7777, 0o700);
        }
        let mut copied = 0;
        for name in &listed.subtrees {
            let mut one = request("fs-1");
            one.subtree = Some(name.clone());
            let answer = handle(&settings, &one, Duration::from_secs(5)).unwrap();
            assert!(answer.done && answer.errors == 0, "{answer:?}");
            assert_eq!(
                answer.total.files, answer.files,
                "nothing carried: {answer:?}"
            );
            copied += answer.files;
        }
        assert_eq!(copied, 2);
        assert_eq!(fs::read(target.join("b/g")).unwrap(), b"in b");
        assert!(
            !target.join("top").exists(),
            "a subtree copied the home's own files"
        );

        // A subtree named after the link (say, a home changed since it was listed) is refused:
        // nothing outside the home is read, nothing is created for it.
        let mut hostile = request("fs-1");
        hostile.subtree = Some("escape".into());
        let err = handle(&settings, &hostile, Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("escape"), "{err}");
        assert!(!target.join("escape").exists());
        assert!(fs::read_dir(&outside).unwrap().count() == 1);
        for bad in ["..", "a/deep", "../300000", "/etc", ""] {
            let mut one = request("fs-1");
            one.subtree = Some(bad.into());
            let err = handle(&settings, &one, Duration::from_secs(5)).unwrap_err();
            assert!(err.to_string().contains("subtree"), "{bad:?}: {err}");
        }
        // A link planted in the target where a subtree goes is not written through either.
        let elsewhere = mount.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::create_dir(source.join("e")).unwrap();
        fs::write(source.join("e/h"), "e").unwrap();
        symlink(&elsewhere, target.join("e")).unwrap();
        let mut planted = request("fs-1");
        planted.subtree = Some("e".into());
        assert!(handle(&settings, &planted, Duration::from_secs(5)).is_err());
        assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
        fs::remove_file(target.join("e")).unwrap();

        // The final pass copies the rest and leaves what the subtrees copied.
        let answer = handle(&settings, &request("fs-1"), Duration::from_secs(5)).unwrap();
        assert!(answer.done && answer.errors == 0, "{answer:?}");
        assert_eq!(
            answer.files, 2,
            "the top file and e/h, nothing twice: {answer:?}"
        );
        assert_eq!(fs::read(target.join("top")).unwrap(), b"at the top");
        assert_eq!(fs::read(target.join("a/deep/er/f")).unwrap(), b"in a");
        assert_eq!(
            fs::read_link(target.join("escape")).unwrap(),
            PathBuf::from("../300000")
        );
    }

    #[test]
    fn invocations_out_of_time_each_move_the_copy_forward_until_it_is_complete() {
        let mount = tempfile::tempdir().unwrap();
        let source = mount.path().join("200000");
        for i in 0..30 {
            let dir = source.join(format!("d{}", i % 3));
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join(format!("f{i}")), format!("file {i}")).unwrap();
        }
        symlink("../../outside", source.join("link")).unwrap();
        // All of each invocation's time is reserve: only the progress guarantee copies.
        let settings = settings(mount.path(), "60000");
        let mut invocations = 0;
        let mut files = 0;
        loop {
            invocations += 1;
            assert!(invocations <= 40, "no progress");
            let answer = handle(&settings, &request("fs-1"), Duration::from_secs(1)).unwrap();
            assert_eq!(answer.errors, 0, "{answer:?}");
            files += answer.files;
            if answer.done {
                break;
            }
        }
        assert!(invocations > 1, "one invocation copied everything");
        assert_eq!(files, 30);
        let target = mount.path().join("200005");
        for i in 0..30 {
            let rel = format!("d{}/f{i}", i % 3);
            assert_eq!(
                fs::read(target.join(&rel)).unwrap(),
                fs::read(source.join(&rel)).unwrap()
            );
        }
        assert_eq!(
            fs::read_link(target.join("link")).unwrap(),
            PathBuf::from("../../outside")
        );
    }

    #[test]
    fn a_request_for_another_file_system_or_a_bad_one_copies_nothing() {
        let mount = tempfile::tempdir().unwrap();
        fs::create_dir(mount.path().join("200000")).unwrap();
        fs::write(mount.path().join("200000/f"), "x").unwrap();
        let settings = settings(mount.path(), "0");
        let err = handle(&settings, &request("fs-2"), Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("mounts fs-1, not fs-2"), "{err}");
        let mut same = request("fs-1");
        same.target_uid = same.source_uid;
        assert!(handle(&settings, &same, Duration::from_secs(5)).is_err());
        let mut missing = request("fs-1");
        missing.source_uid = 300000;
        let err = handle(&settings, &missing, Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("/300000"), "{err}");
        assert!(!mount.path().join("200005").exists());
    }

    #[test]
    fn the_module_sets_the_environment_this_function_reads() {
        // modules/restore-workflow deploys the copier: its environment must name these
        // variables exactly (one authority: studio_core::native).
        let module = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../modules/restore-workflow/copier.tf"),
        )
        .unwrap();
        for name in [ENV_FILE_SYSTEM_ID, ENV_MOUNT_PATH, ENV_RESERVE_MS] {
            assert!(
                module.contains(&format!("      {name} ")),
                "copier.tf does not set {name}"
            );
        }
        assert!(module.contains("local_mount_path = local.copier_mount_path"));
        assert!(module.contains("STUDIO_COPIER_MOUNT_PATH     = local.copier_mount_path"));
    }

    #[test]
    fn settings_name_what_is_missing_or_wrong() {
        let err = Settings::from_lookup(|_| None).unwrap_err();
        assert!(err.to_string().contains(ENV_MOUNT_PATH), "{err}");
        let err = Settings::from_lookup(|k| match k {
            ENV_MOUNT_PATH => Some("/mnt/efs".into()),
            ENV_FILE_SYSTEM_ID => Some("fs-1".into()),
            ENV_RESERVE_MS => Some("soon".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(err.to_string().contains(ENV_RESERVE_MS), "{err}");
        let err = Settings::from_lookup(|k| match k {
            ENV_MOUNT_PATH => Some("mnt".into()),
            _ => Some("fs-1".into()),
        })
        .unwrap_err();
        assert!(err.to_string().contains("absolute"), "{err}");
    }
}
