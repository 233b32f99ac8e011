//! `runsc exec [flags] ID [CMD...]`: run another process in a running
//! container, with our stdio (or a new terminal), and exit with its status.
//! With `--detach`, a waiter process (`runsc exec-wait`) stays behind to
//! carry the status: its pid is what `--pid-file` names, as the containerd
//! shim expects of runc.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, bail};
use oci_spec::runtime::Process;

use crate::boot_spec::ProcessConfig;
use crate::cli::{ExecWaitArgs, GlobalFlags};
use crate::container::{ContainerDir, Record, Status};
use crate::control::client::Client;
use crate::control::{Request, Response, Target};

pub fn run(global: &GlobalFlags, args: liboci_cli::Exec) -> anyhow::Result<i32> {
    crate::commands::create::refuse_preserved_fds(args.preserve_fds)?;
    let (record, socket) = {
        let locked = ContainerDir::open(&global.root, &args.container_id)?;
        let record = locked.load()?;
        match record.current_status() {
            Status::Running => {}
            Status::Paused if args.ignore_paused => {}
            Status::Paused => bail!("cannot exec in a paused container (use --ignore-paused)"),
            Status::Created => bail!("cannot exec in a container that has not started"),
            _ => bail!("cannot exec in a stopped container"),
        }
        (record, locked.dir.socket_path())
    };
    let process = exec_process(&args, &record)?;
    let stdio: [OwnedFd; 3] = if process.terminal {
        match &args.console_socket {
            Some(s) => crate::commands::create::console(s)?,
            None if args.detach => {
                bail!("cannot allocate tty if runsc will detach without setting console socket")
            }
            None if nix::unistd::isatty(0).unwrap_or(false) => our_stdio()?,
            None => bail!(
                "cannot allocate a tty: stdin is not a terminal and there is no console socket"
            ),
        }
    } else {
        if args.console_socket.is_some() {
            bail!("cannot use console socket if runsc will not detach or allocate tty");
        }
        our_stdio()?
    };
    // A detached waiter keeps the terminal made for a console socket as its
    // controlling terminal, to pass on its ^C and resizes.
    let console = match (&args.console_socket, process.terminal) {
        (Some(_), true) => Some(stdio[0].try_clone()?),
        _ => None,
    };
    let client = Client::connect(&socket)?;
    let fds = stdio.each_ref().map(|f| f.as_raw_fd());
    let Response::Started { pid } = client.call(&Request::Exec(process), &fds)? else {
        bail!("unexpected answer from the sandbox");
    };
    drop(stdio);
    if args.detach {
        let mut waiter = std::process::Command::new(std::env::current_exe()?);
        waiter
            .args(global.to_args())
            .arg("exec-wait")
            .arg(format!("--pid={pid}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match console {
            Some(tty) => {
                waiter.stdin(tty);
                // Before the waiter runs (and so before this command returns
                // and a ^C can be typed), the terminal is its own.
                // The forwarded signals stay blocked across exec until the
                // waiter takes them, so that an early ^C is not lost (or fatal).
                let set = crate::forward_signals::set();
                // SAFETY: the closure only makes raw system calls.
                unsafe {
                    std::os::unix::process::CommandExt::pre_exec(&mut waiter, move || {
                        set.thread_block().map_err(std::io::Error::from)?;
                        crate::forward_signals::claim_terminal()
                    })
                };
            }
            None => {
                waiter.stdin(Stdio::null());
            }
        }
        let waiter = waiter
            .arg(&args.container_id)
            .spawn()
            .context("starting the exec waiter")?;
        if let Some(p) = &args.pid_file {
            crate::commands::create::write_pid_file(p, waiter.id() as i32)?;
        }
        return Ok(0);
    }
    if let Some(p) = &args.pid_file {
        crate::commands::create::write_pid_file(p, std::process::id() as i32)?;
    }
    wait_for(&socket, pid)
}

/// `runsc exec-wait --pid N ID`: the waiter of a detached exec.
pub fn wait(global: &GlobalFlags, args: ExecWaitArgs) -> anyhow::Result<i32> {
    let dir = ContainerDir::new(&global.root, &args.container_id)?;
    wait_for(&dir.socket_path(), args.pid)
}

/// Waits for sandbox process `pid` and returns its exit status; signals sent
/// to us meanwhile go to it.
fn wait_for(socket: &Path, pid: i32) -> anyhow::Result<i32> {
    let set = crate::forward_signals::set();
    set.thread_block().context("blocking signals")?;
    let socket_path = socket.to_path_buf();
    std::thread::Builder::new()
        .name("forward-signals".into())
        .spawn(move || {
            while let Ok(sig) = set.wait() {
                use nix::sys::signal::Signal::*;
                // A terminal's own signals go to its foreground group.
                let target = match sig {
                    SIGINT | SIGQUIT | SIGTSTP | SIGWINCH => Target::Terminal(pid),
                    _ => Target::Pid(pid),
                };
                let req = Request::Signal {
                    target,
                    signo: sig as i32,
                };
                if let Err(e) = Client::connect(&socket_path).and_then(|c| c.call_ok(&req)) {
                    tracing::debug!("forwarding {sig}: {e:#}");
                }
            }
        })?;
    let client = Client::connect(socket)?;
    match client.call(&Request::Wait { pid }, &[])? {
        Response::Exited { status } => Ok(status),
        other => bail!("unexpected answer from the sandbox: {other:?}"),
    }
}

fn our_stdio() -> anyhow::Result<[OwnedFd; 3]> {
    let dup = |fd: i32| -> anyhow::Result<OwnedFd> {
        let fd = nix::unistd::dup(fd).context("dup")?;
        // SAFETY: dup returned a new descriptor that we own alone.
        Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })
    };
    Ok([dup(0)?, dup(1)?, dup(2)?])
}

/// The process to start: `--process FILE`, or the container's own process
/// with the command line's args and overrides (as runc builds it).
fn exec_process(args: &liboci_cli::Exec, record: &Record) -> anyhow::Result<ProcessConfig> {
    let base: Process = match &args.process {
        Some(path) => {
            let text = std::fs::read(path)
                .with_context(|| format!("reading the process file {}", path.display()))?;
            serde_json::from_slice(&text)
                .with_context(|| format!("parsing the process file {}", path.display()))?
        }
        None => {
            let config = record.bundle.join("config.json");
            let spec = oci_spec::runtime::Spec::load(&config)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", config.display()))?;
            let mut p = spec
                .process()
                .clone()
                .context("config.json has no process")?;
            if args.command.is_empty() {
                bail!("exec needs a command (or --process)");
            }
            p.set_args(Some(args.command.clone()));
            p.set_terminal(Some(args.tty));
            p
        }
    };
    let argv = base.args().clone().unwrap_or_default();
    if argv.is_empty() || argv[0].is_empty() {
        bail!("the process to exec has no args");
    }
    let mut env = base.env().clone().unwrap_or_default();
    for (k, v) in &args.env {
        env.retain(|e| e.split('=').next() != Some(k.as_str()));
        env.push(format!("{k}={v}"));
    }
    crate::bundle::check_env(&env)?;
    let cwd = match &args.cwd {
        Some(c) => c.to_string_lossy().into_owned(),
        None => base.cwd().to_string_lossy().into_owned(),
    };
    if !cwd.starts_with('/') {
        bail!("the working directory {cwd:?} is not absolute");
    }
    let user = base.user();
    let (uid, gid) = match args.user {
        Some((u, g)) => (u, g.unwrap_or(0)),
        None => (user.uid(), user.gid()),
    };
    let mut groups = user.additional_gids().clone().unwrap_or_default();
    groups.extend(&args.additional_gids);
    let mut caps = base
        .capabilities()
        .as_ref()
        .map(crate::bundle::capability_sets)
        .transpose()?;
    for name in &args.cap {
        let upper = name.to_ascii_uppercase();
        let full = if upper.starts_with("CAP_") {
            upper
        } else {
            format!("CAP_{upper}")
        };
        let bit = crate::boot_spec::CAP_NAMES
            .iter()
            .position(|&n| n == full)
            .with_context(|| format!("unknown capability {name:?}"))?;
        let c = caps.get_or_insert_with(Default::default);
        for set in [
            &mut c.effective,
            &mut c.permitted,
            &mut c.bounding,
            &mut c.inheritable,
        ] {
            *set |= 1 << bit;
        }
    }
    Ok(ProcessConfig {
        args: argv,
        env,
        cwd,
        uid,
        gid,
        additional_gids: groups,
        terminal: base.terminal().unwrap_or(false),
        capabilities: caps,
    })
}
