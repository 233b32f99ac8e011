//! `runsc create --bundle B [--pid-file P] [--console-socket S] ID`: set up a
//! container's sandbox and load its process, which waits for `start`.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use oci_spec::runtime::Spec;

use crate::bundle::Bundle;
use crate::cgroups::Cgroup;
use crate::cli::GlobalFlags;
use crate::container::{ContainerDir, HostProcess, Locked, Record, Status};
use crate::hooks::{HookKind, run_hooks};
use crate::sandbox::{LaunchOptions, Sandbox};

/// What `create` and `run` ask for.
pub struct CreateOptions<'a> {
    pub id: &'a str,
    pub bundle: &'a Path,
    pub pid_file: Option<&'a Path>,
    pub console_socket: Option<&'a Path>,
    /// `run` waits for the sandbox itself; `create` leaves it behind.
    pub detached: bool,
}

pub fn run(global: &GlobalFlags, args: liboci_cli::Create) -> anyhow::Result<i32> {
    refuse_preserved_fds(args.preserve_fds)?;
    let opts = CreateOptions {
        id: &args.container_id,
        bundle: &args.bundle,
        pid_file: args.pid_file.as_deref(),
        console_socket: args.console_socket.as_deref(),
        detached: true,
    };
    create(global, &opts)?;
    Ok(0)
}

/// Creates the container: on success its sandbox waits for `start`; on
/// failure nothing of it is left behind.
pub fn create(global: &GlobalFlags, opts: &CreateOptions) -> anyhow::Result<Sandbox> {
    crate::bundle::check_id(opts.id)?;
    let bundle = crate::bundle::load(opts.bundle)?;
    let terminal = bundle.boot.process.terminal;
    match (terminal, opts.console_socket) {
        (true, None) if opts.detached => {
            bail!("cannot allocate tty if runsc will detach without setting console socket")
        }
        (false, Some(_)) => {
            bail!("cannot use console socket if runsc will not detach or allocate tty")
        }
        _ => {}
    }
    let locked = ContainerDir::create(&global.root, opts.id)?;
    let bundle_dir = std::fs::canonicalize(opts.bundle).unwrap_or(opts.bundle.to_path_buf());
    let mut record = Record {
        id: opts.id.to_string(),
        bundle: bundle_dir,
        rootfs: bundle.boot.root.clone(),
        created: crate::rfc3339::now(),
        owner: owner(),
        annotations: bundle
            .config
            .annotations()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        status: Status::Creating,
        sandbox: None,
        gofers: Vec::new(),
        cgroup: None,
        hooks: bundle.config.hooks().clone(),
    };
    let made = locked
        .save(&record)
        .and_then(|()| start_sandbox(global, opts, &bundle, &locked, &mut record));
    match made {
        Ok(sandbox) => Ok(sandbox),
        Err(e) => {
            // Nothing of a failed create stays: no process, no state.
            let _ = locked.remove();
            Err(e)
        }
    }
}

fn start_sandbox(
    global: &GlobalFlags,
    opts: &CreateOptions,
    bundle: &Bundle,
    locked: &Locked,
    record: &mut Record,
) -> anyhow::Result<Sandbox> {
    let cgroup = make_cgroup(global, &bundle.config, opts.id)?;
    let made = launch_in(global, opts, bundle, locked, record, cgroup.as_ref());
    if made.is_err()
        && let Some(cg) = cgroup
    {
        let _ = cg.destroy();
    }
    made
}

/// The container's cgroup (`linux.cgroupsPath` with `linux.resources`). A
/// host where runsc cannot make cgroups (not root, no cgroupfs) runs the
/// container without one, unless the spec asks for limits.
fn make_cgroup(global: &GlobalFlags, config: &Spec, id: &str) -> anyhow::Result<Option<Cgroup>> {
    let linux = config.linux().as_ref();
    let path = crate::cgroups::path::from_spec(
        linux
            .and_then(|l| l.cgroups_path().as_ref())
            .map(|p| p.to_string_lossy())
            .as_deref(),
        id,
        global.systemd_cgroup,
    )?;
    let mut resources = linux
        .and_then(|l| l.resources().clone())
        .unwrap_or_default();
    // The sandbox counts the container's tasks itself (its host tasks are
    // not the container's: a sentry thread and a stub thread per thread);
    // the host cgroup gets a limit in host tasks besides, in case it fails.
    if let Some(pids) = *resources.pids() {
        let mut host = pids;
        host.set_limit(crate::cgroups::host_pids_limit(host.limit()));
        resources.set_pids(Some(host));
    }
    match Cgroup::create(&path, &resources) {
        Ok(cg) => {
            // Another container's processes there would share our limits
            // and be killed with us (runc refuses too).
            let pids = cg.pids().unwrap_or_default();
            if !pids.is_empty() {
                bail!(
                    "cgroup {} is not empty: it has processes {pids:?}",
                    path.display()
                );
            }
            Ok(Some(cg))
        }
        Err(e) if linux.and_then(|l| l.resources().as_ref()).is_none() => {
            tracing::warn!("no cgroup for the container ({e:#}); running without one");
            Ok(None)
        }
        Err(e) => Err(e).context("setting up the container's cgroup"),
    }
}

fn launch_in(
    global: &GlobalFlags,
    opts: &CreateOptions,
    bundle: &Bundle,
    locked: &Locked,
    record: &mut Record,
    cgroup: Option<&Cgroup>,
) -> anyhow::Result<Sandbox> {
    let join_cgroup = match cgroup {
        Some(cg) => cg
            .procs_files()
            .iter()
            .map(|f| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(f)
                    .with_context(|| format!("opening {}", f.display()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    record.cgroup = cgroup.map(|c| c.path().to_path_buf());
    let control = crate::control::wire::listen_at(&locked.dir.socket_path())?;
    let status = std::fs::File::create(locked.dir.exit_status_path())
        .context("creating the exit status file")?;
    let stdio = match opts.console_socket {
        Some(socket) if bundle.boot.process.terminal => Some(console(socket)?),
        _ => None,
    };
    let mut sandbox = crate::sandbox::launch(
        global,
        &bundle.boot,
        LaunchOptions {
            control: Some(control),
            ready: true,
            status: Some(status),
            stdio,
            detached: opts.detached,
            join_cgroup,
        },
    )?;
    let started = (|| {
        let boot =
            HostProcess::of(sandbox.boot.id() as i32).context("the sandbox exited at once")?;
        record.sandbox = Some(boot);
        record.gofers = sandbox
            .gofers
            .iter()
            .filter_map(|g| HostProcess::of(g.id() as i32))
            .collect();
        // The keeper (the pid the runtime's caller reaps and reads stats by)
        // joins before it forks the sandbox (confine::spawn_boot); adding it
        // again is harmless. The gofers are placed from here.
        if let Some(cg) = cgroup {
            for p in std::iter::once(&boot).chain(&record.gofers) {
                cg.add(p.pid)?;
            }
        }
        locked.save(record)?;
        sandbox.wait_ready()?;
        // As runc: these run once the sandbox exists, with the state saying
        // "creating"; any failure fails the create.
        for kind in [
            HookKind::Prestart,
            HookKind::CreateRuntime,
            HookKind::CreateContainer,
        ] {
            run_hooks(kind, &record.hooks(kind), &record.oci_state())?;
        }
        record.status = Status::Created;
        locked.save(record)?;
        if let Some(p) = opts.pid_file {
            write_pid_file(p, boot.pid)?;
        }
        anyhow::Ok(())
    })();
    match started {
        Ok(()) => Ok(sandbox),
        Err(e) => {
            sandbox.kill();
            Err(e)
        }
    }
}

/// Who made the container (runc reports the user name of the creator; we
/// have only ids without reading the host's passwd, so root is "root").
fn owner() -> String {
    let uid = nix::unistd::getuid().as_raw();
    if uid == 0 {
        "root".into()
    } else {
        uid.to_string()
    }
}

/// `--preserve-fds N` (descriptors 3..3+N passed on to the process) is not
/// implemented: refused rather than silently ignored.
pub fn refuse_preserved_fds(n: i32) -> anyhow::Result<()> {
    if n != 0 {
        bail!("--preserve-fds is not supported yet (got {n})");
    }
    Ok(())
}

/// Writes `pid` to `path` atomically, as runc does.
pub fn write_pid_file(path: &Path, pid: i32) -> anyhow::Result<()> {
    let tmp = PathBuf::from(format!("{}.tmp", path.display()));
    std::fs::write(&tmp, pid.to_string())
        .with_context(|| format!("writing the pid file {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing the pid file {}", path.display()))
}

/// Makes a terminal for the container: the master goes to whoever listens
/// on `socket` (as runc passes it), the other end becomes the sandbox's stdio.
pub fn console(socket: &Path) -> anyhow::Result<[OwnedFd; 3]> {
    let pty = nix::pty::openpty(None, None).context("openpty")?;
    let conn = std::os::unix::net::UnixStream::connect(socket)
        .with_context(|| format!("connecting to the console socket {}", socket.display()))?;
    crate::control::wire::send_raw(&conn, b"/dev/ptmx", &[pty.master.as_raw_fd()])
        .context("sending the terminal to the console socket")?;
    let out = pty.slave.try_clone()?;
    let err = pty.slave.try_clone()?;
    Ok([pty.slave, out, err])
}
