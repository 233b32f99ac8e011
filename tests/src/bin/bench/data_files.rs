//! The files the file benchmarks read, made by the runner next to the
//! benchmark binaries (`<target>/ctests/bench/data-<pid>/`), so that the
//! sandboxes, which serve the host's root, see them in their root file
//! system. Everything is removed when dropped; directories left by runs
//! that were killed are swept at the next start.

use crate::tempdir::TempDir;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bytes in the large file: 256 MiB.
pub const LARGE_SIZE: u64 = 256 << 20;
/// Bytes in the small file: 4 KiB.
pub const SMALL_SIZE: u64 = 4 << 10;

const CHUNK: usize = 1 << 20;

/// The byte at offset `o` of every data file (`seq_read.c` checks it);
/// `fill` computes the same thing incrementally.
#[cfg(test)]
fn pattern_byte(o: u64) -> u8 {
    ((o % 251) ^ (o >> 20)) as u8
}

pub struct DataDir(TempDir);

impl DataDir {
    /// `data-<pid>` in `parent`, after removing those of dead processes.
    pub fn create(parent: &Path) -> Result<DataDir, String> {
        fs::create_dir_all(parent).map_err(|e| format!("create {}: {e}", parent.display()))?;
        sweep(parent);
        let dir = TempDir::create(parent.join(format!("data-{}", std::process::id())))?;
        Ok(DataDir(dir))
    }

    /// A file of `size` pattern bytes, on disk (synced) before it returns,
    /// so that no write-back overlaps the measurements.
    pub fn file(&self, name: &str, size: u64) -> Result<DataFile, String> {
        let path = self.0.path().join(name);
        let file = DataFile(path);
        write_pattern(&file.0, size).map_err(|e| format!("write {}: {e}", file.0.display()))?;
        Ok(file)
    }
}

/// A data file, removed when dropped.
pub struct DataFile(PathBuf);

impl DataFile {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DataFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn write_pattern(path: &Path, size: u64) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    let mut buf = vec![0u8; CHUNK];
    let mut off = 0;
    while off < size {
        let len = usize::try_from((size - off).min(CHUNK as u64)).expect("chunk fits usize");
        fill(&mut buf[..len], off);
        f.write_all(&buf[..len])?;
        off += len as u64;
    }
    f.sync_all()
}

/// `buf` as the pattern at `off`; `buf` must not cross a MiB boundary.
fn fill(buf: &mut [u8], off: u64) {
    let high = (off >> 20) as u8;
    let mut low = off % 251;
    for b in buf {
        *b = low as u8 ^ high;
        low += 1;
        if low == 251 {
            low = 0;
        }
    }
}

/// Removes `data-<pid>` directories whose process is gone.
fn sweep(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("data-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_matches_pattern() {
        let mut buf = vec![0u8; CHUNK];
        for chunk in [0u64, 1, 255, 256, 300] {
            let off = chunk << 20;
            fill(&mut buf, off);
            for i in [0usize, 1, 250, 251, 252, 4095, CHUNK - 1] {
                assert_eq!(
                    buf[i],
                    pattern_byte(off + i as u64),
                    "chunk {chunk} byte {i}"
                );
            }
        }
    }

    #[test]
    fn files_are_written_and_removed() {
        let parent = std::env::temp_dir().join(format!("bench-data-test-{}", std::process::id()));
        let dir = DataDir::create(&parent).unwrap();
        let file = dir.file("f", 3 * (1 << 20) + 17).unwrap();
        let data = fs::read(file.path()).unwrap();
        assert_eq!(data.len(), 3 * (1 << 20) + 17);
        assert!(
            data.iter()
                .enumerate()
                .all(|(i, &b)| b == pattern_byte(i as u64))
        );
        let path = file.path().to_path_buf();
        drop(file);
        assert!(!path.exists());
        drop(dir);
        let _ = fs::remove_dir_all(&parent);
    }
}
