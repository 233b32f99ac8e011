//! `runsc syscalls --format=table|json|markdown`: the syscall table.

use crate::cli::SyscallsArgs;

pub fn run(args: SyscallsArgs) -> anyhow::Result<i32> {
    let out = match args.format.as_str() {
        "json" => syscalls::render_json() + "\n",
        "markdown" => syscalls::render_markdown(),
        _ => syscalls::render_table(),
    };
    print!("{out}");
    Ok(0)
}
