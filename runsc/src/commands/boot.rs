//! `runsc boot`: the sandbox process. It builds the kernel (memory file, platform,
//! syscall table), starts the container's first process on a task thread and
//! exits with that process's status.

use std::io::Write;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use platform::Platform;
use platform::ptrace::PtracePlatform;
use sentry::Errno;
use sentry::fsimpl::tmpfs::Tmpfs;
use sentry::fsimpl::{devfs, gofer as gofer_fs, overlay, proc, sys};
use sentry::kernel::Kernel;
use sentry::loader::HostAuxv;
use sentry::memfile::MemoryFile;
use sentry::task::{Credentials, Limits, ProcessSpec, StartError, StdioFd, Task, tree};
use sentry::vfs::inode::{S_IFDIR, S_IFMT, S_IFREG};
use sentry::vfs::{MountFlags, MountNamespace, Resolver, VfsPath};

use crate::boot_spec::{BootSpec, ProcessConfig};
use crate::cli::{BootArgs, GlobalFlags};
use crate::control::server::Server;

fn read_spec(fd: i32) -> anyhow::Result<BootSpec> {
    let file = std::fs::File::from(crate::inherited_fd::adopt(fd)?);
    let len = file.metadata()?.len() as usize;
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, 0)?;
    serde_json::from_slice(&buf).context("parsing the boot specification")
}

/// The source /proc/mounts shows for the container root: as gVisor, not the
/// host path of the rootfs (an information leak).
const ROOT_SOURCE: &str = "none";

/// The sandbox's mount namespace: the container root (read-only; with
/// `--overlay2=root:memory`, under a tmpfs that takes every change) and the spec's
/// tmpfs mounts on top.
fn build_mounts(
    spec: &BootSpec,
    overlay: bool,
    gofer_fds: &[i32],
) -> anyhow::Result<MountNamespace> {
    let (&root_fd, bind_fds) = gofer_fds.split_first().context("no gofer for the root")?;
    let mut bind_fds = bind_fds.iter();
    let client = Arc::new(gofer::Client::new(crate::inherited_fd::adopt(root_fd)?));
    let lower = gofer_fs::new_root(client, true)
        .map_err(|e| anyhow::anyhow!("attaching to the gofer: {e}"))?;
    let source = spec.root.display().to_string();
    // Without the overlay, a read-only root still gets one, read-only to the
    // container: it only holds the mount points made below (runc makes them
    // in the rootfs before it remounts it read-only), and there are no writes
    // that Docker could miss.
    let readonly = spec.root_readonly && !(overlay && spec.overlay_only);
    let ns = if overlay || spec.root_readonly {
        let st = lower
            .stat()
            .map_err(|e| anyhow::anyhow!("root {source}: {e}"))?;
        // Changes to the root may take all the memory the container has
        // (not a tmpfs's default half): on a host, they would go to disk.
        let memory = MemoryFile::global()?.limit();
        let upper = Tmpfs::new_root_sized(st.mode & 0o7777, st.uid, st.gid, memory);
        // A read-only root (OCI root.readonly, Docker's --read-only) stays
        // read-only to the container; the overlay still takes the mount
        // points made below, as runc makes them before remounting.
        MountNamespace::new(
            overlay::new_root(upper, lower),
            readonly,
            "overlay",
            ROOT_SOURCE.into(),
        )
    } else {
        MountNamespace::new(lower, spec.root_readonly, "9p", ROOT_SOURCE.into())
    };
    let top = VfsPath::root_of(&ns);
    let creds = Credentials::new(0, 0, Vec::new());
    for m in &spec.mounts {
        let (fs, fs_type, source) = if m.fs_type == "bind" {
            let fd = *bind_fds.next().context("no gofer for a bind mount")?;
            let client = Arc::new(gofer::Client::new(crate::inherited_fd::adopt(fd)?));
            let root = gofer_fs::new_root(client, false)
                .map_err(|e| anyhow::anyhow!("bind mount {}: {e}", m.destination))?;
            // Named by where it sits: its host path stays out of the sandbox.
            (root, "9p", m.destination.clone())
        } else {
            let fs = Tmpfs::with_options(m.options.iter().map(String::as_str)).map_err(|e| {
                anyhow::anyhow!("tmpfs on {}: options {:?}: {e}", m.destination, m.options)
            })?;
            (fs, "tmpfs", "tmpfs".to_string())
        };
        let kind = if fs.mode() & S_IFMT == S_IFDIR {
            PointKind::Dir
        } else {
            PointKind::File
        };
        let point = match mount_point(&ns, &top, &creds, &m.destination, kind) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(destination = %m.destination, "mount point unusable ({e}); skipped");
                continue;
            }
        };
        let flags = MountFlags {
            nosuid: m.flags.iter().any(|f| f == "nosuid"),
            nodev: m.flags.iter().any(|f| f == "nodev"),
            noexec: m.flags.iter().any(|f| f == "noexec"),
        };
        ns.mount_with_flags(&point, fs, m.readonly, flags, fs_type, source)
            .map_err(|e| anyhow::anyhow!("mounting {} on {}: {e}", m.fs_type, m.destination))?;
    }
    let resolver = Resolver {
        ns: &ns,
        root: top.clone(),
        creds: Arc::new(creds.clone()),
        limits: Default::default(),
    };
    match resolver.resolve(&top, b"/dev", true) {
        Ok(dev) if dev.is_dir() => devfs::mount_devfs(&ns, &dev, &top, console(spec))
            .map_err(|e| anyhow::anyhow!("mounting /dev: {e}"))?,
        _ => tracing::warn!("the root has no /dev directory; no devices"),
    }
    Ok(ns)
}

/// The container's terminal, if it has one: when stdin is a terminal or the
/// spec says so, the first of stdin, stdout and stderr that is a terminal
/// (stdin if none is), shared with stdio.
fn console(spec: &BootSpec) -> Option<devfs::Console> {
    let is_tty = |fd: i32| nix::unistd::isatty(fd).unwrap_or(false);
    if !spec.process.terminal && !is_tty(0) {
        return None;
    }
    let fd = [0, 1, 2].into_iter().find(|&fd| is_tty(fd)).unwrap_or(0);
    Some(devfs::Console::on_host_fd(fd))
}

/// What a mount point must be: Linux binds directories only over directories
/// and anything else only over non-directories.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PointKind {
    Dir,
    File,
}

/// The file `dest` names, made (with its parents) if missing and the root can
/// take it, as runc makes mount points: a directory, or an empty file for a bind
/// mount of a file.
fn mount_point(
    ns: &MountNamespace,
    top: &VfsPath,
    creds: &Credentials,
    dest: &str,
    kind: PointKind,
) -> Result<VfsPath, Errno> {
    let resolver = Resolver {
        ns,
        root: top.clone(),
        creds: Arc::new(creds.clone()),
        limits: Default::default(),
    };
    let names: Vec<&str> = dest.split('/').filter(|n| !n.is_empty()).collect();
    let mut at = top.clone();
    for (i, name) in names.iter().enumerate() {
        let file = kind == PointKind::File && i + 1 == names.len();
        at = match resolver.resolve(&at, name.as_bytes(), true) {
            Ok(p) => p,
            Err(Errno::ENOENT) => {
                if file {
                    // runc makes file mount points with mode 0755 too.
                    at.inode().mknod(name.as_bytes(), S_IFREG | 0o755, creds)?;
                } else {
                    at.inode().mkdir(name.as_bytes(), 0o755, creds)?;
                }
                resolver.resolve(&at, name.as_bytes(), true)?
            }
            Err(e) => return Err(e),
        };
    }
    match (kind, at.is_dir()) {
        (PointKind::Dir, true) | (PointKind::File, false) => Ok(at),
        _ => Err(Errno::ENOTDIR),
    }
}

pub fn run(global: &GlobalFlags, args: BootArgs) -> anyhow::Result<i32> {
    // Before any thread starts: they all inherit the mask.
    crate::forward_signals::block()?;
    if args.console_ctty {
        crate::forward_signals::take_terminal()?;
    }
    // Already in the container's cgroup: its keeper joined before forking it
    // (confine::spawn_boot).
    let spec = read_spec(args.spec_fd)?;
    // Values of the environment may be secrets (`docker run -e`): names only.
    tracing::debug!(spec = ?spec.redacted(), platform = %global.platform, "booting");
    // First: the filesystems made below keep their file data in it.
    let memfile = MemoryFile::global().context("creating the memory file")?;
    memfile.set_container_limit(spec.memory_limit);
    let platform: Arc<dyn Platform> =
        Arc::new(PtracePlatform::new(memfile.raw_fd()).context("starting the ptrace platform")?);
    let mounts = build_mounts(&spec, global.overlay() == "root:memory", &args.gofer_fd)?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    crate::confine::confine_boot(memfile.raw_fd())?;
    let kernel = Arc::new(Kernel {
        platform,
        memfile,
        mounts,
        syscalls: &*syscalls::TABLE,
        hostname: spec.hostname.clone(),
        domainname: "(none)".into(),
        host_auxv: HostAuxv::of_this_process(),
        started: Instant::now(),
        futexes: Default::default(),
        locks: Default::default(),
        processes: Default::default(),
        tree: Default::default(),
        timers: sentry::timer::TimerService::start(),
        shield_init: spec.shield_init,
        oom_kills: Default::default(),
        cpus,
    });
    if let Some(n) = spec.pids_limit {
        kernel.tree.set_limit(n as usize);
    }
    let _ = KERNEL.set(kernel.clone());
    let top = VfsPath::root_of(&kernel.mounts);
    match mount_point(
        &kernel.mounts,
        &top,
        &Credentials::new(0, 0, Vec::new()),
        "/proc",
        PointKind::Dir,
    ) {
        Ok(point) => {
            proc::mount(&kernel, &point).map_err(|e| anyhow::anyhow!("mounting /proc: {e}"))?
        }
        Err(e) => tracing::warn!("no /proc ({e})"),
    }
    match mount_point(
        &kernel.mounts,
        &top,
        &Credentials::new(0, 0, Vec::new()),
        "/sys",
        PointKind::Dir,
    ) {
        Ok(point) => kernel
            .mounts
            .mount(&point, sys::new_root(cpus), true, "sysfs", "sysfs".into())
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("mounting /sys: {e}"))?,
        Err(e) => tracing::warn!("no /sys ({e})"),
    }
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
    let process = process_spec(
        &kernel,
        &spec.process,
        spec.default_home,
        limits,
        [0, 1, 2].map(StdioFd::Shared),
    );
    let ready = args
        .ready_fd
        .map(|fd| crate::inherited_fd::adopt(fd).map(std::fs::File::from))
        .transpose()?;
    if let Some(fd) = args.status_fd {
        let _ = STATUS_FILE.set(std::fs::File::from(crate::inherited_fd::adopt(fd)?));
    }
    // With a control socket the container's process waits for `start`.
    let (start_tx, start_rx) = std::sync::mpsc::channel::<()>();
    let wait_for_start = args.control_fd.is_some();
    // The task thread creates the stub it traces, so it must also run it.
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let init_kernel = kernel.clone();
    std::thread::Builder::new()
        .name("task-1".into())
        .spawn(move || match Task::new_init(init_kernel, process) {
            Ok(task) => {
                let _ = started_tx.send(Ok(()));
                if wait_for_start && start_rx.recv().is_err() {
                    return;
                }
                task.run_until_gone();
            }
            Err(e) => {
                let _ = started_tx.send(Err(e));
            }
        })?;
    let loaded = match started_rx.recv() {
        Ok(r) => r,
        Err(_) => anyhow::bail!("the task thread panicked"),
    };
    if let Err(e) = loaded {
        let message = start_error_message(&e);
        let code = match &e {
            StartError::Exec { errno, .. } if *errno == Errno::ENOENT => 127,
            StartError::Exec { .. } => 126,
            _ => 1,
        };
        match ready {
            Some(mut r) => {
                let _ = r.write_all(message.as_bytes());
            }
            None => eprintln!("runsc: {message}"),
        }
        return Ok(code);
    }
    crate::forward_signals::start(kernel.clone())?;
    if let Some(fd) = args.control_fd {
        let server = Arc::new(Server {
            kernel: kernel.clone(),
            default_home: spec.default_home,
            start: parking_lot::Mutex::new(Some(start_tx)),
            exit: finish,
            ending: parking_lot::Mutex::new(None),
        });
        server.spawn(crate::inherited_fd::adopt(fd)?)?;
    } else {
        drop(start_tx);
    }
    if let Some(mut r) = ready {
        r.write_all(b"ok")?;
    }
    // The sandbox lives as long as its init: when init exits, so does everything.
    let exited = kernel
        .tree
        .wait_for_exit(tree::INIT_PID)
        .context("init vanished from the process tree")?;
    tracing::info!(status = ?exited.status, "container process exited");
    finish(exited.status.shell_code())
}

/// Where the container's exit status goes (`--status-fd`).
static STATUS_FILE: std::sync::OnceLock<std::fs::File> = std::sync::OnceLock::new();
/// The kernel, for what `finish` records besides the status.
static KERNEL: std::sync::OnceLock<Arc<Kernel>> = std::sync::OnceLock::new();

/// Records the container's exit status (and the processes killed for want
/// of memory, for `runsc events`) and ends the sandbox with it.
fn finish(code: i32) -> ! {
    if let Some(mut f) = STATUS_FILE.get() {
        let oom_kills = KERNEL.get().map_or(0, |k| {
            k.oom_kills.load(std::sync::atomic::Ordering::Relaxed)
        });
        let _ = f.write_all(crate::container::exit_record(code, oom_kills).as_bytes());
        let _ = f.sync_all();
    }
    crate::logging::finish();
    std::process::exit(code)
}

/// What users read when the container's process cannot start, in runc's
/// words: Docker turns "executable file not found" and "no such file or
/// directory" into exit code 127 and "permission denied" into 126.
pub fn start_error_message(e: &StartError) -> String {
    match e {
        StartError::Exec { path, errno } if *errno == Errno::ENOENT && !path.contains('/') => {
            format!("exec: {path:?}: executable file not found in $PATH")
        }
        StartError::Exec { path, errno } if *errno == Errno::ENOENT => {
            format!("exec: {path:?}: stat {path}: no such file or directory")
        }
        StartError::Exec { path, errno } if *errno == Errno::EACCES => {
            format!("exec: {path:?}: permission denied")
        }
        StartError::Exec { path, errno } => format!("exec: {path:?}: cannot execute: {errno}"),
        other => format!("starting the container process: {other}"),
    }
}

/// What the sentry needs to start `p`: its credentials (capability sets when
/// the spec gives them) and, with `default_home`, HOME from the container's
/// passwd when the environment has none (as runc).
pub fn process_spec(
    kernel: &Kernel,
    p: &ProcessConfig,
    default_home: bool,
    limits: Limits,
    stdio: [StdioFd; 3],
) -> ProcessSpec {
    let env = if default_home {
        crate::passwd::with_home(&kernel.mounts, p.env.clone(), p.uid)
    } else {
        p.env.clone()
    };
    let creds = match p.capabilities {
        Some(c) => Credentials::with_caps(
            p.uid,
            p.gid,
            p.additional_gids.clone(),
            sentry::task::CapSets {
                effective: c.effective,
                permitted: c.permitted,
                inheritable: c.inheritable,
                bounding: c.bounding,
                ambient: c.ambient,
            },
        ),
        None => Credentials::new(p.uid, p.gid, p.additional_gids.clone()),
    };
    ProcessSpec {
        argv: p.args.iter().map(|a| a.clone().into_bytes()).collect(),
        envp: env.into_iter().map(String::into_bytes).collect(),
        cwd: p.cwd.clone(),
        creds,
        limits,
        stdio,
    }
}
