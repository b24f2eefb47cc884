//! The system calls the engine uses, all relative to a directory file descriptor and none of them
//! following a symlink. Names are single path components from `readdir` (never `/`, `.` or
//! `..`); the only multi-component paths are hard-link targets, opened with [`open_dir_beneath`].

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags, Stat, Timestamps};
use rustix::io::Errno;

/// Set when `openat2` answered ENOSYS once (kernels before 5.6): every later open walks
/// component by component with O_NOFOLLOW.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// The parts of a `stat` the engine uses, in fixed-width types on every architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
}

#[allow(clippy::unnecessary_cast)] // the field types differ between architectures
impl From<Stat> for Meta {
    fn from(st: Stat) -> Self {
        Self {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            mode: st.st_mode as u32,
            nlink: st.st_nlink as u64,
            uid: st.st_uid as u32,
            gid: st.st_gid as u32,
            size: st.st_size as u64,
            atime: (st.st_atime as i64, st.st_atime_nsec as i64),
            mtime: (st.st_mtime as i64, st.st_mtime_nsec as i64),
        }
    }
}

/// The type of an entry, from its mode bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
    Special,
}

impl Meta {
    pub fn kind(&self) -> Kind {
        match self.mode & 0o170000 {
            0o100000 => Kind::File,
            0o040000 => Kind::Dir,
            0o120000 => Kind::Symlink,
            _ => Kind::Special,
        }
    }

    /// Permission bits including setuid, setgid and sticky.
    pub fn permissions(&self) -> Mode {
        Mode::from_raw_mode(self.mode & 0o7777)
    }

    pub fn timestamps(&self) -> Timestamps {
        Timestamps {
            last_access: rustix::fs::Timespec {
                tv_sec: self.atime.0,
                tv_nsec: self.atime.1 as _,
            },
            last_modification: rustix::fs::Timespec {
                tv_sec: self.mtime.0,
                tv_nsec: self.mtime.1 as _,
            },
        }
    }
}

/// Opens `name`, one component, in `dir` without following a symlink and without leaving `dir`.
pub(crate) fn open_at(dir: BorrowedFd<'_>, name: &[u8], flags: OFlags) -> Result<OwnedFd, Errno> {
    debug_assert!(!name.contains(&b'/'));
    rustix::fs::openat(
        dir,
        name,
        flags | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
}

/// Set when O_NOATIME was refused once (it needs to own the file or CAP_FOWNER).
static NO_NOATIME: AtomicBool = AtomicBool::new(false);

/// Opens a source file for reading: non-blocking (should it have become a FIFO since readdir)
/// and, where permitted, without moving its access time (no metadata write per file read, and
/// the source keeps the access times the copy preserves).
pub(crate) fn open_source_file(dir: BorrowedFd<'_>, name: &[u8]) -> Result<OwnedFd, Errno> {
    let flags = OFlags::RDONLY | OFlags::NONBLOCK;
    if !NO_NOATIME.load(Ordering::Relaxed) {
        match open_at(dir, name, flags | OFlags::NOATIME) {
            Err(Errno::PERM) => NO_NOATIME.store(true, Ordering::Relaxed),
            other => return other,
        }
    }
    open_at(dir, name, flags)
}

/// Opens the directory at the relative `path` (`/`-separated components) beneath `root`: with
/// `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` where the kernel has it, else one component
/// at a time with O_NOFOLLOW | O_DIRECTORY. No symlink is followed and `..` cannot climb out.
pub(crate) fn open_dir_beneath(root: BorrowedFd<'_>, path: &[u8]) -> Result<OwnedFd, Errno> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let path: &[u8] = if path.is_empty() { b"." } else { path };
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        match rustix::fs::openat2(
            root,
            path,
            flags,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
        ) {
            Err(Errno::NOSYS) => NO_OPENAT2.store(true, Ordering::Relaxed),
            // EAGAIN: a rename raced the resolution; the walk below is just as safe.
            Err(Errno::AGAIN) => {}
            other => return other,
        }
    }
    let mut dir = rustix::fs::openat(root, ".", flags, Mode::empty())?;
    for component in path.split(|b| *b == b'/') {
        if component.is_empty() || component == b"." {
            continue;
        }
        if component == b".." {
            return Err(Errno::XDEV);
        }
        dir = rustix::fs::openat(&dir, component, flags, Mode::empty())?;
    }
    Ok(dir)
}

pub(crate) fn stat_at(dir: BorrowedFd<'_>, name: &[u8]) -> Result<Meta, Errno> {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).map(Meta::from)
}

/// Like [`stat_at`], with a missing entry as `None`.
pub(crate) fn lstat_if_exists(dir: BorrowedFd<'_>, name: &[u8]) -> Result<Option<Meta>, Errno> {
    match stat_at(dir, name) {
        Ok(meta) => Ok(Some(meta)),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) fn fstat(fd: impl AsFd) -> Result<Meta, Errno> {
    rustix::fs::fstat(fd).map(Meta::from)
}

/// Copies the first `size` bytes of `from` (the size its `fstat` gave: what the copy's
/// modification time describes) to `to` (empty), or fewer if it ends sooner, with
/// `copy_file_range` where the kernel and file systems support it, else read and write. Returns
/// the bytes copied. Stopping at `size` saves the call that would find the end: a file that grew
/// meanwhile has a newer modification time, so a later `CHANGED` run copies it again.
pub(crate) fn copy_data(
    from: BorrowedFd<'_>,
    to: BorrowedFd<'_>,
    size: u64,
    written: &AtomicU64,
) -> Result<u64, Errno> {
    let mut copied: u64 = 0;
    while copied < size {
        let mut off_in = copied;
        let mut off_out = copied;
        // 64 MiB a call: few system calls, and a progress display that moves on large files.
        let chunk = (size - copied).min(1 << 26) as usize;
        match rustix::fs::copy_file_range(from, Some(&mut off_in), to, Some(&mut off_out), chunk) {
            Ok(0) => return Ok(copied),
            Ok(n) => {
                copied += n as u64;
                written.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(Errno::INTR) => {}
            Err(Errno::XDEV | Errno::NOSYS | Errno::OPNOTSUPP | Errno::INVAL | Errno::PERM)
                if copied == 0 =>
            {
                return copy_data_by_reading(from, to, size, written);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(copied)
}

fn copy_data_by_reading(
    from: BorrowedFd<'_>,
    to: BorrowedFd<'_>,
    size: u64,
    written_so_far: &AtomicU64,
) -> Result<u64, Errno> {
    let mut buf = vec![0u8; size.min(256 * 1024) as usize];
    let mut copied: u64 = 0;
    while copied < size {
        let want = buf.len().min((size - copied) as usize);
        let n = match rustix::io::pread(from, &mut buf[..want], copied) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        };
        let mut written = 0;
        while written < n {
            match rustix::io::pwrite(to, &buf[written..n], copied + written as u64) {
                Ok(w) => written += w,
                Err(Errno::INTR) => {}
                Err(e) => return Err(e),
            }
        }
        copied += n as u64;
        written_so_far.fetch_add(n as u64, Ordering::Relaxed);
    }
    Ok(copied)
}

/// The SHA-256 of everything in `fd`, read from offset 0.
pub(crate) fn checksum(fd: BorrowedFd<'_>) -> Result<[u8; 32], Errno> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut offset: u64 = 0;
    loop {
        match rustix::io::pread(fd, &mut buf[..], offset) {
            Ok(0) => return Ok(hasher.finalize().into()),
            Ok(n) => {
                hasher.update(&buf[..n]);
                offset += n as u64;
            }
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Removes a non-directory entry (a file or a symlink, never followed).
pub(crate) fn unlink_at(dir: BorrowedFd<'_>, name: &[u8]) -> Result<(), Errno> {
    match rustix::fs::unlinkat(dir, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn open_dir_beneath_refuses_symlinks_and_dotdot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("root/a/b")).unwrap();
        symlink("a", dir.path().join("root/link")).unwrap();
        symlink("/", dir.path().join("root/a/abs")).unwrap();
        let root = rustix::fs::open(
            dir.path().join("root").as_path(),
            OFlags::RDONLY | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .unwrap();
        let root = root.as_fd();
        assert!(open_dir_beneath(root, b"a/b").is_ok());
        assert!(open_dir_beneath(root, b"").is_ok());
        for bad in [
            &b"link"[..],
            b"link/b",
            b"a/abs",
            b"..",
            b"a/../..",
            b"a/b/../../..",
        ] {
            assert!(
                open_dir_beneath(root, bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // The component walk (kernels without openat2) refuses the same paths.
        NO_OPENAT2.store(true, Ordering::Relaxed);
        assert!(open_dir_beneath(root, b"a/b").is_ok());
        for bad in [&b"link"[..], b"link/b", b"a/abs", b"..", b"a/../.."] {
            assert!(
                open_dir_beneath(root, bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        NO_OPENAT2.store(false, Ordering::Relaxed);
    }

    #[test]
    fn copy_data_falls_back_to_read_and_write() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("from"), &data).unwrap();
        let from = std::fs::File::open(dir.path().join("from")).unwrap();
        let to = std::fs::File::create(dir.path().join("to")).unwrap();
        let written = AtomicU64::new(0);
        assert_eq!(
            copy_data_by_reading(from.as_fd(), to.as_fd(), data.len() as u64, &written).unwrap(),
            data.len() as u64
        );
        assert_eq!(written.load(Ordering::Relaxed), data.len() as u64);
        assert_eq!(std::fs::read(dir.path().join("to")).unwrap(), data);
        let to = std::fs::File::open(dir.path().join("to")).unwrap();
        assert_eq!(
            checksum(from.as_fd()).unwrap(),
            checksum(to.as_fd()).unwrap()
        );
    }
}
