//! Where things live: the target directory, our `runsc`, the C sources.

use std::path::{Path, PathBuf};

/// `target/<profile>`: the running executable's directory, or its parent for
/// test binaries, which live in `target/<profile>/deps`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("cannot find the running executable");
    let dir = exe.parent().expect("executable has no parent directory");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().expect("deps has no parent").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// Build outputs of the compatibility programs: `<target-dir>/ctests`.
pub fn ctests_dir() -> PathBuf {
    let profile = profile_dir();
    profile.parent().unwrap_or(&profile).join("ctests")
}

/// Sources of the compatibility programs.
pub fn c_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("c")
}

/// Sources of the benchmark programs (`benches/c` at the workspace root).
pub fn bench_c_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/c")
}

/// Our `runsc`: `$RUNSC_BIN`, else `runsc` next to the profile's binaries.
pub fn find_runsc() -> Result<PathBuf, String> {
    let path = match std::env::var_os("RUNSC_BIN") {
        Some(p) => PathBuf::from(p),
        None => profile_dir().join("runsc"),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "runsc binary not found at {} (build it with `cargo build -p runsc`, \
             use the same profile as the tests, or set RUNSC_BIN)",
            path.display()
        ))
    }
}

/// Like [`find_runsc`], but a missing binary fails the test.
pub fn runsc() -> PathBuf {
    find_runsc().unwrap_or_else(|e| panic!("{e}"))
}
