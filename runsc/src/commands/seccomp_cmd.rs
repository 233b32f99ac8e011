//! `runsc seccomp`: the sandbox process's seccomp allowlist, as text (each call
//! with its argument filter and why) or JSON.

use crate::cli::SeccompArgs;
use crate::confine::{seccomp, sentry_rules::Facts};

pub fn run(args: SeccompArgs) -> anyhow::Result<i32> {
    // The memory file's number only appears inside argument filters.
    let facts = Facts { memfd: -1 };
    if args.format == "json" {
        println!(
            "{}",
            serde_json::to_string_pretty(&seccomp::listing_json(&facts))?
        );
    } else {
        print!("{}", seccomp::listing(&facts));
    }
    Ok(0)
}
