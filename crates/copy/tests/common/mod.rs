//! Helpers of the engine's tests: a fresh temp dir per test, and a snapshot of a tree that two
//! trees can be compared by (readable diff in the failure message).

#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use studio_copy::{Options, Ownership, Summary};

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A fresh directory with `source/` (created) and `target` (not) inside, plus `outside/` holding
/// `sentinel`, a file no copy may read into its target or change.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

pub const SENTINEL_CONTENT: &[u8] = b"SENTINEL-OUTSIDE-BOTH-TREES";

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        fs::create_dir(dir.path().join("source")).unwrap();
        fs::create_dir(dir.path().join("outside")).unwrap();
        fs::write(dir.path().join("outside/sentinel"), SENTINEL_CONTENT).unwrap();
        Self { dir }
    }
    pub fn source(&self) -> PathBuf {
        self.dir.path().join("source")
    }
    pub fn target(&self) -> PathBuf {
        self.dir.path().join("target")
    }
    pub fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }
    pub fn copy(&self, options: &Options) -> Summary {
        studio_copy::copy(&self.source(), &self.target(), options).expect("the roots open")
    }
    /// The outside directory holds exactly the sentinel, unchanged.
    pub fn assert_outside_untouched(&self) {
        self.assert_outside_untouched_but(&[]);
    }

    /// [`Self::assert_outside_untouched`], with `extra` names the test made next to the trees.
    pub fn assert_outside_untouched_but(&self, extra: &[&str]) {
        let names: Vec<_> = fs::read_dir(self.outside())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsStr::new("sentinel").to_os_string()]);
        assert_eq!(
            fs::read(self.outside().join("sentinel")).unwrap(),
            SENTINEL_CONTENT
        );
        let top: Vec<_> = fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        for name in top {
            assert!(
                ["source", "target", "outside"].contains(&name.as_str())
                    || extra.contains(&name.as_str()),
                "{name} appeared next to the trees"
            );
        }
    }
}

pub fn options() -> Options {
    let mut options = Options::new(Ownership::Preserve);
    options.threads = 4;
    options
}

/// What the engine promises to keep of one entry.
#[derive(Clone, PartialEq, Eq)]
pub enum Node {
    Dir {
        mode: u32,
    },
    File {
        mode: u32,
        data: Vec<u8>,
        link_group: Option<usize>,
    },
    Symlink {
        text: Vec<u8>,
    },
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Dir { mode } => write!(f, "dir {mode:o}"),
            Node::File {
                mode,
                data,
                link_group,
            } => write!(
                f,
                "file {mode:o} {:?} links {link_group:?}",
                String::from_utf8_lossy(data)
            ),
            Node::Symlink { text } => write!(f, "-> {:?}", String::from_utf8_lossy(text)),
        }
    }
}

/// Every entry under `root` (not following symlinks), by relative path bytes. Hard links are
/// numbered by first appearance in path order, so two trees with the same link structure match.
/// Special files are left out (the engine skips them).
pub fn snapshot(root: &Path) -> BTreeMap<Vec<u8>, Node> {
    let mut raw = BTreeMap::new();
    walk(root, root, &mut raw);
    let mut groups: BTreeMap<u64, usize> = BTreeMap::new();
    raw.into_iter()
        .map(|(path, (node, ino, nlink))| {
            let node = match node {
                Node::File { mode, data, .. } if nlink > 1 => {
                    let next = groups.len();
                    let group = *groups.entry(ino).or_insert(next);
                    Node::File {
                        mode,
                        data,
                        link_group: Some(group),
                    }
                }
                other => other,
            };
            (path, node)
        })
        .collect()
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<Vec<u8>, (Node, u64, u64)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .as_os_str()
            .as_bytes()
            .to_vec();
        let meta = fs::symlink_metadata(&path).unwrap();
        let ft = meta.file_type();
        let node = if ft.is_symlink() {
            Node::Symlink {
                text: fs::read_link(&path)
                    .unwrap()
                    .as_os_str()
                    .as_bytes()
                    .to_vec(),
            }
        } else if ft.is_dir() {
            walk(root, &path, out);
            Node::Dir {
                mode: meta.mode() & 0o7777,
            }
        } else if ft.is_file() {
            Node::File {
                mode: meta.mode() & 0o7777,
                data: fs::read(&path).unwrap(),
                link_group: None,
            }
        } else {
            continue;
        };
        out.insert(rel, (node, meta.ino(), meta.nlink()));
    }
}

/// Fails with the entries that differ.
pub fn assert_same_tree(source: &Path, target: &Path) {
    let (a, b) = (snapshot(source), snapshot(target));
    if a != b {
        let mut diff = String::new();
        for (k, v) in &a {
            match b.get(k) {
                None => diff.push_str(&format!("  missing in target: {:?} {v:?}\n", show(k))),
                Some(w) if w != v => diff.push_str(&format!(
                    "  differs: {:?}\n    source {v:?}\n    target {w:?}\n",
                    show(k)
                )),
                _ => {}
            }
        }
        for (k, w) in &b {
            if !a.contains_key(k) {
                diff.push_str(&format!("  only in target: {:?} {w:?}\n", show(k)));
            }
        }
        panic!("the trees differ:\n{diff}");
    }
}

pub fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file's content in the tree, to check that the sentinel's never appears.
pub fn assert_no_sentinel_content(root: &Path) {
    for (path, node) in snapshot(root) {
        if let Node::File { data, .. } = node {
            assert!(
                !data
                    .windows(SENTINEL_CONTENT.len())
                    .any(|w| w == SENTINEL_CONTENT),
                "{:?} holds the sentinel's content",
                show(&path)
            );
        }
    }
}
