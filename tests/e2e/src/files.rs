//! Files in the emulated EFS home directories, with messages that say which path failed.

use std::path::Path;

/// Writes `contents` to `path`, creating its parent directories.
pub fn write_file(path: &Path, contents: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
    }
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// The contents of the file `path`.
pub fn read_file(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Gives every entry under the home directory `home` to the home's owner (the directory's uid
/// and gid), as if the Studio user had written them in a session: a test writes as root, Studio
/// users write as their uid with gid 1001. Symlinks are changed themselves, never followed.
pub fn hand_to_owner(home: &Path) {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::symlink_metadata(home)
        .unwrap_or_else(|e| panic!("reading the owner of {}: {e}", home.display()));
    assert!(
        owner.is_dir(),
        "{} is not a directory: open Studio for its profile first",
        home.display()
    );
    for relative in tree(home) {
        let path = home.join(&relative);
        std::os::unix::fs::lchown(&path, Some(owner.uid()), Some(owner.gid()))
            .unwrap_or_else(|e| panic!("giving {} to its owner: {e}", path.display()));
    }
}

/// Every path under `dir`, relative, sorted, directories included (`data`, `data/x.csv`), and
/// symlinks listed but not followed.
pub fn tree(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, into: &mut Vec<String>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let file_type = entry
                .file_type()
                .unwrap_or_else(|e| panic!("reading the type of {}: {e}", entry.path().display()));
            into.push(name.clone());
            if file_type.is_dir() {
                walk(&entry.path(), &format!("{name}/"), into);
            }
        }
    }
    let mut paths = Vec::new();
    walk(dir, "", &mut paths);
    paths.sort();
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_lists_nested_paths_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        write_file(&dir.path().join("data/results.csv"), "a");
        write_file(&dir.path().join("notes.md"), "b");
        std::os::unix::fs::symlink("/", dir.path().join("root")).unwrap();
        assert_eq!(
            tree(dir.path()),
            ["data", "data/results.csv", "notes.md", "root"]
        );
        assert_eq!(read_file(&dir.path().join("notes.md")), "b");
    }
}
