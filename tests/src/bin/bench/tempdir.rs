//! A directory that is removed, with everything in it, when dropped.

use std::fs;
use std::path::{Path, PathBuf};

pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `path` (its parent must exist). A leftover of an earlier run
    /// with the same name is removed first.
    pub fn create(path: PathBuf) -> Result<TempDir, String> {
        let _ = fs::remove_dir_all(&path);
        fs::create_dir(&path).map_err(|e| format!("create {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
