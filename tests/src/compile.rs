//! Building the C programs with gcc, once per test process.
//!
//! Outputs go to `<target-dir>/ctests/<variant>/<name>`. A build is reused
//! when it is newer than its source and every header next to it. Builds land
//! under a temporary name and are renamed into place, so concurrent test
//! threads and test processes never see a half-written binary.

use crate::paths::{c_dir, ctests_dir};
use crate::skip::Skip;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

/// How a program is linked; each one exercises a different loader path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// Fixed-address static executable: no interpreter, no relocation.
    Static,
    /// Static PIE: loaded at a random base, relocates itself.
    StaticPie,
    /// Dynamically linked against libc: the loader maps ld.so too.
    Dynamic,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Static, Variant::StaticPie, Variant::Dynamic];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Static => "static",
            Variant::StaticPie => "static-pie",
            Variant::Dynamic => "dynamic",
        }
    }

    fn gcc_flags(self) -> &'static [&'static str] {
        match self {
            Variant::Static => &["-static"],
            Variant::StaticPie => &["-static-pie", "-fPIE"],
            Variant::Dynamic => &[],
        }
    }
}

type Built = Result<PathBuf, Skip>;

/// The program `tests/c/<name>.c` built as `variant`, or why this host
/// cannot build that variant at all. A program that fails to compile while
/// the variant works is a bug in the test and panics.
pub fn program(name: &str, variant: Variant) -> Built {
    probe(variant)?;
    let src = c_dir().join(format!("{name}.c"));
    let out = ctests_dir().join(variant.name()).join(name);
    once(&out, || {
        compile_file(&src, variant, &out).unwrap_or_else(|e| panic!("{e}"));
        Ok(out.clone())
    })
}

/// Can this host link `variant` at all (e.g. is static libc installed)?
fn probe(variant: Variant) -> Result<(), Skip> {
    let dir = ctests_dir().join("probe");
    let out = dir.join(variant.name());
    once(&out, || {
        fs::create_dir_all(&dir).expect("create ctests/probe");
        let src = dir.join("probe.c");
        let code = b"int main(void) { return 0; }\n";
        // Rewriting it every time would defeat the mtime check.
        if fs::read(&src).ok().as_deref() != Some(code) {
            write_atomically(&src, code, 0o644).expect("write probe.c");
        }
        match compile_file(&src, variant, &out) {
            Ok(()) => Ok(out.clone()),
            Err(e) => Err(Skip(format!(
                "gcc cannot build {} programs: {e}",
                variant.name()
            ))),
        }
    })
    .map(drop)
}

/// Runs `f` once per output path and process; other threads wait for it.
fn once(out: &Path, f: impl FnOnce() -> Built) -> Built {
    static CELLS: OnceLock<Mutex<HashMap<PathBuf, Arc<OnceLock<Built>>>>> = OnceLock::new();
    let cell = {
        let mut cells = CELLS.get_or_init(Default::default).lock().unwrap();
        Arc::clone(cells.entry(out.to_path_buf()).or_default())
    };
    cell.get_or_init(f).clone()
}

/// Builds `src` into `out` with gcc unless `out` is up to date.
pub fn compile_file(src: &Path, variant: Variant, out: &Path) -> Result<(), String> {
    if up_to_date(src, out) {
        return Ok(());
    }
    let dir = out.parent().expect("output has a directory");
    fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let tmp = temp_name(out);
    let result = Command::new("gcc")
        .args(["-O1", "-Wall", "-Wextra"])
        .args(variant.gcc_flags())
        .arg("-o")
        .arg(&tmp)
        .arg(src)
        .output();
    let output = match result {
        Ok(o) => o,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            panic!("gcc not found: the compatibility suite needs gcc (and static glibc)")
        }
        Err(e) => return Err(format!("running gcc: {e}")),
    };
    if !output.status.success() {
        let _ = fs::remove_file(&tmp);
        return Err(format!(
            "gcc {} {} failed ({}):\n{}",
            variant.gcc_flags().join(" "),
            src.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    fs::rename(&tmp, out).map_err(|e| format!("rename to {}: {e}", out.display()))
}

/// `out` exists and is newer than `src` and every `.h` beside it.
fn up_to_date(src: &Path, out: &Path) -> bool {
    let Some(built) = mtime(out) else {
        return false;
    };
    let headers = src
        .parent()
        .and_then(|d| fs::read_dir(d).ok())
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "h"));
    std::iter::once(src.to_path_buf())
        .chain(headers)
        .all(|input| mtime(&input).is_some_and(|t| t <= built))
}

fn mtime(p: &Path) -> Option<SystemTime> {
    fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// A name unique to this process and call, in `out`'s directory so the
/// final rename is atomic.
fn temp_name(out: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = out
        .file_name()
        .expect("output has a file name")
        .to_string_lossy();
    out.with_file_name(format!(".{name}.tmp.{}.{n}", std::process::id()))
}

/// Writes `data` with permissions `mode` to `path` via a temporary file and
/// a rename, so readers and executors never see a partial file.
pub fn write_atomically(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    let tmp = temp_name(path);
    fs::write(&tmp, data)?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
    fs::rename(&tmp, path)
}
