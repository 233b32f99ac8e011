//! Renderings of the syscall table: `runsc syscalls --format=table|json|markdown`,
//! and `docs/compatibility.md` (the Markdown rendering).

use crate::table::{Support, TABLE};

fn counts() -> (usize, usize, usize) {
    let (mut full, mut partial, mut unsupported) = (0, 0, 0);
    for e in TABLE.entries() {
        match e.support {
            Support::Full => full += 1,
            Support::Partial(_) => partial += 1,
            Support::Unsupported(..) => unsupported += 1,
        }
    }
    (full, partial, unsupported)
}

fn errno_of(s: Support) -> String {
    match s {
        Support::Unsupported(e, _) => format!("{e}"),
        _ => String::new(),
    }
}

/// A plain text table.
pub fn render_table() -> String {
    let mut out = format!(
        "{:>4}  {:<24} {:<12} {:<8} {}\n",
        "NR", "NAME", "SUPPORT", "ERRNO", "NOTE"
    );
    for e in TABLE.entries() {
        out += &format!(
            "{:>4}  {:<24} {:<12} {:<8} {}\n",
            e.nr,
            e.name,
            e.support_label(),
            errno_of(e.support),
            e.note()
        );
    }
    let (f, p, u) = counts();
    out += &format!("\n{f} full, {p} partial, {u} unsupported\n");
    out
}

/// A JSON array of `{nr, name, support, errno, note}`.
pub fn render_json() -> String {
    let list: Vec<serde_json::Value> = TABLE
        .entries()
        .map(|e| {
            serde_json::json!({
                "nr": e.nr,
                "name": e.name,
                "support": e.support_label(),
                "errno": errno_of(e.support),
                "note": e.note(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&list).expect("plain values serialize")
}

/// The compatibility page.
pub fn render_markdown() -> String {
    let (f, p, u) = counts();
    let mut out = String::from(
        "# Syscall compatibility (x86-64)\n\n\
         Generated from the syscall table by `runsc syscalls --format=markdown`; \
         a test fails when this file is out of date.\n\n",
    );
    out += &format!("{f} full, {p} partial, {u} unsupported.\n\n");
    out += "| nr | name | support | errno | note |\n|---:|---|---|---|---|\n";
    for e in TABLE.entries() {
        out += &format!(
            "| {} | `{}` | {} | {} | {} |\n",
            e.nr,
            e.name,
            e.support_label(),
            errno_of(e.support),
            e.note()
        );
    }
    out
}
