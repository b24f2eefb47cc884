use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The root of the studio-restore checkout these tests belong to (where `Cargo.toml`,
/// `scripts/` and `.tools/` are).
pub fn repo_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest.join("../..");
        root.canonicalize()
            .unwrap_or_else(|e| panic!("resolving the repository root {}: {e}", root.display()))
    })
}
