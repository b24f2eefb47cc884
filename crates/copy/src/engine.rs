//! The walk and the copy: a pool of worker threads over two queues (directories to read, entries
//! to copy), each directory a reference-counted node holding its two descriptors.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags, Uid};
use rustix::io::Errno;

use crate::error::{Error, Operation, RelPath, Side};
use crate::fsops::{self, Kind, Meta};
use crate::{
    Counts, MAX_KEPT_ERRORS, Options, Outcome, Overwrite, Ownership, Progress, Summary, Transfer,
    Verify,
};

/// Worker stacks: deep trees finish (drop) their directory nodes recursively.
const WORKER_STACK: usize = 16 << 20;

/// Entries waiting per worker before a directory reader copies them itself.
const QUEUED_ENTRIES_PER_THREAD: usize = 64;

pub(crate) fn run(
    source: &Path,
    target: &Path,
    options: &Options,
    progress: &Progress,
) -> Result<Summary, Error> {
    let root_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let root_error = |side, path: &Path| {
        let path = path.to_path_buf();
        move |e: Errno| Error::Root {
            side,
            path,
            source: e.into(),
        }
    };
    let source_fd = rustix::fs::open(source, root_flags, Mode::empty())
        .map_err(root_error(Side::Source, source))?;
    let source_meta = fsops::fstat(&source_fd).map_err(root_error(Side::Source, source))?;
    // `created`: made now (or, in a dry run, missing: a copy would make it).
    let (target_fd, created) = if options.dry_run {
        let fd =
            dry_run_target_root(target, root_flags).map_err(root_error(Side::Target, target))?;
        let missing = fd.is_none();
        (fd, missing)
    } else {
        let created = match rustix::fs::mkdir(target, Mode::from_raw_mode(0o700)) {
            Ok(()) => true,
            Err(Errno::EXIST) => false,
            Err(e) => return Err(root_error(Side::Target, target)(e)),
        };
        let fd = rustix::fs::open(target, root_flags, Mode::empty())
            .map_err(root_error(Side::Target, target))?;
        (Some(fd), created)
    };
    let mut target_root = None;
    let mut target_root_id = None;
    if let Some(fd) = &target_fd {
        let target_meta = fsops::fstat(fd).map_err(root_error(Side::Target, target))?;
        if (target_meta.dev, target_meta.ino) == (source_meta.dev, source_meta.ino) {
            return Err(root_error(Side::Target, target)(Errno::INVAL));
        }
        target_root_id = Some((target_meta.dev, target_meta.ino));
        target_root = Some(fd.try_clone().map_err(|e| {
            root_error(Side::Target, target)(Errno::from_io_error(&e).unwrap_or(Errno::IO))
        })?);
    }
    raise_open_files_limit();
    let before = progress.counts();

    let threads = options.threads.max(1);
    let ctx = Ctx {
        options,
        progress,
        target_root,
        target_root_id,
        stopped: AtomicBool::new(false),
        transfers_before: progress.transfers(),
        errors: Mutex::new(Vec::new()),
        links: Mutex::new(HashMap::new()),
        links_changed: Condvar::new(),
        temp_counter: AtomicU64::new(0),
        pid: std::process::id(),
    };
    let queue = Queue {
        state: Mutex::new(QueueState {
            entries: VecDeque::new(),
            dirs: Vec::new(),
            active: 0,
            idle: 0,
        }),
        changed: Condvar::new(),
        capacity: threads * QUEUED_ENTRIES_PER_THREAD,
    };
    {
        let root = Arc::new(DirNode {
            ctx: &ctx,
            _parent: None,
            rel: RelPath::root(),
            source: source_fd,
            target: target_fd,
            meta: source_meta,
            finish: created || options.overwrite == Overwrite::Always,
            fresh: created,
        });
        if root.finish {
            Progress::add(&progress.directories, 1);
        } else {
            Progress::add(&progress.unchanged, 1);
        }
        queue.push_dir(Job::Read(root));
    }
    std::thread::scope(|scope| {
        let mut spawned = 0;
        for _ in 0..threads {
            // Finishing a directory can finish its parents in a chain as deep as the tree.
            let worker = std::thread::Builder::new()
                .name("studio-copy".into())
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, || worker(&ctx, &queue));
            if worker.is_ok() {
                spawned += 1;
            }
        }
        if spawned == 0 {
            // No thread to be had: copy on the caller's.
            worker(&ctx, &queue);
        }
    });
    drop(queue);

    let outcome = if ctx.stopped.load(Ordering::Relaxed) {
        Outcome::Stopped
    } else {
        Outcome::Completed
    };
    let counts: Counts = progress.counts().since(&before);
    let errors = ctx.errors.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(Summary {
        outcome,
        counts,
        errors,
    })
}

/// A dry run's target root: open if it exists (read only, not followed if a symlink), `None` if
/// it is missing and a copy could make it (its parent is a directory).
fn dry_run_target_root(target: &Path, flags: OFlags) -> Result<Option<OwnedFd>, Errno> {
    match rustix::fs::open(target, flags, Mode::empty()) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::NOENT) => {
            let parent = match target.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            rustix::fs::open(parent, flags & !OFlags::NOFOLLOW, Mode::empty())?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Open directories grow with the depth of the tree (two descriptors each): allow as many as
/// the hard limit does.
fn raise_open_files_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        let _ = setrlimit(Resource::Nofile, raised);
    }
}

/// What every worker shares. Holds no directory node, so nodes can borrow it.
struct Ctx<'a> {
    options: &'a Options,
    progress: &'a Progress,
    /// `None` only in a dry run whose target does not exist.
    target_root: Option<OwnedFd>,
    /// A target inside the source is not copied into itself.
    target_root_id: Option<(u64, u64)>,
    stopped: AtomicBool,
    /// [`Progress::transfers`] when this run started.
    transfers_before: u64,
    errors: Mutex<Vec<Error>>,
    /// Source inodes with more than one name: who copied them to which target name.
    links: Mutex<HashMap<(u64, u64), LinkState>>,
    links_changed: Condvar,
    temp_counter: AtomicU64,
    pid: u32,
}

/// A hard-linked inode's names in the target, while one of them is being linked.
struct LinkGroup {
    first: RelPath,
    target_ino: u64,
    ours: Vec<RelPath>,
}

enum LinkState {
    Copying,
    /// `names_left`: names not met yet; the entry is dropped when it reaches 0, so the map
    /// holds only inodes with names still to come. `ours`: the names of `target_ino` that this
    /// run created (the first, when its data was copied now, and links made since); empty when
    /// the first name was already in the target.
    Done {
        rel: RelPath,
        target_ino: u64,
        names_left: u64,
        ours: Vec<RelPath>,
    },
    Failed,
}

/// A directory being copied: open in both trees. Its mode, owner and times are set when the last
/// reference (its own reader, its entries' jobs, its subdirectories' nodes) is dropped.
struct DirNode<'a> {
    ctx: &'a Ctx<'a>,
    /// Never read: holding it keeps the parent unfinished until this directory is.
    _parent: Option<Arc<DirNode<'a>>>,
    rel: RelPath,
    source: OwnedFd,
    /// `None` only in a dry run, for a directory the copy would create.
    target: Option<OwnedFd>,
    meta: Meta,
    finish: bool,
    /// The target directory was created by this run: it held nothing then, so a name in it
    /// that this run has not written yet does not exist (no `lstat` to find out).
    fresh: bool,
}

impl DirNode<'_> {
    /// The target directory, open. Only a dry run has directories without one, and it writes
    /// nothing, so every write is made through this.
    fn target(&self) -> BorrowedFd<'_> {
        self.target
            .as_ref()
            .expect("a copy (not a dry run) has every target directory open")
            .as_fd()
    }
}

impl Drop for DirNode<'_> {
    fn drop(&mut self) {
        if self.finish
            && !self.ctx.options.dry_run
            && let Some(target) = &self.target
            && let Err(e) = self.ctx.set_metadata(target, &self.meta, &self.rel)
        {
            self.ctx.record(e);
        }
    }
}

struct Entry<'a> {
    parent: Arc<DirNode<'a>>,
    name: Box<[u8]>,
    hint: FileType,
}

enum Job<'a> {
    /// Read a directory whose node is open.
    Read(Arc<DirNode<'a>>),
    /// Open a subdirectory, then read it.
    Dir(Entry<'a>),
}

struct Queue<'a> {
    state: Mutex<QueueState<'a>>,
    changed: Condvar,
    capacity: usize,
}

struct QueueState<'a> {
    entries: VecDeque<Entry<'a>>,
    dirs: Vec<Job<'a>>,
    active: usize,
    /// Workers waiting for work: a push wakes one only when there is one (a wake is a system
    /// call, and most pushes find every worker busy).
    idle: usize,
}

enum Work<'a> {
    Entry(Entry<'a>),
    Dir(Job<'a>),
}

impl<'a> Queue<'a> {
    fn lock(&self) -> MutexGuard<'_, QueueState<'a>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push_dir(&self, job: Job<'a>) {
        let mut state = self.lock();
        state.dirs.push(job);
        let wake = state.idle > 0;
        drop(state);
        if wake {
            self.changed.notify_one();
        }
    }

    /// Queues an entry, or hands it back when the queue is full.
    fn try_push_entry(&self, entry: Entry<'a>) -> Option<Entry<'a>> {
        let mut state = self.lock();
        if state.entries.len() >= self.capacity {
            return Some(entry);
        }
        state.entries.push_back(entry);
        let wake = state.idle > 0;
        drop(state);
        if wake {
            self.changed.notify_one();
        }
        None
    }

    /// The next job, or `None` once every queue is empty and no worker is busy.
    fn next(&self) -> Option<Work<'a>> {
        let mut state = self.lock();
        loop {
            // Entries first, so that the bounded queue drains before more directories fill it.
            if let Some(entry) = state.entries.pop_front() {
                state.active += 1;
                return Some(Work::Entry(entry));
            }
            if let Some(job) = state.dirs.pop() {
                state.active += 1;
                return Some(Work::Dir(job));
            }
            if state.active == 0 {
                self.changed.notify_all();
                return None;
            }
            state.idle += 1;
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
            state.idle -= 1;
        }
    }

    fn done(&self) {
        let mut state = self.lock();
        state.active -= 1;
        if state.active == 0 && state.entries.is_empty() && state.dirs.is_empty() {
            self.changed.notify_all();
        }
    }
}

fn worker<'a>(ctx: &'a Ctx<'a>, queue: &Queue<'a>) {
    while let Some(work) = queue.next() {
        if !ctx.should_stop() {
            match work {
                Work::Entry(entry) => ctx.copy_entry(&entry),
                Work::Dir(Job::Read(node)) => ctx.read_dir(queue, node),
                Work::Dir(Job::Dir(entry)) => {
                    if let Some(node) = ctx.open_dir(&entry) {
                        ctx.read_dir(queue, node);
                    }
                }
            }
        }
        // A dropped job (when stopped) drops its references, finishing directories as usual.
        queue.done();
    }
}

impl<'a> Ctx<'a> {
    fn should_stop(&self) -> bool {
        if self.stopped.load(Ordering::Relaxed) {
            return true;
        }
        let asked = self
            .options
            .stop
            .as_ref()
            .is_some_and(|stop| stop.load(Ordering::Relaxed));
        let deadline_counts = !self.options.progress_before_deadline
            || self.progress.transfers() > self.transfers_before;
        if asked || (deadline_counts && self.options.deadline.is_some_and(|d| Instant::now() >= d))
        {
            self.stopped.store(true, Ordering::Relaxed);
            return true;
        }
        false
    }

    fn record(&self, error: Error) {
        Progress::add(&self.progress.errors, 1);
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        if errors.len() < MAX_KEPT_ERRORS {
            errors.push(error);
        }
    }

    fn io(operation: Operation, side: Side, path: &RelPath) -> impl FnOnce(Errno) -> Error {
        let path = path.clone();
        move |e| Error::Io {
            operation,
            side,
            path,
            source: e.into(),
        }
    }

    fn owner_of(&self, meta: &Meta) -> (u32, u32) {
        match self.options.ownership {
            Ownership::Preserve => (meta.uid, meta.gid),
            Ownership::Set { uid, gid } => (uid, gid),
        }
    }

    /// Reads `node`'s source directory: subdirectories go to the directory queue, other entries
    /// to the entry queue or, when it is full, are copied right here.
    fn read_dir(&self, queue: &Queue<'a>, node: Arc<DirNode<'a>>) {
        let mut dir = match rustix::fs::Dir::read_from(&node.source) {
            Ok(dir) => dir,
            Err(e) => {
                return self.record(Self::io(Operation::ReadDir, Side::Source, &node.rel)(e));
            }
        };
        while let Some(item) = dir.read() {
            if self.should_stop() {
                return;
            }
            let item = match item {
                Ok(item) => item,
                Err(e) => {
                    return self.record(Self::io(Operation::ReadDir, Side::Source, &node.rel)(e));
                }
            };
            let name = item.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            if self
                .options
                .excludes
                .excludes_child(node.rel.as_bytes(), name)
            {
                Progress::add(&self.progress.excluded, 1);
                continue;
            }
            let entry = Entry {
                parent: Arc::clone(&node),
                name: name.into(),
                hint: item.file_type(),
            };
            match entry.hint {
                FileType::Directory => queue.push_dir(Job::Dir(entry)),
                FileType::Fifo
                | FileType::Socket
                | FileType::CharacterDevice
                | FileType::BlockDevice => Progress::add(&self.progress.special, 1),
                _ => {
                    if let Some(entry) = queue.try_push_entry(entry) {
                        self.copy_entry(&entry);
                    }
                }
            }
        }
    }

    /// Opens a source subdirectory and makes (or reuses) its target. `None` when it was not a
    /// directory after all (then it was copied as what it is) or failed (then it was recorded).
    fn open_dir(&self, entry: &Entry<'a>) -> Option<Arc<DirNode<'a>>> {
        let parent = &entry.parent;
        let rel = parent.rel.child(&entry.name);
        let flags = OFlags::RDONLY | OFlags::DIRECTORY;
        let source = match fsops::open_at(parent.source.as_fd(), &entry.name, flags) {
            Ok(fd) => fd,
            // It is no longer a directory (it was replaced since readdir): copy what it is now.
            Err(Errno::LOOP | Errno::NOTDIR) => {
                self.copy_entry(&Entry {
                    parent: Arc::clone(parent),
                    name: entry.name.clone(),
                    hint: FileType::Unknown,
                });
                return None;
            }
            Err(Errno::NOENT) => return None,
            Err(e) => {
                self.record(Self::io(Operation::Open, Side::Source, &rel)(e));
                return None;
            }
        };
        match self.make_target_dir(parent, &entry.name, &rel, source) {
            Ok(node) => Some(node),
            Err(e) => {
                self.record(e);
                None
            }
        }
    }

    fn make_target_dir(
        &self,
        parent: &Arc<DirNode<'a>>,
        name: &[u8],
        rel: &RelPath,
        source: OwnedFd,
    ) -> Result<Arc<DirNode<'a>>, Error> {
        let meta = fsops::fstat(&source).map_err(Self::io(Operation::Stat, Side::Source, rel))?;
        if Some((meta.dev, meta.ino)) == self.target_root_id {
            return Err(Error::TargetInsideSource { path: rel.clone() });
        }
        let existing = self.existing_target(parent, name, rel)?;
        let created = match existing {
            Some(m) if m.kind() == Kind::Dir => false,
            Some(_) if self.options.overwrite == Overwrite::Never => {
                return Err(Error::NotADirectory { path: rel.clone() });
            }
            _ if self.options.dry_run => true,
            other => {
                let target_dir = parent.target();
                if other.is_some() {
                    // A file or a symlink where the source has a directory: replace it, never
                    // follow it.
                    fsops::unlink_at(target_dir, name).map_err(Self::io(
                        Operation::Unlink,
                        Side::Target,
                        rel,
                    ))?;
                }
                rustix::fs::mkdirat(target_dir, name, Mode::from_raw_mode(0o700))
                    .map_err(Self::io(Operation::Mkdir, Side::Target, rel))?;
                true
            }
        };
        // A dry run's directory to be created has nothing to open.
        let target = if self.options.dry_run && created {
            None
        } else {
            Some(
                fsops::open_at(parent.target(), name, OFlags::RDONLY | OFlags::DIRECTORY)
                    .map_err(Self::io(Operation::Open, Side::Target, rel))?,
            )
        };
        let finish = created || self.options.overwrite == Overwrite::Always;
        Progress::add(
            if finish {
                &self.progress.directories
            } else {
                &self.progress.unchanged
            },
            1,
        );
        Ok(Arc::new(DirNode {
            ctx: parent.ctx,
            _parent: Some(Arc::clone(parent)),
            rel: rel.clone(),
            source,
            target,
            meta,
            finish,
            fresh: created,
        }))
    }

    /// Copies one entry that is not known to be a directory.
    fn copy_entry(&self, entry: &Entry<'a>) {
        let parent = &entry.parent;
        let name = &entry.name[..];
        let result = match entry.hint {
            FileType::RegularFile => match fsops::open_source_file(parent.source.as_fd(), name) {
                Ok(fd) => self.copy_open_file(parent, name, fd),
                Err(Errno::LOOP) => self.copy_by_stat(entry),
                Err(Errno::NOENT) => Ok(()),
                Err(e) => Err(Self::io(
                    Operation::Open,
                    Side::Source,
                    &parent.rel.child(name),
                )(e)),
            },
            _ => self.copy_by_stat(entry),
        };
        if let Err(e) = result {
            self.record(e);
        }
    }

    /// Copies an entry whose type is only known from `lstat`.
    fn copy_by_stat(&self, entry: &Entry<'a>) -> Result<(), Error> {
        let parent = &entry.parent;
        let name = &entry.name[..];
        let rel = || parent.rel.child(name);
        let meta = match fsops::stat_at(parent.source.as_fd(), name) {
            Ok(meta) => meta,
            Err(Errno::NOENT) => return Ok(()),
            Err(e) => return Err(Self::io(Operation::Stat, Side::Source, &rel())(e)),
        };
        match meta.kind() {
            Kind::Symlink => self.copy_symlink(parent, name, &meta),
            Kind::Special => {
                Progress::add(&self.progress.special, 1);
                Ok(())
            }
            Kind::File => match fsops::open_source_file(parent.source.as_fd(), name) {
                Ok(fd) => self.copy_open_file(parent, name, fd),
                Err(Errno::NOENT) => Ok(()),
                Err(e) => Err(Self::io(Operation::Open, Side::Source, &rel())(e)),
            },
            Kind::Dir => {
                let source = match fsops::open_at(
                    parent.source.as_fd(),
                    name,
                    OFlags::RDONLY | OFlags::DIRECTORY,
                ) {
                    Ok(fd) => fd,
                    Err(Errno::NOENT) => return Ok(()),
                    Err(e) => return Err(Self::io(Operation::Open, Side::Source, &rel())(e)),
                };
                // Rare (a file system without d_type, or a race): read it here, not queued.
                let node = self.make_target_dir(parent, name, &rel(), source)?;
                self.read_dir_inline(node);
                Ok(())
            }
        }
    }

    /// Reads a directory and copies everything in it on this thread.
    fn read_dir_inline(&self, node: Arc<DirNode<'a>>) {
        let queue = Queue {
            state: Mutex::new(QueueState {
                entries: VecDeque::new(),
                dirs: Vec::new(),
                active: 0,
                idle: 0,
            }),
            changed: Condvar::new(),
            capacity: 0,
        };
        let ctx = node.ctx;
        queue.push_dir(Job::Read(node));
        worker(ctx, &queue);
    }

    /// Copies the regular file open as `source` (if it still is one).
    fn copy_open_file(
        &self,
        parent: &Arc<DirNode<'a>>,
        name: &[u8],
        source: OwnedFd,
    ) -> Result<(), Error> {
        let rel = parent.rel.child(name);
        let meta = fsops::fstat(&source).map_err(Self::io(Operation::Stat, Side::Source, &rel))?;
        if meta.kind() == Kind::Dir {
            // Replaced by a directory since readdir (O_NOFOLLOW: not a symlink to one): copy it.
            let node = self.make_target_dir(parent, name, &rel, source)?;
            self.read_dir_inline(node);
            return Ok(());
        }
        if meta.kind() != Kind::File {
            // Replaced by a FIFO or a device since readdir: skipped like one.
            Progress::add(&self.progress.special, 1);
            return Ok(());
        }
        if meta.nlink <= 1 {
            return self
                .copy_file(parent, name, &rel, &source, &meta)
                .map(|_| ());
        }
        if self.options.defer_hard_links {
            Progress::add(&self.progress.deferred, 1);
            return Ok(());
        }
        let key = (meta.dev, meta.ino);
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match links.get_mut(&key) {
                None | Some(LinkState::Failed) => {
                    links.insert(key, LinkState::Copying);
                    break;
                }
                Some(LinkState::Copying) => {
                    links = self
                        .links_changed
                        .wait(links)
                        .unwrap_or_else(|p| p.into_inner());
                }
                Some(LinkState::Done { .. }) => {
                    // The inode's names are linked one at a time (the others wait), since a
                    // link may change which target inode the names share.
                    let Some(LinkState::Done {
                        rel: first,
                        target_ino,
                        names_left,
                        ours,
                    }) = links.insert(key, LinkState::Copying)
                    else {
                        unreachable!("the state was Done under the lock")
                    };
                    drop(links);
                    let mut group = LinkGroup {
                        first,
                        target_ino,
                        ours,
                    };
                    let result = self.link_to_first(parent, name, &rel, &meta, &mut group);
                    let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
                    let names_left = names_left.saturating_sub(1);
                    if names_left == 0 {
                        links.remove(&key);
                    } else {
                        links.insert(
                            key,
                            LinkState::Done {
                                rel: group.first,
                                target_ino: group.target_ino,
                                names_left,
                                ours: group.ours,
                            },
                        );
                    }
                    drop(links);
                    self.links_changed.notify_all();
                    return result;
                }
            }
        }
        drop(links);
        let result = self.copy_file(parent, name, &rel, &source, &meta);
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        let state = match &result {
            Ok((target_ino, copied)) => LinkState::Done {
                rel: rel.clone(),
                target_ino: *target_ino,
                names_left: meta.nlink - 1,
                ours: if *copied {
                    vec![rel.clone()]
                } else {
                    Vec::new()
                },
            },
            Err(_) => LinkState::Failed,
        };
        links.insert(key, state);
        drop(links);
        self.links_changed.notify_all();
        result.map(|_| ())
    }

    /// Copies a regular file's data and metadata unless the options say to keep the target's.
    /// Returns the target's inode number, and whether its data was copied now (into a new
    /// inode).
    fn copy_file(
        &self,
        parent: &DirNode<'a>,
        name: &[u8],
        rel: &RelPath,
        source: &OwnedFd,
        meta: &Meta,
    ) -> Result<(u64, bool), Error> {
        let existing = self.existing_target(parent, name, rel)?;
        if let Some(existing) = existing {
            if existing.kind() == Kind::Dir {
                return Err(Error::IsADirectory { path: rel.clone() });
            }
            if self.options.overwrite == Overwrite::Never {
                Progress::add(&self.progress.unchanged, 1);
                return Ok((existing.ino, false));
            }
            if self.options.transfer == Transfer::Changed
                && existing.kind() == Kind::File
                && existing.size == meta.size
                && existing.mtime == meta.mtime
            {
                if !self.options.dry_run {
                    self.update_file_metadata(parent.target(), name, rel, &existing, meta)?;
                }
                Progress::add(&self.progress.unchanged, 1);
                return Ok((existing.ino, false));
            }
        }
        if self.options.dry_run {
            Progress::add(&self.progress.files, 1);
            Progress::add(&self.progress.bytes, meta.size);
            // No target inode yet: 0 matches no existing file's; nothing was written.
            return Ok((0, false));
        }
        let target_dir = parent.target();

        let create = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL;
        let (temp, target) = self
            .with_temp_name(|temp| {
                fsops::open_at(target_dir, temp, create).map(|fd| (temp.to_vec(), fd))
            })
            .map_err(Self::io(Operation::Open, Side::Target, rel))?;
        let written = self.fill_file(source, &target, rel, meta);
        let renamed = written.and_then(|done| {
            rustix::fs::renameat(target_dir, &temp[..], target_dir, name).map_err(Self::io(
                Operation::Rename,
                Side::Target,
                rel,
            ))?;
            Ok(done)
        });
        match renamed {
            Ok((bytes, ino)) => {
                Progress::add(&self.progress.files, 1);
                Progress::add(&self.progress.bytes, bytes);
                Ok((ino, true))
            }
            Err(e) => {
                let _ = fsops::unlink_at(target_dir, &temp);
                Err(e)
            }
        }
    }

    /// Writes the data into the new (temporary) target file, verifies it, then sets owner, mode
    /// and times, in that order: reading it back may move its access time, and a chown clears
    /// setuid and setgid bits. Returns the bytes written and the file's inode number.
    fn fill_file(
        &self,
        source: &OwnedFd,
        target: &OwnedFd,
        rel: &RelPath,
        meta: &Meta,
    ) -> Result<(u64, u64), Error> {
        let written = &self.progress.written;
        let bytes = fsops::copy_data(source.as_fd(), target.as_fd(), meta.size, written)
            .map_err(Self::io(Operation::CopyData, Side::Target, rel))?;
        if self.options.verify == Verify::OnlyFilesTransferred {
            let want = fsops::checksum(source.as_fd()).map_err(Self::io(
                Operation::Verify,
                Side::Source,
                rel,
            ))?;
            let got = fsops::checksum(target.as_fd()).map_err(Self::io(
                Operation::Verify,
                Side::Target,
                rel,
            ))?;
            if want != got {
                return Err(Error::Verify { path: rel.clone() });
            }
        }
        let ino = self.set_metadata(target, meta, rel)?;
        Ok((bytes, ino))
    }

    /// Sets owner, mode and times of an open target entry from the source's `meta`. Returns the
    /// entry's inode number.
    fn set_metadata(&self, target: &OwnedFd, meta: &Meta, rel: &RelPath) -> Result<u64, Error> {
        let (uid, gid) = self.owner_of(meta);
        let current = fsops::fstat(target).map_err(Self::io(Operation::Stat, Side::Target, rel))?;
        if (current.uid, current.gid) != (uid, gid) {
            // SAFETY-free: ids from the options or the source's stat.
            let ids = (Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)));
            rustix::fs::fchown(target, ids.0, ids.1)
                .map_err(|e| self.chown_error(e, rel, uid, gid))?;
        }
        rustix::fs::fchmod(target, meta.permissions()).map_err(Self::io(
            Operation::Chmod,
            Side::Target,
            rel,
        ))?;
        rustix::fs::futimens(target, &meta.timestamps()).map_err(Self::io(
            Operation::SetTimes,
            Side::Target,
            rel,
        ))?;
        Ok(current.ino)
    }

    fn chown_error(&self, e: Errno, rel: &RelPath, uid: u32, gid: u32) -> Error {
        if e == Errno::PERM {
            Error::Ownership {
                path: rel.clone(),
                uid,
                gid,
                source: e.into(),
            }
        } else {
            Self::io(Operation::Chown, Side::Target, rel)(e)
        }
    }

    /// Brings an unchanged target file's owner and mode up to date (overwrite ALWAYS).
    fn update_file_metadata(
        &self,
        target_dir: BorrowedFd<'_>,
        name: &[u8],
        rel: &RelPath,
        existing: &Meta,
        meta: &Meta,
    ) -> Result<(), Error> {
        let (uid, gid) = self.owner_of(meta);
        if (existing.uid, existing.gid) == (uid, gid)
            && existing.mode & 0o7777 == meta.mode & 0o7777
        {
            return Ok(());
        }
        let target = fsops::open_at(target_dir, name, OFlags::RDONLY | OFlags::NONBLOCK)
            .map_err(Self::io(Operation::Open, Side::Target, rel))?;
        let now = fsops::fstat(&target).map_err(Self::io(Operation::Stat, Side::Target, rel))?;
        if now.ino != existing.ino || now.kind() != Kind::File {
            return Err(Self::io(Operation::Open, Side::Target, rel)(Errno::AGAIN));
        }
        self.set_metadata(&target, meta, rel).map(|_| ())
    }

    /// Makes `name` another name of the group's target inode, unless it already is one.
    ///
    /// With overwrite NEVER an existing `name` is left as it is, with one exception that keeps a
    /// resumed copy's hard links whole: when the group's first name was copied by this run (a
    /// run after one stopped between two names of the inode can meet a name not copied yet
    /// before one already copied) and `name` is a complete copy of the same data (the size and
    /// modification time of the source), the names this run created are made names of `name`'s
    /// inode instead. Nothing that existed before this run is modified.
    fn link_to_first(
        &self,
        parent: &DirNode<'a>,
        name: &[u8],
        rel: &RelPath,
        meta: &Meta,
        group: &mut LinkGroup,
    ) -> Result<(), Error> {
        let existing = self.existing_target(parent, name, rel)?;
        if let Some(existing) = existing {
            if existing.kind() == Kind::Dir {
                return Err(Error::IsADirectory { path: rel.clone() });
            }
            if existing.kind() == Kind::File && existing.ino == group.target_ino {
                Progress::add(&self.progress.unchanged, 1);
                return Ok(());
            }
            if self.options.overwrite == Overwrite::Never {
                let same_data = existing.kind() == Kind::File
                    && existing.size == meta.size
                    && existing.mtime == meta.mtime;
                if same_data && !self.options.dry_run && group.ours.first() == Some(&group.first) {
                    // The first's copy is undone (it becomes a link): it is counted as one.
                    // The links made since were counted already.
                    let ours = std::mem::take(&mut group.ours);
                    self.link_path(&ours[0], rel)?;
                    Progress::sub(&self.progress.files, 1);
                    Progress::sub(&self.progress.bytes, meta.size);
                    Progress::add(&self.progress.hard_links, 1);
                    for other in &ours[1..] {
                        self.link_path(other, rel)?;
                    }
                    group.first = rel.clone();
                    group.target_ino = existing.ino;
                }
                Progress::add(&self.progress.unchanged, 1);
                return Ok(());
            }
        }
        if self.options.dry_run {
            Progress::add(&self.progress.hard_links, 1);
            return Ok(());
        }
        self.link_path(rel, &group.first)?;
        group.ours.push(rel.clone());
        Progress::add(&self.progress.hard_links, 1);
        Ok(())
    }

    /// Makes the target entry at `at` a name of the target file at `to` (both relative to the
    /// target root), replacing whatever `at` was (never following it): the link is made under a
    /// temporary name and renamed into place.
    fn link_path(&self, at: &RelPath, to: &RelPath) -> Result<(), Error> {
        let target_root = self
            .target_root
            .as_ref()
            .expect("a copy (not a dry run) has its target root open");
        let split = |path: &RelPath| {
            let bytes = path.as_bytes();
            match bytes.iter().rposition(|b| *b == b'/') {
                Some(i) => (bytes[..i].to_vec(), bytes[i + 1..].to_vec()),
                None => (Vec::new(), bytes.to_vec()),
            }
        };
        let (to_dir, to_name) = split(to);
        let (at_dir, at_name) = split(at);
        let to_dir = fsops::open_dir_beneath(target_root.as_fd(), &to_dir).map_err(Self::io(
            Operation::Open,
            Side::Target,
            to,
        ))?;
        let at_dir = fsops::open_dir_beneath(target_root.as_fd(), &at_dir).map_err(Self::io(
            Operation::Open,
            Side::Target,
            at,
        ))?;
        let temp = self
            .with_temp_name(|temp| {
                rustix::fs::linkat(&to_dir, &to_name[..], &at_dir, temp, AtFlags::empty())
                    .map(|()| temp.to_vec())
            })
            .map_err(Self::io(Operation::Link, Side::Target, at))?;
        if let Err(e) = rustix::fs::renameat(&at_dir, &temp[..], &at_dir, &at_name[..]) {
            let _ = fsops::unlink_at(at_dir.as_fd(), &temp);
            return Err(Self::io(Operation::Rename, Side::Target, at)(e));
        }
        Ok(())
    }

    /// Copies a symlink as a link: its text, never what it points to.
    fn copy_symlink(&self, parent: &DirNode<'a>, name: &[u8], meta: &Meta) -> Result<(), Error> {
        let rel = parent.rel.child(name);
        let text = match rustix::fs::readlinkat(parent.source.as_fd(), name, Vec::new()) {
            Ok(text) => text,
            Err(Errno::NOENT) => return Ok(()),
            Err(e) => return Err(Self::io(Operation::ReadLink, Side::Source, &rel)(e)),
        };
        let existing = self.existing_target(parent, name, &rel)?;
        let (uid, gid) = self.owner_of(meta);
        if let Some(existing) = existing {
            if existing.kind() == Kind::Dir {
                return Err(Error::IsADirectory { path: rel });
            }
            if self.options.overwrite == Overwrite::Never {
                Progress::add(&self.progress.unchanged, 1);
                return Ok(());
            }
            if existing.kind() == Kind::Symlink
                && rustix::fs::readlinkat(parent.target(), name, Vec::new())
                    .is_ok_and(|t| t == text)
            {
                // The same link: bring its owner and times up to date in place. Its access time
                // alone is not compared: reading the source link moved it (DataSync's Atime is
                // best effort too).
                if !self.options.dry_run {
                    self.update_symlink_metadata(parent.target(), name, &rel, &existing, meta)?;
                }
                Progress::add(&self.progress.unchanged, 1);
                return Ok(());
            }
        }
        if self.options.dry_run {
            Progress::add(&self.progress.symlinks, 1);
            return Ok(());
        }
        let target_dir = parent.target();
        let temp = self
            .with_temp_name(|temp| {
                rustix::fs::symlinkat(&*text, target_dir, temp).map(|()| temp.to_vec())
            })
            .map_err(Self::io(Operation::Symlink, Side::Target, &rel))?;
        let result = (|| {
            let nofollow = AtFlags::SYMLINK_NOFOLLOW;
            let ids = (Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)));
            if let Err(e) = rustix::fs::chownat(target_dir, &temp[..], ids.0, ids.1, nofollow) {
                let current = fsops::stat_at(target_dir, &temp).map(|m| (m.uid, m.gid));
                if current != Ok((uid, gid)) {
                    return Err(self.chown_error(e, &rel, uid, gid));
                }
            }
            rustix::fs::utimensat(target_dir, &temp[..], &meta.timestamps(), nofollow)
                .map_err(Self::io(Operation::SetTimes, Side::Target, &rel))?;
            rustix::fs::renameat(target_dir, &temp[..], target_dir, name).map_err(Self::io(
                Operation::Rename,
                Side::Target,
                &rel,
            ))
        })();
        match result {
            Ok(()) => {
                Progress::add(&self.progress.symlinks, 1);
                Ok(())
            }
            Err(e) => {
                let _ = fsops::unlink_at(target_dir, &temp);
                Err(e)
            }
        }
    }

    fn update_symlink_metadata(
        &self,
        target_dir: BorrowedFd<'_>,
        name: &[u8],
        rel: &RelPath,
        existing: &Meta,
        meta: &Meta,
    ) -> Result<(), Error> {
        let nofollow = AtFlags::SYMLINK_NOFOLLOW;
        let (uid, gid) = self.owner_of(meta);
        if (existing.uid, existing.gid) != (uid, gid) {
            let ids = (Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)));
            rustix::fs::chownat(target_dir, name, ids.0, ids.1, nofollow)
                .map_err(|e| self.chown_error(e, rel, uid, gid))?;
        }
        if existing.mtime != meta.mtime {
            rustix::fs::utimensat(target_dir, name, &meta.timestamps(), nofollow)
                .map_err(Self::io(Operation::SetTimes, Side::Target, rel))?;
        }
        Ok(())
    }

    /// What the target has at `name` in `parent`'s target directory, not following a symlink.
    /// Nothing when the directory itself is missing (only in a dry run).
    fn existing_target(
        &self,
        parent: &DirNode<'a>,
        name: &[u8],
        rel: &RelPath,
    ) -> Result<Option<Meta>, Error> {
        let Some(target_dir) = &parent.target else {
            return Ok(None);
        };
        if parent.fresh {
            return Ok(None);
        }
        fsops::lstat_if_exists(target_dir.as_fd(), name).map_err(Self::io(
            Operation::Stat,
            Side::Target,
            rel,
        ))
    }

    /// Runs `create` with fresh temporary names until one does not exist yet.
    fn with_temp_name<T>(
        &self,
        mut create: impl FnMut(&[u8]) -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        loop {
            let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
            let name = format!(".studio-copy-{}-{n}.tmp", self.pid);
            match create(name.as_bytes()) {
                Err(Errno::EXIST) => continue,
                other => return other,
            }
        }
    }
}
