//! `studio-copy`: a native restore engine. It copies one directory tree into another on the same
//! machine (a Studio home directory into its successor, both on one mounted EFS file system) with
//! the semantics DataSync documents for EFS-to-EFS transfers, so that it can stand in for a
//! DataSync task. It knows nothing about AWS. The `studio-copy` binary of this package is the
//! engine as a command (`studio-copy --help`, and the package's README).
//!
//! # Semantics
//!
//! They follow the DataSync pages "How DataSync handles metadata and special files" and
//! "Configuring how to handle files, objects, and metadata", and the `Options` of a
//! `StartTaskExecution`:
//!
//! | DataSync option | here |
//! |---|---|
//! | `OverwriteMode` `ALWAYS` / `NEVER` | [`Overwrite::Always`] / [`Overwrite::Never`]: with NEVER an entry that exists in the target is not modified (neither data nor metadata) |
//! | `TransferMode` `CHANGED` / `ALL` | [`Transfer::Changed`] / [`Transfer::All`]: CHANGED skips a file whose target has the same size and modification time (its metadata is still brought up to date) |
//! | `VerifyMode` `ONLY_FILES_TRANSFERRED` / `NONE` | [`Verify::OnlyFilesTransferred`] / [`Verify::None`]: the SHA-256 of each transferred file is read back from the target and compared with the source's |
//! | `PosixPermissions` `PRESERVE` | always: permission bits including setuid, setgid and sticky |
//! | `Uid`/`Gid` `INT_VALUE` (or `BOTH`) | [`Ownership::Set`] (Studio: the profile's uid, gid 1001) or [`Ownership::Preserve`] |
//! | `Atime` `BEST_EFFORT`, `Mtime` `PRESERVE` | always: access and modification times of files, directories and symlinks, as read before the copy |
//! | `PreserveDevices` `NONE` | always: block and character devices, FIFOs and sockets are skipped and counted ([`Counts::special`]) |
//! | `PreserveDeletedFiles` `PRESERVE` | always: nothing is ever deleted from the target, except a file or symlink that the source replaces with an entry of another type |
//! | `Excludes` (`SIMPLE_PATTERN`) | [`Options::excludes`], a [`Filter`]: excluded entries are neither copied nor read, and are counted ([`Counts::excluded`]) |
//!
//! Regular files, directories and symlinks are copied; a symlink is copied as a link (its text,
//! never followed); hard links are preserved (the names of one source inode become names of one
//! target inode). A directory in the target is never removed: a source file or symlink where the
//! target has a directory is an error ([`Error::IsADirectory`]).
//!
//! # Safety is structural
//!
//! The source root and the target root are each opened once, without following a final symlink.
//! Every later open, stat, mkdir, symlink, link, rename and unlink is relative to a directory file
//! descriptor and names one component read from `readdir` (no `/`, never `.` or `..`), with
//! `O_NOFOLLOW` (and `O_DIRECTORY` for directories). The only multi-component paths, the first
//! name of a hard-linked file in the target, are opened with `openat2(RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS)`, or component by component with `O_NOFOLLOW` on kernels without it. So
//! no link text, `..`, loop, odd name (newlines, invalid UTF-8: names are bytes throughout) or
//! concurrent rename in either tree makes the engine read or write outside its roots: a directory
//! swapped for a symlink while the copy runs fails to open as a directory and is copied as the
//! symlink it now is. Nothing is written through a symlink in the target: a target symlink where
//! the source has a file, a symlink or a directory is replaced (renamed over or unlinked), never
//! followed.
//!
//! # Resumable
//!
//! [`Options::deadline`] (or [`Options::stop`], a flag another thread sets, on a signal say)
//! stops the copy cleanly between entries, with [`Outcome::Stopped`]. A file
//! is written under a temporary name in its target directory and renamed into place only once its
//! data, owner, mode and times are complete, so a later run with [`Transfer::Changed`] never takes
//! a partial file for a finished one, and continues without copying finished files again. Two
//! exceptions: a hard-linked file can be copied once more when the later run meets another of
//! its names first (the name copied before then becomes a link to the new copy), and a process
//! killed mid-copy (not stopped by the deadline) can leave a `.studio-copy-<pid>-<n>.tmp` file
//! behind.
//!
//! # Dry run
//!
//! With [`Options::dry_run`] the engine walks both trees the same way (the same descriptors, the
//! same no-follow opens) and compares as a copy would, but creates, changes and removes nothing:
//! no directory, no temporary file, no owner, mode or time. Its counts are what a copy would do
//! now: [`Counts::files`] and [`Counts::bytes`] the files it would transfer (their sizes in the
//! source), [`Counts::unchanged`] the entries it would leave, and the errors it can tell in
//! advance (a directory where the source has a file, say); failures only a write would meet
//! (permissions, space, ownership without root) are not foreseen.
//!
//! # Parallel, bounded
//!
//! A small pool of std threads ([`Options::threads`]) reads directories and copies files
//! concurrently. Files wait in a bounded queue; when it is full, the thread that read them copies
//! them itself, so memory does not grow with the size of a directory. Directories waiting to be
//! read are kept (one name each, and their parents open), so memory grows with the number of
//! pending directories and open file descriptors with the depth of the tree, not with the number
//! of files. Data moves with `copy_file_range` where the kernel supports it, else read and write.
//! A directory's mode and times are set once all its entries are done (the last reference to it
//! finishes it), so writing into it does not disturb them.
//!
//! # Errors
//!
//! A failure about one entry is counted, kept in [`Summary::errors`] (the first
//! [`MAX_KEPT_ERRORS`]) and does not stop the copy, as DataSync reports per-file errors at the
//! end; [`Error`] names the entry (relative path as bytes), the tree and the operation. Only
//! failing to open a root fails [`copy`] itself.

mod engine;
mod error;
mod filter;
mod fsops;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

pub use error::{Error, Operation, RelPath, Side};
pub use filter::{Filter, FilterError, MAX_FILTER_BYTES};

/// Who owns the copied entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// Keep the source's uid and gid (DataSync `Uid`/`Gid` `BOTH`).
    Preserve,
    /// Give every entry to `uid` and `gid` (DataSync `INT_VALUE` with the ids of the target home).
    Set { uid: u32, gid: u32 },
}

/// DataSync's `OverwriteMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overwrite {
    Always,
    /// Entries that exist in the target are not modified.
    Never,
}

/// DataSync's `TransferMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    /// Skip files whose target has the same size and modification time.
    Changed,
    All,
}

/// DataSync's `VerifyMode`, the two modes that apply to a copy between two local trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    None,
    /// Read back each transferred file and compare its SHA-256 with the source's.
    OnlyFilesTransferred,
}

/// How to copy.
#[derive(Clone, Debug)]
pub struct Options {
    pub ownership: Ownership,
    pub overwrite: Overwrite,
    pub transfer: Transfer,
    pub verify: Verify,
    /// Stop cleanly between entries once this instant has passed.
    pub deadline: Option<Instant>,
    /// The deadline counts only once this run has transferred an entry (a file, a symlink or a
    /// hard link), so that a run stopped by its deadline has always moved the copy forward, however
    /// short its time. For a caller that continues a copy run after run until it completes (a
    /// Lambda function invoked again and again): without it, a run whose time is used up walking
    /// entries that an earlier run finished would stop having done nothing, and so would the next.
    /// A run with nothing left to transfer still completes. [`Options::stop`] is not affected.
    pub progress_before_deadline: bool,
    /// Stop cleanly between entries, as at the deadline, once this flag is set (by another
    /// thread: a signal's, say).
    pub stop: Option<Arc<AtomicBool>>,
    /// Entries to leave out, as DataSync's `Excludes` do: an excluded directory is not read.
    pub excludes: Filter,
    /// Leave regular files with more than one name (hard links) to a later run over the whole
    /// tree, counted in [`Counts::deferred`]: for a caller that copies a tree's subtrees as
    /// separate runs and then the whole tree, so that names of one inode in two subtrees still
    /// become names of one inode in the target.
    pub defer_hard_links: bool,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Walk and compare as a copy would, writing nothing: the counts say what a copy would do
    /// now (files and bytes it would transfer, entries it would leave as they are, errors it
    /// can foresee). The target need not exist, but its parent must.
    pub dry_run: bool,
}

impl Options {
    /// DataSync's defaults where they apply: overwrite ALWAYS, transfer CHANGED, verify
    /// ONLY_FILES_TRANSFERRED, no deadline, 8 threads; a real copy, not a dry run.
    pub fn new(ownership: Ownership) -> Self {
        Self {
            ownership,
            overwrite: Overwrite::Always,
            transfer: Transfer::Changed,
            verify: Verify::OnlyFilesTransferred,
            deadline: None,
            progress_before_deadline: false,
            stop: None,
            excludes: Filter::default(),
            defer_hard_links: false,
            threads: 8,
            dry_run: false,
        }
    }
}

/// How a copy ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every entry was visited (some may have failed: see [`Counts::errors`]).
    Completed,
    /// The deadline passed (or [`Options::stop`] was set); run again with [`Transfer::Changed`]
    /// to continue.
    Stopped,
}

/// Counters of one copy, updated while it runs.
#[derive(Debug, Default)]
pub struct Progress {
    files: AtomicU64,
    directories: AtomicU64,
    symlinks: AtomicU64,
    hard_links: AtomicU64,
    bytes: AtomicU64,
    unchanged: AtomicU64,
    special: AtomicU64,
    excluded: AtomicU64,
    deferred: AtomicU64,
    errors: AtomicU64,
    /// Data written so far, chunk by chunk: see [`Progress::bytes_written`].
    written: AtomicU64,
}

/// A snapshot of [`Progress`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Regular files whose data was transferred.
    pub files: u64,
    /// Directories created or brought up to date (the root included).
    pub directories: u64,
    /// Symlinks created.
    pub symlinks: u64,
    /// Hard links created to a file transferred (or found) under another name.
    pub hard_links: u64,
    /// Bytes of file data transferred.
    pub bytes: u64,
    /// Entries left as they were: unchanged (CHANGED) or existing (NEVER).
    pub unchanged: u64,
    /// Devices, FIFOs and sockets skipped.
    pub special: u64,
    /// Entries left out by [`Options::excludes`] (an excluded directory counts once, whatever
    /// it holds).
    pub excluded: u64,
    /// Hard-linked files left to a later run by [`Options::defer_hard_links`].
    pub deferred: u64,
    /// Entries that failed.
    pub errors: u64,
}

impl Counts {
    /// What was counted after `before`.
    pub fn since(&self, before: &Counts) -> Counts {
        Counts {
            files: self.files - before.files,
            directories: self.directories - before.directories,
            symlinks: self.symlinks - before.symlinks,
            hard_links: self.hard_links - before.hard_links,
            bytes: self.bytes - before.bytes,
            unchanged: self.unchanged - before.unchanged,
            special: self.special - before.special,
            excluded: self.excluded - before.excluded,
            deferred: self.deferred - before.deferred,
            errors: self.errors - before.errors,
        }
    }
}

impl Progress {
    pub fn new() -> Self {
        Self::default()
    }

    /// The counters now.
    pub fn counts(&self) -> Counts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counts {
            files: get(&self.files),
            directories: get(&self.directories),
            symlinks: get(&self.symlinks),
            hard_links: get(&self.hard_links),
            bytes: get(&self.bytes),
            unchanged: get(&self.unchanged),
            special: get(&self.special),
            excluded: get(&self.excluded),
            deferred: get(&self.deferred),
            errors: get(&self.errors),
        }
    }

    /// Bytes of file data written into the target so far, counted as each chunk is written
    /// (up to 64 MiB), where [`Counts::bytes`] counts a file once it is complete: what a live
    /// display shows while large files copy. It includes files that later fail or are left
    /// behind by a deadline, so it can exceed [`Counts::bytes`]; a dry run writes none.
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Takes back what this run added and then undid (a copy replaced by a link).
    fn sub(counter: &AtomicU64, n: u64) {
        counter.fetch_sub(n, Ordering::Relaxed);
    }

    /// Entries transferred so far: files, symlinks and hard links.
    fn transfers(&self) -> u64 {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        get(&self.files) + get(&self.symlinks) + get(&self.hard_links)
    }
}

/// How many errors a [`Summary`] keeps; the rest are only counted.
pub const MAX_KEPT_ERRORS: usize = 100;

/// The result of one copy.
#[derive(Debug)]
pub struct Summary {
    pub outcome: Outcome,
    pub counts: Counts,
    /// The first [`MAX_KEPT_ERRORS`] errors; `counts.errors` has them all.
    pub errors: Vec<Error>,
}

impl Summary {
    /// Completed without a single error.
    pub fn succeeded(&self) -> bool {
        self.outcome == Outcome::Completed && self.counts.errors == 0
    }
}

/// Copies the tree at `source` into the directory `target` (created if missing, its parent must
/// exist). Neither root may be a symlink, and they may not be the same directory; a target
/// inside the source is skipped in the source ([`Error::TargetInsideSource`]).
pub fn copy(source: &Path, target: &Path, options: &Options) -> Result<Summary, Error> {
    copy_with_progress(source, target, options, &Progress::new())
}

/// [`copy`], updating `progress` as it goes (read it from another thread). A `Progress` may be
/// shared by several copies; the summary counts this one only.
pub fn copy_with_progress(
    source: &Path,
    target: &Path,
    options: &Options,
    progress: &Progress,
) -> Result<Summary, Error> {
    engine::run(source, target, options, progress)
}
