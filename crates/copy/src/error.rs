//! The one error type of a copy: every error names the entry it is about, relative to the roots,
//! as the bytes of its path (names are not UTF-8 in general), and what was being done to it.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

/// A path relative to the source and target roots, as bytes. The root itself is the empty path.
/// Displayed with non-printable bytes escaped (`\n`, `\xff`), so that an error message is one line.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct RelPath(Vec<u8>);

impl RelPath {
    /// The root of the tree.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    pub(crate) fn child(&self, name: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(self.0.len() + 1 + name.len());
        bytes.extend_from_slice(&self.0);
        if !bytes.is_empty() {
            bytes.push(b'/');
        }
        bytes.extend_from_slice(name);
        Self(bytes)
    }

    /// The path's bytes, `/`-separated, without a leading `/`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The path as an `OsStr`, to join onto a root.
    pub fn as_os_str(&self) -> &OsStr {
        OsStr::from_bytes(&self.0)
    }

    /// The path as an owned `OsString`.
    pub fn into_os_string(self) -> OsString {
        OsString::from_vec(self.0)
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str(".");
        }
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() {
                    write!(f, "{}", c.escape_default())?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// What the engine was doing when an operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Open,
    Stat,
    ReadDir,
    Mkdir,
    ReadLink,
    Symlink,
    Link,
    Unlink,
    Rename,
    CopyData,
    Chown,
    Chmod,
    SetTimes,
    Verify,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Open => "open",
            Self::Stat => "stat",
            Self::ReadDir => "read the directory",
            Self::Mkdir => "create the directory",
            Self::ReadLink => "read the symlink",
            Self::Symlink => "create the symlink",
            Self::Link => "create the hard link",
            Self::Unlink => "remove",
            Self::Rename => "rename into place",
            Self::CopyData => "copy the data of",
            Self::Chown => "change the owner of",
            Self::Chmod => "change the mode of",
            Self::SetTimes => "set the times of",
            Self::Verify => "verify",
        })
    }
}

/// Which of the two trees an entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Source,
    Target,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Source => "source",
            Self::Target => "target",
        })
    }
}

/// An error of one copy. Errors about one entry do not stop the copy (they are counted and the
/// first ones kept in the summary, as DataSync reports them); errors about the roots do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The source or the target root could not be opened (it is missing, not a directory, or a
    /// symlink: roots are opened without following a final symlink).
    #[error("open the {side} root {path:?}: {source}")]
    Root {
        side: Side,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A system call about one entry failed.
    #[error("{operation} {side} {path}: {source}")]
    Io {
        operation: Operation,
        side: Side,
        path: RelPath,
        source: std::io::Error,
    },
    /// The owner could not be changed: only root (CAP_CHOWN) may give files away.
    #[error(
        "change the owner of target {path} to uid {uid} gid {gid}: {source}; run the copy as root \
         (CAP_CHOWN) or keep the source owners with Ownership::Preserve"
    )]
    Ownership {
        path: RelPath,
        uid: u32,
        gid: u32,
        source: std::io::Error,
    },
    /// The checksum of a transferred file read back from the target differs from the source's.
    #[error("verify target {path}: its SHA-256 differs from the source's after the transfer")]
    Verify { path: RelPath },
    /// The target has an entry of another type where the source has a directory, and overwrite
    /// is NEVER, so it is kept and the source directory is not copied.
    #[error(
        "target {path} is not a directory where the source has one, and overwrite is NEVER: the \
         source directory was not copied"
    )]
    NotADirectory { path: RelPath },
    /// The target root is inside the source tree: that directory is not copied into itself.
    #[error(
        "source {path} is the target root: the target is inside the source, so it is not copied"
    )]
    TargetInsideSource { path: RelPath },
    /// The target has a directory where the source has a file or a symlink; a directory is never
    /// removed to make room.
    #[error(
        "target {path} is a directory where the source has a file or a symlink; remove it to copy"
    )]
    IsADirectory { path: RelPath },
}

impl Error {
    /// The entry the error is about (the root for root errors).
    pub fn path(&self) -> RelPath {
        match self {
            Self::Root { .. } => RelPath::root(),
            Self::Io { path, .. }
            | Self::Ownership { path, .. }
            | Self::Verify { path }
            | Self::NotADirectory { path }
            | Self::TargetInsideSource { path }
            | Self::IsADirectory { path } => path.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_on_one_line_with_odd_bytes_escaped() {
        let path = RelPath::root()
            .child(b"dir")
            .child(b"new\nline \xff\xfe.txt");
        assert_eq!(path.to_string(), "dir/new\\nline \\xff\\xfe.txt");
        assert_eq!(path.as_bytes(), b"dir/new\nline \xff\xfe.txt");
        assert_eq!(RelPath::root().to_string(), ".");
    }
}
