//! Starting a sandbox: the gofer (serving the root) and the sandbox process
//! (`runsc boot`), connected by a socket pair; waiting for them.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use nix::sys::memfd::{MemFdCreateFlag, memfd_create};

use crate::boot_spec::BootSpec;
use crate::cli::GlobalFlags;
use crate::inherited_fd::inheritable;

fn runsc() -> anyhow::Result<Command> {
    Ok(Command::new(
        std::env::current_exe().context("finding the runsc binary")?,
    ))
}

/// Starts a gofer serving `root`, on `conn` (which only it inherits).
fn start_gofer(
    global: &GlobalFlags,
    root: &Path,
    readonly: bool,
    conn: &impl AsRawFd,
    detached: bool,
) -> anyhow::Result<Child> {
    inheritable(conn, true)?;
    let mut cmd = runsc()?;
    cmd.args(global.to_args())
        .arg("gofer")
        .arg(format!("--root={}", root.display()));
    if readonly {
        cmd.arg("--readonly");
    }
    cmd.arg(format!("--socket-fd={}", conn.as_raw_fd()));
    if detached {
        // The container's stdio must reach EOF when the container ends, not
        // when its gofer does.
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    }
    let child = cmd.spawn().context("starting the gofer");
    inheritable(conn, false)?;
    child
}

fn stop_all(children: &mut [Child]) {
    for c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// What a sandbox gets besides its spec.
#[derive(Default)]
pub struct LaunchOptions {
    /// A listening control socket: the sandbox then waits for `start`.
    pub control: Option<OwnedFd>,
    /// Report through a pipe once the container's process is loaded.
    pub ready: bool,
    /// Where the sandbox records the container's exit status.
    pub status: Option<std::fs::File>,
    /// The container's stdin, stdout and stderr (a terminal), instead of ours.
    pub stdio: Option<[OwnedFd; 3]>,
    /// The sandbox outlives this command: the gofers do not keep our stdio.
    pub detached: bool,
    /// `cgroup.procs` files the sandbox joins before it starts anything (its
    /// keeper writes them; boot never holds them).
    pub join_cgroup: Vec<std::fs::File>,
}

/// A running sandbox: `runsc boot` and its gofers.
pub struct Sandbox {
    pub boot: Child,
    pub gofers: Vec<Child>,
    ready: Option<std::fs::File>,
}

impl Sandbox {
    /// Waits until the container's process is loaded (or could not be).
    pub fn wait_ready(&mut self) -> anyhow::Result<()> {
        let Some(mut pipe) = self.ready.take() else {
            return Ok(());
        };
        let mut said = String::new();
        pipe.read_to_string(&mut said)
            .context("reading the sandbox's report")?;
        match said.as_str() {
            "ok" => Ok(()),
            "" => {
                let status = self.boot.wait().ok();
                bail!("the sandbox failed to start (status {status:?}); see its log (--debug-log)")
            }
            error => bail!("{error}"),
        }
    }

    /// Kills the sandbox and its gofers and reaps them.
    pub fn kill(mut self) {
        stop_all(std::slice::from_mut(&mut self.boot));
        stop_all(&mut self.gofers);
    }
}

/// Starts the gofers and the sandbox for `spec`.
pub fn launch(
    global: &GlobalFlags,
    spec: &BootSpec,
    opts: LaunchOptions,
) -> anyhow::Result<Sandbox> {
    let json = serde_json::to_vec(spec)?;
    let spec_fd =
        memfd_create(c"runsc-boot-spec", MemFdCreateFlag::MFD_CLOEXEC).context("memfd_create")?;
    let mut spec_file = std::fs::File::from(spec_fd);
    spec_file.write_all(&json)?;

    // One gofer for the root and one per bind mount.
    let mut served = vec![(spec.root.clone(), spec.root_readonly)];
    for m in spec.mounts.iter().filter(|m| m.fs_type == "bind") {
        served.extend(m.source.clone().map(|s| (s, m.readonly)));
    }
    let mut gofers = Vec::new();
    let mut sentry_ends = Vec::new();
    for (root, readonly) in &served {
        let (sentry_end, gofer_end) = gofer::socket_pair().context("socketpair")?;
        match start_gofer(global, root, *readonly, &gofer_end, opts.detached) {
            Ok(child) => gofers.push(child),
            Err(e) => {
                stop_all(&mut gofers);
                return Err(e);
            }
        }
        sentry_ends.push(sentry_end);
    }

    let mut cmd = runsc()?;
    cmd.args(global.to_args())
        .arg("boot")
        .arg(format!("--spec-fd={}", spec_file.as_raw_fd()));
    let mut inherited: Vec<RawFd> = vec![spec_file.as_raw_fd()];
    for end in &sentry_ends {
        cmd.arg(format!("--gofer-fd={}", end.as_raw_fd()));
        inherited.push(end.as_raw_fd());
    }
    if let Some(c) = &opts.control {
        cmd.arg(format!("--control-fd={}", c.as_raw_fd()));
        inherited.push(c.as_raw_fd());
    }
    if let Some(f) = &opts.status {
        cmd.arg(format!("--status-fd={}", f.as_raw_fd()));
        inherited.push(f.as_raw_fd());
    }
    let ready = if opts.ready {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).context("pipe")?;
        cmd.arg(format!("--ready-fd={}", w.as_raw_fd()));
        inherited.push(w.as_raw_fd());
        Some((std::fs::File::from(r), w))
    } else {
        None
    };
    // Opened here: the sandbox may run as a user who cannot open it.
    let log =
        crate::logging::open_for_child(global, "boot").inspect_err(|_| stop_all(&mut gofers))?;
    if let Some(f) = &log {
        cmd.arg(format!("--log-fd={}", f.as_raw_fd()));
        inherited.push(f.as_raw_fd());
    }
    if opts.stdio.is_some() {
        cmd.arg("--console-ctty");
    }
    if let Some([i, o, e]) = opts.stdio {
        cmd.stdin(i).stdout(o).stderr(e);
    }
    for &fd in &inherited {
        inheritable(&fd, true)?;
    }
    let plan = crate::confine::NamespacePlan {
        network: spec.network_namespace.clone(),
        user: global.userns,
        join_cgroup: opts.join_cgroup.iter().map(|f| f.as_raw_fd()).collect(),
        die_with_caller: !opts.detached,
    };
    let boot = crate::confine::spawn_boot(cmd, &plan).context("starting the sandbox");
    for &fd in &inherited {
        let _ = inheritable(&fd, false);
    }
    // Only the sandbox keeps these now.
    drop(spec_file);
    drop(sentry_ends);
    let ready = ready.map(|(r, _w)| r);
    match boot {
        Ok(boot) => Ok(Sandbox {
            boot,
            gofers,
            ready,
        }),
        Err(e) => {
            stop_all(&mut gofers);
            Err(e)
        }
    }
}

/// Runs `spec` in a new sandbox and returns the shell-style exit code of the
/// container's first process; signals sent to us meanwhile go to it.
pub fn run(global: &GlobalFlags, spec: &BootSpec) -> anyhow::Result<i32> {
    crate::relay_signals::install()?;
    let mut sandbox = launch(global, spec, LaunchOptions::default())?;
    crate::relay_signals::start(sandbox.boot.id());
    let status = sandbox.boot.wait().context("waiting for the sandbox");
    // Gofers end when the sandbox's ends of their sockets close.
    if status.is_err() {
        stop_all(&mut sandbox.gofers);
    }
    for g in &mut sandbox.gofers {
        let _ = g.wait();
    }
    let status = status?;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}
