//! Property tests over hostile trees: odd names (newlines, spaces, backslashes, invalid UTF-8),
//! random nesting and modes, symlinks to `..`, to absolute paths, to a sentinel outside both
//! trees, loops, and hard links. The copy must equal the source, and nothing outside the two
//! roots may be read or written.

mod common;

use std::ffi::OsStr;
use std::fs::{self, File, FileTimes};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::{Sandbox, assert_no_sentinel_content, assert_same_tree, is_root};
use proptest::prelude::*;
use studio_copy::{Ownership, Transfer};

#[derive(Clone, Debug)]
enum Kind {
    Dir { mode: u32 },
    File { data: Vec<u8>, mode: u32 },
    Symlink(LinkText),
    HardLink { to: usize },
}

#[derive(Clone, Debug)]
enum LinkText {
    DotDot(usize),
    Root,
    Sentinel,
    OutsideDir,
    RelativeSentinel,
    ItSelf,
    Name(Vec<u8>),
}

#[derive(Clone, Debug)]
struct Item {
    parent: usize,
    name: Vec<u8>,
    kind: Kind,
}

fn name() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => b'a'..=b'z',
        1 => Just(b'\n'),
        1 => Just(b' '),
        1 => Just(b'.'),
        1 => Just(b'\\'),
        1 => Just(b'*'),
        1 => Just(0xffu8),
        1 => Just(0x80u8),
        1 => Just(0xc3u8),
    ];
    prop::collection::vec(byte, 1..8).prop_filter("not . or ..", |n| n != b"." && n != b"..")
}

fn kind() -> impl Strategy<Value = Kind> {
    let file_mode =
        prop::sample::select(vec![0o644u32, 0o600, 0o755, 0o4755, 0o2755, 0o1644, 0o000]);
    let dir_mode = prop::sample::select(vec![0o755u32, 0o700, 0o1777, 0o2775, 0o555, 0o000]);
    let text = prop_oneof![
        (1usize..4).prop_map(LinkText::DotDot),
        Just(LinkText::Root),
        Just(LinkText::Sentinel),
        Just(LinkText::OutsideDir),
        Just(LinkText::RelativeSentinel),
        Just(LinkText::ItSelf),
        name().prop_map(LinkText::Name),
    ];
    prop_oneof![
        3 => dir_mode.prop_map(|mode| Kind::Dir { mode }),
        4 => (prop::collection::vec(any::<u8>(), 0..300), file_mode)
            .prop_map(|(data, mode)| Kind::File { data, mode }),
        2 => text.prop_map(Kind::Symlink),
        1 => any::<prop::sample::Index>().prop_map(|i| Kind::HardLink { to: i.index(1 << 20) }),
    ]
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    prop::collection::vec(
        (any::<prop::sample::Index>(), name(), kind()).prop_map(|(p, name, kind)| Item {
            parent: p.index(1 << 20),
            name,
            kind,
        }),
        0..40,
    )
}

/// Builds the tree; directory modes are set last (deepest first) so that entries can be made.
fn build(sb: &Sandbox, items: &[Item]) {
    let root = sb.source();
    let sentinel = sb.outside().join("sentinel");
    let mut dirs: Vec<PathBuf> = vec![root.clone()];
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dir_modes = Vec::new();
    for item in items {
        let parent = dirs[item.parent % dirs.len()].clone();
        let path = parent.join(OsStr::from_bytes(&item.name));
        if fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        match &item.kind {
            Kind::Dir { mode } => {
                fs::create_dir(&path).unwrap();
                dir_modes.push((path.clone(), *mode));
                dirs.push(path);
            }
            Kind::File { data, mode } => {
                fs::write(&path, data).unwrap();
                fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).unwrap();
                files.push(path);
            }
            Kind::HardLink { to } if !files.is_empty() => {
                fs::hard_link(&files[to % files.len()], &path).unwrap();
            }
            Kind::HardLink { .. } => {}
            Kind::Symlink(text) => {
                let text: Vec<u8> = match text {
                    LinkText::DotDot(n) => "../".repeat(*n).into_bytes(),
                    LinkText::Root => b"/".to_vec(),
                    LinkText::Sentinel => sentinel.as_os_str().as_bytes().to_vec(),
                    LinkText::OutsideDir => sb.outside().as_os_str().as_bytes().to_vec(),
                    LinkText::RelativeSentinel => {
                        let depth = path.strip_prefix(&root).unwrap().components().count();
                        format!("{}outside/sentinel", "../".repeat(depth)).into_bytes()
                    }
                    LinkText::ItSelf => item.name.clone(),
                    LinkText::Name(n) => n.clone(),
                };
                symlink(OsStr::from_bytes(&text), &path).unwrap();
            }
        }
    }
    for (path, mode) in dir_modes.into_iter().rev() {
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// Sets an access time older than the modification time: with relatime (or strictatime) any
/// read of the sentinel or listing of its directory moves it, so an unchanged atime means that
/// nothing outside the roots was read.
fn mark_unread(path: &Path) {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
    let file = File::open(path).unwrap();
    let mtime = file.metadata().unwrap().modified().unwrap();
    file.set_times(FileTimes::new().set_accessed(old).set_modified(mtime))
        .unwrap();
}

fn atime(path: &Path) -> i64 {
    fs::metadata(path).unwrap().atime()
}

fn restore_dir_modes(root: &Path) {
    // So that the temp dir can be removed without root (a no-op for root).
    for entry in fs::read_dir(root).unwrap().flatten() {
        let meta = fs::symlink_metadata(entry.path()).unwrap();
        if meta.is_dir() {
            let _ = fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o755));
            restore_dir_modes(&entry.path());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn a_hostile_tree_is_copied_exactly_and_nothing_outside_is_touched(
        items in items(),
        threads in 1usize..5,
        ownership in prop::bool::ANY,
    ) {
        let sb = Sandbox::new();
        build(&sb, &items);
        mark_unread(&sb.outside().join("sentinel"));
        mark_unread(&sb.outside());
        let (sentinel_atime, outside_atime) =
            (atime(&sb.outside().join("sentinel")), atime(&sb.outside()));

        let mut options = common::options();
        options.threads = threads;
        let give_away = ownership && is_root();
        if give_away {
            options.ownership = Ownership::Set { uid: 200001, gid: 1001 };
        }
        let summary = sb.copy(&options);
        prop_assert!(summary.succeeded(), "{:?}", summary);

        prop_assert_eq!(atime(&sb.outside().join("sentinel")), sentinel_atime, "the sentinel was read");
        prop_assert_eq!(atime(&sb.outside()), outside_atime, "the outside directory was listed");
        sb.assert_outside_untouched();
        assert_same_tree(&sb.source(), &sb.target());
        assert_no_sentinel_content(&sb.target());
        if give_away {
            for (path, _) in common::snapshot(&sb.target()) {
                let meta = fs::symlink_metadata(sb.target().join(OsStr::from_bytes(&path))).unwrap();
                prop_assert_eq!((meta.uid(), meta.gid()), (200001, 1001));
            }
        }

        // A second run over the finished copy changes nothing.
        options.transfer = Transfer::Changed;
        let again = sb.copy(&options);
        prop_assert!(again.succeeded(), "{:?}", again);
        prop_assert_eq!((again.counts.files, again.counts.symlinks, again.counts.hard_links), (0, 0, 0));
        assert_same_tree(&sb.source(), &sb.target());
        sb.assert_outside_untouched();
        restore_dir_modes(sb.dir.path());
    }
}
