//! `runsc boot`: the sandbox process. It builds the kernel (memory file, platform,
//! syscall table), starts the container's first process on a task thread and
//! exits with that process's status.

use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use platform::Platform;
use platform::ptrace::PtracePlatform;
use sentry::Errno;
use sentry::hostfile::RootFs;
use sentry::kernel::Kernel;
use sentry::loader::HostAuxv;
use sentry::memfile::MemoryFile;
use sentry::task::{Credentials, Limits, ProcessSpec, StartError, Task};

use crate::boot_spec::BootSpec;
use crate::cli::{BootArgs, GlobalFlags};

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn read_spec(fd: i32) -> anyhow::Result<BootSpec> {
    // Re-open the inherited descriptor through /proc rather than adopting a raw fd.
    let file = std::fs::File::open(format!("/proc/self/fd/{fd}"))
        .with_context(|| format!("opening spec fd {fd}"))?;
    let len = file.metadata()?.len() as usize;
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, 0)?;
    serde_json::from_slice(&buf).context("parsing the boot specification")
}

/// Finds `name` in the container's PATH, as execvp would.
fn find_executable(root: &RootFs, env: &[String], cwd: &str, name: &str) -> String {
    if name.contains('/') {
        return name.to_string();
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    for dir in path.split(':') {
        let dir = if dir.is_empty() { cwd } else { dir };
        let candidate = sentry::loader::absolute_path(dir, name);
        if root
            .open_file(&candidate)
            .is_ok_and(|f| f.is_regular() && f.stat().mode & 0o111 != 0)
        {
            return candidate;
        }
    }
    name.to_string()
}

pub fn run(global: &GlobalFlags, args: BootArgs) -> anyhow::Result<i32> {
    let spec = read_spec(args.spec_fd)?;
    tracing::debug!(?spec, platform = %global.platform, "booting");
    let memfile = Arc::new(MemoryFile::new().context("creating the memory file")?);
    let platform: Arc<dyn Platform> =
        Arc::new(PtracePlatform::new(memfile.raw_fd()).context("starting the ptrace platform")?);
    let rootfs = RootFs::open(&spec.root)
        .with_context(|| format!("opening root {}", spec.root.display()))?;
    let path = find_executable(&rootfs, &spec.env, &spec.cwd, &spec.args[0]);
    let kernel = Arc::new(Kernel {
        platform,
        memfile,
        rootfs,
        syscalls: &*syscalls::TABLE,
        hostname: spec.hostname.clone(),
        domainname: "(none)".into(),
        host_auxv: HostAuxv::of_this_process(),
        started: Instant::now(),
        futexes: Default::default(),
    });
    let mut limits = Limits::from_host();
    for r in &spec.rlimits {
        limits.set(
            r.resource as usize,
            abi::types::Rlimit {
                cur: r.soft,
                max: r.hard,
            },
        );
    }
    let process = ProcessSpec {
        argv: spec.args.iter().map(|a| a.clone().into_bytes()).collect(),
        envp: spec.env.iter().map(|e| e.clone().into_bytes()).collect(),
        cwd: spec.cwd.clone(),
        path: path.clone(),
        creds: Credentials::new(spec.uid, spec.gid, spec.additional_gids.clone()),
        limits,
        stdio: [0, 1, 2],
    };
    // The task thread creates the stub it traces, so it must also run it.
    let task_thread = std::thread::Builder::new()
        .name("task-1".into())
        .spawn(move || {
            let mut task = Task::new_init(kernel, process)?;
            task.run().map_err(StartError::from)
        })?;
    match task_thread.join() {
        Ok(Ok(status)) => {
            tracing::info!(?status, "container process exited");
            Ok(status.shell_code())
        }
        Ok(Err(StartError::Exec { path, errno })) => {
            let what = if errno == Errno::ENOENT {
                "executable file not found"
            } else {
                "cannot execute"
            };
            eprintln!("runsc: {what}: {path}: {errno}");
            Ok(if errno == Errno::ENOENT { 127 } else { 126 })
        }
        Ok(Err(e)) => Err(e).context("the sandbox failed"),
        Err(_) => anyhow::bail!("the task thread panicked"),
    }
}
